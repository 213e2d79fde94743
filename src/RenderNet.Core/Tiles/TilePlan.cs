namespace RenderNet.Core.Tiles;

/// <summary>
/// Splits a W×H frame into tiles of at most TileWidth×TileHeight, row by row from the top-left; the last column and
/// row are ragged when the sizes do not divide. Every pixel belongs to exactly one tile.
/// </summary>
public sealed class TilePlan
{
    public int FrameWidth { get; }
    public int FrameHeight { get; }
    public int TileWidth { get; }
    public int TileHeight { get; }
    public IReadOnlyList<TileRect> Tiles { get; }

    public TilePlan(int frameWidth, int frameHeight, int tileWidth, int tileHeight)
    {
        if (frameWidth <= 0 || frameHeight <= 0) throw new ArgumentOutOfRangeException(nameof(frameWidth), $"frame size {frameWidth}x{frameHeight} must be positive");
        if (tileWidth <= 0 || tileHeight <= 0) throw new ArgumentOutOfRangeException(nameof(tileWidth), $"tile size {tileWidth}x{tileHeight} must be positive");
        FrameWidth = frameWidth;
        FrameHeight = frameHeight;
        TileWidth = Math.Min(tileWidth, frameWidth);
        TileHeight = Math.Min(tileHeight, frameHeight);
        var tiles = new List<TileRect>();
        for (int y = 0; y < frameHeight; y += TileHeight)
            for (int x = 0; x < frameWidth; x += TileWidth)
                tiles.Add(new TileRect(x, y, Math.Min(TileWidth, frameWidth - x), Math.Min(TileHeight, frameHeight - y)));
        Tiles = tiles;
    }

    public TilePlan(int frameWidth, int frameHeight, int tileSize) : this(frameWidth, frameHeight, tileSize, tileSize) { }
}
