using System.Net;
using RenderNet.Protocol;

namespace RenderNet.Farm.Tests;

/// <summary>Scenes by content: nodes fetch a scene from a source the job names (a CDN, a gateway), checked against its hash.</summary>
[Collection("farm")]
public class SceneSourceTests
{
    [Fact]
    public async Task A_node_fetches_the_scene_from_a_source_it_allows_and_is_sent_nothing()
    {
        using var server = new SceneServer();
        using var node = new NodeProcess(null, (IReadOnlyDictionary<string, string>?)null, "--scene-gateway", $"127.0.0.1:{server.Port}");
        var frame = Jobs.Frame(32, 32, 2);

        var result = await new TileFarm(Jobs.Spec(frame, 16) with { SceneSources = [server.Template] }, Jobs.Fast).RunAsync([node.Address]);

        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        Assert.Equal(1, server.Requests);
        await LineAsync(node, $"scene {Jobs.Sha} fetched and cached");
        Assert.DoesNotContain(node.Output, l => l.Contains($"scene {Jobs.Sha} cached (")); // the upload's line
    }

    [Fact]
    public async Task Bytes_that_do_not_hash_to_the_scene_are_not_believed_and_a_node_that_allows_no_source_fetches_nothing()
    {
        var forged = (byte[])Jobs.Glb.Clone();
        forged[^1] ^= 1;
        using var liar = new SceneServer { Body = forged };
        using var careful = new NodeProcess(null, (IReadOnlyDictionary<string, string>?)null, "--scene-gateway", $"127.0.0.1:{liar.Port}");
        using var closed = new NodeProcess();
        var frame = Jobs.Frame(32, 32, 2);

        var result = await new TileFarm(Jobs.Spec(frame, 16) with { SceneSources = [liar.Template] }, Jobs.Fast).RunAsync([careful.Address, closed.Address]);

        // The forged scene was refused and the coordinator sent the real one: the frame is right.
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        Assert.Equal(1, liar.Requests); // only the node that allows the host asked it
        await LineAsync(careful, "served bytes that hash to");
        await LineAsync(careful, $"scene {Jobs.Sha} cached (");
    }

    /// <summary>Waits for a line in the node's log (it logs asynchronously), failing with its log after 10 s.</summary>
    static async Task LineAsync(NodeProcess node, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!node.Output.Any(l => l.Contains(text)) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(node.Output.Any(l => l.Contains(text)), $"the node never logged '{text}':\n{string.Join("\n", node.Output)}");
    }

    [Fact]
    public void A_scenes_cid_is_its_cidv1_raw_sha256_and_templates_are_checked()
    {
        // The CIDv1 (raw, sha2-256) of the empty byte string, as IPFS names it.
        Assert.Equal("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
            SceneSources.Cid("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        Assert.Equal("https://ipfs.example/ipfs/bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
            SceneSources.Resolve("https://ipfs.example/ipfs/{cid}", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
        Assert.Contains("names no scene", Assert.Throws<ArgumentException>(() => SceneSources.CheckTemplate("https://cdn.example/scene.glb")).Message);
        Assert.Contains("is not an http(s) URL", Assert.Throws<ArgumentException>(() => SceneSources.CheckTemplate("ftp://cdn.example/{sha256}")).Message);
    }
}
