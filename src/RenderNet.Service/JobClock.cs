namespace RenderNet.Service;

/// <summary>
/// How long a job has run in this service's life: a stopwatch on the service's <see cref="TimeProvider"/>, so a
/// simulated clock (the scale benchmark) times jobs as it times their farms.
/// </summary>
public sealed class JobClock(TimeProvider time)
{
    readonly Lock gate = new();
    long started = -1; // timestamp of the running span's start; -1 while stopped
    TimeSpan before;

    public bool IsRunning
    {
        get { lock (gate) return started >= 0; }
    }

    public TimeSpan Elapsed
    {
        get { lock (gate) return started < 0 ? before : before + time.GetElapsedTime(started); }
    }

    public void Start()
    {
        lock (gate) if (started < 0) started = time.GetTimestamp();
    }

    public void Stop()
    {
        lock (gate)
        {
            if (started < 0) return;
            before += time.GetElapsedTime(started);
            started = -1;
        }
    }
}
