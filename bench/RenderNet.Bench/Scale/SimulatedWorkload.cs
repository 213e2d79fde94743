using RenderNet.Core.Tiles;
using RenderNet.Farm;
using RenderNet.Protocol;

namespace RenderNet.Bench.Scale;

/// <summary>
/// One simulated job: a frame of <paramref name="tiles"/> equal tiles of <paramref name="workPerTile"/> work units and
/// <paramref name="bytesPerTile"/> of result each, run on <see cref="SimulatedNode"/>s. It checks and keeps what the
/// farm accepts as a frame assembler would (which tile, from whom, first time only), without pixels.
/// </summary>
sealed class SimulatedWorkload(string jobId, int tiles, long workPerTile, long bytesPerTile) : FarmWorkload
{
    public const string Kind = "simulated";
    public const string Fingerprint = "simulated-pipeline";
    readonly string?[] accepted = new string?[tiles];
    int acceptedCount;

    public override string JobId => jobId;
    public override string JobKind => Kind;
    public override int Count => tiles;
    public override long WorkOf(int unit) => workPerTile;
    public override string FingerprintOf(Capabilities caps) => caps.PipelineFingerprint;
    public override double DeclaredRate(Capabilities caps) => caps.PathSamplesPerSecond;
    public override int MaxReplyBytes => 1 << 20;
    public long TotalWork => workPerTile * tiles;
    public int Accepted => Volatile.Read(ref acceptedCount);

    /// <summary>Every tile's rectangle: 256x256 (a part of one is a spot check's).</summary>
    static readonly TileRect Whole = new(0, 0, 256, 256);

    /// <summary>What every honest node delivers for a tile, or a part of one (the simulated pipeline is deterministic).</summary>
    public static string ContentOf(string job, uint tile, TileRect rect) => $"{job}/{tile}@{rect}";

    public static string ContentOf(TileRequest request) =>
        ContentOf(request.JobId, request.TileIndex, new TileRect((int)request.X, (int)request.Y, (int)request.Width, (int)request.Height));

    public override TileRect RectOf(int unit) => Whole;
    public override bool ChecksByPart => true;
    public override int PriceUnitsOf(int unit, TileRect part) => 1;

    public override async Task<FarmDelivery> RunPartAsync(INodeConnection node, int unit, TileRect part, string paymentChannel, DateTime deadline, CancellationToken cancellation)
    {
        double share = (double)part.PixelCount / Whole.PixelCount;
        var request = RequestFor(unit, paymentChannel, part);
        return Checked(request, await ((SimulatedNode)node).RenderAsync(request, WorkOf(unit, part), (long)(bytesPerTile * share), cancellation));
    }

    public override string? ContentOf(FarmDelivery delivery, TileRect part) => ContentOf(jobId, ((Delivery)delivery).Tile, part);
    public override string? AcceptedContentOf(int unit, TileRect part) => accepted[unit] is null ? null : ContentOf(jobId, (uint)unit, part);

    public override async Task<FarmDelivery> RunAsync(INodeConnection node, int unit, string paymentChannel, DateTime deadline, CancellationToken cancellation) =>
        Checked(RequestFor(unit, paymentChannel), await ((SimulatedNode)node).RenderAsync(RequestFor(unit, paymentChannel), workPerTile, bytesPerTile, cancellation));

    public override int MaxBatch(Capabilities caps) => NodeReported.BatchTiles(caps.MaxTilesPerBatch);

    public override async IAsyncEnumerable<FarmDelivery> RunBatchAsync(INodeConnection node, IReadOnlyList<int> units, string paymentChannel, DateTime deadline,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        int next = 0;
        var requests = units.Select(u => RequestFor(u, paymentChannel)).ToList();
        await foreach (var result in ((SimulatedNode)node).RenderBatchAsync(requests, workPerTile, bytesPerTile, cancellation))
            yield return Checked(requests[next++], result);
    }

    TileRequest RequestFor(int unit, string paymentChannel, TileRect? part = null)
    {
        var rect = part ?? Whole;
        return new()
        {
            ProtocolVersion = ProtocolVersion.Current, JobId = jobId, TileIndex = (uint)unit, X = (uint)rect.X, Y = (uint)rect.Y, Width = (uint)rect.Width, Height = (uint)rect.Height,
            PaymentChannel = paymentChannel,
        };
    }

    Delivery Checked(TileRequest request, TileResult result) =>
        result.PixelsSha256 == ContentOf(request) ? new Delivery(result.RenderSeconds, bytesPerTile, result.PixelsSha256, request.TileIndex)
            : throw new InvalidDataException($"tile {request.TileIndex}: unexpected content");

    public override void Accept(int unit, string node, FarmDelivery delivery)
    {
        if (Interlocked.CompareExchange(ref accepted[unit], node, null) is not null) throw new InvalidOperationException($"tile {unit} accepted twice");
        Interlocked.Increment(ref acceptedCount);
    }

    public override void Retract(int unit)
    {
        if (Interlocked.Exchange(ref accepted[unit], null) is not null) Interlocked.Decrement(ref acceptedCount);
    }

    sealed record Delivery(double Seconds, long Size, string Content, uint Tile) : FarmDelivery(Seconds, Size)
    {
        public override string? ContentHash => Content;
    }
}
