using RenderNet.Core.Imaging;
using RenderNet.Core.Tiles;
using RenderNet.Protocol;

namespace RenderNet.Farm;

/// <summary>Path-traced tiles of one frame: the scene goes to each node once; tiles are journaled, then placed.</summary>
public sealed class RenderWorkload : FarmWorkload
{
    readonly FarmJobSpec spec;
    readonly TileJournal? journal;

    sealed record TileDelivery(TileResult Result, float[] Pixels) : FarmDelivery(Result.RenderSeconds, Result.PixelsZlib.Length)
    {
        public override string? ContentHash => Result.PixelsSha256; // checked against the pixels when it arrived
    }

    public RenderWorkload(FarmJobSpec spec, TileJournal? journal)
    {
        spec.Frame.Validate();
        this.spec = spec;
        this.journal = journal;
        Assembler = new FrameAssembler(spec.Frame.Width, spec.Frame.Height);
    }

    public FrameAssembler Assembler { get; }
    public override string JobId => spec.JobId;
    public override string JobKind => "path-trace";
    public override int Count => spec.Plan.Tiles.Count;
    public override long WorkOf(int unit) => (long)spec.Plan.Tiles[unit].PixelCount * spec.Frame.WorkPerPixel;
    public override TileRect RectOf(int unit) => spec.Plan.Tiles[unit];
    public override string FingerprintOf(Capabilities caps) => caps.PipelineFingerprint;

    public override async Task<string?> PrepareAsync(NodeClient node, Capabilities caps, CancellationToken cancellation)
    {
        if ((ulong)spec.SceneGlb.Length > caps.MaxSceneBytes)
            return $"the scene ({spec.SceneGlb.Length:N0} bytes) exceeds its limit of {caps.MaxSceneBytes:N0} bytes";
        try
        {
            await node.EnsureSceneAsync(spec.SceneSha256, spec.SceneGlb, cancellation);
            return null;
        }
        catch (Grpc.Core.RpcException ex) when (!cancellation.IsCancellationRequested)
        {
            return $"scene upload failed: {ex.Status.Detail}";
        }
    }

    public override async Task<FarmDelivery> RunAsync(NodeClient node, int unit, string paymentChannel, DateTime deadline, CancellationToken cancellation)
    {
        var rect = spec.Plan.Tiles[unit];
        var request = FrameMessages.ToRequest(spec.SceneSha256, spec.Frame, rect, spec.JobId, unit);
        request.PaymentChannel = paymentChannel;
        var result = await node.RenderTileAsync(request, deadline, cancellation);
        return new TileDelivery(result, TilePixels.Decode(result, rect));
    }

    public override void Accept(int unit, string node, FarmDelivery delivery)
    {
        var tile = (TileDelivery)delivery;
        journal?.SaveTile(unit, node, tile.Result);
        Assembler.Place(spec.Plan.Tiles[unit], tile.Pixels);
    }

    public override void Retract(int unit) => Assembler.Remove(spec.Plan.Tiles[unit]);

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
