using RenderNet.Client.Wire;
using RenderNet.Media;
using RenderNet.Protocol;

namespace RenderNet.Service.Tests;

/// <summary>A transcode's estimate from the probed video: segments, price units by output megapixels, cost on the compatible nodes.</summary>
public sealed class TranscodeEstimatorTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-estimate").FullName;
    const string Sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const ulong OneToken = 1_000_000_000_000_000_000;

    public void Dispose() => Directory.Delete(dir, true);

    TranscodeJobPlan Plan(string ladder, double segmentSeconds)
    {
        File.WriteAllBytes(Path.Combine(dir, Sha), [0]);
        var plan = TranscodeJobPlan.For(new JobSubmission
        {
            Kind = "transcode", Transcode = new TranscodeSettings { MediaSha256 = Sha, Renditions = ladder, SegmentSeconds = segmentSeconds },
        }, new MediaStore(dir, 1 << 20));
        Assert.True(plan.CanRender, string.Join("; ", plan.Errors.Select(e => e.Message)));
        return plan;
    }

    static NodeProbe Node(string address, ulong price, string? problem = null) =>
        new(address, new Capabilities { PricePerTile = price, JobKinds = { "transcode" } }, problem);

    // 1280x720 at 24 fps, 10 s: 240 frames.
    static readonly MediaInfo Video = new(1280, 720, new RenderNet.Core.Media.FrameRate(24, 1), 240, 10, "h264", "yuv420p", null, null, false);

    [Fact]
    public void Segments_are_priced_by_their_output_megapixels_at_the_nodes_prices()
    {
        // 720p: 921,600 pixels a frame; a 2 s segment keeps 48 frames = 44,236,800 pixels = 42.19 → 43 units of 2^20.
        var reply = TranscodeEstimator.Estimate(Plan("720p", 2), Video, [Node("a", OneToken), Node("b", 3 * OneToken)], spotCheckRate: 0, budgetLeft: null);
        Assert.Equal(5, reply.Segments);
        Assert.Equal(240, reply.Frames);
        Assert.Equal(2, reply.CompatibleNodes.Count);
        Assert.Equal(5 * 43 * 2m, decimal.Parse(reply.EstimatedCost, System.Globalization.CultureInfo.InvariantCulture)); // equal shares at 1 and 3
        Assert.Equal(5 * 43 * 3m, decimal.Parse(reply.MaximumCost, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(reply.EstimatedSeconds); // nodes report no transcode speed: not guessed
    }

    [Fact]
    public void An_upscale_a_tight_budget_and_no_transcoding_node_are_reported()
    {
        var reply = TranscodeEstimator.Estimate(Plan("1080p", 4), Video, [Node("a", OneToken)], 0, budgetLeft: 10);
        Assert.Contains(reply.Problems, p => p.Severity == "warning" && p.Message == "rendition 1080p is larger than the source (1280x720): it is upscaled");
        Assert.Contains(reply.Problems, p => p.Severity == "warning" && p.Message.StartsWith("the budget left (10 tokens) may stop the job early"));

        var none = TranscodeEstimator.Estimate(Plan("720p", 4), Video, [Node("a", OneToken, "does not transcode")], 0, null);
        Assert.Contains(none.Problems, p => p.Severity == "error" && p.Message == "no compatible transcode node: a: does not transcode");
    }
}
