using RenderNet.Client.Wire;
using RenderNet.Core.Media;
using RenderNet.Media;

namespace RenderNet.Service;

/// <summary>
/// What a checked transcode should cost, from the probed video: segments of the requested length (the real cuts fall
/// on keyframes, so the count is approximate), each priced by its output megapixels across the ladder as the nodes
/// price it (<see cref="TranscodePricing"/>), on the nodes that transcode with the majority's fingerprint.
/// </summary>
public static class TranscodeEstimator
{
    public static EstimateReply Estimate(TranscodeJobPlan plan, MediaInfo info, IReadOnlyList<NodeProbe> probes, double spotCheckRate, decimal? budgetLeft)
    {
        var renditions = Rendition.ParseLadder(plan.Ladder, info.Width, info.Height);
        double seconds = plan.SegmentSeconds > 0 ? plan.SegmentSeconds : TranscodeParallelism.SegmentSeconds(info.Duration, Math.Max(1, probes.Count));
        int perSegment = Math.Max(1, (int)Math.Round(info.Rate.PerSecond * seconds));
        long units = 0;
        int segments = 0;
        for (int first = 0; first < info.Frames; first += perSegment, segments++)
            units += TranscodePricing.Units(renditions, Math.Min(perSegment, info.Frames - first), first);

        var reply = new EstimateReply { Segments = segments, Frames = info.Frames };
        foreach (var r in renditions.Where(r => r.Height > info.Height))
            reply.Problems.Add(new ProblemLine { Severity = "warning", Message = $"rendition {r.Name} is larger than the source ({info.Width}x{info.Height}): it is upscaled" });
        var usable = probes.Where(p => p.Usable).ToList();
        reply.CompatibleNodes.AddRange(usable.Select(p => NodeRoster.Line(p)));
        if (usable.Count == 0)
        {
            reply.Problems.Add(new ProblemLine { Message = $"no compatible transcode node: {string.Join("; ", probes.Select(p => $"{p.Address}: {p.Problem}"))}" });
            return reply;
        }
        // Nodes report no transcode speed yet: shares are equal and the time is not estimated.
        EstimatedPrice.Apply(reply, usable, units, _ => 0, spotCheckRate, budgetLeft);
        return reply;
    }
}
