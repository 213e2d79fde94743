namespace RenderNet.Farm;

/// <summary>
/// Which nodes each running job works with, once there are too many of both for every job to work every node (10,000
/// nodes × 100 jobs would be a million workers and a million per-job node records). Every node serves at most
/// <see cref="Depth"/> jobs; a job is allotted nodes until their speed reaches its priority-weighted share of the
/// fleet's (<see cref="Depth"/> times over: when one of a node's jobs has no tile for it, another has), and never more
/// nodes than it has tiles left. Per node, the <see cref="FairShareScheduler"/> still decides whose tile runs next.
/// The nodes of a job that ended, nodes that arrive, and nodes whose jobs have no tile queued (they only finish what is
/// in flight) take on the jobs furthest below their share; when no place is free, a job above its share gives places up
/// to a job below its (the node finishes the tile it has: nothing is wasted); a job with no node at all gets one beyond
/// the depth; a node a job lost is never allotted to it again. Pure bookkeeping: no I/O, no clock.
/// </summary>
public sealed class NodeAllotment(int depth = 2)
{
    public int Depth { get; } = depth >= 1 ? depth : throw new ArgumentOutOfRangeException(nameof(depth), depth, "a node serves at least one job");

    /// <summary>
    /// A running job: its weight, how many tiles it has left (it needs no more nodes than that) and how many of them wait
    /// to be handed out (none: the job is in its end game, and its nodes' places count as free for other jobs).
    /// </summary>
    public sealed record JobDemand(string JobId, int Priority, int TilesLeft, int Queued)
    {
        /// <summary>
        /// Nodes the job can no longer use (out of it: failed, refused, convicted — <see cref="TileFarm.LostNodes"/>):
        /// they leave its allotment, their place on the node is free, and they are never allotted to it again, so the
        /// job is given others instead of dying with nodes to spare.
        /// </summary>
        public IReadOnlyCollection<string> Lost { get; init; } = [];
    }

    /// <summary>A node present now, with its expected speed (0: unknown, counted at the fleet's median).</summary>
    public sealed record NodeOffer(string Address, double Rate);

    readonly Dictionary<string, HashSet<string>> nodesOfJob = new(StringComparer.Ordinal);
    /// <summary>Nodes each running job lost (<see cref="JobDemand.Lost"/>): never allotted to it again.</summary>
    readonly Dictionary<string, HashSet<string>> lostOfJob = new(StringComparer.Ordinal);

    bool HasLost(string jobId, string node) => lostOfJob.TryGetValue(jobId, out var lost) && lost.Contains(node);

    /// <summary>The nodes a job is allotted now.</summary>
    public IReadOnlyCollection<string> NodesOf(string jobId) => nodesOfJob.TryGetValue(jobId, out var nodes) ? nodes : [];

    /// <summary>What one <see cref="Rebalance"/> changed, per job (jobs with no change are left out).</summary>
    /// <param name="Added">Nodes the job was given.</param>
    /// <param name="Released">Nodes the job gave up to jobs below their share (<see cref="TileFarm.ReleaseNodes"/>).</param>
    public sealed record Changes(IReadOnlyDictionary<string, IReadOnlyList<string>> Added, IReadOnlyDictionary<string, IReadOnlyList<string>> Released);

    /// <summary>
    /// Forgets jobs that are not in <paramref name="jobs"/> and nodes not in <paramref name="nodes"/>, allots the
    /// nodes' free places, and — while a job with tiles to hand out is below its share and no place is free — moves
    /// places from jobs above their share to it.
    /// </summary>
    public Changes Rebalance(IReadOnlyList<JobDemand> jobs, IReadOnlyList<NodeOffer> nodes)
    {
        Forget(jobs, nodes);
        // A node's places taken: its jobs that still have tiles queued for it to take.
        var load = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var job in jobs.Where(j => j.Queued > 0 && nodesOfJob.ContainsKey(j.JobId)))
            foreach (var node in nodesOfJob[job.JobId]) load[node] = load.GetValueOrDefault(node) + 1;
        var added = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var released = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var wanting = jobs.Where(j => j.Queued > 0).ToList();
        if (wanting.Count == 0 || nodes.Count == 0) return new Changes(new Dictionary<string, IReadOnlyList<string>>(), new Dictionary<string, IReadOnlyList<string>>());

