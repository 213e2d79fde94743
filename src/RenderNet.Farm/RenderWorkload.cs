using RenderNet.Core.Imaging;
using RenderNet.Core.Tiles;
using RenderNet.Protocol;

namespace RenderNet.Farm;

/// <summary>Path-traced tiles of one frame: the scene goes to each node once; tiles are journaled, then placed.</summary>
public sealed class RenderWorkload : FarmWorkload
{
    readonly FarmJobSpec spec;
    readonly TileJournal? journal;

    sealed record TileDelivery(TileRequest Request, TileResult Result, float[] Pixels, string Hash, long Samples) : FarmDelivery(Result.RenderSeconds, Result.PixelsZlib.Length)
    {
        // Computed here from the pixels, lower-case, never the node's own string; with the samples taken, which are as
        // deterministic as the pixels, so a spot check also catches a node that claims more work than it did.
        public override string? ContentHash => ResultClaims.TileContent(Hash, (ulong)Samples);

        // The coordinator's own hash of the pixels (checked equal to the node's) and the fingerprint the node claims.
        public override RenderNet.Payments.WorkResult Claim
        {
            get
            {
                var (job, spec, unit, result, pipeline) = ResultClaims.ForTile(Request, ContentHash!, Result.PipelineFingerprint);
                return new RenderNet.Payments.WorkResult(job, spec, unit, result, pipeline);
            }
        }

        public override string Signature => Result.Signature;
    }

    readonly long[] samplesTaken;
    readonly RenderNet.Core.Rendering.RenderPasses passes;

    public RenderWorkload(FarmJobSpec spec, TileJournal? journal)
    {
        spec.Frame.Validate();
        this.spec = spec;
        this.journal = journal;
        Assembler = new FrameAssembler(spec.Frame.Width, spec.Frame.Height, spec.Frame.Passes);
        samplesTaken = new long[spec.Plan.Tiles.Count];
        passes = spec.Frame.Passes;
        long largest = spec.Plan.Tiles.Max(t => (long)t.PixelCount) * 16;
        MaxReplyBytes = (int)Math.Min(int.MaxValue, NodeReported.DeflateBound(largest) + (64 << 10));
    }

    public FrameAssembler Assembler { get; }

    /// <summary>Pixel-samples the tiles delivered in this run took (fewer than spp × pixels with adaptive sampling).</summary>
    public long PixelSamplesTaken
    {
        get { lock (samplesTaken) return samplesTaken.Sum(); }
    }

    public override string JobId => spec.JobId;
    public override string JobKind => "path-trace";
    public override int Count => spec.Plan.Tiles.Count;
    /// <summary>Priced by work (<see cref="WorkUnits"/>), exactly as the node charges it.</summary>
    public override int PriceUnitsOf(int unit) => (int)Math.Min(int.MaxValue, WorkUnits.ForTile(spec.Frame, spec.Plan.Tiles[unit]));
    public override long WorkOf(int unit) => (long)spec.Plan.Tiles[unit].PixelCount * spec.Frame.WorkPerPixel;
    public override TileRect RectOf(int unit) => spec.Plan.Tiles[unit];
    public override string FingerprintOf(Capabilities caps) => caps.PipelineFingerprint;
    /// <summary>Work units are path samples (pixels × spp), or pixels when rasterised: what the node measures of itself.</summary>
    public override double DeclaredRate(Capabilities caps) => spec.Frame.Mode == RenderNet.Core.Rendering.RenderMode.Raster ? caps.RasterPixelsPerSecond : caps.PathSamplesPerSecond;

    public override long PrepareBytes => spec.SceneGlb.Length;

    /// <summary>The largest tile's pixels, compressed as badly as zlib can, plus room for the other fields.</summary>
    public override int MaxReplyBytes { get; }

    public override async Task<string?> PrepareAsync(INodeConnection node, Capabilities caps, DateTime deadline, CancellationToken cancellation)
    {
        if ((ulong)spec.SceneGlb.Length > caps.MaxSceneBytes)
            return $"the scene ({spec.SceneGlb.Length:N0} bytes) exceeds its limit of {caps.MaxSceneBytes:N0} bytes";
        try
        {
            await node.EnsureSceneAsync(spec.SceneSha256, spec.SceneGlb, deadline, cancellation, spec.SceneSources.Select(t => SceneSources.Resolve(t, spec.SceneSha256)).ToList());
            return null;
        }
        catch (Grpc.Core.RpcException ex) when (!cancellation.IsCancellationRequested)
        {
            return $"scene upload failed: {ex.Status.Detail}";
        }
    }

