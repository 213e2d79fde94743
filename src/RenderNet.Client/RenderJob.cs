using System;
using System.Threading;
using System.Threading.Tasks;
using RenderNet.Client.Wire;

namespace RenderNet.Client
{
    /// <summary>
    /// One job on the service. Subscribe to its events, then <see cref="Start"/> it (or get it from
    /// <see cref="RenderServiceClient.AttachAsync"/>) and await <see cref="Completion"/>. Events are raised on the
    /// <see cref="SynchronizationContext"/> that called <see cref="Start"/> (an engine's main thread), else on the thread
    /// pool; one at a time and in order. Every event is posted before <see cref="Completion"/> ends, so on a context
    /// that runs posts in order, code awaiting it there runs after the last handler. Completion itself never waits for
    /// that context: a thread blocking on it cannot deadlock.
    /// </summary>
    public sealed class RenderJob
    {
        readonly RenderServiceClient client;
        readonly RenderRequest? request;
        readonly TaskCompletionSource<RenderResult> completion = new TaskCompletionSource<RenderResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        readonly object gate = new object();
        readonly CancellationTokenSource stop = new CancellationTokenSource();
        EventDispatcher? events;
        bool started, submitted, cancelRequested;

        internal RenderJob(RenderServiceClient client, RenderRequest request)
        {
            this.client = client;
            this.request = request;
            Format = request.PixelFormat;
            Id = NewId();
        }

        internal RenderJob(RenderServiceClient client, JobStatus status, PixelFormat format)
        {
            this.client = client;
            Id = status.Id;
            Format = format;
            Priority = status.Priority;
            State = JobStates.Parse(status.State);
            started = submitted = true;
        }

        /// <summary>The job's id on the service (chosen when the job is created, so a resubmission is the same job).</summary>
        public string Id { get; }
        /// <summary>Where the job stands, as of the last event raised.</summary>
        public RenderJobState State { get; private set; } = RenderJobState.Queued;
        /// <summary>The job's weight in the fair share of the nodes.</summary>
        public int Priority { get; private set; } = 50;
        /// <summary>Why the job failed, when <see cref="State"/> is <see cref="RenderJobState.Failed"/>.</summary>
        public RenderServiceException? Error { get; private set; }
        /// <summary>The sequence number of the last event received: attach again after it to miss nothing.</summary>
        public long LastEvent { get; internal set; }
        /// <summary>The pixel format of tiles and frames.</summary>
        public PixelFormat Format { get; }
        /// <summary>The result; faults with a <see cref="RenderServiceException"/> (typed by kind), or is cancelled.</summary>
        public Task<RenderResult> Completion => completion.Task;

        /// <summary>
        /// A tile was delivered, verified and placed: its pixels and rectangle, ready for a region texture upload. Once per
        /// tile, except that a tile is raised again when a spot check replaced its pixels.
        /// </summary>
        public event Action<RenderTile>? TileCompleted;
        /// <summary>After every tile: tiles done, cost so far, ETA.</summary>
        public event Action<RenderProgress>? ProgressChanged;
        /// <summary>A whole frame is assembled (frame number, image).</summary>
        public event Action<int, RenderImage>? FrameCompleted;
        /// <summary>The state changed.</summary>
        public event Action<RenderJobState>? StateChanged;
        /// <summary>A warning about the scene or the nodes.</summary>
        public event Action<string>? Warning;

        /// <summary>Uploads the scene (if the service lacks it), submits the job and follows its events.</summary>
        /// <param name="cancellationToken">Cancels the job on the service, as <see cref="CancelAsync"/> does.</param>
        public void Start(CancellationToken cancellationToken = default)
        {
            lock (gate)
            {
                if (started || request == null) throw new InvalidOperationException("the job was started already");
                started = true;
            }
            var context = SynchronizationContext.Current;
            events = new EventDispatcher(context);
            if (cancellationToken.CanBeCanceled) cancellationToken.Register(Cancel);
            _ = Task.Run(async () =>
            {
                try
                {
                    await client.UploadSceneAsync(request.Scene, stop.Token).ConfigureAwait(false);
                    var status = await client.Connection.PostAsync<JobStatus>("v1/jobs", RequestMapping.ToSubmission(request, Id), stop.Token).ConfigureAwait(false);
                    Priority = status.Priority;
                    bool cancelNow;
                    lock (gate)
                    {
                        submitted = true;
                        cancelNow = cancelRequested;
                    }
                    if (cancelNow) _ = CancelQuietlyAsync(); // asked while the job was being submitted
                }
                catch (Exception ex)
                {
                    Fail(ex as RenderServiceException ?? new RenderServiceException(RenderErrorKind.Service, ex.Message, ex));
                    return;
                }
                await new JobFollower(client.Connection, this, 0).RunAsync(stop.Token).ConfigureAwait(false);
            });
        }

