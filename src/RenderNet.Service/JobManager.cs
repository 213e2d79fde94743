using System.Numerics;
using Microsoft.Extensions.Logging;
using RenderNet.Client.Wire;
using RenderNet.Farm;

namespace RenderNet.Service;

/// <summary>Why a control call on a job was refused.</summary>
public enum JobRefusal
{
    None,
    NotFound,
    /// <summary>The job has ended (completed, failed or cancelled).</summary>
    Finished,
    /// <summary>The id is taken by another job.</summary>
    IdTaken,
}

/// <summary>
/// The service's jobs: submission, the run queue (at most <see cref="ServiceOptions.MaxRunningJobs"/> at once, the rest
/// waiting in priority order), pause/resume/cancel/priority, and every state change and event written to the store
/// first. On start it resumes every job that had not ended.
/// </summary>
public sealed class JobManager : IDisposable
{
    readonly ServiceOptions options;
    readonly ILogger logger;
    readonly Lock gate = new();
    readonly Dictionary<string, ServiceJob> jobs = [];
    readonly List<ServiceJob> queue = [];
    readonly List<Task> running = [];
    readonly CancellationTokenSource stopping = new();
    int active;
    readonly List<ServiceJob> runningJobs = [];
    readonly ITimer nodeRefresh;
    readonly ITimer arrivalRefresh;
    int arrivalPending; // 1 while a refresh for arrived nodes is scheduled

    /// <summary>How long after a node arrives the running jobs are re-allotted (with every node that arrived meanwhile).</summary>
    public static readonly TimeSpan ArrivalRefreshDelay = TimeSpan.FromSeconds(1);

    /// <summary>Cancelled when the service stops: runners stop without ending their jobs, which resume on the next start.</summary>
    public CancellationToken Stopping => stopping.Token;

