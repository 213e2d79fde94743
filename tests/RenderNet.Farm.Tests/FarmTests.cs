using Grpc.Core;
using RenderNet.Protocol;

namespace RenderNet.Farm.Tests;

/// <summary>The coordinator against real worker processes on loopback.</summary>
[Collection("farm")]
public class FarmTests
{
    [Fact]
    public async Task Four_nodes_render_the_same_bits_as_one_process()
    {
        using var a = new NodeProcess(); using var b = new NodeProcess(); using var c = new NodeProcess(); using var d = new NodeProcess();
        var frame = Jobs.Frame(64, 48, 4);
        var events = new List<TileEvent>();
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast, onTile: e => { lock (events) events.Add(e); })
            .RunAsync([a.Address, b.Address, c.Address, d.Address]);
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        Assert.Equal(12, events.Count);
        Assert.Equal(Enumerable.Range(0, 12), events.Select(e => e.Index).Order());
        Assert.Equal(12, result.Nodes.Sum(n => n.Tiles));
        Assert.True(result.Nodes.Count(n => n.Tiles > 0) >= 2, "the pull queue should spread tiles over the nodes");
        Assert.All(events, e => Assert.True(e.Bytes > 0 && e.Duration > TimeSpan.Zero));
    }

    [Fact]
    public async Task Rasterised_frames_on_nodes_equal_one_process_bit_for_bit()
    {
        using var a = new NodeProcess(); using var b = new NodeProcess();
        var frame = Jobs.Frame(96, 72, 1) with { Mode = Core.Rendering.RenderMode.Raster, Background = new System.Numerics.Vector3(0.2f) };
        var result = await new TileFarm(Jobs.Spec(frame, 20), Jobs.Fast).RunAsync([a.Address, b.Address]);
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        Assert.Equal(20, result.Nodes.Sum(n => n.Tiles));
    }

    [Fact]
    public async Task Adaptive_sampling_on_nodes_equals_one_process_bit_for_bit_and_counts_the_samples_taken()
    {
        using var a = new NodeProcess(); using var b = new NodeProcess();
        var frame = Jobs.Frame(64, 48, 32) with { NoiseThreshold = 0.05f, MinSamplesPerPixel = 8 };
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast).RunAsync([a.Address, b.Address]);
        using var device = Vulkan.VulkanDevice.Open();
        var (local, stats) = Vulkan.LocalRender.Render(device, Core.Gltf.GltfSceneLoader.LoadGlb(Jobs.Glb, "cornell"), frame, new Core.Tiles.TilePlan(64, 48, 64));
        Assert.True(result.Image.BitEquals(local));
        // Each pixel's stop depends only on its own samples: the nodes took exactly the samples one process took, and
        // (the walls are smooth, the threshold loose) far fewer than the most allowed.
        Assert.Equal(stats.PixelSamples, result.PixelSamples);
        Assert.InRange(result.PixelSamples, 64L * 48 * 8, 64L * 48 * 32 * 3 / 4);
    }

    [Fact]
    public async Task A_node_killed_mid_job_does_not_lose_tiles()
    {
        using var victim = new NodeProcess(); using var b = new NodeProcess(); using var c = new NodeProcess();
        // 48 tiles, so that work is left for the victim's freed slot to ask for even when it starts late on a busy machine.
        var frame = Jobs.Frame(128, 96, 6);
        int killed = 0;
        var farm = new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast, onTile: e =>
        {
            // SIGKILL right after its first tile: its other slot is busy with one, and the freed one asks for the next.
            if (e.Node.Contains(victim.Address) && Interlocked.Exchange(ref killed, 1) == 0) victim.Kill();
        });
        var result = await farm.RunAsync([victim.Address, b.Address, c.Address]);
        Assert.True(victim.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        Assert.Equal(48, result.Nodes.Sum(n => n.Tiles));
        // Its workers found it gone: the tiles it held (and any it was offered) failed there and went elsewhere.
        Assert.True(result.Nodes.Single(n => n.Address == victim.Address).Failures >= 1);
    }

    [Fact]
    public async Task A_hung_node_times_out_and_its_tiles_are_redone_elsewhere()
    {
        using var hung = new NodeProcess("hang"); using var good = new NodeProcess();
        var frame = Jobs.Frame(64, 48, 4);
        // Speculation alone would cover a hang at the end of a job; without it only the deadline can.
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { SpeculativeStragglers = false }).RunAsync([hung.Address, good.Address]);
        var local = Jobs.Local(frame);
        var diff = Enumerable.Range(0, local.Pixels.Length).Where(i => local.Pixels[i] != result.Image.Pixels[i]).Take(5).Select(i => $"{i}:{local.Pixels[i]}/{result.Image.Pixels[i]}");
        Assert.True(result.Image.BitEquals(local), string.Join(" ", diff));
        var report = result.Nodes.Single(n => n.Address == hung.Address);
        Assert.Equal(0, report.Tiles);
        Assert.True(report.Failures >= 1);
    }

    [Theory]
    [InlineData("WrongSize", "came back as")]
    [InlineData("CorruptPixels", "invalid: tile")]
    [InlineData("BadHash", "hash to")]
    [InlineData("MisreportedSamples", "pixel-samples")]
    public async Task A_lying_node_is_rejected_and_its_tiles_redone(string fault, string reason)
    {
        using var liar = new NodeProcess(fault); using var good = new NodeProcess();
        var frame = Jobs.Frame(48, 32, 2);
        var spec = Jobs.Spec(frame, 16);
        var dir = Directory.CreateTempSubdirectory("rendernet-journal").FullName;
        try
        {
            using var journal = TileJournal.Create(dir, spec);
            // Without speculation the liar's answers must arrive and be judged (not merely outraced).
            var result = await new TileFarm(spec, Jobs.Fast with { SpeculativeStragglers = false }, journal).RunAsync([liar.Address, good.Address]);
            Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
            var report = result.Nodes.Single(n => n.Address == liar.Address);
            Assert.Equal(0, report.Tiles);
            Assert.True(journal.Attempts().Any(a => a.Node.Contains(liar.Address) && a.Outcome.Contains(reason)),
                string.Join("; ", journal.Attempts().Select(a => $"{a.Tile} {a.Node} {a.Outcome}")) + " | " + string.Join("; ", result.Nodes));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task A_node_with_another_pipeline_fingerprint_is_excluded_by_name()
    {
        using var other = new NodeProcess("OtherFingerprint", "--node-id", "odd-one"); using var good = new NodeProcess();
        var frame = Jobs.Frame(32, 24, 2);
        var warnings = new List<string>();
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast, onWarning: warnings.Add).RunAsync([good.Address, other.Address]);
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        Assert.Contains(warnings, w => w.Contains("odd-one") && w.Contains("fingerprint") && w.Contains("excluded"));
        Assert.Equal(0, result.Nodes.Single(n => n.Address == other.Address).Tiles);

        // Told to allow it, the coordinator uses both.
        var mixed = await new TileFarm(Jobs.Spec(frame, 8), Jobs.Fast with { AllowMixedPipelines = true }).RunAsync([good.Address, other.Address]);
        Assert.All(mixed.Nodes, n => Assert.Null(n.Excluded));
    }

    [Fact]
    public async Task Without_healthy_nodes_the_job_fails_with_a_report()
    {
        using var liar = new NodeProcess("BadHash");
        var ex = await Assert.ThrowsAsync<FarmException>(() => new TileFarm(Jobs.Spec(Jobs.Frame(32, 24, 1), 16), Jobs.Fast).RunAsync([liar.Address, "127.0.0.1:9"]));
        Assert.Contains("no healthy render node", ex.Message);
        Assert.Contains("unreachable", ex.Message);
        Assert.Equal(2, ex.Nodes.Count);
    }

    [Fact]
    public async Task Cancellation_stops_the_job_and_leaves_no_node_busy()
    {
        using var a = new NodeProcess(); using var b = new NodeProcess();
        using var cts = new CancellationTokenSource();
        int delivered = 0;
        var farm = new TileFarm(Jobs.Spec(Jobs.Frame(128, 96, 16), 16), Jobs.Fast, onTile: _ => { if (Interlocked.Increment(ref delivered) == 2) cts.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => farm.RunAsync([a.Address, b.Address], cts.Token));
        Assert.True(delivered < 48);
        foreach (var node in new[] { a, b })
        {
            using var client = new NodeClient(node.Address);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            HealthReply health;
            do
            {
                health = await client.HealthAsync(TimeSpan.FromSeconds(5), default);
                if (health.TilesInFlight == 0) break;
                await Task.Delay(100);
            } while (DateTime.UtcNow < deadline);
            Assert.Equal(0u, health.TilesInFlight);
        }
    }
}

[CollectionDefinition("farm", DisableParallelization = true)]
public sealed class FarmCollection;
