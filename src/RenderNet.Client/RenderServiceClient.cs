using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using RenderNet.Client.Wire;

namespace RenderNet.Client
{
    /// <summary>
    /// The engine's handle on a RenderNet coordinator service (`rendernet serve`): validate and estimate requests,
    /// create jobs with a priority and follow them tile by tile, or attach to a job another client started. The service
    /// owns the wallet, the nodes and the job store; this client holds only the service's address and token. Dispose it
    /// when done (a local service started by <see cref="StartLocalAsync"/> is stopped with it).
    /// </summary>
    public sealed class RenderServiceClient : IDisposable
    {
        readonly LocalService? local;

        RenderServiceClient(ServiceConnection connection, LocalService? local)
        {
            Connection = connection;
            this.local = local;
        }

        internal ServiceConnection Connection { get; }

        /// <summary>The service's address.</summary>
        public Uri ServiceAddress => Connection.BaseAddress;

        /// <summary>Connects to a running service and checks the token (one call).</summary>
        /// <param name="serviceAddress">e.g. http://127.0.0.1:7878/</param>
        /// <param name="token">The bearer token `rendernet serve token` prints.</param>
        /// <param name="cancellationToken">Cancels the check.</param>
        /// <exception cref="RenderServiceException">Unreachable, or the token is refused.</exception>
        public static Task<RenderServiceClient> ConnectAsync(Uri serviceAddress, string token, CancellationToken cancellationToken = default)
        {
            if (serviceAddress == null) throw new ArgumentNullException(nameof(serviceAddress));
            if (string.IsNullOrWhiteSpace(token)) throw new ArgumentException("the service token is empty: `rendernet serve token` prints it");
            return Task.Run(async () =>
            {
                var connection = new ServiceConnection(serviceAddress, token.Trim(), TimeSpan.FromSeconds(60));
                try
                {
                    await connection.GetAsync<ServiceInfo>("v1/service", cancellationToken).ConfigureAwait(false);
                    return new RenderServiceClient(connection, null);
                }
                catch
                {
                    connection.Dispose();
                    throw;
                }
            }, cancellationToken);
        }

        /// <summary>
        /// Starts a RenderNet service on this machine — with local render nodes and, when paid, a local chain, all child
        /// processes — and connects to it. For trying RenderNet out, tools and tests; stopped on dispose.
        /// </summary>
        /// <exception cref="RenderServiceException">The service could not be started (the message says why).</exception>
        public static Task<RenderServiceClient> StartLocalAsync(LocalServiceOptions? options = null, CancellationToken cancellationToken = default)
        {
            options ??= new LocalServiceOptions();
            var chosen = options;
            return Task.Run(async () =>
            {
                var service = await LocalService.StartAsync(chosen, cancellationToken).ConfigureAwait(false);
                try
                {
                    var connection = new ServiceConnection(service.Address, service.Token, TimeSpan.FromSeconds(60));
                    return new RenderServiceClient(connection, service);
                }
                catch
                {
                    service.Dispose();
                    throw;
                }
            }, cancellationToken);
        }

        /// <summary>
        /// Copies a file a finished job produced (one of <see cref="RenderResult.Outputs"/>, e.g. a frame's EXR with its
        /// render passes) into <paramref name="destination"/>.
        /// </summary>
        /// <exception cref="RenderServiceException">The job or the file is not on the service (<see cref="RenderErrorKind.JobNotFound"/>).</exception>
        public Task DownloadOutputAsync(string jobId, string file, Stream destination, CancellationToken cancellationToken = default)
        {
            if (jobId == null) throw new ArgumentNullException(nameof(jobId));
            if (file == null) throw new ArgumentNullException(nameof(file));
            if (destination == null) throw new ArgumentNullException(nameof(destination));
            return Task.Run(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/jobs/{Uri.EscapeDataString(jobId)}/outputs/{string.Join("/", file.Split('/').Select(Uri.EscapeDataString))}");
                using var response = await Connection.SendRawAsync(request, cancellationToken).ConfigureAwait(false);
                await response.Content.CopyToAsync(destination).ConfigureAwait(false);
            }, cancellationToken);
        }

        /// <summary>The service's payer address (null when it pays nobody), its node count, budget and spending.</summary>
        public Task<ServiceInfo> GetServiceInfoAsync(CancellationToken cancellationToken = default) =>
            Task.Run(() => Connection.GetAsync<ServiceInfo>("v1/service", cancellationToken), cancellationToken);

        /// <summary>Every node the service knows, with its health.</summary>
        public Task<IReadOnlyList<RenderNodeInfo>> GetNodesAsync(CancellationToken cancellationToken = default) =>
            Task.Run(async () =>
            {
                var nodes = await Connection.GetAsync<List<NodeLine>>("v1/nodes", cancellationToken).ConfigureAwait(false);
                return (IReadOnlyList<RenderNodeInfo>)nodes.Select(Describe).ToList();
            }, cancellationToken);

