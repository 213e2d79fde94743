using System.Numerics;
using RenderNet.Client.Wire;
using RenderNet.Farm;

namespace RenderNet.Service;

/// <summary>What one node has done for this service, over every job: finished frames from the receipts, the frame in progress from its farm.</summary>
public sealed record NodeWork(int Tiles, int SpotChecks, int Failures, int Convictions, BigInteger Paid);

/// <summary>
/// Adds up each node's work (keyed by its address) from the jobs' receipts — which hold every frame a job finished,
/// or all of it once it ended — and the live reports of the frames being rendered now, which no receipt holds yet.
/// </summary>
public static class NodeWorkTotals
{
    public static IReadOnlyDictionary<string, NodeWork> Sum(IEnumerable<JobReceipt?> receipts, IEnumerable<NodeReport> live)
    {
        var totals = new Dictionary<string, NodeWork>(StringComparer.OrdinalIgnoreCase);
        void Add(string address, NodeWork work) =>
            totals[address] = totals.TryGetValue(address, out var known)
                ? new NodeWork(known.Tiles + work.Tiles, known.SpotChecks + work.SpotChecks, known.Failures + work.Failures, known.Convictions + work.Convictions, known.Paid + work.Paid)
                : work;
        foreach (var line in receipts.SelectMany(r => r?.Nodes ?? []))
            Add(line.Address, new NodeWork(line.Tiles, line.SpotChecks, line.Failures, line.Convicted ? 1 : 0, ServiceMapping.Wei(decimal.Parse(line.Paid, System.Globalization.CultureInfo.InvariantCulture))));
        foreach (var report in live)
            Add(report.Address, new NodeWork(report.Tiles, report.SpotChecks, report.Failures, report.Convicted ? 1 : 0, report.Paid));
        return totals;
    }
}
