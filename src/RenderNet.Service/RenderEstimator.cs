using RenderNet.Client.Wire;
using RenderNet.Core.Rendering;
using RenderNet.Core.Tiles;
using RenderNet.Protocol;

namespace RenderNet.Service;

/// <summary>
/// What a checked request should cost and take on the nodes that can render it: tiles go to nodes as they free up, so
/// each node's share follows its measured speed; the maximum is every tile at the dearest node, plus a spot check of
/// each when checks are on.
/// </summary>
public static class RenderEstimator
{
    public static EstimateReply Estimate(RenderJobPlan plan, IReadOnlyList<NodeProbe> probes, double spotCheckRate, decimal? budgetLeft)
    {
        var reply = new EstimateReply { TilesPerFrame = plan.TilesPerFrame, Frames = plan.Frames.Count };
        reply.Problems.AddRange(plan.Warnings.Select(w => new ProblemLine { Severity = "warning", Message = w }));
        var usable = probes.Where(p => p.Usable).ToList();
        reply.CompatibleNodes.AddRange(usable.Select(p => NodeRoster.Line(p)));
        if (usable.Count == 0)
        {
            reply.Problems.Add(new ProblemLine { Message = $"no compatible render node: {string.Join("; ", probes.Select(p => $"{p.Address}: {p.Problem}"))}" });
            return reply;
        }
        bool raster = plan.Frames[0].Mode == RenderMode.Raster;
        long units = plan.Frames.Sum(f => new TilePlan(f.Width, f.Height, plan.TileSize, plan.TileSize).Tiles.Sum(t => WorkUnits.ForTile(f, t)));
        double Rate(NodeProbe p) => raster ? p.Caps!.RasterPixelsPerSecond : p.Caps!.PathSamplesPerSecond;
        double totalRate = EstimatedPrice.Apply(reply, usable, units, Rate, spotCheckRate, budgetLeft);
        var f0 = plan.Frames[0];
        double pixels = (double)f0.Width * f0.Height * plan.Frames.Count;
        reply.EstimatedSeconds = totalRate > 0 ? pixels * (raster ? 1 : f0.SamplesPerPixel) / totalRate : null;
        // Adaptive sampling decides per pixel while rendering: before it, only the range is known (nodes measure their
        // speed in samples actually taken, so the rate holds for both ends).
        if (!raster && f0.NoiseThreshold > 0 && totalRate > 0) reply.FastestSeconds = pixels * f0.AdaptiveMinSamples / totalRate;
        return reply;
    }
}
