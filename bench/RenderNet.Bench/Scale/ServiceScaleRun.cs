using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using RenderNet.Client.Wire;
using RenderNet.Service;

namespace RenderNet.Bench.Scale;

/// <summary>
/// One scale point through the coordinator service itself (`bench scale --service`): a <see cref="ServiceHost"/> on the
/// simulated clock with the simulated fleet as its nodes, and every job submitted over HTTP as a studio submits it — a
/// scene upload, then one render job per <see cref="ScaleJobs"/> entry, its frame cut into that many tiles. The
/// service's job queue, SQLite job store (every attempt, tile and progress event), node allotment with its refresh
/// timer, and a farm per job run as in production; only the nodes and their tiles are simulated
/// (<see cref="SimulatedJobRunner"/>).
/// </summary>
static class ServiceScaleRun
{
    /// <summary>Tiles are planned 16 pixels square, so a 16,384-pixel frame holds a million of them.</summary>
    const int TileSize = 16;

    public static ScaleFigures Run(int nodeCount, int jobCount, double churnPerHour, TimeSpan ideal, TimeSpan tileOnMeanNode, int seed, TimeSpan step,
        int depth, TimeSpan batchTarget, double established, Action<string> log)
    {
        var time = new SimulatedTime();
        long heapBefore = GC.GetTotalMemory(true);
        var fleet = new SimulatedFleet(nodeCount, churnPerHour, time, seed);
        long heapFleet = GC.GetTotalMemory(true);
        var planned = ScaleJobs.Plan(nodeCount, jobCount, ideal, tileOnMeanNode, seed);
        // A frame is a grid of tiles: each job gets the whole grid nearest above its share.
        var grids = planned.Tiles.Select(Grid).ToArray();
        var jobs = planned with { Tiles = grids.Select(g => g.Columns * g.Rows).ToArray() };
        double idealSeconds = jobs.TotalWork / fleet.PresentSpeed;
        var index = jobs.Ids.Select((id, j) => (id, j)).ToDictionary(x => x.id, x => x.j, StringComparer.Ordinal);

        string state = Directory.CreateTempSubdirectory("rendernet-scale-").FullName;
        var defaults = new ServiceOptions { StateDirectory = state };
        if (established > 0) SeedRecords(state, fleet, established, defaults.Farm, seed);
        var options = defaults with
        {
            Listen = new Uri("http://127.0.0.1:0"), Fleet = fleet, Time = time, JobsPerNode = depth, MaxRunningJobs = jobCount,
            Farm = defaults.Farm with
            {
                ConnectTimeout = TimeSpan.FromSeconds(10), InitialTileTimeout = TimeSpan.FromHours(1), MaxSlotsPerNode = 1, MaxConsecutiveFailures = 3, BatchTarget = batchTarget,
            },
            Runner = (job, manager, o) => new SimulatedJobRunner(job, manager, o, jobs.TileWork, jobs.TileBytes),
        };
        var firstTile = Enumerable.Repeat(double.NaN, jobCount).ToArray();
        var completed = new double[jobCount];
        // Each job's last tile and last few attempts: what a job that ends well after its last tile waited for.
        var lastTile = new double[jobCount];
        var recent = Enumerable.Range(0, jobCount).Select(_ => new Queue<string>()).ToArray();
        // Each job's spot checks (start, node, seconds, outcome): what the checks after a job's last tile waited on.
        var checks = Enumerable.Range(0, jobCount).Select(_ => new List<(double Start, string Node, double Seconds, string Outcome)>()).ToArray();
        int tiles = 0, attempts = 0, failed = 0, ended = 0, checkAttempts = 0, copies = 0;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var host = ServiceHost.StartAsync(options).GetAwaiter().GetResult();
        try
        {
            host.Jobs.Appended += (job, e) =>
            {
                if (!index.TryGetValue(job.Id, out int j)) return;
                switch (e.Type)
                {
                    case "attempt":
                        Interlocked.Increment(ref attempts);
                        if (e.SpotCheck == true)
                        {
                            Interlocked.Increment(ref checkAttempts);
                            lock (checks[j]) checks[j].Add((time.Elapsed.TotalSeconds - (e.DurationSeconds ?? 0), e.Node ?? "", e.DurationSeconds ?? 0, e.Outcome ?? ""));
                        }
                        if (e.Speculative == true) Interlocked.Increment(ref copies);
                        lock (recent[j])
                        {
                            recent[j].Enqueue($"{time.Elapsed.TotalSeconds:0} s: {(e.SpotCheck == true ? "check" : "tile")} {e.Unit} on {e.Node} " +
                                              $"took {e.DurationSeconds:0} s: {e.Outcome}");
                            if (recent[j].Count > 6) recent[j].Dequeue();
                        }
                        break;
                    case "tile":
                        Interlocked.Increment(ref tiles);
                        if (double.IsNaN(firstTile[j])) firstTile[j] = time.Elapsed.TotalSeconds;
                        lastTile[j] = time.Elapsed.TotalSeconds;
                        break;
                    case "completed" or "failed" or "cancelled":
                        completed[j] = time.Elapsed.TotalSeconds;
                        if (e.Type != "completed")
                        {
                            Interlocked.Increment(ref failed);
                            log($"  {job.Id} {e.Type}: {e.Error?.Message}");
                        }
                        Interlocked.Increment(ref ended);
                        break;
                }
            };
            SubmitAsync(host, jobs, grids).GetAwaiter().GetResult();

            long heapRunning = ScaleProgress.RunUntilDone(time, fleet, ideal, step, wall, jobCount,
                () => (Volatile.Read(ref tiles), jobs.Tiles.Sum(), Volatile.Read(ref ended)), log);
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            double wallSeconds = wall.Elapsed.TotalSeconds;
            log($"  job store: {new FileInfo(Path.Combine(state, "service.db")).Length / 1048576.0 + (File.Exists(Path.Combine(state, "service.db-wal")) ? new FileInfo(Path.Combine(state, "service.db-wal")).Length / 1048576.0 : 0):0} MiB " +
                $"for {tiles} tiles");
            int last = Array.IndexOf(completed, completed.Max());
            log($"  last job to end, {jobs.Ids[last]}: last tile at {lastTile[last] / 60:0.0} min, done at {completed[last] / 60:0.0} min; its last attempts: " +
                string.Join("; ", recent[last]));
            log("  " + ChecksAfterLastTile(checks[last], lastTile[last], fleet));
            var firsts = firstTile.Where(f => !double.IsNaN(f)).Order().ToArray();
            return new ScaleFigures(nodeCount, jobCount, tiles, attempts, completed.Max(), idealSeconds, wallSeconds, cpuSeconds, heapFleet - heapBefore,
                heapRunning == 0 ? 0 : heapRunning - heapBefore, firsts.Length == 0 ? double.NaN : firsts[firsts.Length / 2], firsts.Length == 0 ? double.NaN : firsts[^1],
                completed, jobs.FairShareIdeals(fleet.PresentSpeed), fleet.Left, fleet.Joined, failed) { SpotChecks = checkAttempts, Copies = copies };
        }
        finally
        {
            host.DisposeAsync().AsTask().GetAwaiter().GetResult();
            Directory.Delete(state, recursive: true);
        }
    }

