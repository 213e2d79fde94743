namespace RenderNet.Bench.Scale;

/// <summary>
/// Simulated time for the scale benchmark: a clock that moves only when <see cref="Advance"/> is called, with its timers
/// in a priority queue (a million waiting timers cost O(log n) each, unlike a test clock that scans them all). Due
/// timers fire on the thread pool, as real ones do; <see cref="RunUntil"/> steps the clock only once the pool is idle,
/// so the coordinator does all of one instant's work before the next instant begins — an hour of farm time runs as
/// fast as the coordinator can do its share of it, and its CPU cost is what is measured.
/// </summary>
sealed class SimulatedTime : TimeProvider
{
    static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    readonly Lock gate = new();
    readonly PriorityQueue<SimulatedTimer, (long Due, long Order)> timers = new();
    long now; // ticks since Epoch
    long order;

    public TimeSpan Elapsed => TimeSpan.FromTicks(Volatile.Read(ref now));
    public override DateTimeOffset GetUtcNow() => Epoch.AddTicks(Volatile.Read(ref now));
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => Volatile.Read(ref now);
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SimulatedTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Timers waiting to fire (including cancelled ones not yet popped).</summary>
    public int Pending
    {
        get { lock (gate) return timers.Count; }
    }

    internal void Schedule(SimulatedTimer timer, long due)
    {
        lock (gate) timers.Enqueue(timer, (due, order++));
    }

    /// <summary>Moves the clock forward by <paramref name="step"/>, firing every timer that falls due on the way, in order.</summary>
    public void Advance(TimeSpan step)
    {
        long target = Volatile.Read(ref now) + step.Ticks;
        while (true)
        {
            SimulatedTimer timer;
            long due;
            lock (gate)
            {
                if (!timers.TryPeek(out timer!, out var key) || key.Due > target) break;
                timers.Dequeue();
                due = key.Due;
            }
            // Outside the queue's lock: a timer's own lock is taken first when it is changed (no lock-order inversion).
            if (due > Volatile.Read(ref now)) Volatile.Write(ref now, due);
            timer.Fire(due);
        }
        Volatile.Write(ref now, target);
    }

    /// <summary>
    /// Steps the clock on this thread until <paramref name="finished"/> or <paramref name="limit"/>, waiting before each
    /// step until the thread pool has nothing left to run.
    /// </summary>
    public void RunUntil(Func<bool> finished, TimeSpan step, TimeSpan limit)
    {
        while (!finished() && Elapsed < limit)
        {
            WaitForIdlePool();
            if (finished()) break;
            Advance(step);
        }
    }

    static void WaitForIdlePool()
    {
        ThreadPool.GetMaxThreads(out int maxWorkers, out _);
        for (int quiet = 0; quiet < 3;)
        {
            ThreadPool.GetAvailableThreads(out int available, out _);
            if (ThreadPool.PendingWorkItemCount == 0 && available == maxWorkers) quiet++;
            else
            {
                quiet = 0;
                Thread.Sleep(0);
            }
        }
    }

    internal sealed class SimulatedTimer(SimulatedTime clock, TimerCallback callback, object? state) : ITimer
    {
        long due = -1, period;
        bool disposed;

        /// <summary>Runs the callback if the timer is still due at <paramref name="when"/> (not changed or disposed since it was queued).</summary>
        public void Fire(long when)
        {
            lock (this)
            {
                if (disposed || due != when) return;
                if (period > 0)
                {
                    due += period;
                    clock.Schedule(this, due);
                }
                else due = -1;
            }
            ThreadPool.UnsafeQueueUserWorkItem(s => callback(s), state, preferLocal: false);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (this)
            {
                if (disposed) return false;
                this.period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                due = dueTime == Timeout.InfiniteTimeSpan ? -1 : clock.GetTimestamp() + Math.Max(0, dueTime.Ticks);
                if (due >= 0) clock.Schedule(this, due);
                return true;
            }
        }

        public void Dispose()
        {
            lock (this) disposed = true;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
