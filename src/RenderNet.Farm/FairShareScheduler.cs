namespace RenderNet.Farm;

/// <summary>
/// Shares the nodes' tile slots among jobs that run at the same time (one <see cref="TileFarm"/> each) by weighted
/// fair share: every job has a virtual clock that advances by the work it is granted divided by its weight (its
/// priority), and a freed slot goes to the waiting job whose clock is furthest behind. A job of priority 80 thus gets
/// twice the node time of one of priority 40 while both have work; a job that arrives late starts at the front
/// runners' clock, so it runs at once instead of waiting for earlier jobs to drain, and banks no credit for the time
/// it was absent. Pure bookkeeping under one lock: no threads, no timers, testable without nodes.
/// </summary>
public sealed class FairShareScheduler
{
    public const int MinPriority = 1, MaxPriority = 100, DefaultPriority = 50;

    readonly Lock gate = new();
    readonly Dictionary<string, NodeSlots> nodes = new(StringComparer.Ordinal);
    readonly List<JobShare> jobs = [];
    long arrivals;

    sealed class NodeSlots(int capacity)
    {
        public int Capacity = capacity;
        public int Busy;
        public readonly List<Waiter> Waiting = [];
    }

    internal sealed record Waiter(JobShare Job, long Order, TaskCompletionSource<SlotLease> Granted);

    /// <summary>Adds a job; dispose the share when the job ends.</summary>
    public JobShare Join(string jobId, int priority)
    {
        CheckPriority(priority);
        lock (gate)
        {
            var share = new JobShare(this, jobId, priority) { VirtualTime = MinActiveTime() };
            jobs.Add(share);
            return share;
        }
    }

    /// <summary>Slots granted and waiting per job, for status pages and tests.</summary>
    public IReadOnlyDictionary<string, (int Running, int Waiting)> Snapshot()
    {
        lock (gate)
            return jobs.ToDictionary(j => j.JobId, j => (j.Running, nodes.Values.Sum(n => n.Waiting.Count(w => w.Job == j))));
    }

    internal static void CheckPriority(int priority)
    {
        if (priority is < MinPriority or > MaxPriority)
            throw new ArgumentOutOfRangeException(nameof(priority), priority, $"priority must be between {MinPriority} and {MaxPriority}, got {priority}");
    }

    double MinActiveTime() => jobs.Count == 0 ? 0 : jobs.Min(j => j.VirtualTime);

    internal Task<SlotLease> AcquireAsync(JobShare job, string node, int capacity, CancellationToken cancellation)
    {
        lock (gate)
        {
            if (job.Left) throw new ObjectDisposedException(nameof(JobShare), $"job {job.JobId} has left the scheduler");
            if (!nodes.TryGetValue(node, out var slots)) nodes[node] = slots = new NodeSlots(Math.Max(1, capacity));
            // A node's slot count is what the jobs that use it agree on: the smallest any of them saw.
            slots.Capacity = Math.Max(1, Math.Min(slots.Capacity, capacity));
            if (slots.Busy < slots.Capacity && slots.Waiting.Count == 0) return Task.FromResult(Grant(job, node, slots));
            var waiter = new Waiter(job, arrivals++, new TaskCompletionSource<SlotLease>(TaskCreationOptions.RunContinuationsAsynchronously));
            slots.Waiting.Add(waiter);
            if (cancellation.CanBeCanceled)
                cancellation.Register(() =>
                {
                    lock (gate)
                        if (slots.Waiting.Remove(waiter)) waiter.Granted.TrySetCanceled(cancellation);
                });
            return waiter.Granted.Task;
        }
    }

    /// <summary>
    /// Gives a slot back and asks for one on the same node in one step: the job waits in line before its slot is handed
    /// on, so the grant weighs it too (a job with one worker per node would otherwise never be next after itself, and
    /// shares would drift toward equal whatever the priorities).
    /// </summary>
    internal Task<SlotLease> RenewAsync(SlotLease lease, CancellationToken cancellation)
    {
        lock (gate)
        {
            var job = lease.Job;
            if (job.Left) throw new ObjectDisposedException(nameof(JobShare), $"job {job.JobId} has left the scheduler");
            var slots = nodes[lease.Node];
            var waiter = new Waiter(job, arrivals++, new TaskCompletionSource<SlotLease>(TaskCreationOptions.RunContinuationsAsynchronously));
            slots.Waiting.Add(waiter);
            if (lease.MarkReleased()) Release(job, lease.Node);
            if (cancellation.CanBeCanceled && !waiter.Granted.Task.IsCompleted)
                cancellation.Register(() =>
                {
                    lock (gate)
                        if (slots.Waiting.Remove(waiter)) waiter.Granted.TrySetCanceled(cancellation);
                });
            return waiter.Granted.Task;
        }
    }