    public override async Task<FarmDelivery> RunAsync(INodeConnection node, int unit, string paymentChannel, DateTime deadline, CancellationToken cancellation)
    {
        var request = RequestFor(unit, paymentChannel);
        return Checked(request, await node.RenderTileAsync(request, deadline, cancellation));
    }

    public override int MaxBatch(Capabilities caps) => NodeReported.BatchTiles(caps.MaxTilesPerBatch);

    public override async IAsyncEnumerable<FarmDelivery> RunBatchAsync(INodeConnection node, IReadOnlyList<int> units, string paymentChannel, DateTime deadline,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        var batch = new TileBatch();
        batch.Tiles.AddRange(units.Select(u => RequestFor(u, paymentChannel)));
        int next = 0;
        await foreach (var result in node.RenderTilesAsync(batch, deadline, cancellation))
            yield return Checked(batch.Tiles[next++], result);
    }

    public override bool ChecksByPart => true;
    public override int PriceUnitsOf(int unit, TileRect part) => (int)Math.Min(int.MaxValue, WorkUnits.ForTile(spec.Frame, part));
    public override long WorkOf(int unit, TileRect part) => (long)part.PixelCount * spec.Frame.WorkPerPixel;

    public override async Task<FarmDelivery> RunPartAsync(INodeConnection node, int unit, TileRect part, string paymentChannel, DateTime deadline, CancellationToken cancellation)
    {
        var request = RequestFor(unit, paymentChannel, part);
        return Checked(request, await node.RenderTileAsync(request, deadline, cancellation));
    }

    /// <summary>The pixels' hash alone: a part's samples cannot be told from the tile's total, and its pixels depend on them.</summary>
    public override string? ContentOf(FarmDelivery delivery, TileRect part)
    {
        var tile = (TileDelivery)delivery;
        var rect = RectOfRequest(tile.Request);
        return rect == part ? tile.Hash : TilePixels.Sha256(RenderNet.Core.Imaging.TileCrop.Crop(tile.Pixels, rect, part, passes));
    }

    public override string? AcceptedContentOf(int unit, TileRect part)
    {
        try { return TilePixels.Sha256(Assembler.Read(part)); }
        catch (InvalidOperationException) { return null; } // taken out to be replaced meanwhile
    }

    static TileRect RectOfRequest(TileRequest request) => new((int)request.X, (int)request.Y, (int)request.Width, (int)request.Height);

    TileRequest RequestFor(int unit, string paymentChannel, TileRect? part = null)
    {
        var request = FrameMessages.ToRequest(spec.SceneSha256, spec.Frame, part ?? spec.Plan.Tiles[unit], spec.JobId, unit);
        request.PaymentChannel = paymentChannel;
        return request;
    }

    /// <summary>A node's result for a tile (or the part of one asked for), checked: bounded, the samples it claims, pixels that decode to its size.</summary>
    TileDelivery Checked(TileRequest request, TileResult result)
    {
        var rect = RectOfRequest(request);
        NodeReported.Seconds(result.RenderSeconds, $"tile {rect}");
        if (result.PixelsZlib.Length > NodeReported.DeflateBound((long)rect.PixelCount * spec.Frame.FloatsPerPixel * 4))
            throw new InvalidDataException($"tile {rect}: {result.PixelsZlib.Length:N0} compressed bytes, more than its pixels can take");
        long samples = TileSamples.Check(spec.Frame, rect, result.PixelSamples);
        var pixels = TilePixels.Decode(result, rect, spec.Frame.FloatsPerPixel);
        // The journal keeps pixels as this coordinator compresses them, never bytes the node chose.
        if (journal is not null) result.PixelsZlib = TilePixels.Compress(pixels);
        return new TileDelivery(request, result, pixels, TilePixels.Sha256(pixels), samples);
    }

    public override void Accept(int unit, string node, FarmDelivery delivery)
    {
        var tile = (TileDelivery)delivery;
        journal?.SaveTile(unit, node, tile.Result);
        Assembler.Place(spec.Plan.Tiles[unit], tile.Pixels);
        lock (samplesTaken) samplesTaken[unit] = tile.Samples;
    }

    public override void Retract(int unit)
    {
        Assembler.Remove(spec.Plan.Tiles[unit]);
        lock (samplesTaken) samplesTaken[unit] = 0;
    }

    public override IEnumerable<(int Unit, string Node, long Bytes)> Restore()
    {
        if (journal is null) yield break;
        foreach (var (index, (pixels, node)) in journal.DeliveredTiles())
        {
            Assembler.Place(spec.Plan.Tiles[index], pixels);
            yield return (index, node, pixels.Length * 4L);
        }
    }
}
