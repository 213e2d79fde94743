using RenderNet.Farm;

namespace RenderNet.Service;

/// <summary>
/// Which nodes each running job works with, kept current while it runs: nodes that joined the service since a job
/// started, and (with <see cref="ServiceOptions.JobsPerNode"/>) nodes freed by jobs that ended or whose tiles are all
/// handed out, or given up by jobs above their share, are given to the running frames (<see cref="TileFarm.AddNodes"/>,
/// <see cref="TileFarm.ReleaseNodes"/>) at every <see cref="Refresh"/> and whenever a job starts. Without
/// an allotment every job works every node; with one, the <see cref="NodeAllotment"/> decides.
/// </summary>
/// <remarks>
/// Nodes are allotted by speed: what the running frames expect of each node (<see cref="TileFarm.NodeRates"/>: measured,
/// else declared within reason), remembered while the node stays with the service; a node no frame has seen yet counts
/// at the fleet's median.
/// </remarks>
public sealed class JobNodes(ServiceNodes nodes, int jobsPerNode)
{
    readonly NodeAllotment? allotment = jobsPerNode > 0 ? new NodeAllotment(jobsPerNode) : null;
    readonly Lock gate = new();
    /// <summary>The last speed a frame expected of each present node (under <see cref="gate"/>).</summary>
    readonly Dictionary<string, double> rates = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The nodes a frame of <paramref name="job"/> starts with (every node there is, without an allotment).</summary>
    /// <param name="running">The jobs running now, this one included.</param>
    public IReadOnlyList<string> For(ServiceJob job, IReadOnlyList<ServiceJob> running)
    {
        if (allotment is null) return nodes.Current;
        NodeAllotment.Changes changes;
        List<string> mine;
        lock (gate)
        {
            changes = Rebalance(running);
            mine = allotment.NodesOf(job.Id).ToList();
        }
        Hand(changes, running.Where(j => j != job)); // what this rebalance gave and took from the others reaches their frames too
        // A job always starts with something: with no place free it shares the service's first node.
        return mine.Count > 0 ? mine : nodes.Current.Take(1).ToList();
    }

    /// <summary>Hands new nodes to the running jobs' frames (call periodically, and when nodes join).</summary>
    public void Refresh(IReadOnlyList<ServiceJob> running)
    {
        if (allotment is null)
        {
            var current = nodes.Current;
            foreach (var job in running) job.Farm?.AddNodes(current); // nodes already in the frame are ignored
            return;
        }
        NodeAllotment.Changes changes;
        lock (gate) changes = Rebalance(running);
        Hand(changes, running);
    }

    /// <summary>
    /// Gives each running frame the nodes its job was just allotted and takes those it gave up (a job between frames
    /// starts its next with its allotment as it is then).
    /// </summary>
    static void Hand(NodeAllotment.Changes changes, IEnumerable<ServiceJob> running)
    {
        foreach (var job in running)
        {
            if (changes.Released.TryGetValue(job.Id, out var fewer)) job.Farm?.ReleaseNodes(fewer);
            if (changes.Added.TryGetValue(job.Id, out var more)) job.Farm?.AddNodes(more);
        }
    }

    NodeAllotment.Changes Rebalance(IReadOnlyList<ServiceJob> running)
    {
        var demand = running.Select(job =>
        {
            // Tiles of frames still to come count as queued: the job will want nodes for them.
            int left = Math.Max(0, job.Plan.UnitsTotal - job.Row.TilesDone);
            int queued = job.Farm?.Progress is { } frame ? frame.Queued + Math.Max(0, left - frame.Left) : left;
            // Spot checks open (waiting or running) are work too: a job whose tiles are all in but whose checks are not settled keeps wanting nodes.
            int checks = job.Farm?.ChecksOpen ?? 0;
            (left, queued) = (left + checks, queued + checks);
            return new NodeAllotment.JobDemand(job.Id, job.Share?.Priority ?? job.Row.Priority, left, queued) { Lost = job.Farm?.LostNodes() ?? [] };
        }).ToList();
        var present = nodes.Current;
        foreach (var job in running)
            if (job.Farm is { } farm)
                foreach (var (address, rate) in farm.NodeRates()) rates[address] = rate;
        if (rates.Count > present.Count) // nodes that left the service are forgotten: the table stays the fleet's size
        {
            var here = present.ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var gone in rates.Keys.Where(a => !here.Contains(a)).ToList()) rates.Remove(gone);
        }
        var offers = present.Select(a => new NodeAllotment.NodeOffer(a, rates.GetValueOrDefault(a))).ToList();
        return allotment!.Rebalance(demand, offers);
    }
}
