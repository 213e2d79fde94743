using Grpc.Core;
using RenderNet.Farm;
using RenderNet.Protocol;

namespace RenderNet.Bench.Scale;

/// <summary>
/// One simulated render node: a speed (work units per second), a round-trip time, an upload bandwidth, and a life span
/// (churn). A tile takes one round trip, its work at the node's speed, and its result's bytes over the node's uplink, on
/// the simulated clock; a batch of tiles takes one round trip in all. A node that leaves drops every call in flight (Unavailable, as a vanished host's connection does)
/// and refuses every later one.
/// </summary>
sealed class SimulatedNode(string address, double workPerSecond, TimeSpan roundTrip, double uploadBytesPerSecond, SimulatedTime time) : INodeConnection
{
    readonly CancellationTokenSource gone = new();

    public string Address { get; } = address;
    public double WorkPerSecond { get; } = workPerSecond;
    public TimeSpan RoundTrip { get; } = roundTrip;
    public double UploadBytesPerSecond { get; } = uploadBytesPerSecond;
    /// <summary>What the node says of its speed, as a real node's warm-tile measurement would: within ±25 % of the truth.</summary>
    public double DeclaredSpeed { get; init; } = workPerSecond;
    public bool Left => gone.IsCancellationRequested;
    /// <summary>Work units this node finished (including those the farm discarded or that were lost when it left).</summary>
    public long WorkDone;

    public void Leave() => gone.Cancel();

    Exception Unreachable => new RpcException(new Status(StatusCode.Unavailable, $"node {Address} left the network"));

    public Task<Capabilities> GetCapabilitiesAsync(TimeSpan timeout, CancellationToken cancellation, bool calibrate = false) =>
        Left ? Task.FromException<Capabilities>(Unreachable) : Task.FromResult(new Capabilities
        {
            ProtocolVersion = ProtocolVersion.Current, PipelineFingerprint = SimulatedWorkload.Fingerprint, MaxConcurrentTiles = 1, MaxTilesPerBatch = TileBatches.MaxTiles,
            JobKinds = { SimulatedWorkload.Kind }, DeviceName = $"simulated {WorkPerSecond:0.#} work/s", PathSamplesPerSecond = DeclaredSpeed,
        });

    /// <summary>Renders a tile: one round trip, the work, the upload of <paramref name="resultBytes"/>.</summary>
    public Task<TileResult> RenderAsync(TileRequest request, long work, long resultBytes, CancellationToken cancellation) =>
        RenderAsync(request, work, resultBytes, RoundTrip, cancellation);

    /// <summary>Renders a batch: one round trip, then each tile's work and upload in turn, each result as it is done.</summary>
    public async IAsyncEnumerable<TileResult> RenderBatchAsync(IReadOnlyList<TileRequest> requests, long work, long resultBytes,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        for (int i = 0; i < requests.Count; i++)
            yield return await RenderAsync(requests[i], work, resultBytes, i == 0 ? RoundTrip : TimeSpan.Zero, cancellation);
    }

    async Task<TileResult> RenderAsync(TileRequest request, long work, long resultBytes, TimeSpan roundTrip, CancellationToken cancellation)
    {
        if (Left) throw Unreachable;
        var seconds = roundTrip.TotalSeconds + work / WorkPerSecond + resultBytes / UploadBytesPerSecond;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellation, gone.Token);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds), time, either.Token);
        }
        catch (OperationCanceledException) when (Left && !cancellation.IsCancellationRequested)
        {
            throw Unreachable;
        }
        catch (OperationCanceledException)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "cancelled by the coordinator"));
        }
        Interlocked.Add(ref WorkDone, work);
        return new TileResult
        {
            Width = request.Width, Height = request.Height, RenderSeconds = work / WorkPerSecond, PipelineFingerprint = SimulatedWorkload.Fingerprint,
            PixelsSha256 = SimulatedWorkload.ContentOf(request),
        };
    }

    static Exception NotSimulated => new RpcException(new Status(StatusCode.Unimplemented, "not simulated"));
    public Task OpenSessionAsync(System.Numerics.BigInteger channel, string expectedNode, Func<RenderNet.Payments.WorkSession, string> sign, TimeSpan lifetime,
        CancellationToken cancellation) => Task.CompletedTask;
    public Task<HealthReply> HealthAsync(TimeSpan timeout, CancellationToken cancellation) => Left ? Task.FromException<HealthReply>(Unreachable) : Task.FromResult(new HealthReply());
    public Task<bool> EnsureSceneAsync(string sha256, ReadOnlyMemory<byte> glb, DateTime deadline, CancellationToken cancellation, IReadOnlyList<string>? sources = null) =>
        Task.FromResult(false);
    public Task<TileResult> RenderTileAsync(TileRequest request, DateTime deadline, CancellationToken cancellation) => throw NotSimulated;
    public AsyncDuplexStreamingCall<SegmentUpload, SegmentOutput> TranscodeSegment(DateTime deadline, CancellationToken cancellation) => throw NotSimulated;
    public Task<VoucherReceipt> SubmitVoucherAsync(RenderNet.Payments.Voucher voucher, CancellationToken cancellation) => throw NotSimulated;
    public Task<RedeemReply> RedeemAsync(System.Numerics.BigInteger channel, CancellationToken cancellation) => throw NotSimulated;
    public void Dispose() { } // a job's end does not end the node: the fleet owns it
}
