using System.Diagnostics;
using RenderNet.Farm;

namespace RenderNet.Bench.Scale;

/// <summary>What one scale point measured.</summary>
sealed record ScaleFigures(int Nodes, int Jobs, int Tiles, int Attempts, double SimulatedSeconds, double IdealSeconds, double WallSeconds,
    double CpuSeconds, long HeapBytesFleet, long HeapBytesRunning, double FirstTileMedianSeconds, double FirstTileMaxSeconds,
    double[] JobCompletionSeconds, double[] JobIdealSeconds, int NodesLeft, int NodesJoined, int JobsFailed)
{
    public double CpuMicrosecondsPerTile => CpuSeconds / Math.Max(1, Tiles) * 1e6;
    public double TilesPerWallSecond => Tiles / WallSeconds;
    public double TilesPerCpuSecond => Tiles / Math.Max(1e-9, CpuSeconds);
    public double MakespanOverIdeal => SimulatedSeconds / IdealSeconds;
    /// <summary>Each job's completion against its own ideal (its work over its fair share of the fleet's speed).</summary>
    public double[] JobRatios => JobCompletionSeconds.Zip(JobIdealSeconds, (c, i) => c / i).ToArray();
    public long CoordinatorBytes => HeapBytesRunning - HeapBytesFleet;
    /// <summary>Attempts that were spot checks, and speculative copies of straggling tiles.</summary>
    public int SpotChecks { get; init; }
    public int Copies { get; init; }
}

/// <summary>
/// One scale point: <c>nodes</c> simulated nodes and <c>jobs</c> concurrent jobs of mixed sizes and priorities, on the
/// real <see cref="TileFarm"/> (one per job, as the service runs them) sharing the nodes through the real
/// <see cref="FairShareScheduler"/>, on simulated time. The work grows with the fleet, so every point has the same ideal
/// completion time; what changes is what the coordinator must do per second to reach it.
/// </summary>
static class ScaleRun
{
    /// <summary>How often the allotment is refreshed: the service's default (<c>ServiceOptions.NodeRefreshInterval</c>).</summary>
    static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(15);

