using System.Numerics;
using RenderNet.Core.Tiles;

namespace RenderNet.Farm;

/// <summary>One unit of a job as the farm tracks it (under the farm's lock): attempts in flight, failures, budget reserved, and the accepted result's provenance.</summary>
internal sealed class FarmTile(int index, long work)
{
    public int Index { get; } = index;
    /// <summary>Relative cost (<see cref="FarmWorkload.WorkOf"/>): deadlines and speculation scale with it.</summary>
    public long Work { get; } = work;
    public bool Done;
    public int Failures;
    public readonly HashSet<FarmNode> FailedOn = [];
    public readonly List<TileAttempt> Active = [];
    /// <summary>Spot checks of this tile in flight: one, or a straggling one and its copy on a faster node.</summary>
    public readonly List<TileAttempt> ActiveChecks = [];
    /// <summary>The most any attempt in flight could cost when accepted (reserved against the budget).</summary>
    public BigInteger Reserved;
    /// <summary>The accepted result's content hash and the node it came from (null: restored from the journal).</summary>
    public string? Content;
    public FarmNode? DeliveredBy;
    readonly List<CheckOpinion> dissent = [];
    /// <summary>
    /// Checks that disagreed with the tile, each node with its answer, until two nodes agree on one answer for the whole
    /// tile; and answers about parts of it given while it is disputed, judged by the whole answer that wins.
    /// </summary>
    public IReadOnlyList<CheckOpinion> Dissent => dissent;
    /// <summary>Each node's signed claim about this tile (the deliverer's and the checkers'): evidence if one is outvoted.</summary>
    public readonly Dictionary<FarmNode, RenderNet.Payments.SignedWorkResult> Claims = [];
    /// <summary>The node drawn (at random) to run this tile's next check.</summary>
    public FarmNode? Checker;
    /// <summary>
    /// The node that last refused this tile's check ("busy", "awaiting payment"): the next draw passes over it while
    /// another node can take the check — drawn again at once, a node refusing checks held them while it took tiles.
    /// </summary>
    public FarmNode? DeferredBy;
    /// <summary>When <see cref="Checker"/> was drawn: a checker that has not taken the check within <see cref="FarmOptions.CheckPatience"/> is replaced.</summary>
    public DateTime CheckerDrawn;
    /// <summary>Nodes on which a check of this tile failed or timed out: not drawn for it again (<see cref="SpotChecks.MaxCheckFailures"/>).</summary>
    public readonly HashSet<FarmNode> CheckFailedOn = [];

    public bool Disputed => dissent.Count > 0;
    /// <summary>
    /// Whether the node has a say about the whole tile (it delivered it, or disputed it whole): such a node does not
    /// check it. An answer about a part is no vote, so its node may still be asked for the whole tile.
    /// </summary>
    public bool Involves(FarmNode node)
    {
        if (DeliveredBy == node) return true;
        foreach (var opinion in dissent) // a List's struct enumerator, no closure: runs per node a checker is drawn among
            if (opinion.Node == node && opinion.Part is null) return true;
        return false;
    }

    /// <summary>A check disagreed: its answer waits for a verdict (counted on its node, its pay held there unless <see cref="CheckOpinion.PaidAhead"/>).</summary>
    public void AddDissent(CheckOpinion opinion)
    {
        dissent.Add(opinion);
        opinion.Node.Dissents++;
        if (!opinion.PaidAhead) opinion.Node.HeldDissentUnits += opinion.Units;
    }

    /// <summary>
    /// Marks the node's latest held answer as paid now rather than at the verdict (see <see cref="FarmPayments.CanHold"/>);
    /// returns the price units to pay, 0 when none was held.
    /// </summary>
    public int PayAhead(FarmNode node)
    {
        for (int i = dissent.Count - 1; i >= 0; i--)
            if (dissent[i].Node == node && !dissent[i].PaidAhead)
            {
                dissent[i] = dissent[i] with { PaidAhead = true };
                node.HeldDissentUnits -= dissent[i].Units;
                return dissent[i].Units;
            }
        return 0;
    }

