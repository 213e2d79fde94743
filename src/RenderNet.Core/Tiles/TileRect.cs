namespace RenderNet.Core.Tiles;

/// <summary>A rectangle of pixels in full-frame coordinates (origin top-left, y down).</summary>
public readonly record struct TileRect(int X, int Y, int Width, int Height)
{
    public int PixelCount => Width * Height;
    public override string ToString() => $"{Width}x{Height}@{X},{Y}";
}
