namespace RenderNet.Core.Media;

/// <summary>Planar 8-bit Y'CbCr 4:2:0 as ffmpeg's rawvideo yuv420p: the Y plane, then U, then V, rows packed.</summary>
public readonly record struct Yuv420Layout(int Width, int Height)
{
    public int ChromaWidth => (Width + 1) / 2;
    public int ChromaHeight => (Height + 1) / 2;
    public int LumaBytes => Width * Height;
    public int ChromaBytes => ChromaWidth * ChromaHeight;
    public int FrameBytes => LumaBytes + 2 * ChromaBytes;
}

/// <summary>
/// Converts one decoded frame into every rendition of a job (colour conversion + resampling + 4:2:0 subsampling).
/// The transcode pipeline drives it; the Vulkan backend implements it.
/// </summary>
public interface IVideoFrameScaler : IDisposable
{
    /// <summary>Scales <paramref name="source"/> (yuv420p in the job's source layout) into one yuv420p frame per rendition.</summary>
    void Scale(ReadOnlySpan<byte> source, IReadOnlyList<byte[]> outputs, IReadOnlyList<bool> wanted);
}

/// <summary>Makes a scaler for one source format and a set of target sizes (one per rendition).</summary>
public delegate IVideoFrameScaler VideoFrameScalerFactory(Yuv420Layout source, YuvColorSpace sourceColors, IReadOnlyList<Yuv420Layout> targets);

/// <summary>Transcode work is priced like tiles: one tile's price per started megapixel of output (all renditions, all frames).</summary>
public static class TranscodePricing
{
    public const long PixelsPerUnit = 1 << 20;

    public static int Units(IReadOnlyList<Rendition> renditions, int frames, long firstFrame = 0)
    {
        long pixels = 0;
        foreach (var r in renditions) pixels += r.PixelsPerFrame * KeptFrames(firstFrame, frames, r.FrameRateDivisor);
        return (int)Math.Max(1, (pixels + PixelsPerUnit - 1) / PixelsPerUnit);
    }

    /// <summary>How many of frames [first, first+count) a rendition keeps: those whose index in the whole input is a multiple of the divisor.</summary>
    public static int KeptFrames(long first, int count, int divisor)
    {
        long firstKept = (first + divisor - 1) / divisor * divisor;
        long end = first + count;
        return firstKept >= end ? 0 : (int)((end - 1 - firstKept) / divisor + 1);
    }
}
