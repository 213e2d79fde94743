using RenderNet.Core.Rendering;
using RenderNet.Core.Tiles;

namespace RenderNet.Core.Imaging;

/// <summary>
/// Writes tiles (tile-sized, rows top to bottom: RGBA32F, then each render pass's plane; see
/// <see cref="RenderPassLayout"/>) into a full frame, refusing tiles that fall outside it, have the wrong size or cover
/// pixels already delivered, so a frame is complete exactly when every pixel came once.
/// </summary>
public sealed class FrameAssembler
{
    readonly bool[] covered;
    int coveredCount;

    public FloatImage Frame { get; }
    /// <summary>The frame's render passes, in <see cref="RenderPassLayout.All"/> order (empty without passes).</summary>
    public IReadOnlyList<PassImage> Passes { get; }
    public RenderPasses PassSet { get; }
    public bool IsComplete => coveredCount == Frame.Width * Frame.Height;

    public FrameAssembler(int width, int height, RenderPasses passes = RenderPasses.None)
    {
        Frame = new FloatImage(width, height);
        PassSet = passes;
        Passes = RenderPassLayout.Of(passes).Select(info => new PassImage(info, width, height)).ToList();
        covered = new bool[width * height];
    }

    /// <summary>Floats a tile of <paramref name="tile"/>'s size must carry.</summary>
    public long FloatsFor(TileRect tile) => (long)tile.PixelCount * RenderPassLayout.FloatsPerPixel(PassSet);

    public void Place(TileRect tile, ReadOnlySpan<float> pixels)
    {
        if (tile.X < 0 || tile.Y < 0 || tile.Width <= 0 || tile.Height <= 0 ||
            tile.X + tile.Width > Frame.Width || tile.Y + tile.Height > Frame.Height)
            throw new ArgumentException($"tile {tile} lies outside the {Frame.Width}x{Frame.Height} frame");
        if (pixels.Length != FloatsFor(tile))
            throw new ArgumentException($"tile {tile} needs {FloatsFor(tile)} floats, got {pixels.Length}");
        for (int row = 0; row < tile.Height; row++)
            for (int col = 0; col < tile.Width; col++)
                if (covered[(tile.Y + row) * Frame.Width + tile.X + col])
                    throw new InvalidOperationException($"tile {tile} overlaps pixels already placed (at {tile.X + col},{tile.Y + row})");
        CopyRows(tile, pixels[..(tile.PixelCount * 4)], Frame.Pixels, 4);
        int offset = tile.PixelCount * 4;
        foreach (var pass in Passes)
        {
            int count = tile.PixelCount * pass.Channels;
            CopyRows(tile, pixels.Slice(offset, count), pass.Values, pass.Channels);
            offset += count;
        }
        for (int row = 0; row < tile.Height; row++)
            covered.AsSpan((tile.Y + row) * Frame.Width + tile.X, tile.Width).Fill(true);
        coveredCount += tile.PixelCount;
    }

    void CopyRows(TileRect tile, ReadOnlySpan<float> source, float[] target, int channels)
    {
        for (int row = 0; row < tile.Height; row++)
        {
            int dst = (tile.Y + row) * Frame.Width + tile.X;
            source.Slice(row * tile.Width * channels, tile.Width * channels).CopyTo(target.AsSpan(dst * channels));
        }
    }

    /// <summary>
    /// The placed pixels of a rectangle, laid out as a tile of that size would be (RGBA rows, then each pass's plane):
    /// what a node rendering just that rectangle must deliver, so a spot check can render part of a tile.
    /// </summary>
    public float[] Read(TileRect rect)
    {
        if (rect.X < 0 || rect.Y < 0 || rect.Width <= 0 || rect.Height <= 0 || rect.X + rect.Width > Frame.Width || rect.Y + rect.Height > Frame.Height)
            throw new ArgumentException($"rectangle {rect} lies outside the {Frame.Width}x{Frame.Height} frame");
        for (int row = 0; row < rect.Height; row++)
            if (covered.AsSpan((rect.Y + row) * Frame.Width + rect.X, rect.Width).Contains(false))
                throw new InvalidOperationException($"rectangle {rect} has pixels not placed (row {rect.Y + row})");
        var pixels = new float[FloatsFor(rect)];
        int offset = ReadRows(rect, Frame.Pixels, 4, pixels, 0);
        foreach (var pass in Passes) offset = ReadRows(rect, pass.Values, pass.Channels, pixels, offset);
        return pixels;
    }

    int ReadRows(TileRect rect, float[] source, int channels, float[] target, int offset)
    {
        for (int row = 0; row < rect.Height; row++, offset += rect.Width * channels)
            source.AsSpan(((rect.Y + row) * Frame.Width + rect.X) * channels, rect.Width * channels).CopyTo(target.AsSpan(offset));
        return offset;
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
            foreach (var pass in Passes) pass.Values.AsSpan(dst * pass.Channels, tile.Width * pass.Channels).Clear();
            covered.AsSpan(dst, tile.Width).Clear();
        }
        coveredCount -= tile.PixelCount;
    }
}
