using System;
using System.Threading;
using System.Threading.Tasks;

namespace RenderNet.Client
{
    /// <summary>
    /// Raises a job's events where the caller wants them: on the <see cref="SynchronizationContext"/> that started the job
    /// (an engine's main thread), else on the thread pool — one at a time and in order either way, so a handler never
    /// sees a tile after the job's completion or two events at once.
    /// </summary>
    sealed class EventDispatcher
    {
        readonly SynchronizationContext? context;
        readonly object gate = new object();
        Task tail = Task.CompletedTask;

        public EventDispatcher(SynchronizationContext? context) => this.context = context;

        public void Post(Action action)
        {
            if (context != null)
            {
                context.Post(a => Invoke((Action)a!), action);
                return;
            }
            // No context: a chain of continuations on the thread pool keeps the order and runs one at a time.
            lock (gate) tail = tail.ContinueWith(_ => Invoke(action), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
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
}
