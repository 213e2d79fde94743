namespace RenderNet.Farm;

/// <summary>
/// Deadlines and speculation, from observed speed: a node's rate (work per second, smoothed over the tiles it
/// delivered), else the fleet's median (a node's declared speed only orders speculation). An attempt past <see cref="LimitFor"/> is
/// cancelled and retried elsewhere; a tile an idle node would finish well before its node is a straggler, duplicated
/// there; slow nodes leave a job's last queued tiles to faster ones.
/// Pure arithmetic over <see cref="FarmOptions"/>: the farm supplies the clock.
/// </summary>
public sealed class DeadlinePolicy(FarmOptions options)
{
    /// <summary>The most doublings consecutive timeouts give a node's deadline (×4): enough for a loaded host, not for a hung one.</summary>
    public const int MaxTimeoutDoublings = 2;

    /// <summary>How long an attempt at <paramref name="work"/> may run on a node with this rate (0: unknown).</summary>
    /// <param name="timeoutsInARow">
    /// The node's attempts that timed out since it last delivered: each doubles the whole time allowed, floor included
    /// (up to <see cref="MaxTimeoutDoublings"/>), so a node that is merely loaded (a busy host, a shared CPU) gets through
    /// rather than being taken out of the job, while a hung one still runs out of consecutive failures in seconds. (The
    /// floor doubles too: for small tiles it is most of the deadline, and a loaded host is slow on the call itself, not
    /// only on the work: on a loaded 2-core CI host all three nodes of a job of tiny tiles once ran out of failures.)
    /// </param>
    /// <remarks>
    /// Only speeds measured on the coordinator's clock count here, never what a node declares of itself: a node cannot
    /// talk its way into a longer deadline. (A slow node's first tile may time out; the doubling gets it through.)
    /// </remarks>
    public TimeSpan LimitFor(long work, double nodeRate, double fleetRate, int timeoutsInARow = 0)
    {
        double rate = nodeRate > 0 ? nodeRate : fleetRate;
        double stretch = 1 << Math.Clamp(timeoutsInARow, 0, MaxTimeoutDoublings);
        return rate > 0 ? stretch * (options.MinTileTimeout + TimeSpan.FromSeconds(options.TimeoutFactor * work / rate)) : options.InitialTileTimeout;
    }

    /// <summary>
    /// Whether a lone attempt is worth duplicating on an idle node: it has run well past what its own node's speed says
    /// it should take (the node may be stuck), or the idle node would finish it well before the running one is expected
    /// to. Judged by each node's own rate (<see cref="ExpectedRate"/>), not the fleet's: with speeds spread 100×, a slow
    /// node's ordinary tile is not a straggler, but the last tiles of a job on slow nodes are worth a fast node's time.
    /// </summary>
    /// <param name="runnerRate">Expected rate of the node running the attempt.</param>
    /// <param name="idleRate">Expected rate of the idle node that would duplicate it.</param>
    public bool IsStraggler(TimeSpan elapsed, long work, double runnerRate, double idleRate)
    {
        if (!options.SpeculativeStragglers || runnerRate <= 0) return false;
        double expected = work / runnerRate, ran = elapsed.TotalSeconds;
        if (FarPastPace(ran, expected)) return true;
        return idleRate > 0 && expected - ran > 1.5 * (work / idleRate) + 0.2;
    }

    /// <summary>Whether an attempt that has run <paramref name="ranSeconds"/> is so far past the <paramref name="expectedSeconds"/> its node's speed gives that it may be stuck.</summary>
    public static bool FarPastPace(double ranSeconds, double expectedSeconds) => ranSeconds > 1.5 * expectedSeconds + 0.2;

    /// <summary>
    /// A node's expected rate: what it delivered (smoothed), else what it declared of itself bounded to within
    /// <see cref="DeclaredSpread"/>× of the fleet's median (a node cannot buy itself a long deadline by declaring
    /// itself slow), else the fleet's median; 0 while nothing is known.
    /// </summary>
    public static double ExpectedRate(double measured, double declared, double fleetRate)
    {
        if (measured > 0) return measured;
        if (!(declared > 0) || !double.IsFinite(declared)) return fleetRate;
        return fleetRate > 0 ? Math.Clamp(declared, fleetRate / DeclaredSpread, fleetRate * DeclaredSpread) : declared;
    }

    /// <summary>How far a node's declared speed may be from the fleet's median before it is not believed.</summary>
    public const double DeclaredSpread = 100;

    /// <summary>
    /// The end game of a job: whether a node should leave a queued tile of <paramref name="work"/> to faster nodes. A
    /// node at least as fast as the median always takes it; a slower one only while the job's remaining queued work would
    /// keep the job busy for longer than the tile takes it (at the job's measured throughput) — otherwise it would finish
    /// last, and its tile become the job's tail. Only while the faster nodes do come for the queue: once the node that
    /// last took from it is overdue — not back for more as long after its tiles should be done as the tile takes a
    /// median node (<paramref name="takerOverdue"/>) — they are busy elsewhere (other jobs' turns on shared nodes), and
    /// the slow node takes it rather than leave the job waiting. (Overdue, not idle since: a fast node that took a
    /// batch of five is away for five tiles' time, and a slow node that read that as absence took the job's last tile.)
    /// </summary>
    public static bool LeaveToFaster(long work, double nodeRate, double fleetRate, long queuedWork, double throughput, TimeSpan takerOverdue)
    {
        if (nodeRate <= 0 || fleetRate <= 0 || nodeRate >= fleetRate || throughput <= 0) return false;
        if (takerOverdue.TotalSeconds > work / fleetRate) return false;
        return work / nodeRate > queuedWork / throughput;
    }

    /// <summary>
    /// How many queued tiles of <paramref name="work"/> a node takes in one call: as many as it renders in
    /// <paramref name="target"/> at its measured speed, at most <paramref name="nodeMax"/>, and no more than its share
    /// of the queue by speed (<paramref name="queued"/> tiles shared by the job's <paramref name="jobRate"/>: the speed
    /// of all its nodes), so a fast node's batch never leaves the others idle while it works through it. One when
    /// anything is unknown.
    /// </summary>
    public static int BatchSize(long work, double nodeRate, TimeSpan target, int nodeMax, int queued, double jobRate)
    {
        if (nodeMax <= 1 || target <= TimeSpan.Zero || work <= 0 || nodeRate <= 0 || !double.IsFinite(nodeRate) || queued <= 1) return 1;
        double byTime = target.TotalSeconds * nodeRate / work;
        double share = jobRate > 0 ? queued * Math.Min(1, nodeRate / jobRate) : queued;
        return (int)Math.Clamp(Math.Floor(Math.Min(byTime, share)), 1, nodeMax);
    }

    /// <summary>A node that has answered only "busy" since <paramref name="busySince"/> is failing the job.</summary>
    public bool BusyTooLong(TimeSpan busySince, TimeSpan now) => now - busySince > options.MaxBusyTime;

    /// <summary>The median of the nodes' known rates (0 before any node delivered).</summary>
    public static double FleetRate(IEnumerable<double> nodeRates)
    {
        var rates = nodeRates.Where(r => r > 0).Order().ToList();
        return rates.Count > 0 ? rates[rates.Count / 2] : 0;
    }

    /// <summary>A node's rate after it delivered <paramref name="work"/> in <paramref name="elapsed"/> (exponentially smoothed).</summary>
    public static double Smooth(double previousRate, long work, TimeSpan elapsed)
    {
        double rate = work / Math.Max(elapsed.TotalSeconds, 1e-3);
        return previousRate > 0 ? 0.7 * previousRate + 0.3 * rate : rate;
    }
}
