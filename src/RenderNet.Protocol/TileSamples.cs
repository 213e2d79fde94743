using RenderNet.Core.Rendering;
using RenderNet.Core.Tiles;

namespace RenderNet.Protocol;

/// <summary>
/// The pixel-samples a tile may honestly report (<see cref="TileResult.PixelSamples"/>): every pixel's spp, or with
/// adaptive sampling between the minimum and the spp per pixel; one per pixel when rasterised or for an AOV.
/// </summary>
public static class TileSamples
{
    public static (long Least, long Most) Range(FrameSettings frame, TileRect tile)
    {
        long pixels = tile.PixelCount;
        if (frame.Mode == RenderMode.Raster || frame.Output != RenderOutput.Radiance) return (pixels, pixels);
        long most = pixels * frame.SamplesPerPixel;
        return frame.NoiseThreshold > 0 ? (pixels * frame.AdaptiveMinSamples, most) : (most, most);
    }

    /// <summary>Throws <see cref="InvalidDataException"/> naming the tile when a node's count is outside <see cref="Range"/>.</summary>
    public static long Check(FrameSettings frame, TileRect tile, ulong reported)
    {
        var (least, most) = Range(frame, tile);
        if (reported < (ulong)least || reported > (ulong)most)
            throw new InvalidDataException(least == most
                ? $"tile {tile}: the node reports {reported:N0} pixel-samples, but the tile takes exactly {most:N0}"
                : $"tile {tile}: the node reports {reported:N0} pixel-samples, outside the {least:N0}…{most:N0} adaptive sampling allows");
        return (long)reported;
    }
}
