using RenderNet.Core.Rendering;
using RenderNet.Core.Tiles;

namespace RenderNet.Core.Imaging;

/// <summary>
/// Cuts a rectangle out of one tile's pixels, laid out as <see cref="FrameAssembler"/> takes them (RGBA rows, then each
/// render pass's plane): the pixels a node rendering just that rectangle delivers, since any rectangle renders exactly.
/// </summary>
public static class TileCrop
{
    public static float[] Crop(ReadOnlySpan<float> pixels, TileRect tile, TileRect part, RenderPasses passes)
    {
        if (part.Width <= 0 || part.Height <= 0 || part.X < tile.X || part.Y < tile.Y || part.X + part.Width > tile.X + tile.Width || part.Y + part.Height > tile.Y + tile.Height)
            throw new ArgumentException($"rectangle {part} does not lie within tile {tile}");
        int floatsPerPixel = RenderPassLayout.FloatsPerPixel(passes);
        if (pixels.Length != (long)tile.PixelCount * floatsPerPixel)
            throw new ArgumentException($"tile {tile} needs {(long)tile.PixelCount * floatsPerPixel} floats, got {pixels.Length}");
        var result = new float[(long)part.PixelCount * floatsPerPixel];
        int from = 0, to = 0;
        foreach (int channels in RenderPassLayout.Of(passes).Select(p => p.ChannelCount).Prepend(4))
        {
            for (int row = 0; row < part.Height; row++)
            {
                int source = from + ((part.Y - tile.Y + row) * tile.Width + part.X - tile.X) * channels;
                pixels.Slice(source, part.Width * channels).CopyTo(result.AsSpan(to + row * part.Width * channels));
            }
            from += tile.PixelCount * channels;
            to += part.PixelCount * channels;
        }
        return result;
    }
}
