using System.Diagnostics;

namespace RenderNet.Bench.Scale;

/// <summary>
/// Runs a scale point's simulated clock until its jobs are done (or ten times the ideal), logging every five simulated
/// minutes how far it got and how busy the fleet was, and taking the heap's size once every job is running.
/// </summary>
static class ScaleProgress
{
    /// <param name="state">Tiles delivered, tiles in all, jobs done.</param>
    /// <returns>The managed heap in bytes a quarter of the ideal time in (every job running), or 0 if it ended sooner.</returns>
    public static long RunUntilDone(SimulatedTime time, SimulatedFleet fleet, TimeSpan ideal, TimeSpan step, Stopwatch wall, int jobCount,
        Func<(int Tiles, int TilesTotal, int JobsDone)> state, Action<string> log)
    {
        long heapRunning = 0;
        var lastReport = TimeSpan.Zero;
        long lastWork = 0;
        time.RunUntil(() =>
        {
            var now = time.Elapsed;
            if (heapRunning == 0 && now >= TimeSpan.FromSeconds(ideal.TotalSeconds / 4)) heapRunning = GC.GetTotalMemory(true);
            var (tiles, total, done) = state();
            if (now - lastReport >= TimeSpan.FromMinutes(5))
            {
                // The fleet's work in the last five minutes against what it could have done (wasted duplicates and checks included).
                long workDone = fleet.All.Sum(n => Interlocked.Read(ref n.WorkDone));
                double busy = (workDone - lastWork) / (fleet.PresentSpeed * (now - lastReport).TotalSeconds);
                lastWork = workDone;
                lastReport = now;
                log($"  {now.TotalMinutes,5:0} min simulated, {wall.Elapsed.TotalSeconds,6:0.0} s real: {tiles} of {total} tiles, " +
                    $"{done} of {jobCount} jobs done, fleet {busy:P0} busy, {fleet.Left} nodes left, {fleet.Joined} joined");
            }
            return done == jobCount;
        }, step, TimeSpan.FromTicks(ideal.Ticks * 10));
        var (_, _, ended) = state();
        if (ended < jobCount) log($"  stopped at {time.Elapsed.TotalMinutes:0} simulated minutes with {jobCount - ended} jobs unfinished");
        return heapRunning;
    }
}
