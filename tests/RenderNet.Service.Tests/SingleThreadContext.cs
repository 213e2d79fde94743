using System.Collections.Concurrent;

namespace RenderNet.Service.Tests;

/// <summary>An engine's main thread in miniature: one thread that runs whatever is posted to it, in order.</summary>
sealed class SingleThreadContext : SynchronizationContext, IDisposable
{
    readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> queue = [];
    readonly Thread thread;

    public SingleThreadContext()
    {
        thread = new Thread(() =>
        {
            SetSynchronizationContext(this);
            foreach (var (callback, state) in queue.GetConsumingEnumerable()) callback(state);
        }) { IsBackground = true, Name = "main thread" };
        thread.Start();
    }

    public int ThreadId => thread.ManagedThreadId;

    public override void Post(SendOrPostCallback d, object? state) => queue.Add((d, state));

    /// <summary>Runs <paramref name="action"/> on the loop and waits for it (and for everything posted before it).</summary>
    public void Send(Action action)
    {
        using var done = new ManualResetEventSlim();
        Exception? error = null;
        Post(_ =>
        {
            try { action(); }
            catch (Exception ex) { error = ex; }
            finally { done.Set(); }
        }, null);
        done.Wait();
        if (error is not null) throw error;
    }

    public void Dispose()
    {
        queue.CompleteAdding();
        thread.Join();
        queue.Dispose();
    }
}
