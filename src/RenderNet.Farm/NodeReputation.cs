namespace RenderNet.Farm;

/// <summary>What a node's record says about how far to trust it.</summary>
public enum NodeStanding
{
    /// <summary>New, or not yet proven: more of its work is checked, and it gets a limited share.</summary>
    Probation,
    /// <summary>Many results verified by other nodes and never outvoted: checked less, a full share.</summary>
    Proven,
    /// <summary>Convicted of a lie (or denied by the studio): given no work.</summary>
    Denied,
}

/// <summary>What happened to a node in a job, as its record counts it.</summary>
public enum ReputationEvent
{
    /// <summary>A tile or segment accepted from it.</summary>
    Delivered,
    /// <summary>Another node's check of its result agreed.</summary>
    Verified,
    /// <summary>It checked another node's result and agreed (or was confirmed by a third).</summary>
    CheckAgreed,
    /// <summary>It disagreed with another node's result, and the dispute is not settled.</summary>
    CheckDisputed,
    /// <summary>Outvoted in a spot check: it lied (or its pipeline is broken).</summary>
    Convicted,
    Failed,
    Invalid,
    TimedOut,
}

/// <summary>A node's record across jobs, keyed by its identity (payout address; the endpoint of an anonymous unpaid node).</summary>
public sealed record NodeRecord(string Identity)
{
    public int Delivered { get; init; }
    public int Verified { get; init; }
    public int ChecksAgreed { get; init; }
    public int ChecksDisputed { get; init; }
    public int Convictions { get; init; }
    public int Failed { get; init; }
    public int Invalid { get; init; }
    public int TimedOut { get; init; }
    /// <summary>Work units per second, smoothed over its deliveries (0: unknown).</summary>
    public double Rate { get; init; }
    public DateTimeOffset FirstSeen { get; init; }
    public DateTimeOffset LastSeen { get; init; }
    /// <summary>Why it is given no work (a conviction, or the studio's deny list); null when it is not denied.</summary>
    public string? Denied { get; init; }

    /// <summary>The record after <paramref name="e"/> (with the work's units per second for a delivery).</summary>
    public NodeRecord With(ReputationEvent e, DateTimeOffset at, double rate = 0, string? reason = null) => (e switch
    {
        ReputationEvent.Delivered => this with { Delivered = Delivered + 1, Rate = rate > 0 ? (Rate > 0 ? 0.8 * Rate + 0.2 * rate : rate) : Rate },
        ReputationEvent.Verified => this with { Verified = Verified + 1 },
        ReputationEvent.CheckAgreed => this with { ChecksAgreed = ChecksAgreed + 1 },
        ReputationEvent.CheckDisputed => this with { ChecksDisputed = ChecksDisputed + 1 },
        ReputationEvent.Convicted => this with { Convictions = Convictions + 1, Denied = Denied ?? reason ?? "convicted of a lie" },
        ReputationEvent.Failed => this with { Failed = Failed + 1 },
        ReputationEvent.Invalid => this with { Invalid = Invalid + 1 },
        ReputationEvent.TimedOut => this with { TimedOut = TimedOut + 1 },
        _ => throw new ArgumentOutOfRangeException(nameof(e), e, null),
    }) with { FirstSeen = FirstSeen == default ? at : FirstSeen, LastSeen = at };
}

/// <summary>Where nodes' records live across jobs (the service's store); the farm reads a node's record when it joins a job and reports what happens.</summary>
public interface INodeReputation
{
    NodeRecord? Find(string identity);
    void Record(string identity, ReputationEvent e, double rate = 0, string? reason = null);
}