    /// <summary>
    /// Gives a share of the fleet, drawn at random, the record a node earns in a network that has run a while: proven
    /// (<see cref="RenderNet.Farm.FarmOptions.ProvenAfterVerified"/> results verified by others, never outvoted), past
    /// probation, its speed known. Written in the service's store before it starts, as a restarted service reads it.
    /// </summary>
    static void SeedRecords(string state, SimulatedFleet fleet, double share, RenderNet.Farm.FarmOptions farm, int seed)
    {
        var random = new Random(seed);
        var now = DateTimeOffset.UnixEpoch;
        var records = fleet.All.Where(_ => random.NextDouble() < share).Select(n => new RenderNet.Farm.NodeRecord(n.Address.ToLowerInvariant())
        {
            Delivered = farm.ProvenAfterVerified * 20, Verified = farm.ProvenAfterVerified, ChecksAgreed = farm.ProvenAfterVerified, Rate = n.WorkPerSecond,
            FirstSeen = now, LastSeen = now,
        }).ToList();
        using var store = JobStore.Open(Path.Combine(state, "service.db"));
        store.Use(db =>
        {
            using var transaction = db.BeginTransaction();
            using var write = db.CreateCommand();
            write.Transaction = transaction;
            write.CommandText = "INSERT INTO node_record(identity, record) VALUES ($id, $record)";
            var id = write.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
            var record = write.Parameters.Add("$record", Microsoft.Data.Sqlite.SqliteType.Text);
            foreach (var r in records)
            {
                id.Value = r.Identity;
                record.Value = JsonSerializer.Serialize(r);
                write.ExecuteNonQuery();
            }
            transaction.Commit();
            return records.Count;
        });
    }

