using System.Collections.Concurrent;

namespace RenderNet.Viewer;

/// <summary>
/// The viewer's main thread as a <see cref="SynchronizationContext"/>, the way engines expose theirs: the client posts
/// its events here and the frame loop runs them between frames, so GL calls stay on the thread that owns the context.
/// </summary>
sealed class MainThreadQueue : SynchronizationContext
{
    readonly ConcurrentQueue<(SendOrPostCallback Callback, object? State)> queue = new();

    public override void Post(SendOrPostCallback d, object? state) => queue.Enqueue((d, state));

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("the viewer's main thread only takes posted work");

    /// <summary>Runs everything posted so far (called once per frame).</summary>
    public void Drain()
    {
        while (queue.TryDequeue(out var item)) item.Callback(item.State);
    }
}