    SlotLease Grant(JobShare job, string node, NodeSlots slots)
    {
        slots.Busy++;
        job.Running++;
        return new SlotLease(this, job, node);
    }

    internal void Charge(JobShare job, double work)
    {
        lock (gate)
        {
            job.VirtualTime += Math.Max(0, work) / job.Priority;
            job.Charged += Math.Max(0, work);
        }
    }

    internal void Release(JobShare job, string node)
    {
        lock (gate)
        {
            var slots = nodes[node];
            slots.Busy--;
            job.Running--;
            while (slots.Busy < slots.Capacity && slots.Waiting.Count > 0)
            {
                // The job furthest behind its fair share; among equals the one that has had least (a newcomer joins
                // level with the front runner and goes first), then the one that asked first.
                var next = slots.Waiting.OrderBy(w => w.Job.VirtualTime).ThenBy(w => w.Job.Charged).ThenBy(w => w.Order).First();
                slots.Waiting.Remove(next);
                if (!next.Granted.TrySetResult(Grant(next.Job, node, slots))) Release(next.Job, node);
            }
        }
    }

    internal void SetPriority(JobShare job, int priority)
    {
        CheckPriority(priority);
        lock (gate) job.Priority = priority;
    }

    internal void Rejoin(JobShare job)
    {
        // Back from a pause: no credit for the time away, or it would starve the others when it returns.
        lock (gate) job.VirtualTime = Math.Max(job.VirtualTime, jobs.Where(j => j != job).Select(j => j.VirtualTime).DefaultIfEmpty(0).Min());
    }

    internal void Leave(JobShare job)
    {
        lock (gate)
        {
            job.Left = true;
            jobs.Remove(job);
            foreach (var (node, slots) in nodes)
                foreach (var waiter in slots.Waiting.Where(w => w.Job == job).ToList())
                {
                    slots.Waiting.Remove(waiter);
                    waiter.Granted.TrySetCanceled();
                }
        }
    }
}

/// <summary>One job's place in a <see cref="FairShareScheduler"/>: pass it as <see cref="FarmOptions.Share"/>.</summary>
public sealed class JobShare : IDisposable
{
    readonly FairShareScheduler scheduler;

    internal JobShare(FairShareScheduler scheduler, string jobId, int priority)
    {
        this.scheduler = scheduler;
        JobId = jobId;
        Priority = priority;
    }

    public string JobId { get; }
    /// <summary>The job's weight, <see cref="FairShareScheduler.MinPriority"/>…<see cref="FairShareScheduler.MaxPriority"/>.</summary>
    public int Priority { get; internal set; }
    internal double VirtualTime { get; set; }
    /// <summary>All the work it was granted.</summary>
    internal double Charged { get; set; }
    internal int Running { get; set; }
    internal bool Left { get; set; }

    /// <summary>Waits for a free slot on a node (of <paramref name="capacity"/> slots) when this job's turn comes.</summary>
    public Task<SlotLease> AcquireAsync(string node, int capacity, CancellationToken cancellation) => scheduler.AcquireAsync(this, node, capacity, cancellation);

    /// <summary>Hands a slot back and waits for the next one on that node, in line before the slot is handed on.</summary>
    public Task<SlotLease> RenewAsync(SlotLease lease, CancellationToken cancellation) => scheduler.RenewAsync(lease, cancellation);

    /// <summary>Changes the job's weight while it runs; its share changes from the next grant on.</summary>
    public void SetPriority(int priority) => scheduler.SetPriority(this, priority);

    /// <summary>Call when the job resumes after a pause.</summary>
    public void Rejoin() => scheduler.Rejoin(this);

    public void Dispose() => scheduler.Leave(this);
}

/// <summary>A granted slot on one node; charge it with the work it carries, dispose it when the work is done.</summary>
public sealed class SlotLease : IDisposable
{
    readonly FairShareScheduler scheduler;
    int released;

    internal SlotLease(FairShareScheduler scheduler, JobShare job, string node)
    {
        this.scheduler = scheduler;
        Job = job;
        Node = node;
    }

    public string Node { get; }
    internal JobShare Job { get; }

    /// <summary>True the first time: the caller then frees the slot.</summary>
    internal bool MarkReleased() => Interlocked.Exchange(ref released, 1) == 0;

    /// <summary>Advances the job's clock by the work this slot carries (pixel-samples, or any unit the jobs share).</summary>
    public void Charge(double work) => scheduler.Charge(Job, work);

    public void Dispose()
    {
        if (MarkReleased()) scheduler.Release(Job, Node);
    }
}
