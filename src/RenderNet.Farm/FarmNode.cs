using RenderNet.Protocol;

namespace RenderNet.Farm;

/// <summary>
/// One node as a job sees it: its client and capabilities, health and counts (under the farm's lock), speed, and the
/// payment state (channel, session, units held, in flight and delivered) that <see cref="FarmPayments"/> keeps.
/// </summary>
internal sealed class FarmNode(INodeConnection client)
{
    public INodeConnection Client { get; } = client;
    public Capabilities? Caps;
    public string? Excluded;
    public bool Healthy => Excluded is null;
    /// <summary>
    /// Bumped when the job gives the node up (<see cref="TileFarm.ReleaseNodes"/>) and when it is given the node back: a
    /// worker started under another generation finishes its attempt and stops (under the farm's lock).
    /// </summary>
    public int Generation;
    /// <summary>The job gave the node up: no new work goes to it, and it is not lost (under the farm's lock).</summary>
    public bool Released;
    public int ConsecutiveFailures, Failures, Tiles, SpotChecks, PaidDuplicates;
    /// <summary>Attempts that ran past their deadline since the node last delivered (<see cref="DeadlinePolicy.LimitFor"/> stretches for them).</summary>
    public int TimeoutsInARow;
    /// <summary>Outvoted in a spot check: nothing it delivers is placed any more.</summary>
    public bool Convicted;
    /// <summary>This node's checks that disagreed with a tile and wait for a verdict (<see cref="FarmTile.AddDissent"/>): unpaid until then.</summary>
    public int Dissents;
    /// <summary>Price units of those answers whose pay is held until the verdict (the node counts them as owed).</summary>
    public int HeldDissentUnits;
    /// <summary>Render time the node reported for the tiles it delivered.</summary>
    public TimeSpan RenderTime;
    /// <summary>Work per second (<see cref="FarmWorkload.WorkOf"/>), smoothed over the tiles this node delivered.</summary>
    public double Rate;
    /// <summary>What the node declared of its speed (<see cref="FarmWorkload.DeclaredRate"/>); see <see cref="DeadlinePolicy.ExpectedRate"/>.</summary>
    public double DeclaredRate;
    /// <summary>The payment channel to this node ("" for a node that renders for free).</summary>
    public string Channel = "";
    /// <summary>Vouchers to one node are signed and sent one at a time, so they arrive in increasing order.</summary>
    public readonly SemaphoreSlim PayLock = new(1, 1);
    public string? RedeemTransaction;
    /// <summary>Price units delivered but not yet paid: the held-back share (see <see cref="FarmPayments.PayAsync"/>).</summary>
    public int HeldUnits;
    /// <summary>Price units released for payment but not yet in a voucher, and whether a voucher to the node is being signed and sent.</summary>
    public int UnsentUnits;
    public bool VoucherInFlight;
    /// <summary>Guards <see cref="HeldUnits"/>, <see cref="UnsentUnits"/> and <see cref="VoucherInFlight"/>; the other unit counters change with Interlocked.</summary>
    public readonly Lock PaymentGate = new();
    /// <summary>Price units of the attempts running on the node (what its channel must cover beyond what was delivered).</summary>
    public int InFlightUnits;
    /// <summary>Price units of all the work the node returned (tiles, checks, duplicates), paid or not: the node counts them as owed.</summary>
    public int DeliveredUnits;
    /// <summary>
    /// Price units of attempts the coordinator gave up on (superseded, timed out) that the node may still have counted as
    /// delivered — it finished just as the cancellation left. Never paid without a result, but funded, so that such a
    /// race cannot leave the channel a unit short of what the node believes it is owed.
    /// </summary>
    public int UnconfirmedUnits;
    public readonly SemaphoreSlim FundLock = new(1, 1);
    /// <summary>A work session is open with the node (or none is needed: an unpaid node serving this machine).</summary>
    public bool SessionOpen;
    /// <summary>Since when (job clock) the node has answered nothing but "busy"; null while it works.</summary>
    public TimeSpan? BusySince;
    /// <summary>Workers this job runs on the node: its reported tile slots, bounded.</summary>
    public int Slots;
    /// <summary>The most tiles the node takes in one call (<see cref="FarmWorkload.MaxBatch"/>); 1: one at a time.</summary>
    public int MaxBatch = 1;
    /// <summary>The node's record across earlier jobs (<see cref="FarmOptions.Reputation"/>), read when it joined this one.</summary>
    public NodeRecord? History;
    /// <summary>The job prefers this node (<see cref="NodeSelection.Prefer"/>): others take a tile only when it has no free slot for it.</summary>
    public bool Preferred;
    /// <summary>Who the node is across jobs: its payout address (or the key it joined with), else its endpoint.</summary>
    public string Identity => ResultSignatures.IdentityOf(this) ?? Client.Address;
    public string Name => Caps?.NodeId is { Length: > 0 } id ? $"{Printable.Clean(id, 64)} ({Client.Address})" : Client.Address;
}