    /// <param name="nodes">The nodes jobs run on; default: <see cref="ServiceOptions.Nodes"/> only.</param>
    public JobManager(ServiceOptions options, JobStore store, SceneStore scenes, MediaStore media, ILogger logger, ServiceNodes? nodes = null)
    {
        this.options = options;
        Nodes = nodes ?? new ServiceNodes(options.Nodes, null, options.Fleet);
        JobNodes = new JobNodes(Nodes, options.JobsPerNode);
        nodeRefresh = options.Time.CreateTimer(_ => JobNodes.Refresh(RunningJobs()), null, options.NodeRefreshInterval, options.NodeRefreshInterval);
        // A node that (re)joins is handed to the running jobs within a second rather than at the next refresh: one
        // refresh for all the nodes that arrive in that second (each is a re-allotment over the whole fleet; at 10,000
        // nodes and 10 % churn an hour, one every 4 s — bench scale --service).
        arrivalRefresh = options.Time.CreateTimer(_ => RefreshForArrivals(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (Nodes.Joined is { } joined) joined.Linked += _ => NodeArrived();
        if (Nodes.Fleet is { } fleet) fleet.Arrived += _ => NodeArrived();
        this.logger = logger;
        Store = store;
        Scenes = scenes;
        Media = media;
    }

    public MediaStore Media { get; }
    /// <summary>The nodes a job starting now may use, and how to reach them.</summary>
    public ServiceNodes Nodes { get; }

    /// <summary>Which nodes each running job works with (all of them, or an allotment), kept current as nodes and jobs come and go.</summary>
    public JobNodes JobNodes { get; }

    /// <summary>The jobs running now.</summary>
    public IReadOnlyList<ServiceJob> RunningJobs()
    {
        lock (gate) return [.. runningJobs];
    }

    public JobStore Store { get; }
    public SceneStore Scenes { get; }
    public FairShareScheduler Scheduler { get; } = new();
    string JobsDirectory => Path.Combine(options.StateDirectory, "jobs");

    /// <summary>Where a job keeps its frame journals and finished frames.</summary>
    public string JobDirectory(string id) => Path.Combine(JobsDirectory, id);

    /// <summary>Resumes every job that had not ended when the service stopped (or was killed).</summary>
    public void ResumeUnfinished()
    {
        foreach (var row in Store.All().Reverse().Where(r => !JobStateNames.IsFinal(r.State)))
        {
            var plan = JobPlan.For(row.Submission, Scenes, Media);
            if (!plan.CanRender)
            {
                var job = new ServiceJob(row, plan, Path.Combine(JobsDirectory, row.Id), options.Time);
                lock (gate) jobs[row.Id] = job;
                Finish(job, JobStateNames.Failed, new JobError { Kind = "InvalidScene", Message = $"cannot resume: {string.Join("; ", plan.Errors.Select(e => e.Message))}" }, row.Receipt);
                continue;
            }
            var resumed = new ServiceJob(row, plan, Path.Combine(JobsDirectory, row.Id), options.Time);
            logger.LogInformation("resuming job {Job} ({State}, {Done}/{Total} tiles)", row.Id, row.State, row.TilesDone, row.TilesTotal);
            if (row.State == JobStateNames.Cancelling)
            {
                lock (gate) jobs[row.Id] = resumed;
                Finish(resumed, JobStateNames.Cancelled, null, row.Receipt);
                continue;
            }
            Enqueue(resumed);
        }
    }

    /// <summary>Creates a job; <paramref name="refusal"/> says why not (the plan's errors are the caller's to report).</summary>
    public ServiceJob? Submit(JobSubmission submission, JobPlan plan, out JobRefusal refusal)
    {
        refusal = JobRefusal.None;
        string id = submission.Id ?? FarmJobSpec.NewJobId();
        var (width, height) = plan.FrameSize;
        var row = new StoredJob(id, submission, JobStateNames.Queued, submission.Priority, options.Time.GetUtcNow().UtcDateTime, 0, plan.UnitsTotal,
            plan.FrameCount, width, height, "0", 0, null, null);
        lock (gate)
        {
            if (jobs.ContainsKey(id) || Store.Get(id) is not null)
            {
                refusal = JobRefusal.IdTaken;
                return null;
            }
            Store.Insert(row);
            var job = new ServiceJob(row, plan, Path.Combine(JobsDirectory, id), options.Time);
            Append(job, new JobEvent { Type = "state", State = JobStateNames.Queued });
            foreach (var warning in plan.Warnings) Append(job, new JobEvent { Type = "warning", Message = warning });
            Enqueue(job);
            return job;
        }
    }

    void Enqueue(ServiceJob job)
    {
        lock (gate)
        {
            jobs[job.Id] = job;
            queue.Add(job);
            StartMore();
        }
    }

    /// <summary>Starts queued jobs while there is room, highest priority (then oldest) first.</summary>
    void StartMore()
    {
        while (active < options.MaxRunningJobs && queue.Count > 0)
        {
            var next = queue.OrderByDescending(j => j.Row.Priority).ThenBy(j => j.Row.Created).First();
            queue.Remove(next);
            active++;
            runningJobs.Add(next);
            next.Share = Scheduler.Join(next.Id, next.Row.Priority);
            JobRunnerBase runner = options.Runner?.Invoke(next, this, options) ?? (next.Plan is RenderJobPlan
                ? new RenderRunner(next, this, options, Scenes.Read(next.Row.Submission.Render!.SceneSha256)!)
                : new TranscodeRunner(next, this, options));
            running.Add(Task.Run(async () =>
            {
                try { await runner.RunAsync(); }
                catch (Exception ex)
                {
                    logger.LogError(ex, "job {Job} stopped unexpectedly", next.Id);
                    Finish(next, JobStateNames.Failed, new JobError { Kind = "RenderFailed", Message = $"the service failed: {ex.Message}" }, next.Row.Receipt);
                }
                finally
                {
                    next.Share?.Dispose();
                    lock (gate)
                    {
                        active--;
                        runningJobs.Remove(next);
                        StartMore();
                    }
                }
            }));
        }
    }

    public ServiceJob? Find(string id)
    {
        lock (gate) return jobs.GetValueOrDefault(id);
    }

    public JobStatus? Status(string id)
    {
        if (Find(id) is { } job) return job.Status(Store.LastEvent(id));
        return Store.Get(id) is { } row ? ServiceMapping.Status(row, Store.LastEvent(id)) : null;
    }

    /// <summary>Each node's work for this service so far, by address: receipts of every job, and the frames running now.</summary>
    public IReadOnlyDictionary<string, NodeWork> NodeWork()
    {
        List<ServiceJob> running;
        lock (gate) running = jobs.Values.ToList();
        return NodeWorkTotals.Sum(Store.All().Select(row => row.Receipt), running.SelectMany(j => j.LiveReports()));
    }

    public IReadOnlyList<JobStatus> All() =>
        Store.All().Select(row => Find(row.Id) is { } job ? job.Status(Store.LastEvent(row.Id)) : ServiceMapping.Status(row, Store.LastEvent(row.Id))).ToList();

    public JobRefusal Pause(string id) => Control(id, job =>
    {
        job.Pause();
        if (job.Row.State is JobStateNames.Running or JobStateNames.Queued) SetState(job, JobStateNames.Paused);
    });

    public JobRefusal Resume(string id) => Control(id, job =>
    {
        job.Resume();
        if (job.Row.State == JobStateNames.Paused) SetState(job, job.Clock.IsRunning ? JobStateNames.Running : JobStateNames.Queued);
    });

    public JobRefusal Cancel(string id) => Control(id, job =>
    {
        bool waiting;
        lock (gate) waiting = queue.Remove(job);
        if (waiting)
        {
            Finish(job, JobStateNames.Cancelled, null, job.Row.Receipt);
            return;
        }
        SetState(job, JobStateNames.Cancelling);
        job.Cancellation.Cancel();
    });

    public JobRefusal SetPriority(string id, int priority) => Control(id, job =>
    {
        job.Update(r => r with { Priority = priority });
        job.Share?.SetPriority(priority);
        Store.Update(job.Row);
        job.Signal();
    });

    JobRefusal Control(string id, Action<ServiceJob> action)
    {
        var job = Find(id);
        if (job is null) return Store.Get(id) is null ? JobRefusal.NotFound : JobRefusal.Finished;
        if (JobStateNames.IsFinal(job.Row.State) || job.Row.State == JobStateNames.Cancelling) return JobRefusal.Finished;
        action(job);
        return JobRefusal.None;
    }

    /// <summary>Every event as it is stored, with its job (the metrics count deliveries, the service stream forwards it).</summary>
    public event Action<ServiceJob, JobEvent>? Appended;

    /// <summary>Stores an event (numbering it) and wakes the job's streams.</summary>
    public void Append(ServiceJob job, JobEvent e, int frameIndex = -1, int tile = -1)
    {
        Store.Append(job.Id, e, frameIndex, tile);
        job.Signal();
        Appended?.Invoke(job, e);
    }

    public void SetState(ServiceJob job, string state)
    {
        job.Update(r => r with { State = state, ElapsedSeconds = job.ElapsedSeconds, CostWei = job.Spent.ToString() });
        Store.Update(job.Row);
        Append(job, new JobEvent { Type = "state", State = state });
    }

    public void Progress(ServiceJob job, int done, int total)
    {
        var spent = job.Spent;
        job.Update(r => r with { TilesDone = done, CostWei = spent.ToString(), ElapsedSeconds = job.ElapsedSeconds });
        double? eta = done > 0 && done < total ? job.ElapsedSeconds * (total - done) / done : null;
        Append(job, new JobEvent { Type = "progress", TilesDone = done, TilesTotal = total, Cost = ServiceMapping.Tokens(spent), ElapsedSeconds = job.ElapsedSeconds, EtaSeconds = eta });
    }

    public void SaveReceipt(ServiceJob job, JobReceipt receipt)
    {
        job.Update(r => r with { Receipt = receipt, ElapsedSeconds = job.ElapsedSeconds, CostWei = job.Spent.ToString() });
        Store.Update(job.Row);
    }

    /// <summary>Ends a job: its final state, error and receipt stored, then the last events.</summary>
    public void Finish(ServiceJob job, string state, JobError? error, JobReceipt? receipt)
    {
        job.Update(r => r with { State = state, Error = error, Receipt = receipt, ElapsedSeconds = job.ElapsedSeconds, CostWei = job.Spent.ToString() });
        Store.Update(job.Row);
        Append(job, new JobEvent { Type = "state", State = state });
        Append(job, new JobEvent
        {
            Type = state switch { JobStateNames.Completed => "completed", JobStateNames.Cancelled => "cancelled", _ => "failed" },
            Error = error, Receipt = receipt, Cost = ServiceMapping.Tokens(job.Spent), ElapsedSeconds = job.ElapsedSeconds,
        });
    }

    /// <summary>What every other job has spent (stored rows and running jobs), for the service's budget.</summary>
    public BigInteger SpentByOthers(ServiceJob job) => SpentInAll() - job.Spent;

    /// <summary>What all jobs have spent: a running job's live figure, else its stored one (one pass over the store).</summary>
    public BigInteger SpentInAll() => Store.All().Aggregate(BigInteger.Zero, (sum, row) => sum + (Find(row.Id) is { } j ? j.Spent : BigInteger.Parse(row.CostWei)));

    void NodeArrived()
    {
        if (Interlocked.Exchange(ref arrivalPending, 1) == 0) arrivalRefresh.Change(ArrivalRefreshDelay, Timeout.InfiniteTimeSpan);
    }

    void RefreshForArrivals()
    {
        Volatile.Write(ref arrivalPending, 0); // before the refresh: a node arriving during it gets one of its own
        JobNodes.Refresh(RunningJobs());
    }

    /// <summary>Stops the runners without ending their jobs: they resume when the service starts again.</summary>
    public void Dispose()
    {
        nodeRefresh.Dispose();
        arrivalRefresh.Dispose();
        stopping.Cancel();
        Task[] runners;
        lock (gate) runners = running.ToArray();
        try { Task.WaitAll(runners, TimeSpan.FromSeconds(20)); }
        catch (AggregateException) { } // each runner reported its own end
        List<ServiceJob> all;
        lock (gate) all = jobs.Values.ToList();
        foreach (var job in all) if (!JobStateNames.IsFinal(job.Row.State)) Store.Update(job.Row with { ElapsedSeconds = job.ElapsedSeconds, CostWei = job.Spent.ToString() });
    }
}
