namespace RenderNet.Bench.Scale;

/// <summary>
/// The jobs of one scale point: 60 % small, 30 % medium (4×), 10 % large (16×), priorities 25, 50 or 100, sharing the
/// fleet's work over the ideal time by size. The work grows with the fleet, so every point has the same ideal completion.
/// </summary>
sealed record ScaleJobs(string[] Ids, int[] Tiles, int[] Priorities, long TileWork, long TileBytes)
{
    /// <summary>Mean speed of the fleet's log-uniform speed distribution, in work units per second.</summary>
    public static double MeanSpeed => (SimulatedFleet.FastestSpeed - SimulatedFleet.SlowestSpeed) / Math.Log(SimulatedFleet.FastestSpeed / SimulatedFleet.SlowestSpeed);

    public int Count => Ids.Length;
    public long WorkOf(int job) => Tiles[job] * TileWork;
    public long TotalWork => Enumerable.Range(0, Count).Sum(WorkOf);

    public static ScaleJobs Plan(int nodeCount, int jobCount, TimeSpan ideal, TimeSpan tileOnMeanNode, int seed)
    {
        var random = new Random(seed + 1);
        var sizes = Enumerable.Range(0, jobCount).Select(_ => random.NextDouble() switch { < 0.6 => 1.0, < 0.9 => 4.0, _ => 16.0 }).ToArray();
        var priorities = Enumerable.Range(0, jobCount).Select(_ => new[] { 25, 50, 100 }[random.Next(3)]).ToArray();
        double totalWork = nodeCount * MeanSpeed * ideal.TotalSeconds;
        long tileWork = (long)(MeanSpeed * tileOnMeanNode.TotalSeconds);
        // A 40-second tile is 512×512 half-float RGBA (2 MiB); at a fixed sample count a tile's pixels, and so its bytes,
        // go with its time.
        long tileBytes = Math.Max(1, (long)(512 * 512 * 8 * tileOnMeanNode.TotalSeconds / 40));
        var tiles = sizes.Select(s => Math.Max(1, (int)Math.Round(totalWork * s / sizes.Sum() / tileWork))).ToArray();
        return new ScaleJobs(Enumerable.Range(0, jobCount).Select(j => $"scale-job-{j:D3}").ToArray(), tiles, priorities, tileWork, tileBytes);
    }

    /// <summary>Each job's own ideal: its work over its priority-weighted share of the fleet's speed.</summary>
    public double[] FairShareIdeals(double fleetSpeed)
    {
        double prioritySum = Priorities.Sum();
        return Enumerable.Range(0, Count).Select(j => WorkOf(j) / (fleetSpeed * Priorities[j] / prioritySum)).ToArray();
    }
}
