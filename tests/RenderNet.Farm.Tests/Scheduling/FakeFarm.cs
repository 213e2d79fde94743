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
    /// <param name="arrivals">Nodes that join the running job (<see cref="TileFarm.AddNodes"/>) at a time on the fake clock.</param>
    /// <param name="actions">What the service does to the running farm at a time on the fake clock (<see cref="TileFarm.ReleaseNodes"/>…).</param>
    public async Task<FarmRun> RunAsync(FakeWorkload work, FarmOptions options, FakeNode[] nodes, Func<int, int>? draw = null,
        IReadOnlyList<(TimeSpan At, FakeNode Node)>? arrivals = null, IReadOnlyList<(TimeSpan At, Action<TileFarm> Act)>? actions = null)
    {
        var late = (arrivals ?? []).ToList();
        var todo = (actions ?? []).ToList();
        options = options with { Connector = new FakeConnector([.. nodes.Concat(late.Select(a => a.Node)).Distinct()]), Time = Clock };
        var farm = new TileFarm(work, options, null, null, w => { lock (Warnings) Warnings.Add(w); }, a => { lock (Attempts) Attempts.Add(a); }, draw);
        var start = Clock.GetTimestamp();
        var job = Task.Run(() => farm.RunWorkAsync(nodes.Select(n => n.Address).ToList()));
        var realDeadline = DateTime.UtcNow.AddSeconds(60);
        while (!job.IsCompleted)
        {
            if (DateTime.UtcNow > realDeadline) throw new TimeoutException($"the fake farm did not finish; attempts: {string.Join("; ", Attempts)}");
            foreach (var arrival in late.Where(a => Clock.GetElapsedTime(start) >= a.At).ToList())
            {
                farm.AddNodes([arrival.Node.Address]);
                late.Remove(arrival);
            }
            foreach (var action in todo.Where(a => Clock.GetElapsedTime(start) >= a.At).ToList())
            {
                action.Act(farm);
                todo.Remove(action);
            }
            Clock.Advance(TimeSpan.FromMilliseconds(20));
            await Task.Delay(1); // lets what the step released run before the next
        }
        Elapsed = Clock.GetElapsedTime(start);
        return await job;
    }

    public FakeNode Node(string name, Func<int, double>? seconds = null) => new(name, Clock) { Seconds = seconds ?? (_ => 1) };
}