        /// <summary>The service's jobs, newest first (every client's, not only this one's).</summary>
        public Task<IReadOnlyList<JobStatus>> GetJobsAsync(CancellationToken cancellationToken = default) =>
            Task.Run(async () => (IReadOnlyList<JobStatus>)await Connection.GetAsync<List<JobStatus>>("v1/jobs", cancellationToken).ConfigureAwait(false), cancellationToken);

        /// <summary>
        /// Checks a request without spending anything: the scene and settings, which nodes can take it, the expected
        /// cost and time. Never throws for a bad request: it lists the problems.
        /// </summary>
        public Task<RenderEstimate> ValidateAsync(RenderRequest request, CancellationToken cancellationToken = default) =>
            Task.Run(async () =>
            {
                await UploadSceneAsync(request.Scene, cancellationToken).ConfigureAwait(false);
                var reply = await Connection.PostAsync<EstimateReply>("v1/estimates", RequestMapping.ToSubmission(request, null), cancellationToken).ConfigureAwait(false);
                return new RenderEstimate(
                    reply.Problems.Select(p => new RenderProblem(p.Severity == "warning" ? ProblemSeverity.Warning : ProblemSeverity.Error, p.Message)).ToList(),
                    reply.TilesPerFrame, reply.Frames, reply.CompatibleNodes.Select(Describe).ToList(),
                    ServiceJson.Tokens(reply.EstimatedCost), ServiceJson.Tokens(reply.MaximumCost),
                    reply.EstimatedSeconds is double s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null,
                    reply.FastestSeconds is double f ? TimeSpan.FromSeconds(f) : (TimeSpan?)null);
            }, cancellationToken);

        /// <summary>A job for the request, not submitted yet: subscribe to its events, then call <see cref="RenderJob.Start"/>.</summary>
        public RenderJob CreateJob(RenderRequest request)
        {
            if (request == null) throw new ArgumentNullException(nameof(request));
            return new RenderJob(this, request);
        }

        /// <summary>Renders a request to the end: create, start and await a job in one call.</summary>
        public Task<RenderResult> RenderAsync(RenderRequest request, IProgress<RenderProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            var job = CreateJob(request);
            if (progress != null) job.ProgressChanged += progress.Report;
            job.Start(cancellationToken);
            return job.Completion;
        }

        /// <summary>
        /// Follows a job that already exists on the service (started by any client, or before a restart): its events
        /// from <paramref name="afterEvent"/> on (0: from the start, every tile again), then its result.
        /// </summary>
        /// <exception cref="RenderServiceException">The service does not know the job (<see cref="RenderErrorKind.JobNotFound"/>).</exception>
        public Task<RenderJob> AttachAsync(string jobId, PixelFormat format = PixelFormat.Rgba8Srgb, long afterEvent = 0, CancellationToken cancellationToken = default)
        {
            var context = SynchronizationContext.Current;
            return Task.Run(async () =>
            {
                var status = await Connection.GetAsync<JobStatus>("v1/jobs/" + Uri.EscapeDataString(jobId), cancellationToken).ConfigureAwait(false);
                var job = new RenderJob(this, status, format);
                job.Follow(context, afterEvent);
                return job;
            }, cancellationToken);
        }

        internal async Task UploadSceneAsync(RenderScene scene, CancellationToken cancellation)
        {
            string path = "v1/scenes/" + scene.Sha256;
            using (var head = new HttpRequestMessage(HttpMethod.Head, path))
            {
                try
                {
                    using var known = await Connection.SendRawAsync(head, cancellation).ConfigureAwait(false);
                    return; // the service has it: content-addressed, sent once
                }
                catch (RenderServiceException ex) when (ex.Kind == RenderErrorKind.JobNotFound)
                {
                    // 404: upload it
                }
            }
            using var put = new HttpRequestMessage(HttpMethod.Put, path) { Content = new ByteArrayContent(scene.Glb) };
            put.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("model/gltf-binary");
            using var stored = await Connection.SendRawAsync(put, cancellation).ConfigureAwait(false);
        }

        static RenderNodeInfo Describe(NodeLine n) =>
            new RenderNodeInfo(n.Id, n.Address, n.Device, ServiceJson.Tokens(n.Price), n.SamplesPerSecond, n.Healthy, n.Problem);

        /// <summary>Closes the connection; stops the local service (and its nodes and chain) if this client started it.</summary>
        public void Dispose()
        {
            Connection.Dispose();
            local?.Dispose();
        }
    }
}