    /// <summary>The checks a job ran after its last tile: how many, how they ended, when they started, on how fast a node.</summary>
    static string ChecksAfterLastTile(List<(double Start, string Node, double Seconds, string Outcome)> checks, double lastTile, SimulatedFleet fleet)
    {
        var after = checks.Where(c => c.Start + c.Seconds > lastTile).ToList();
        if (after.Count == 0) return "no checks after its last tile";
        var speeds = fleet.All.ToDictionary(n => n.Address, n => n.WorkPerSecond);
        double mean = speeds.Values.Average();
        var relative = after.Select(c => speeds.TryGetValue(c.Node, out var v) ? v / mean : double.NaN).Where(double.IsFinite).Order().ToArray();
        return $"{after.Count} checks ended after its last tile ({string.Join(", ", after.GroupBy(c => c.Outcome).Select(g => $"{g.Count()} {g.Key}"))}); " +
               $"started {string.Join(" ", after.Select(c => $"{c.Start / 60:0.0}").Take(30))} min; " +
               $"checkers' speed vs the fleet's mean: median {(relative.Length == 0 ? double.NaN : relative[relative.Length / 2]):0.00}×, slowest {(relative.Length == 0 ? double.NaN : relative[0]):0.00}×";
    }

    /// <summary>The smallest grid of at least <paramref name="tiles"/> tiles, as square as it comes.</summary>
    static (int Columns, int Rows) Grid(int tiles)
    {
        int columns = (int)Math.Ceiling(Math.Sqrt(tiles));
        int rows = (tiles + columns - 1) / columns;
        if ((long)columns * TileSize > RenderNet.Core.Rendering.FrameSettings.MaxDimension)
            throw new ArgumentException($"a job of {tiles} tiles does not fit one frame of {TileSize}-pixel tiles: use longer --tile-seconds");
        return (columns, rows);
    }

    /// <summary>Uploads the sample scene and submits every job over HTTP, as a studio's client does.</summary>
    static async Task SubmitAsync(ServiceHost host, ScaleJobs jobs, (int Columns, int Rows)[] grids)
    {
        using var http = new HttpClient { BaseAddress = host.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token.Value);
        // The client's embedded sample scene (the tiles are simulated; the plan still loads and checks a real scene).
        using var sample = new MemoryStream();
        await typeof(RenderNet.Client.RenderScene).Assembly.GetManifestResourceStream("RenderNet.Client.cornell-box.glb")!.CopyToAsync(sample);
        byte[] glb = sample.ToArray();
        string sha = Convert.ToHexStringLower(SHA256.HashData(glb));
        (await http.PutAsync($"v1/scenes/{sha}", new ByteArrayContent(glb))).EnsureSuccessStatusCode();
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
        for (int j = 0; j < jobs.Count; j++)
        {
            var submission = new JobSubmission
            {
                Id = jobs.Ids[j], Name = jobs.Ids[j], Priority = jobs.Priorities[j],
                Render = new RenderSettings { SceneSha256 = sha, Width = grids[j].Columns * TileSize, Height = grids[j].Rows * TileSize, TileSize = TileSize, SamplesPerPixel = 1 },
            };
            var response = await http.PostAsJsonAsync("v1/jobs", submission, json);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"the service refused {jobs.Ids[j]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
