namespace RenderNet.Farm;

/// <summary>How one attempt at a unit of work (or one spot check of it) ended; <see cref="FarmAttempt.Outcome"/> says it in words.</summary>
public enum AttemptOutcome
{
    /// <summary>Delivered, valid, placed in the result.</summary>
    Accepted,
    /// <summary>Cancelled (or its answer no longer needed) because another node's copy was accepted first.</summary>
    Superseded,
    /// <summary>Valid, but another node's copy won the race: discarded, and paid (the node did the work).</summary>
    PaidDuplicate,
    /// <summary>Delivered by a node that has been outvoted in a spot check: not placed, not paid.</summary>
    Rejected,
    /// <summary>Ran past its deadline and was cancelled.</summary>
    TimedOut,
    /// <summary>The node refused for a moment (slots full, payment not seen yet): no work was done; tried again.</summary>
    Busy,
    /// <summary>The node failed the call (a gRPC error) or stayed busy for too long.</summary>
    Failed,
    /// <summary>The node answered with a result that failed the coordinator's checks.</summary>
    Invalid,
    /// <summary>A spot check came out identical to the accepted tile.</summary>
    CheckIdentical,
    /// <summary>A spot check differs from the accepted tile: a third opinion is asked for.</summary>
    CheckDiffers,
    /// <summary>A third opinion agreed with one side: the dispute is settled, whoever it outvoted is convicted.</summary>
    CheckSettled,
    /// <summary>A third distinct answer: no majority yet, another node is asked.</summary>
    CheckUndecided,
    /// <summary>A check from a node outvoted elsewhere in the meantime: ignored.</summary>
    CheckIgnored,
}

public static class AttemptOutcomes
{
    /// <summary>Whether the attempt was work done on a node (false for a "busy" refusal, where nothing ran).</summary>
    public static bool DidWork(this AttemptOutcome outcome) => outcome != AttemptOutcome.Busy;

    /// <summary>A spot check that compared a result (identical, differing, or settling a dispute).</summary>
    public static bool Compared(this AttemptOutcome outcome) =>
        outcome is AttemptOutcome.CheckIdentical or AttemptOutcome.CheckDiffers or AttemptOutcome.CheckSettled or AttemptOutcome.CheckUndecided;
}
