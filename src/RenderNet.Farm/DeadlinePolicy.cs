namespace RenderNet.Farm;

/// <summary>
/// Deadlines and speculation, from observed speed: a node's rate (work per second, smoothed over the tiles it
/// delivered), else the fleet's median. An attempt past <see cref="LimitFor"/> is cancelled and retried elsewhere; a
/// tile running well past what the fleet's speed says it should take is a straggler, duplicated on an idle node.
/// Pure arithmetic over <see cref="FarmOptions"/>: the farm supplies the clock.
/// </summary>
public sealed class DeadlinePolicy(FarmOptions options)
{
    /// <summary>The most doublings consecutive timeouts give a node's deadline (×4): enough for a loaded host, not for a hung one.</summary>
    public const int MaxTimeoutDoublings = 2;

    /// <summary>How long an attempt at <paramref name="work"/> may run on a node with this rate (0: unknown).</summary>
    /// <param name="timeoutsInARow">
    /// The node's attempts that timed out since it last delivered: each doubles the time allowed for the work (up to
    /// <see cref="MaxTimeoutDoublings"/>), so a node that is merely loaded (a busy host, a shared CPU) gets through
    /// rather than being taken out of the job, while a hung one still runs out of consecutive failures in seconds.
    /// </param>
    public TimeSpan LimitFor(long work, double nodeRate, double fleetRate, int timeoutsInARow = 0)
    {
        double rate = nodeRate > 0 ? nodeRate : fleetRate;
        double stretch = 1 << Math.Clamp(timeoutsInARow, 0, MaxTimeoutDoublings);
        return rate > 0 ? options.MinTileTimeout + TimeSpan.FromSeconds(options.TimeoutFactor * stretch * work / rate) : options.InitialTileTimeout;
    }

    /// <summary>Whether a lone attempt running this long is worth duplicating on an idle node.</summary>
    public bool IsStraggler(TimeSpan elapsed, long work, double fleetRate) =>
        options.SpeculativeStragglers && fleetRate > 0 && elapsed.TotalSeconds > 1.5 * work / fleetRate + 0.2;

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
