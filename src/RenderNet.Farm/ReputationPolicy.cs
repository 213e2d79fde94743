namespace RenderNet.Farm;

/// <summary>
/// How a node's record changes the way a job treats it: a convicted node gets nothing; a node on probation has more of
/// its work checked and a limited share; a proven one (many results verified by others, never outvoted) is checked less
/// and gets its full share. Pure arithmetic over <see cref="FarmOptions"/>: the farm supplies the records.
/// </summary>
public sealed class ReputationPolicy(FarmOptions options)
{
    public NodeStanding StandingOf(NodeRecord? record) =>
        record is null ? NodeStanding.Probation
        : record.Denied is not null || record.Convictions > 0 ? NodeStanding.Denied
        : record.Verified >= options.ProvenAfterVerified ? NodeStanding.Proven
        : NodeStanding.Probation;

    /// <summary>
    /// The share of a node's deliveries that is checked: the job's rate; at least <see cref="FarmOptions.ProbationRate"/>
    /// for a node's first <see cref="FarmOptions.ProbationTiles"/> deliveries (counting earlier jobs'); a fraction
    /// (<see cref="FarmOptions.ProvenCheckFactor"/>) of it, and never below 1 %, for a proven node. 0 when the job checks nothing.
    /// </summary>
    public double CheckRate(NodeRecord? record, int deliveredThisJob)
    {
        double rate = options.SpotCheckRate;
        if (rate <= 0) return 0;
        if ((record?.Delivered ?? 0) + deliveredThisJob <= options.ProbationTiles) return Math.Max(rate, options.ProbationRate);
        return StandingOf(record) == NodeStanding.Proven ? Math.Max(0.01, rate * options.ProvenCheckFactor) : rate;
    }

    /// <summary>How many tiles a node may have in flight at once: capped on probation, so an unknown node cannot take most of a job.</summary>
    public int SlotsFor(NodeRecord? record, int offered) =>
        StandingOf(record) == NodeStanding.Proven ? offered : Math.Min(offered, options.ProbationSlots);
}
