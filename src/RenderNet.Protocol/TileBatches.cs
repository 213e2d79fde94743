namespace RenderNet.Protocol;

/// <summary>Bounds of a <c>RenderTiles</c> call (<see cref="TileBatch"/>), the same for node and coordinator.</summary>
public static class TileBatches
{
    /// <summary>
    /// The most tiles one batch carries: enough that a fast node pays a round trip per sixteen tiles, few enough that a
    /// batch cut short (the node vanished, a deadline passed) costs little to hand out again.
    /// </summary>
    public const int MaxTiles = 16;
}