        internal void Follow(SynchronizationContext? context, long afterEvent)
        {
            events = new EventDispatcher(context);
            LastEvent = afterEvent;
            _ = Task.Run(() => new JobFollower(client.Connection, this, afterEvent).RunAsync(stop.Token));
        }

        /// <summary>Hands out no more tiles; those in flight finish and are kept (and paid).</summary>
        public Task PauseAsync(CancellationToken cancellationToken = default) => ControlAsync("pause", cancellationToken);

        /// <summary>Continues a paused job.</summary>
        public Task ResumeAsync(CancellationToken cancellationToken = default) => ControlAsync("resume", cancellationToken);

        /// <summary>Stops the job: tiles in flight are called off, delivered tiles are kept and paid, nothing more is.</summary>
        public Task CancelAsync(CancellationToken cancellationToken = default) => ControlAsync("cancel", cancellationToken);

        /// <summary>Changes the job's weight in the fair share (1…100) while it runs.</summary>
        public Task SetPriorityAsync(int priority, CancellationToken cancellationToken = default) =>
            Task.Run(async () =>
            {
                var status = await client.Connection.PutAsync<JobStatus>($"v1/jobs/{Uri.EscapeDataString(Id)}/priority", new PriorityChange { Priority = priority }, cancellationToken).ConfigureAwait(false);
                Priority = status.Priority;
            }, cancellationToken);

        Task ControlAsync(string verb, CancellationToken cancellation) =>
            Task.Run(() => client.Connection.PostAsync<JobStatus>($"v1/jobs/{Uri.EscapeDataString(Id)}/{verb}", null, cancellation), cancellation);

        /// <summary>Asks the service to cancel the job and returns at once (for UI code): <see cref="Completion"/> ends cancelled.</summary>
        public void Cancel()
        {
            lock (gate)
            {
                cancelRequested = true;
                if (!submitted) return; // cancelled as soon as it is submitted
            }
            _ = CancelQuietlyAsync();
        }

        async Task CancelQuietlyAsync()
        {
            try { await CancelAsync().ConfigureAwait(false); }
            catch (RenderServiceException) { } // not submitted yet, or already over: the stream ends the job either way
            stop.CancelAfter(TimeSpan.FromSeconds(30)); // the service's "cancelled" event ends the stream before this
        }

        internal void Raise(Action action) => events!.Post(action);

        internal void OnState(RenderJobState state) => Raise(() =>
        {
            State = state;
            StateChanged?.Invoke(state);
        });

        internal void OnTile(RenderTile tile) => Raise(() => TileCompleted?.Invoke(tile));
        internal void OnProgress(RenderProgress progress) => Raise(() => ProgressChanged?.Invoke(progress));
        internal void OnFrame(int frame, RenderImage image) => Raise(() => FrameCompleted?.Invoke(frame, image));
        internal void OnWarning(string warning) => Raise(() => Warning?.Invoke(warning));

        internal void Complete(RenderResult result)
        {
            State = RenderJobState.Completed;
            completion.TrySetResult(result);
        }

        internal void Cancelled()
        {
            State = RenderJobState.Cancelled;
            completion.TrySetCanceled();
        }

        /// <param name="error">Why.</param>
        /// <param name="announced">Whether the service's stream already raised the failed state.</param>
        internal void Fail(RenderServiceException error, bool announced = false)
        {
            Error = error;
            if (!announced) events?.Post(() => StateChanged?.Invoke(RenderJobState.Failed));
            State = RenderJobState.Failed;
            completion.TrySetException(error);
        }

        static string NewId() => DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N").Substring(0, 8);
    }
}