        var known = nodes.Where(n => n.Rate > 0 && double.IsFinite(n.Rate)).Select(n => n.Rate).Order().ToList();
        double median = known.Count > 0 ? known[known.Count / 2] : 1;
        double RateOf(NodeOffer n) => n.Rate > 0 && double.IsFinite(n.Rate) ? n.Rate : median;
        var rate = nodes.ToDictionary(n => n.Address, RateOf, StringComparer.Ordinal);
        double fleet = rate.Values.Sum();
        double weights = wanting.Sum(j => (double)j.Priority);

        // Deficit: the job's share of Depth × the fleet's speed minus the speed it holds (negative: above its share).
        var deficit = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var job in wanting)
        {
            var mine = nodesOfJob.TryGetValue(job.JobId, out var set) ? set : nodesOfJob[job.JobId] = new HashSet<string>(StringComparer.Ordinal);
            deficit[job.JobId] = Depth * fleet * job.Priority / weights - mine.Sum(a => rate.GetValueOrDefault(a));
        }
        // A job could use another node: it has more tiles left than nodes, and a node it neither holds nor lost.
        bool Takes(JobDemand job) => nodesOfJob[job.JobId].Count < job.TilesLeft && nodesOfJob[job.JobId].Count + (lostOfJob.GetValueOrDefault(job.JobId)?.Count ?? 0) < nodes.Count;

        AllotFreePlaces();
        var pledged = new Dictionary<string, double>(StringComparer.Ordinal);
        // Allotments used only to grow, so jobs that arrived while every place was taken (a studio submitting a batch of
        // jobs at once) ran on one node each until others ended. Now a node moves from the job least below its share
        // (most above it) to the job furthest below its, when that leaves the giver better off than the taker was —
        // each move narrows the gap, and no move can be undone by the next. A job keeps at least one node.
        var takers = new PriorityQueue<JobDemand, double>();
        foreach (var job in wanting.Where(j => Takes(j) && deficit[j.JobId] > 0)) takers.Enqueue(job, -deficit[job.JobId]);
        if (takers.Count > 0)
        {
            foreach (var job in wanting.OrderBy(j => deficit[j.JobId]).ToList())
            {
                var mine = nodesOfJob[job.JobId];
                while (mine.Count > 1 && takers.TryPeek(out var taker, out _) && taker != job)
                {
                    // The node that best evens the two out: its speed nearest half the gap, and less than all of it.
                    double needs = deficit[taker.JobId] - pledged.GetValueOrDefault(taker.JobId), gap = needs - deficit[job.JobId];
                    string? node = null;
                    double r = 0;
                    foreach (var candidate in mine)
                    {
                        double c = rate.GetValueOrDefault(candidate);
                        double nearer = Math.Abs(r - gap / 2) - Math.Abs(c - gap / 2);
                        if (c < gap && (node is null || nearer > 0 || nearer == 0 && (c > r || c == r && string.CompareOrdinal(candidate, node) < 0)))
                            (node, r) = (candidate, c);
                    }
                    if (node is null) break;
                    mine.Remove(node);
                    load[node] = load.GetValueOrDefault(node) - 1;
                    deficit[job.JobId] += r;
                    (released.TryGetValue(job.JobId, out var list) ? list : released[job.JobId] = []).Add(node);
                    // Counted against the neediest taker (the free place goes to it unless it holds or lost that node).
                    takers.Dequeue();
                    pledged[taker.JobId] = pledged.GetValueOrDefault(taker.JobId) + r;
                    if (needs - r > 0) takers.Enqueue(taker, -(needs - r));
                }
                if (takers.Count == 0) break;
            }
            // The places given up go to the takers, never back to a giver (that would only swap one node for another).
            if (released.Count > 0) AllotFreePlaces(except: released.Keys.ToHashSet(StringComparer.Ordinal));
        }
        // A job left with no node at all (it lost them all) is never starved: it gets the least loaded node it has not
        // lost, beyond the depth if need be — one node over is cheap, a job that waits for ever is not.
        foreach (var job in wanting.Where(j => nodesOfJob[j.JobId].Count == 0))
        {
            var node = nodes.Where(n => !HasLost(job.JobId, n.Address))
                .OrderBy(n => load.GetValueOrDefault(n.Address)).ThenByDescending(n => rate[n.Address]).ThenBy(n => n.Address, StringComparer.Ordinal).FirstOrDefault();
            if (node is null) continue;
            nodesOfJob[job.JobId].Add(node.Address);
            load[node.Address] = load.GetValueOrDefault(node.Address) + 1;
            added[job.JobId] = [node.Address];
        }
        return new Changes(added.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)e.Value, StringComparer.Ordinal),
            released.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)e.Value, StringComparer.Ordinal));

        // Free places go to the jobs furthest below their share, fast nodes first, so the largest shares are met with
        // the fewest nodes; a job above its share takes what no job below wants (an idle place helps no one).
        void AllotFreePlaces(HashSet<string>? except = null)
        {
            var queue = new PriorityQueue<JobDemand, double>();
            foreach (var job in wanting.Where(j => nodesOfJob[j.JobId].Count < j.TilesLeft && except?.Contains(j.JobId) != true)) queue.Enqueue(job, -deficit[job.JobId]);
            foreach (var node in nodes.Where(n => load.GetValueOrDefault(n.Address) < Depth).OrderByDescending(n => rate[n.Address]).ThenBy(n => n.Address, StringComparer.Ordinal))
            {
                var skipped = new List<JobDemand>();
                while (load.GetValueOrDefault(node.Address) < Depth && queue.TryDequeue(out var job, out _))
                {
                    var mine = nodesOfJob[job.JobId];
                    if (mine.Contains(node.Address) || HasLost(job.JobId, node.Address))
                    {
                        skipped.Add(job);
                        continue;
                    }
                    mine.Add(node.Address);
                    load[node.Address] = load.GetValueOrDefault(node.Address) + 1;
                    (added.TryGetValue(job.JobId, out var list) ? list : added[job.JobId] = []).Add(node.Address);
                    deficit[job.JobId] -= rate[node.Address];
                    if (mine.Count < job.TilesLeft) queue.Enqueue(job, -deficit[job.JobId]);
                }
                foreach (var job in skipped) queue.Enqueue(job, -deficit[job.JobId]);
                if (queue.Count == 0) break;
            }
        }
    }

    void Forget(IReadOnlyList<JobDemand> jobs, IReadOnlyList<NodeOffer> nodes)
    {
        var running = jobs.Select(j => j.JobId).ToHashSet(StringComparer.Ordinal);
        var present = nodes.Select(n => n.Address).ToHashSet(StringComparer.Ordinal);
        foreach (var job in jobs.Where(j => j.Lost.Count > 0))
        {
            var lost = lostOfJob.TryGetValue(job.JobId, out var known) ? known : lostOfJob[job.JobId] = new HashSet<string>(StringComparer.Ordinal);
            lost.UnionWith(job.Lost);
        }
        foreach (var job in lostOfJob.Keys.Where(j => !running.Contains(j)).ToList()) lostOfJob.Remove(job);
        foreach (var (job, set) in nodesOfJob.ToList())
        {
            if (!running.Contains(job)) nodesOfJob.Remove(job);
            else set.RemoveWhere(n => !present.Contains(n) || HasLost(job, n));
        }
    }
}
