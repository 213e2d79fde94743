using System.Numerics;
using RenderNet.Client.Wire;
using RenderNet.Farm;

namespace RenderNet.Service;

/// <summary>The states a job goes through, as the API names them.</summary>
public static class JobStateNames
{
    public const string Queued = "queued", Running = "running", Paused = "paused", Cancelling = "cancelling",
        Cancelled = "cancelled", Completed = "completed", Failed = "failed";

    public static bool IsFinal(string state) => state is Cancelled or Completed or Failed;
}

/// <summary>
/// A job while the service runs it: its stored row, its place in the fair share, the farm of the frame in progress,
/// and a signal that wakes event streams when something is appended. Everything it decides is under one lock.
/// </summary>
public sealed class ServiceJob
{
    readonly Lock gate = new();
    TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    TileFarm? current;

    /// <param name="time">The service's clock (<see cref="ServiceOptions.Time"/>); default: the system's.</param>
    public ServiceJob(StoredJob row, JobPlan plan, string directory, TimeProvider? time = null)
    {
        Clock = new JobClock(time ?? TimeProvider.System);
        Row = row;
        Plan = plan;
        Directory = directory;
        Paused = row.State == JobStateNames.Paused;
        ElapsedBefore = row.ElapsedSeconds;
    }

    /// <summary>Seconds the job ran in earlier runs of the service.</summary>
    public double ElapsedBefore { get; }
    public double ElapsedSeconds => ElapsedBefore + Clock.Elapsed.TotalSeconds;

    public string Id => Row.Id;
    public StoredJob Row { get; private set; }
    public JobPlan Plan { get; }
    /// <summary>Where its journals and frames are kept.</summary>
    public string Directory { get; }
    public CancellationTokenSource Cancellation { get; } = new();
    public JobShare? Share { get; set; }
    public bool Paused { get; private set; }
    public JobClock Clock { get; }
    /// <summary>Spent on frames finished in this or an earlier run, in the token's smallest unit.</summary>
    public BigInteger SpentBefore { get; set; }
    public int TilesBefore { get; set; }

    /// <summary>Completes when the next event is appended (or the job changes state).</summary>
    public Task Changed
    {
        get { lock (gate) return changed.Task; }
    }

    public void Signal()
    {
        TaskCompletionSource fired;
        lock (gate)
        {
            fired = changed;
            changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        fired.TrySetResult();
    }

    public void Update(Func<StoredJob, StoredJob> change)
    {
        lock (gate) Row = change(Row);
    }

    /// <summary>What has been spent so far, the frame in progress included.</summary>
    public BigInteger Spent
    {
        get { lock (gate) return SpentBefore + (current?.Spent ?? 0); }
    }

    /// <summary>What each node has done in the frame being rendered now (none between frames).</summary>
    public IReadOnlyList<NodeReport> LiveReports()
    {
        TileFarm? farm;
        lock (gate) farm = current;
        return farm?.Reports() ?? [];
    }

    /// <summary>The farm of the frame in progress (null between frames).</summary>
    public TileFarm? Farm
    {
        get { lock (gate) return current; }
    }

    public void SetFarm(TileFarm? farm)
    {
        lock (gate)
        {
            current = farm;
            if (farm is not null && Paused) farm.Pause();
        }
    }

    public void Pause()
    {
        lock (gate)
        {
            Paused = true;
            current?.Pause();
        }
    }

    public void Resume()
    {
        lock (gate)
        {
            Paused = false;
            current?.Resume();
        }
    }

    public string FramePath(int index) => Path.Combine(Directory, $"frame-{index}.f32");
    public string JournalPath(int index) => TileJournal.PathFor(Directory, FrameJobId(index));
    public string FrameJobId(int index) => $"{Id}-f{index}";

    public JobStatus Status(long lastEvent)
    {
        var row = Row;
        return ServiceMapping.Status(row with { ElapsedSeconds = ElapsedSeconds, CostWei = Spent.ToString() }, lastEvent);
    }
}