    /// <summary>Takes a (convicted) node's objection back.</summary>
    public void DropDissentOf(FarmNode node)
    {
        for (int i = dissent.Count - 1; i >= 0; i--)
            if (dissent[i].Node == node)
            {
                Forget(dissent[i]);
                dissent.RemoveAt(i);
            }
    }

    /// <summary>Ends the dispute; returns the answers whose pay was still held (the caller pays those it judged right).</summary>
    public List<CheckOpinion> EndDispute()
    {
        var held = new List<CheckOpinion>();
        foreach (var opinion in dissent)
        {
            Forget(opinion);
            if (!opinion.PaidAhead) held.Add(opinion);
        }
        dissent.Clear();
        Checker = null;
        return held;
    }

    static void Forget(CheckOpinion opinion)
    {
        opinion.Node.Dissents--;
        if (!opinion.PaidAhead) opinion.Node.HeldDissentUnits -= opinion.Units;
    }

    /// <summary>
    /// A convicted node's claim about this tile, kept when its result was taken out without evidence against it (it was
    /// convicted by its answer about a part of another tile): once the tile is redone and a whole-tile check agrees
    /// with the redo, the two claims are the witnesses against it (<see cref="SpotChecks.Judge(FarmTile, CheckOpinion, RenderNet.Payments.SignedWorkResult?, string?, Func{TileRect, string?}?)"/>).
    /// </summary>
    public (FarmNode Node, RenderNet.Payments.SignedWorkResult Claim)? Accused;

    /// <summary>
    /// Takes the accepted result back out (its node was outvoted): the tile is to be done again. Returns the checks that
    /// disputed it whose pay was held: they disagreed with a node since convicted, and are paid.
    /// </summary>
    public List<CheckOpinion> Reopen()
    {
        Done = false;
        Content = null;
        DeliveredBy = null;
        Claims.Clear();
        CheckFailedOn.Clear();
        return EndDispute();
    }
}

/// <summary>
/// A checker's answer about a tile: the content of what it rendered — the whole tile, or the <paramref name="Part"/>
/// of it the check asked for (<see cref="FarmWorkload.ChecksByPart"/>) — and the price units it is paid.
/// </summary>
/// <param name="PaidAhead">Paid when it disagreed rather than at the verdict: holding it would have left its node unable to take more work (<see cref="FarmPayments.CanHold"/>).</param>
internal readonly record struct CheckOpinion(FarmNode Node, string Content, TileRect? Part = null, int Units = 0, bool PaidAhead = false);

/// <summary>One attempt at a tile (or a spot check of it) on one node, timed on the farm's clock.</summary>
internal sealed class TileAttempt(FarmTile tile, FarmNode node, bool speculative, TimeProvider time, TimeSpan began)
{
    readonly long startedAt = time.GetTimestamp();

    public FarmTile Tile { get; } = tile;
    public FarmNode Node { get; } = node;
    public bool Speculative { get; } = speculative;
    /// <summary>When it started, from the job's start (for timelines).</summary>
    public TimeSpan Began { get; } = began;
    /// <summary>When it started, on the wall clock (journaled).</summary>
    public DateTime Started { get; } = time.GetUtcNow().UtcDateTime;
    public TimeSpan Elapsed => time.GetElapsedTime(startedAt);
    public CancellationTokenSource? Cancel { get; set; }
    public bool TimedOut;
    /// <summary>A spot check of a tile already in the frame.</summary>
    public bool Check { get; init; }
    /// <summary>The part of the tile a spot check renders (null: all of it), its work and its price units.</summary>
    public TileRect? Part { get; init; }
    public long Work { get; init; } = tile.Work;
    public int Units { get; init; }
    /// <summary>What this attempt holds of the budget on its own (<see cref="FarmBudget.HoldOwn"/>): a speculative copy, paid too if valid but beaten, or a spot check.</summary>
    public BigInteger Held;
    /// <summary>Counted in its node's in-flight units (to be taken off when it ends).</summary>
    public bool Counted;
    /// <summary>A spot check cancelled because another check of the tile settled it first: not the node's failure.</summary>
    public bool Superseded;
    /// <summary>A spot check whose node answered (or failed): it is being judged, so it is not copied.</summary>
    public volatile bool Answered;
}
