using Microsoft.Extensions.Time.Testing;

namespace RenderNet.Farm.Tests.Scheduling;

/// <summary>A <see cref="TileFarm"/> on <see cref="FakeNode"/>s and a fake clock, run to its end while the clock is stepped.</summary>
sealed class FakeFarm
{
    public FakeTimeProvider Clock { get; } = new();
    public List<FarmAttempt> Attempts { get; } = [];
    public List<string> Warnings { get; } = [];
    /// <summary>Fake time from the start to the end of the job.</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <param name="draw">The random draw of spot checks and checkers (null: the real one).</param>
    public async Task<FarmRun> RunAsync(FakeWorkload work, FarmOptions options, FakeNode[] nodes, Func<int, int>? draw = null)
    {
        options = options with { Connector = new FakeConnector(nodes), Time = Clock };
        var farm = new TileFarm(work, options, null, null, w => { lock (Warnings) Warnings.Add(w); }, a => { lock (Attempts) Attempts.Add(a); }, draw);
        var start = Clock.GetTimestamp();
        var job = Task.Run(() => farm.RunWorkAsync(nodes.Select(n => n.Address).ToList()));
        var realDeadline = DateTime.UtcNow.AddSeconds(60);
        while (!job.IsCompleted)
        {
            if (DateTime.UtcNow > realDeadline) throw new TimeoutException($"the fake farm did not finish; attempts: {string.Join("; ", Attempts)}");
            Clock.Advance(TimeSpan.FromMilliseconds(20));
            await Task.Delay(1); // lets what the step released run before the next
        }
        Elapsed = Clock.GetElapsedTime(start);
        return await job;
    }

    public FakeNode Node(string name, Func<int, double>? seconds = null) => new(name, Clock) { Seconds = seconds ?? (_ => 1) };
}
