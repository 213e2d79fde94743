namespace RenderNet.Plugin;

/// <summary>The life of a <see cref="RenderJob"/>.</summary>
public enum RenderJobState
{
    /// <summary>Waiting for the farm (one job renders at a time per farm).</summary>
    Queued,
    /// <summary>Tiles are being rendered.</summary>
    Running,
    /// <summary>No new tiles are handed out; tiles in flight finish and are kept.</summary>
    Paused,
    /// <summary>Cancellation was requested; tiles in flight are being called off.</summary>
    Cancelling,
    /// <summary>Stopped by cancellation; only delivered tiles were paid.</summary>
    Cancelled,
    /// <summary>Every tile of every frame was delivered.</summary>
    Completed,
    /// <summary>Stopped by an error (see <see cref="RenderJob.Error"/>), the budget included.</summary>
    Failed,
}

/// <summary>One tile delivered, verified and placed: ready for a region texture upload.</summary>
/// <param name="Frame">Frame number (0 for a still).</param>
/// <param name="Image">The tile's pixels and rectangle in final-image coordinates (origin top-left).</param>
/// <param name="Node">The id of the node that rendered it.</param>
/// <param name="FrameWidth">Width of the whole frame.</param>
/// <param name="FrameHeight">Height of the whole frame.</param>
public sealed record RenderTile(int Frame, RenderImage Image, string Node, int FrameWidth, int FrameHeight);

/// <summary>Where a job stands.</summary>
/// <param name="TilesDone">Tiles delivered, over all frames.</param>
/// <param name="TilesTotal">Tiles of the whole job.</param>
/// <param name="Cost">Tokens spent so far.</param>
/// <param name="Elapsed">Time since the job started running.</param>
/// <param name="Eta">Expected time left, from the speed so far; null before the first tile.</param>
public sealed record RenderProgress(int TilesDone, int TilesTotal, decimal Cost, TimeSpan Elapsed, TimeSpan? Eta)
{
    /// <summary>Fraction done, 0…1.</summary>
    public double Fraction => TilesTotal == 0 ? 1 : (double)TilesDone / TilesTotal;
}

/// <summary>What one node did for a job and was paid.</summary>
/// <param name="Node">Its id.</param>
/// <param name="Address">host:port.</param>
/// <param name="Tiles">Tiles it delivered.</param>
/// <param name="Paid">Tokens paid for them and for its spot checks.</param>
/// <param name="SpotChecks">Other nodes' tiles it rendered again to check them (paid like tiles).</param>
/// <param name="Duplicates">Valid copies of slow tiles it rendered that another node delivered first (paid like tiles: it did the work).</param>
public sealed record NodeReceipt(string Node, string Address, int Tiles, decimal Paid, int SpotChecks = 0, int Duplicates = 0);

/// <summary>A finished job: its frames (assembled, in the request's pixel format) and its receipt.</summary>
public sealed record RenderResult
{
    /// <summary>One image per frame, whole-frame (X = Y = 0).</summary>
    public required IReadOnlyList<RenderImage> Frames { get; init; }
    /// <summary>Per node: tiles and tokens.</summary>
    public required IReadOnlyList<NodeReceipt> Receipt { get; init; }
    /// <summary>Tokens spent in all.</summary>
    public decimal Cost => Receipt.Sum(r => r.Paid);
    /// <summary>Tiles delivered.</summary>
    public int TilesDelivered { get; init; }
    /// <summary>Tiles the job asked for.</summary>
    public int TilesTotal { get; init; }
    /// <summary>Wall time of the job.</summary>
    public TimeSpan Duration { get; init; }
    /// <summary>Warnings about the scene or the nodes.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
