using System.Security.Cryptography;

namespace RenderNet.Farm;

/// <summary>
/// Verification of untrusted nodes (under the farm's lock): which accepted tiles are rendered again elsewhere, who
/// checks them, and what a check's answer means. A check agreeing with the tile settles it; a disagreement asks a third
/// node, and whoever the majority outvotes is convicted. Checks go to a checker drawn at random, in proportion to speed,
/// among the eligible nodes — never one involved in the tile or paid to the same address as one — so a node cannot
/// check its own work.
/// </summary>
internal sealed class SpotChecks(FarmOptions options, Func<FarmTile, FarmNode, bool> affordable, Func<int, int>? draw = null)
{
    readonly Func<int, int> draw = draw ?? RandomNumberGenerator.GetInt32;
    /// <summary>Accepted tiles waiting for a check (or for the next opinion on one that disagreed), by index.</summary>
    readonly LinkedList<int> queue = new();

    /// <summary>Checks in flight (watched by the same deadlines as tiles).</summary>
    public List<TileAttempt> Running { get; } = [];
    public int Queued => queue.Count;
    public bool Idle => queue.Count == 0 && Running.Count == 0;
    public bool Contains(int tile) => queue.Contains(tile);
    public void Remove(int tile) => queue.Remove(tile);

    /// <summary>Queues a check: first in line for another opinion on a dispute, else last.</summary>
    public void Enqueue(int tile, bool first = false)
    {
        if (queue.Contains(tile)) return;
        if (first) queue.AddFirst(tile);
        else queue.AddLast(tile);
    }

    /// <summary>
    /// Whether a tile the node just delivered gets checked: drawn at the spot-check rate (higher during the node's
    /// probation), unpredictably to the node, so it cannot tell which tiles will be checked.
    /// </summary>
    public bool Draw(FarmNode deliveredBy)
    {
        double rate = new ReputationPolicy(options).CheckRate(deliveredBy.History, deliveredBy.Tiles);
        return rate > 0 && draw(1_000_000) < rate * 1_000_000;
    }

    /// <summary>
    /// Whether a node may check a tile: healthy, not already involved, within the budget, and not paid to the same
    /// address as anyone involved — identities sharing a payout address are one party.
    /// </summary>
    public bool CanCheck(FarmTile tile, FarmNode node) =>
        node.Healthy && !node.Released && !tile.Involves(node) && !tile.CheckFailedOn.Contains(node) && affordable(tile, node)
        && !(tile.DeliveredBy is { } d && SamePayee(d, node)) && !tile.Dissent.Exists(x => SamePayee(x.Node, node)); // no list per call: this runs per pull

