using RenderNet.Core.Rendering;
using RenderNet.Core.Tiles;

namespace RenderNet.Protocol;

/// <summary>
/// How many price units a tile costs, computed the same way by the node that charges and the coordinator that pays: the
/// price is per unit of work, so a larger tile or more samples cost proportionally more and one price cannot buy an
/// arbitrarily large piece of work. A path-traced unit is up to 2²² pixel-samples (a 256×256 tile at 64 spp); a raster
/// unit up to 2²⁰ pixels (a 1024×1024 tile). Ordinary tiles cost one unit.
/// </summary>
public static class WorkUnits
{
    public const long PathPixelSamplesPerUnit = 1L << 22;
    public const long RasterPixelsPerUnit = 1L << 20;

    public static long ForTile(FrameSettings frame, TileRect tile)
    {
        long pixels = tile.PixelCount;
        return frame.Mode == RenderMode.Raster
            ? Math.Max(1, (pixels + RasterPixelsPerUnit - 1) / RasterPixelsPerUnit)
            : Math.Max(1, (pixels * frame.SamplesPerPixel + PathPixelSamplesPerUnit - 1) / PathPixelSamplesPerUnit);
    }
}
