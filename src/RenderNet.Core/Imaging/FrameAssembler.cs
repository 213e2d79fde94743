using RenderNet.Core.Tiles;

namespace RenderNet.Core.Imaging;

/// <summary>
/// Writes tiles (RGBA32F, tile-sized, rows top to bottom) into a full frame, refusing tiles that fall outside it,
/// have the wrong size or cover pixels already delivered, so a frame is complete exactly when every pixel came once.
/// </summary>
public sealed class FrameAssembler
{
    readonly bool[] covered;
    int coveredCount;

    public FloatImage Frame { get; }
    public bool IsComplete => coveredCount == Frame.Width * Frame.Height;

    public FrameAssembler(int width, int height)
    {
        Frame = new FloatImage(width, height);
        covered = new bool[width * height];
    }

    public void Place(TileRect tile, ReadOnlySpan<float> pixels)
    {
        if (tile.X < 0 || tile.Y < 0 || tile.Width <= 0 || tile.Height <= 0 ||
            tile.X + tile.Width > Frame.Width || tile.Y + tile.Height > Frame.Height)
            throw new ArgumentException($"tile {tile} lies outside the {Frame.Width}x{Frame.Height} frame");
        if (pixels.Length != tile.PixelCount * 4)
            throw new ArgumentException($"tile {tile} needs {tile.PixelCount * 4} floats, got {pixels.Length}");
        for (int row = 0; row < tile.Height; row++)
            for (int col = 0; col < tile.Width; col++)
                if (covered[(tile.Y + row) * Frame.Width + tile.X + col])
                    throw new InvalidOperationException($"tile {tile} overlaps pixels already placed (at {tile.X + col},{tile.Y + row})");
        for (int row = 0; row < tile.Height; row++)
        {
            int dst = (tile.Y + row) * Frame.Width + tile.X;
            pixels.Slice(row * tile.Width * 4, tile.Width * 4).CopyTo(Frame.Pixels.AsSpan(dst * 4));
            covered.AsSpan(dst, tile.Width).Fill(true);
        }
        coveredCount += tile.PixelCount;
    }

    /// <summary>Takes a placed tile back out (its pixels turn black) so that it can be placed again, e.g. redone elsewhere.</summary>
    public void Remove(TileRect tile)
    {
        for (int row = 0; row < tile.Height; row++)
            for (int col = 0; col < tile.Width; col++)
                if (!covered[(tile.Y + row) * Frame.Width + tile.X + col])
                    throw new InvalidOperationException($"tile {tile} was not placed (at {tile.X + col},{tile.Y + row})");
        for (int row = 0; row < tile.Height; row++)
        {
            int dst = (tile.Y + row) * Frame.Width + tile.X;
            Frame.Pixels.AsSpan(dst * 4, tile.Width * 4).Clear();
            covered.AsSpan(dst, tile.Width).Clear();
        }
        coveredCount -= tile.PixelCount;
    }
}
