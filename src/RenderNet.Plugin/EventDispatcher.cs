using System.Threading.Channels;

namespace RenderNet.Plugin;

/// <summary>
/// Raises a job's events where the caller wants them: on the <see cref="SynchronizationContext"/> that started the job
/// (an engine's main thread), else on the thread pool — one at a time and in order either way, so a handler never
/// sees a tile after the job's completion or two events at once.
/// </summary>
sealed class EventDispatcher
{
    readonly SynchronizationContext? context;
    readonly Channel<Action>? queue;

    public EventDispatcher(SynchronizationContext? context)
    {
        this.context = context;
        if (context is not null) return;
        queue = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
        _ = Task.Run(async () =>
        {
            await foreach (var action in queue.Reader.ReadAllAsync()) Invoke(action);
        });
    }

    public void Post(Action action)
    {
        if (context is not null) context.Post(static a => Invoke((Action)a!), action);
        else queue!.Writer.TryWrite(action);
    }

    /// <summary>Posts the last action; nothing is raised after it.</summary>
    public void Complete(Action last)
    {
        Post(last);
        queue?.Writer.TryComplete();
    }

    static void Invoke(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            // A handler's bug must not take the render down with it; it is reported where .NET reports such things.
            System.Diagnostics.Trace.TraceError($"RenderNet: an event handler threw: {ex}");
        }
    }
}
