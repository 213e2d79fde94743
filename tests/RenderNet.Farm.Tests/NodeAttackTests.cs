using System.Security.Cryptography;
using Grpc.Core;
using RenderNet.Core.Tests;
using RenderNet.Core.Tiles;
using RenderNet.Protocol;

namespace RenderNet.Farm.Tests;

/// <summary>A hostile coordinator against a real node process (security review N-1, N-2).</summary>
[Collection("farm")]
public class NodeAttackTests
{
    static TileRequest Tile(string sha, int index = 0) => FrameMessages.ToRequest(sha, Jobs.Frame(32, 32, 1), new TileRect(0, 0, 8, 8), "bomb", index);

    [Theory]
    [InlineData("deep", "its node hierarchy is more than 256 levels deep")]
    [InlineData("instances", "it instances more than 16,000,000 triangles")]
    [InlineData("texture", "image 0 is 40000x40000 (limit 16384 on a side)")]
    public async Task N1_a_scene_bomb_is_refused_with_its_reason_and_the_node_keeps_serving(string bomb, string reason)
    {
        using var node = new NodeProcess();
        using var client = new NodeClient(node.Address);
        var glb = bomb switch
        {
            "deep" => GltfBombs.DeepChain(3000),
            "instances" => GltfBombs.Instancing(100_000, 2000),
            _ => GltfBombs.HugeTexture(40_000),
        };
        string sha = Convert.ToHexStringLower(SHA256.HashData(glb));
        await client.EnsureSceneAsync(sha, glb, DateTime.UtcNow.AddMinutes(1), default);
        // Before the fix: 25 s of CPU under the device lock (deep), ≥ 20 GiB of lists (instances), GiBs of pixels (texture).
        var ex = await Assert.ThrowsAsync<RpcException>(() => client.RenderTileAsync(Tile(sha), DateTime.UtcNow.AddSeconds(30), default));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.EndsWith(reason, ex.Status.Detail);
        // The node is unharmed: an honest tile right after renders.
        await client.EnsureSceneAsync(Jobs.Sha, Jobs.Glb, DateTime.UtcNow.AddMinutes(1), default);
        var ok = await client.RenderTileAsync(Tile(Jobs.Sha, 1), DateTime.UtcNow.AddSeconds(60), default);
        Assert.Equal(8u, ok.Width);
        Assert.False(node.HasExited);
    }

    [Fact]
    public async Task N2_an_upload_announcing_512_MiB_costs_the_node_nothing_and_a_silent_one_is_cut_off()
    {
        using var node = new NodeProcess();
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress("http://" + node.Address);
        var raw = new RenderNode.RenderNodeClient(channel);
        // Three uploads that each announce the maximum and then send one small chunk and go quiet. Before the fix each
        // allocated its announced 512 MiB at once and held it for ever (gRPC turns Kestrel's rate limits off).
        var calls = Enumerable.Range(0, 3).Select(_ => raw.UploadScene(deadline: DateTime.UtcNow.AddMinutes(2))).ToList();
        foreach (var call in calls)
            await call.RequestStream.WriteAsync(new SceneChunk
            {
                ProtocolVersion = ProtocolVersion.Current, Sha256 = new string('a', 64), TotalBytes = 512UL << 20, Offset = 0,
                Data = Google.Protobuf.ByteString.CopyFrom(new byte[1024]),
            });
        // Two per client at most: whichever arrived third is refused at once; the quiet two are cut off by the node's
        // idle limit (30 s), not left to hold their buffers.
        var outcomes = new List<RpcException>();
        foreach (var call in calls) outcomes.Add(await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync));
        var refused = Assert.Single(outcomes, e => e.StatusCode == StatusCode.ResourceExhausted);
        Assert.Contains("too many uploads in progress", refused.Status.Detail);
        Assert.All(outcomes.Where(e => e != refused), cut =>
        {
            Assert.Equal(StatusCode.DeadlineExceeded, cut.StatusCode);
            Assert.Contains("sent nothing for 30 s", cut.Status.Detail);
        });
    }
}