    static bool SamePayee(FarmNode a, FarmNode b) =>
        a.Caps?.PaymentAddress is { Length: > 0 } pa && string.Equals(pa, b.Caps?.PaymentAddress, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Checkers a check of an undisputed tile may fail on (time out, error) before it is skipped with a warning: checks
    /// retried on checker after checker kept jobs open for half an hour after their last tile (bench scale --service:
    /// the slow nodes a job keeps at its end, each timing out at the job's pace). A disputed tile is retried until settled.
    /// </summary>
    public const int MaxCheckFailures = 2;

    /// <summary>
    /// Whether a check of the node's disagreed and waits for a third opinion (under the farm's lock): it is not paid
    /// until then, so the node should go on with paid tiles rather than more checks (or it stops for payment).
    /// </summary>
    public bool AwaitsVerdict(FarmNode node, IReadOnlyList<FarmTile> tiles) =>
        queue.Any(i => tiles[i].Dissent.Any(d => d.Node == node)) || Running.Any(a => a.Tile.Dissent.Any(d => d.Node == node));

    /// <summary>The next queued check whose drawn checker is <paramref name="node"/>, taken off the queue; null when none is.</summary>
    /// <param name="rateOf">A node's expected speed: checkers are drawn in proportion to it.</param>
    /// <param name="now">The job's clock: a checker drawn more than <see cref="FarmOptions.CheckPatience"/> ago is drawn again.</param>
    public FarmTile? TakeFor(FarmNode node, IReadOnlyList<FarmTile> tiles, IReadOnlyList<FarmNode> nodes, Func<FarmNode, double> rateOf, DateTime now)
    {
        for (var item = queue.First; item is not null; item = item.Next)
        {
            var tile = tiles[item.Value];
            if (tile.Checker is null || !CanCheck(tile, tile.Checker) || (tile.Checker != node && now - tile.CheckerDrawn > options.CheckPatience))
            {
                var eligible = nodes.Where(n => CanCheck(tile, n)).ToList();
                // The one that kept it waiting is passed over while another can take it.
                if (eligible.Count > 1 && tile.Checker is { } slow) eligible.Remove(slow);
                tile.Checker = DrawByRate(eligible, rateOf);
                tile.CheckerDrawn = now;
            }
            if (tile.Checker != node) continue;
            queue.Remove(item);
            tile.Checker = null;
            return tile;
        }
        return null;
    }

    /// <summary>
    /// A checker drawn among the faster half of the eligible nodes, in proportion to its speed: a uniform draw made jobs
    /// end, now and then, minutes after their last tile, waiting on a node 100× slower than the fastest re-rendering
    /// one (bench scale --service). Still unpredictable to any node.
    /// </summary>
    FarmNode? DrawByRate(List<FarmNode> eligible, Func<FarmNode, double> rateOf)
    {
        if (eligible.Count <= 1) return eligible.FirstOrDefault();
        var rates = eligible.Select(n => rateOf(n) is var r && r > 0 && double.IsFinite(r) ? r : 0).ToArray();
        double median = rates.Order().ElementAt(rates.Length / 2);
        var weights = rates.Select(r => r >= median ? r : 0).ToArray();
        double total = weights.Sum();
        if (!(total > 0)) return eligible[draw(eligible.Count)];
        double point = draw(1_000_000) / 1e6 * total;
        for (int i = 0; i < eligible.Count; i++)
            if ((point -= weights[i]) < 0) return eligible[i];
        return eligible[^1];
    }

    /// <summary>What a checker's answer (<paramref name="content"/>, the hash of its result) means for the tile; updates the tile's dispute.</summary>
    /// <param name="claim">The checker's signed claim (null from an anonymous node): kept as evidence should anyone be outvoted.</param>
    public CheckVerdict Judge(FarmTile tile, FarmNode checker, string content, RenderNet.Payments.SignedWorkResult? claim = null)
    {
        if (claim is not null && tile.Done) tile.Claims[checker] = claim;
        if (!tile.Done || tile.Content is null)
            return new(AttemptOutcome.Superseded, "spot check: superseded (the tile is being redone)", [checker], [], false);
        if (checker.Convicted)
            return new(AttemptOutcome.CheckIgnored, "spot check: ignored (outvoted in another)", [], [], false);
        if (!tile.Disputed && content == tile.Content)
            return new(AttemptOutcome.CheckIdentical, "spot check: identical", [checker], [], false);
        if (!tile.Disputed)
        {
            // Not paid yet: a checker is paid for a disagreement only if another node confirms it.
            tile.Dissent.Add((checker, content));
            Enqueue(tile.Index, first: true);
            return new(AttemptOutcome.CheckDiffers, $"spot check: differs from {tile.DeliveredBy?.Name}", [], [], false);
        }
        if (content == tile.Content || tile.Dissent.Any(d => d.Content == content))
        {
            // Two nodes agree: that answer wins; whoever said otherwise is outvoted.
            bool tileWins = content == tile.Content;
            var paid = new List<FarmNode> { checker };
            var convicts = new List<FarmNode>();
            foreach (var (other, said) in tile.Dissent)
                (said == content ? paid : convicts).Add(other);
            if (!tileWins) convicts.Add(tile.DeliveredBy!);
            var witnesses = tileWins ? new[] { checker, tile.DeliveredBy! } : [checker, tile.Dissent.First(d => d.Content == content).Node];
            var evidence = convicts.Select(c => Evidence(tile, c, witnesses)).OfType<ConvictionEvidence>().ToList();
            tile.EndDispute();
            return new(AttemptOutcome.CheckSettled, tileWins ? "spot check: third opinion, sides with the tile" : "spot check: third opinion, sides with the checker",
                paid, convicts, Replace: !tileWins, evidence);
        }
        // A third distinct answer: no majority yet. Ask one more node rather than fail the job; only when no eligible
        // node is left does the dispute end the job (SettleUnrunnable).
        tile.Dissent.Add((checker, content));
        Enqueue(tile.Index, first: true);
        return new(AttemptOutcome.CheckUndecided, $"spot check: differs from the tile and from {tile.Dissent.Count - 1} other check(s); asking another node", [], [], false);
    }

    /// <summary>The convict's signed claim against two agreeing witnesses', or null when any of the three did not sign.</summary>
    static ConvictionEvidence? Evidence(FarmTile tile, FarmNode convict, FarmNode[] witnesses) =>
        tile.Claims.GetValueOrDefault(convict) is { } accused && tile.Claims.GetValueOrDefault(witnesses[0]) is { } a && tile.Claims.GetValueOrDefault(witnesses[1]) is { } b
            ? new ConvictionEvidence(convict.Name, accused, a, b) : null;

    /// <summary>A convicted node's objections carry no weight: the tiles it disputed get an ordinary check instead.</summary>
    public void Discount(FarmNode convicted, IEnumerable<FarmTile> tiles)
    {
        foreach (var t in tiles.Where(t => t.Dissent.Any(d => d.Node == convicted)))
        {
            t.Dissent.RemoveAll(d => d.Node == convicted);
            Enqueue(t.Index);
        }
    }

    /// <summary>
    /// Drops checks that no node left can run: a plain check is skipped (returns a warning, once); a disagreement that no
    /// third node can settle is the job's failure (returned).
    /// </summary>
    public (string? Failure, bool Skipped) SettleUnrunnable(IReadOnlyList<FarmTile> tiles, IReadOnlyList<FarmNode> nodes)
    {
        string? failure = null;
        bool skipped = false;
        for (var item = queue.First; item is not null;)
        {
            var next = item.Next;
            var tile = tiles[item.Value];
            // The drawn checker is asked first: a scan of the roster per queued check per pull held the farm's lock
            // for most of a 10,000-node run's end (released nodes stay in the roster, and they come first).
            if (!(tile.Checker is { } drawn && CanCheck(tile, drawn)) && !nodes.Any(n => CanCheck(tile, n)))
            {
                queue.Remove(item);
                if (tile.Disputed)
                    failure ??= $"tile {tile.Index} came out {tile.Dissent.Count + 1} ways on {tile.DeliveredBy?.Name} and {string.Join(", ", tile.Dissent.Select(d => d.Node.Name))}, " +
                                "and no other node (with its own payout address) is left to settle it";
                else skipped = true;
            }
            item = next;
        }
        return (failure, skipped);
    }
}

/// <summary>
/// A spot check's verdict: how it ended, in words, the nodes to pay for the work of one tile (the checker, and those a
/// settled dispute proved right), the nodes it convicts, and whether the checker's result replaces the tile's.
/// </summary>
internal sealed record CheckVerdict(AttemptOutcome Kind, string Outcome, IReadOnlyList<FarmNode> Paid, IReadOnlyList<FarmNode> Convicts, bool Replace,
    IReadOnlyList<ConvictionEvidence>? Evidence = null);
