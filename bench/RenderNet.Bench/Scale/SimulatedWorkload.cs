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

    /// <summary>What every honest node delivers for a tile (the simulated pipeline is deterministic).</summary>
    public static string ContentOf(string job, uint tile) => $"{job}/{tile}";

    public override async Task<FarmDelivery> RunAsync(INodeConnection node, int unit, string paymentChannel, DateTime deadline, CancellationToken cancellation) =>
        Checked(unit, await ((SimulatedNode)node).RenderAsync(RequestFor(unit, paymentChannel), workPerTile, bytesPerTile, cancellation));

    public override int MaxBatch(Capabilities caps) => NodeReported.BatchTiles(caps.MaxTilesPerBatch);

    public override async IAsyncEnumerable<FarmDelivery> RunBatchAsync(INodeConnection node, IReadOnlyList<int> units, string paymentChannel, DateTime deadline,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        int next = 0;
        await foreach (var result in ((SimulatedNode)node).RenderBatchAsync(units.Select(u => RequestFor(u, paymentChannel)).ToList(), workPerTile, bytesPerTile, cancellation))
            yield return Checked(units[next++], result);
    }

    TileRequest RequestFor(int unit, string paymentChannel) =>
        new() { ProtocolVersion = ProtocolVersion.Current, JobId = jobId, TileIndex = (uint)unit, Width = 256, Height = 256, PaymentChannel = paymentChannel };

    Delivery Checked(int unit, TileResult result) =>
        result.PixelsSha256 == ContentOf(jobId, (uint)unit) ? new Delivery(result.RenderSeconds, bytesPerTile, result.PixelsSha256) : throw new InvalidDataException($"tile {unit}: unexpected content");

    public override void Accept(int unit, string node, FarmDelivery delivery)
    {
        if (Interlocked.CompareExchange(ref accepted[unit], node, null) is not null) throw new InvalidOperationException($"tile {unit} accepted twice");
        Interlocked.Increment(ref acceptedCount);
    }

    public override void Retract(int unit)
    {
        if (Interlocked.Exchange(ref accepted[unit], null) is not null) Interlocked.Decrement(ref acceptedCount);
    }

    sealed record Delivery(double Seconds, long Size, string Content) : FarmDelivery(Seconds, Size)
    {
        public override string? ContentHash => Content;
    }
}
