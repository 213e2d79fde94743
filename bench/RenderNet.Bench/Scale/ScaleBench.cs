using System.CommandLine;
using System.Globalization;
using System.Text;

namespace RenderNet.Bench.Scale;

/// <summary>
/// `bench scale`: the coordinator at internet scale, simulated — N nodes (100× speed spread, 10–300 ms round trips,
/// churn) and M concurrent jobs on the real farm and fair-share scheduler, an hour of farm time in seconds of real time.
/// Prints, per fleet size, the coordinator's CPU per tile, its memory per node and per job, the tiles it dispatched per
/// second, the time to each job's first tile and the completion against the ideal (total work / total speed); writes
/// them as CSV and as an SVG plot.
/// </summary>
static class ScaleBench
{
    delegate ScaleFigures ScaleRunner(int nodeCount, int jobCount, double churnPerHour, TimeSpan ideal, TimeSpan tileOnMeanNode, int seed, TimeSpan step,
        int depth, TimeSpan batchTarget, Action<string> log);

    public static Command Create()
    {
        var nodes = new Option<string>("--nodes") { Description = "Fleet sizes, comma-separated", DefaultValueFactory = _ => "100,1000,10000" };
        var jobs = new Option<int>("--jobs") { Description = "Concurrent jobs", DefaultValueFactory = _ => 100 };
        var churn = new Option<double>("--churn") { Description = "Share of the fleet that leaves (and joins) per simulated hour", DefaultValueFactory = _ => 0.1 };
        var ideal = new Option<double>("--ideal-minutes") { Description = "Ideal completion of all jobs (the work grows with the fleet)", DefaultValueFactory = _ => 20 };
        var tile = new Option<double>("--tile-seconds") { Description = "A tile's time on a node of mean speed", DefaultValueFactory = _ => 40 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var depth = new Option<int>("--depth") { Description = "Jobs per node (the service's node allotment); 0: every job works every node", DefaultValueFactory = _ => 2 };
        var batch = new Option<double>("--batch-seconds") { Description = "Tiles sized per node: a node takes as many tiles in one call as it renders in this long (0: one tile per call)", DefaultValueFactory = _ => RenderNet.Farm.FarmDefaults.BatchSeconds };
        var service = new Option<bool>("--service") { Description = "Run the jobs through the coordinator service itself: submitted over HTTP, stored in its SQLite job store, allotted by its job manager" };
        var established = new Option<double>("--established")
        {
            Description = "With --service: share of the fleet (0…1) that has a record at the service already — proven, as in a network that has run a while — rather than a launch day when every node is new",
            DefaultValueFactory = _ => 0,
        };
        var output = new Option<string?>("--out") { Description = "Folder for scale.csv and scale.svg" };
        var command = new Command("scale", "The coordinator with 100…10,000 simulated nodes and 100 concurrent jobs under churn") { nodes, jobs, churn, ideal, tile, seed, depth, batch, service, established, output };
        command.SetAction(parse => Run(parse.GetValue(nodes)!, parse.GetValue(jobs), parse.GetValue(churn), parse.GetValue(ideal), parse.GetValue(tile), parse.GetValue(seed),
            parse.GetValue(depth), parse.GetValue(batch), parse.GetValue(service), parse.GetValue(established), parse.GetValue(output)));
        return command;
    }

    static int Run(string nodeList, int jobs, double churn, double idealMinutes, double tileSeconds, int seed, int depth, double batchSeconds, bool service, double established,
        string? output)
    {
        if (established is < 0 or > 1 || (established > 0 && !service))
        {
            Console.Error.WriteLine("--established is a share from 0 to 1 of the fleet, and needs --service (the service keeps nodes' records)");
            return 2;
        }
        var sizes = nodeList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Console.WriteLine($"{Environment.ProcessorCount} cores; {jobs} concurrent jobs; churn {churn:P0} per simulated hour; ideal {idealMinutes} min; " +
                          $"{(depth > 0 ? $"{depth} jobs per node" : "every job on every node")}; a tile takes {tileSeconds} s on a node of mean speed ({SimulatedFleet.SlowestSpeed:0.#e0}…{SimulatedFleet.FastestSpeed:0.#e0} work/s)" +
                          (batchSeconds > 0 ? $"; batches of up to {batchSeconds} s per node" : "") + (service ? "; through the coordinator service" : "") +
                          (established > 0 ? $"; {established:P0} of the nodes proven at the start" : "; every node new"));
        var results = new List<ScaleFigures>();
        foreach (int n in sizes)
        {
            Console.WriteLine($"{n} nodes:");
            ScaleRunner runner = service ? (n, j, c, i, t, s, st, d, b, l) => ServiceScaleRun.Run(n, j, c, i, t, s, st, d, b, established, l) : ScaleRun.Run;
            var r = runner(n, jobs, churn, TimeSpan.FromMinutes(idealMinutes), TimeSpan.FromSeconds(tileSeconds), seed, TimeSpan.FromMilliseconds(100), depth, TimeSpan.FromSeconds(batchSeconds), Console.WriteLine);
            results.Add(r);
            var ratios = r.JobRatios.Order().ToArray();
            Console.WriteLine($"  {r.Tiles} tiles ({r.Attempts} attempts: {r.SpotChecks} spot checks, {r.Copies} speculative copies) in {r.WallSeconds:0.0} s real, {r.CpuSeconds:0.0} s CPU: {r.CpuMicrosecondsPerTile:0} µs CPU per tile, " +
                              $"{r.TilesPerWallSecond:0} tiles/s dispatched, {r.TilesPerCpuSecond:0} tiles per CPU second");
            Console.WriteLine($"  memory: fleet {r.HeapBytesFleet / 1024.0 / n:0.0} KiB per simulated node; coordinator {r.CoordinatorBytes / 1048576.0:0.0} MiB = " +
                              $"{r.CoordinatorBytes / 1024.0 / n:0.0} KiB per node, {r.CoordinatorBytes / 1024.0 / jobs:0} KiB per job");
            Console.WriteLine($"  first tile: median {r.FirstTileMedianSeconds:0.0} s, last job {r.FirstTileMaxSeconds:0.0} s; all done at {r.SimulatedSeconds / 60:0.0} min " +
                              $"= {r.MakespanOverIdeal:0.00}× ideal ({r.IdealSeconds / 60:0.0} min); per job vs its fair-share ideal: median {ratios[ratios.Length / 2]:0.00}×, " +
                              $"p90 {ratios[(int)(ratios.Length * 0.9)]:0.00}×, worst {ratios[^1]:0.00}×; {r.NodesLeft} nodes left, {r.NodesJoined} joined, {r.JobsFailed} jobs failed");
        }
        if (output is not null)
        {
            Directory.CreateDirectory(output);
            string stem = service ? established > 0 ? "scale-service-established" : "scale-service" : "scale";
            File.WriteAllText(Path.Combine(output, stem + ".csv"), Csv(results));
            File.WriteAllText(Path.Combine(output, stem + ".svg"), ScalePlot.Svg(results));
            Console.WriteLine($"wrote {Path.Combine(output, stem + ".csv")} and {stem}.svg");
        }
        return results.All(r => r.JobsFailed == 0) ? 0 : 1;
    }

    static string Csv(IEnumerable<ScaleFigures> results)
    {
        var csv = new StringBuilder("nodes,jobs,tiles,attempts,cpu_us_per_tile,tiles_per_wall_s,tiles_per_cpu_s,coordinator_kib_per_node,coordinator_kib_per_job,first_tile_median_s,first_tile_max_s,makespan_over_ideal,job_ratio_median,job_ratio_worst,nodes_left,nodes_joined,spot_checks,speculative_copies\n");
        foreach (var r in results)
        {
            var ratios = r.JobRatios.Order().ToArray();
            csv.AppendLine(string.Join(',', new object[]
            {
                r.Nodes, r.Jobs, r.Tiles, r.Attempts, r.CpuMicrosecondsPerTile.ToString("0", CultureInfo.InvariantCulture), r.TilesPerWallSecond.ToString("0", CultureInfo.InvariantCulture),
                r.TilesPerCpuSecond.ToString("0", CultureInfo.InvariantCulture), (r.CoordinatorBytes / 1024.0 / r.Nodes).ToString("0.0", CultureInfo.InvariantCulture),
                (r.CoordinatorBytes / 1024.0 / r.Jobs).ToString("0", CultureInfo.InvariantCulture), r.FirstTileMedianSeconds.ToString("0.0", CultureInfo.InvariantCulture),
                r.FirstTileMaxSeconds.ToString("0.0", CultureInfo.InvariantCulture), r.MakespanOverIdeal.ToString("0.00", CultureInfo.InvariantCulture),
                ratios[ratios.Length / 2].ToString("0.00", CultureInfo.InvariantCulture), ratios[^1].ToString("0.00", CultureInfo.InvariantCulture), r.NodesLeft, r.NodesJoined,
                r.SpotChecks, r.Copies,
            }));
        }
        return csv.ToString();
    }
}
