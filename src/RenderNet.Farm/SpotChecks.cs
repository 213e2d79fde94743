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
    // Checks are indexed by their drawn checker so that a node's pull looks at its own checks only: a scan of every
    // queued check per pull held the farm's lock for most of a 10,000-node run's end (bench scale --service).
    /// <summary>Accepted tiles waiting for a check (or for the next opinion on one that disagreed), by index.</summary>
    readonly HashSet<int> queued = [];
    /// <summary>Queued checks with no checker drawn yet, disputes first: drawn at the next pull, once each.</summary>
    readonly LinkedList<int> undrawn = new();
    /// <summary>Queued checks by their drawn checker (<see cref="FarmTile.Checker"/>).</summary>
    readonly Dictionary<FarmNode, List<int>> drawnFor = [];
    readonly List<int> redraw = [];

    /// <summary>Checks in flight (watched by the same deadlines as tiles).</summary>
    public HashSet<TileAttempt> Running { get; } = [];
    public int Queued => queued.Count;
    public bool Idle => queued.Count == 0 && Running.Count == 0;
    public bool Contains(int tile) => queued.Contains(tile);

    /// <summary>Takes a tile's check off the queue (the tile is to be redone).</summary>
    public void Remove(FarmTile tile)
    {
        if (queued.Remove(tile.Index)) Undraw(tile);
    }

    /// <summary>Queues a check: first in line for another opinion on a dispute, else last.</summary>
    public void Enqueue(int tile, bool first = false)
    {
        if (!queued.Add(tile)) return;
        if (first) undrawn.AddFirst(tile);
        else undrawn.AddLast(tile);
    }

    /// <summary>Whether a pull by the node might find a check: one is drawn for it, or one waits to be drawn.</summary>
    public bool HasFor(FarmNode node) => undrawn.Count > 0 || (drawnFor.TryGetValue(node, out var mine) && mine.Count > 0);

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
    /// The part of a tile (<paramref name="rect"/>) a check renders: <see cref="FarmOptions.CheckShare"/> of its area, its
    /// shape, at a place drawn now — after the tile was delivered, so its node cannot know which pixels will be compared.
    /// A tile rendered wrong all over (fewer samples, another scene) is caught by any part; a node that fakes a share of
    /// a tile is caught about that often per check, and saves no more than that share of the work.
    /// </summary>
    public RenderNet.Core.Tiles.TileRect? PartOf(RenderNet.Core.Tiles.TileRect rect)
    {
        if (!(options.CheckShare < 1) || rect.Width <= 0 || rect.Height <= 0) return null;
        double side = Math.Sqrt(options.CheckShare);
        int width = Math.Clamp((int)Math.Round(rect.Width * side), 1, rect.Width), height = Math.Clamp((int)Math.Round(rect.Height * side), 1, rect.Height);
        if (width == rect.Width && height == rect.Height) return null;
        return new RenderNet.Core.Tiles.TileRect(rect.X + draw(rect.Width - width + 1), rect.Y + draw(rect.Height - height + 1), width, height);
    }

    /// <summary>
    /// Whether a node may check a tile: healthy, not already involved, within the budget, and not paid to the same
    /// address as anyone involved — identities sharing a payout address are one party.
    /// </summary>
    public bool CanCheck(FarmTile tile, FarmNode node) =>
        node.Healthy && !node.Released && !tile.Involves(node) && !tile.CheckFailedOn.Contains(node) && affordable(tile, node)
        && !(tile.DeliveredBy is { } d && SamePayee(d, node)) && !DissentFromPayeeOf(tile, node);

    static bool DissentFromPayeeOf(FarmTile tile, FarmNode node)
    {
        for (int i = 0; i < tile.Dissent.Count; i++) // no enumerator or closure per call: CanCheck runs for each node a checker is drawn among
            if (tile.Dissent[i].Part is null && SamePayee(tile.Dissent[i].Node, node)) return true;
        return false;
    }

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
    public static bool AwaitsVerdict(FarmNode node) => node.Dissents > 0;

    /// <summary>
    /// The check drawn for <paramref name="node"/> (a dispute first), taken off the queue; null when none is. Looks at
    /// the node's own draws only: one it can no longer run waits for <see cref="DrawCheckers"/> to draw another checker.
    /// </summary>
    /// <param name="disputesOnly">Only a disputed tile's check (a node whose own answer awaits a verdict: see <see cref="AwaitsVerdict"/>).</param>
    public FarmTile? TakeFor(FarmNode node, IReadOnlyList<FarmTile> tiles, bool disputesOnly = false)
    {
        if (!drawnFor.TryGetValue(node, out var mine)) return null;
        int pick = -1;
        for (int i = 0; i < mine.Count; i++)
        {
            var tile = tiles[mine[i]];
            if (!CanCheck(tile, node) || disputesOnly && !tile.Disputed) continue;
            if (pick < 0 || (tile.Disputed && !tiles[mine[pick]].Disputed)) pick = i;
            if (tile.Disputed) break;
        }
        if (pick < 0) return null;
        var taken = tiles[mine[pick]];
        mine.RemoveAt(pick);
        queued.Remove(taken.Index);
        taken.Checker = null;
        return taken;
    }

    /// <summary>
    /// Draws a checker for each queued check that has none — and, with <paramref name="all"/> (the monitor, once a
    /// second), again for each whose checker can no longer run it or has kept it waiting past
    /// <see cref="FarmOptions.CheckPatience"/>, passing over that one while another can take it. A check no eligible
    /// node is left for is dropped: a plain check is skipped (<see cref="CheckDraw.Skipped"/>), a disagreement no third
    /// node can settle is the job's failure.
    /// </summary>
    /// <param name="rateOf">A node's expected speed: checkers are drawn in proportion to it.</param>
    public CheckDraw DrawCheckers(IReadOnlyList<FarmTile> tiles, IReadOnlyList<FarmNode> nodes, Func<FarmNode, double> rateOf, DateTime now, bool all = false)
    {
        var result = new CheckDraw(0, null, false);
        while (undrawn.First is { } first)
        {
            undrawn.RemoveFirst();
            if (queued.Contains(first.Value) && tiles[first.Value].Checker is null) result = Draw(tiles[first.Value], nodes, rateOf, now, result);
        }
        if (!all) return result;
        redraw.Clear();
        foreach (int index in queued)
            if (tiles[index] is { Checker: { } checker } tile && (!CanCheck(tile, checker) || now - tile.CheckerDrawn > options.CheckPatience))
                redraw.Add(index);
        foreach (int index in redraw) result = Draw(tiles[index], nodes, rateOf, now, result);
        return result;
    }

    CheckDraw Draw(FarmTile tile, IReadOnlyList<FarmNode> nodes, Func<FarmNode, double> rateOf, DateTime now, CheckDraw sofar)
    {
        var previous = tile.Checker ?? tile.DeferredBy;
        tile.DeferredBy = null;
        Undraw(tile);
        var eligible = nodes.Where(n => CanCheck(tile, n)).ToList();
        // The one that kept it waiting (or just refused it) is passed over while another can take it.
        if (eligible.Count > 1 && previous is not null) eligible.Remove(previous);
        if (DrawByRate(eligible, rateOf) is not { } checker)
        {
            queued.Remove(tile.Index);
            if (!tile.Disputed) return sofar with { Skipped = true };
            return sofar with
            {
                Failure = sofar.Failure ?? $"tile {tile.Index} came out {tile.Dissent.Count + 1} ways on {tile.DeliveredBy?.Name} and {string.Join(", ", tile.Dissent.Select(d => d.Node.Name))}, " +
                          "and no other node (with its own payout address) is left to settle it",
            };
        }
        DrawFor(tile, checker, now);
        return sofar with { Drawn = sofar.Drawn + 1 };
    }

    /// <summary>Draws a given checker for a queued check (it may be drawn again elsewhere if it does not take it within the patience).</summary>
    void DrawFor(FarmTile tile, FarmNode checker, DateTime? now = null)
    {
        Undraw(tile);
        tile.Checker = checker;
        tile.CheckerDrawn = now ?? options.Time.GetUtcNow().UtcDateTime;
        if (!drawnFor.TryGetValue(checker, out var list)) drawnFor[checker] = list = [];
        list.Add(tile.Index);
    }

    void Undraw(FarmTile tile)
    {
        if (tile.Checker is { } checker && drawnFor.TryGetValue(checker, out var list)) list.Remove(tile.Index);
        tile.Checker = null;
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

    /// <summary>What a checker's answer about the whole tile (<paramref name="content"/>, the hash of its result) means; updates the tile's dispute.</summary>
    public CheckVerdict Judge(FarmTile tile, FarmNode checker, string content, RenderNet.Payments.SignedWorkResult? claim = null) =>
        Judge(tile, new CheckOpinion(checker, content), claim);

    /// <summary>
    /// What a checker's answer means for the tile; updates the tile's dispute. An answer about a part of an undisputed
    /// tile is compared with the accepted result within that part: equal settles the check, unequal disputes the tile,
    /// and the dispute is settled by whole-tile answers only — their signed claims are the evidence a chain can compare
    /// — whose winner then judges every answer about a part by its own content there.
    /// </summary>
    /// <param name="claim">The checker's signed claim (null from an anonymous node): kept as evidence should anyone be outvoted.</param>
    /// <param name="accepted">For an answer about a part: the accepted result's content within it.</param>
    /// <param name="project">For a whole answer: its content within a part, to judge the answers about parts by.</param>
    public CheckVerdict Judge(FarmTile tile, CheckOpinion answer, RenderNet.Payments.SignedWorkResult? claim = null, string? accepted = null,
        Func<RenderNet.Core.Tiles.TileRect, string?>? project = null)
    {
        var (checker, content, part, _, _) = answer;
        if (claim is not null && tile.Done) tile.Claims[checker] = claim;
        // (A part's accepted content is unknown while the tile's pixels are being replaced.)
        if (!tile.Done || tile.Content is null || part is not null && accepted is null)
            return new(AttemptOutcome.Superseded, "spot check: superseded (the tile is being redone)", [answer], [], false);
        if (checker.Convicted)
            return new(AttemptOutcome.CheckIgnored, "spot check: ignored (outvoted in another)", [], [], false);
        if (part is { } rect)
        {
            if (!tile.Disputed && content == accepted)
                return new(AttemptOutcome.CheckIdentical, $"spot check: identical ({rect} of the tile)", [answer], [], false);
            // Not paid yet: judged, with the rest, by the whole answers that settle the dispute. Its checker is asked for
            // the first of them, so that its answer stands as a signed claim about the whole tile, which a chain can
            // compare: a node lying in its checks is slashed as one lying in its tiles is.
            bool opens = !tile.Disputed;
            tile.AddDissent(answer);
            Enqueue(tile.Index, first: true);
            if (opens) DrawFor(tile, checker);
            return opens ? new(AttemptOutcome.CheckDiffers, $"spot check: {rect} of the tile differs from {tile.DeliveredBy?.Name}; the whole tile goes to other nodes", [], [], false)
                : new(AttemptOutcome.CheckUndecided, $"spot check: {rect} of a disputed tile, judged when whole answers settle it", [], [], false);
        }
        if (!tile.Disputed && content == tile.Content)
            return new(AttemptOutcome.CheckIdentical, "spot check: identical", [answer], [], false, EvidenceAgainstAccused(tile, checker));
        if (!tile.Disputed)
        {
            // Not paid yet: a checker is paid for a disagreement only if another node confirms it.
            tile.AddDissent(answer);
            Enqueue(tile.Index, first: true);
            return new(AttemptOutcome.CheckDiffers, $"spot check: differs from {tile.DeliveredBy?.Name}", [], [], false);
        }
        if (content == tile.Content || tile.Dissent.Any(d => d.Part is null && d.Content == content))
        {
            // Two nodes agree on the whole tile: that answer wins; whoever said otherwise is outvoted — about the whole
            // tile, or about a part of it where the winner's content differs.
            bool tileWins = content == tile.Content;
            var paid = new List<CheckOpinion> { answer };
            var convicts = new List<FarmNode>();
            var wholeConvicts = new List<FarmNode>();
            foreach (var opinion in tile.Dissent)
            {
                bool right = opinion.Part is { } p ? project?.Invoke(p) == opinion.Content : opinion.Content == content;
                if (right) paid.Add(opinion);
                else
                {
                    convicts.Add(opinion.Node);
                    if (opinion.Part is null) wholeConvicts.Add(opinion.Node);
                }
            }
            if (!tileWins)
            {
                convicts.Add(tile.DeliveredBy!);
                wholeConvicts.Add(tile.DeliveredBy!);
            }
            paid.RemoveAll(o => convicts.Contains(o.Node) || o.PaidAhead); // a node that answered a part wrong and the whole right is a liar still
            var witnesses = tileWins ? new[] { checker, tile.DeliveredBy! } : [checker, tile.Dissent.First(d => d.Part is null && d.Content == content).Node];
            // Evidence only against whole answers: a claim about a part is a different piece of work on chain.
            var evidence = wholeConvicts.Select(c => Evidence(tile, c, witnesses)).OfType<ConvictionEvidence>().ToList();
            tile.EndDispute();
            return new(AttemptOutcome.CheckSettled, tileWins ? "spot check: third opinion, sides with the tile" : "spot check: third opinion, sides with the checker",
                paid, convicts, Replace: !tileWins, evidence);
        }
        // Another distinct whole answer: no majority yet. Ask one more node rather than fail the job; only when no
        // eligible node is left does the dispute end the job (DrawCheckers).
        tile.AddDissent(answer);
        Enqueue(tile.Index, first: true);
        return new(AttemptOutcome.CheckUndecided, $"spot check: differs from the tile and from {tile.Dissent.Count(d => d.Part is null) - 1} other check(s); asking another node", [], [], false);
    }

    /// <summary>
    /// Evidence against a node convicted without any (<see cref="FarmTile.Accused"/>): its claim about this tile against
    /// the redo's and this whole-tile check's, which agree — when its claim says otherwise. Taken once.
    /// </summary>
    static IReadOnlyList<ConvictionEvidence>? EvidenceAgainstAccused(FarmTile tile, FarmNode checker)
    {
        if (tile.Accused is not { } accused || tile.DeliveredBy is not { } deliverer) return null;
        if (tile.Claims.GetValueOrDefault(deliverer) is not { } a || tile.Claims.GetValueOrDefault(checker) is not { } b) return null;
        tile.Accused = null;
        return accused.Claim.Result.Result.AsSpan().SequenceEqual(a.Result.Result) ? null : [new ConvictionEvidence(accused.Node.Name, accused.Claim, a, b)];
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
            t.DropDissentOf(convicted);
            Enqueue(t.Index);
        }
    }
}

/// <summary>
/// A spot check's verdict: how it ended, in words, the answers to pay for what each rendered (the checker's, and those a
/// settled dispute proved right), the nodes it convicts, and whether the checker's result replaces the tile's.
/// </summary>
internal sealed record CheckVerdict(AttemptOutcome Kind, string Outcome, IReadOnlyList<CheckOpinion> Paid, IReadOnlyList<FarmNode> Convicts, bool Replace,
    IReadOnlyList<ConvictionEvidence>? Evidence = null);

/// <summary>What a round of drawing checkers did: checks drawn, a dispute no node is left to settle (the job's failure), and whether a check was skipped for want of a checker.</summary>
internal readonly record struct CheckDraw(int Drawn, string? Failure, bool Skipped);
