using System.Diagnostics;

namespace RenderNet.Node;

/// <summary>Counters and the admission gate shared by the service's requests.</summary>
public sealed class NodeState
{
    readonly Stopwatch uptime = Stopwatch.StartNew();
    int inFlight;
    long rendered;
    volatile bool draining;

    public int InFlight => Volatile.Read(ref inFlight);
    public long Rendered => Interlocked.Read(ref rendered);
    public TimeSpan Uptime => uptime.Elapsed;
    public bool Draining => draining;

    public void StartDraining() => draining = true;

    public bool TryEnter(int max)
    {
        while (true)
        {
            int current = Volatile.Read(ref inFlight);
            if (current >= max) return false;
            if (Interlocked.CompareExchange(ref inFlight, current + 1, current) == current) return true;
        }
    }

    public void Leave() => Interlocked.Decrement(ref inFlight);
    public void TileRendered() => Interlocked.Increment(ref rendered);
}