    /// <param name="batchTarget">Tiles sized per node (<see cref="FarmOptions.BatchTarget"/>); zero: one tile per call.</param>
    /// <param name="depth">Jobs per node (<see cref="NodeAllotment"/>), re-allotted every simulated 30 s; 0: every job works every node.</param>
    public static ScaleFigures Run(int nodeCount, int jobCount, double churnPerHour, TimeSpan ideal, TimeSpan tileOnMeanNode, int seed, TimeSpan step,
        int depth, TimeSpan batchTarget, Action<string> log)
    {
        var time = new SimulatedTime();
        long heapBefore = GC.GetTotalMemory(true);
        var fleet = new SimulatedFleet(nodeCount, churnPerHour, time, seed);
        long heapFleet = GC.GetTotalMemory(true);

        var jobs = ScaleJobs.Plan(nodeCount, jobCount, ideal, tileOnMeanNode, seed);
        var priorities = jobs.Priorities;
        var work = jobs.Ids.Select((id, j) => new SimulatedWorkload(id, jobs.Tiles[j], jobs.TileWork, jobs.TileBytes)).ToArray();
        double idealSeconds = jobs.TotalWork / fleet.PresentSpeed;

        var scheduler = new FairShareScheduler();
        var options = new FarmOptions
        {
            Connector = fleet, Time = time, ConnectTimeout = TimeSpan.FromSeconds(10), InitialTileTimeout = TimeSpan.FromHours(1),
            MaxSlotsPerNode = 1, MaxConsecutiveFailures = 3, WaitForNodes = RefreshInterval * 2, // as the service runs its frames
            BatchTarget = batchTarget,
        };
        var firstTile = new double[jobCount];
        var completed = new double[jobCount];
        int attempts = 0, failed = 0, checks = 0, copies = 0;
        ITimer? reallot = null; // the service's periodic refresh, on the simulated clock
        var shares = new JobShare[jobCount];
        var farms = new TileFarm[jobCount];
        var runs = new Task?[jobCount];
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        for (int j = 0; j < jobCount; j++)
        {
            int job = j;
            firstTile[job] = double.NaN;
            shares[job] = scheduler.Join(work[job].JobId, priorities[job]);
            farms[job] = new TileFarm(work[job], options with { Share = shares[job] },
                onTile: e => { if (double.IsNaN(firstTile[job])) firstTile[job] = time.Elapsed.TotalSeconds; },
                onAttempt: a =>
                {
                    Interlocked.Increment(ref attempts);
                    if (a.SpotCheck) Interlocked.Increment(ref checks);
                    if (a.Speculative) Interlocked.Increment(ref copies);
                });
        }
        // The service's part: which nodes each job works with. Without an allotment every job gets every node (and
        // nodes that arrive later serve only jobs that start later).
        var allotment = depth > 0 ? new NodeAllotment(depth) : null;
        var rates = new Dictionary<string, double>(StringComparer.Ordinal); // what the running farms expect of each node, as JobNodes keeps it
        void Start(int job, IReadOnlyList<string> nodes) => runs[job] = Task.Run(async () =>
        {
            try { await farms[job].RunWorkAsync(nodes); }
            catch (FarmException ex) { Interlocked.Increment(ref failed); log($"  {work[job].JobId} failed: {ex.Message}"); }
            finally
            {
                completed[job] = time.Elapsed.TotalSeconds;
                shares[job].Dispose();
                if (allotment is not null) Allot(); // as the service does: a job that ends hands its nodes on at once
            }
        });

        void Allot()
        {
            lock (allotment!)
            {
                foreach (var (farm, run) in farms.Zip(runs))
                    if (run is { IsCompleted: false })
                        foreach (var (address, rate) in farm.NodeRates()) rates[address] = rate;
                var demand = work.Select((w, j) => (w, j)).Where(x => runs[x.j] is not { IsCompleted: true })
                    .Select(x => runs[x.j] is null ? new NodeAllotment.JobDemand(x.w.JobId, priorities[x.j], x.w.Count, x.w.Count)
                        : new NodeAllotment.JobDemand(x.w.JobId, priorities[x.j], farms[x.j].Progress.Left, farms[x.j].Progress.Queued) { Lost = farms[x.j].LostNodes() }).ToList();
                var offers = fleet.All.Where(n => !n.Left).Select(n => new NodeAllotment.NodeOffer(n.Address, rates.GetValueOrDefault(n.Address))).ToList();
                var changes = allotment.Rebalance(demand, offers);
                foreach (var (jobId, nodes) in changes.Released) farms[Array.FindIndex(work, w => w.JobId == jobId)].ReleaseNodes(nodes);
                foreach (var (jobId, nodes) in changes.Added)
                {
                    int job = Array.FindIndex(work, w => w.JobId == jobId);
                    if (runs[job] is null) Start(job, nodes);
                    else farms[job].AddNodes(nodes);
                }
            }
        }
        if (allotment is null)
        {
            var present = fleet.Present;
            for (int j = 0; j < jobCount; j++) Start(j, present);
        }
        else
        {
            Allot();
            reallot = time.CreateTimer(_ => Allot(), null, RefreshInterval, RefreshInterval);
        }

        long heapRunning = ScaleProgress.RunUntilDone(time, fleet, ideal, step, wall, jobCount,
            () => (work.Sum(w => w.Accepted), work.Sum(w => w.Count), runs.Count(r => r is { IsCompleted: true })), log);
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        double wallSeconds = wall.Elapsed.TotalSeconds;
        reallot?.Dispose();

        var jobIdeal = jobs.FairShareIdeals(fleet.PresentSpeed);
        var firsts = firstTile.Where(f => !double.IsNaN(f)).Order().ToArray();
        return new ScaleFigures(nodeCount, jobCount, work.Sum(w => w.Accepted), attempts, completed.Max(), idealSeconds, wallSeconds, cpuSeconds,
            heapFleet - heapBefore, heapRunning == 0 ? 0 : heapRunning - heapBefore, firsts.Length == 0 ? double.NaN : firsts[firsts.Length / 2],
            firsts.Length == 0 ? double.NaN : firsts[^1], completed, jobIdeal, fleet.Left, fleet.Joined, failed) { SpotChecks = checks, Copies = copies };
    }
}
