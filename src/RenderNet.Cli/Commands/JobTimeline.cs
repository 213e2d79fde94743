using RenderNet.Core.Imaging;
using RenderNet.Farm;

namespace RenderNet.Cli.Commands;

/// <summary>A farm job's attempts as a <see cref="TimelineChart"/>: one row per node (in report order), one bar per attempt.</summary>
static class JobTimeline
{
    static readonly string[] ColorNames = ["blue", "orange", "green", "purple", "brown", "pink", "grey", "olive", "cyan", "navy"];

    /// <summary>Draws the timeline; returns the legend to print beside it.</summary>
    public static string Write(string path, IReadOnlyList<NodeReport> nodes, IReadOnlyList<FarmAttempt> attempts)
    {
        var rows = nodes.Select((n, i) => (Name: n.NodeId is { Length: > 0 } id ? $"{id} ({n.Address})" : n.Address, Row: i)).ToList();
        var bars = new List<TimelineBar>();
        foreach (var a in attempts)
        {
            int row = rows.FindIndex(r => r.Name == a.Node);
            if (row < 0 || !a.Kind.DidWork()) continue; // "busy": the node asked for a moment, no work was done
            var kind = a.Kind switch
            {
                _ when a.SpotCheck => a.Kind.Compared() ? TimelineBarKind.SpotCheck : TimelineBarKind.Failed,
                AttemptOutcome.Accepted => a.Speculative ? TimelineBarKind.Speculative : TimelineBarKind.Accepted,
                AttemptOutcome.Superseded or AttemptOutcome.PaidDuplicate => TimelineBarKind.Superseded,
                _ => TimelineBarKind.Failed,
            };
            bars.Add(new TimelineBar(row, a.Start, a.Start + a.Duration, kind));
        }
        TimelineChart.Write(path, Math.Max(1, rows.Count), bars);
        int retried = bars.Count(b => b.Kind == TimelineBarKind.Failed);
        int checks = bars.Count(b => b.Kind == TimelineBarKind.SpotCheck);
        return $"rendernet: timeline {path}: rows " + string.Join(", ", rows.Select(r => $"{ColorNames[r.Row % ColorNames.Length]} = {nodes[r.Row].NodeId ?? nodes[r.Row].Address}")) +
            $"; {bars.Count} attempts ({retried} failed and retried elsewhere: red stripes; {checks} spot checks: light hatching; faded: duplicates that lost; dark top edge: duplicates that won); a grey line every second";
    }
}
