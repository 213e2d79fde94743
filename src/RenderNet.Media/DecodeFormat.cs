using RenderNet.Core.Media;

namespace RenderNet.Media;

/// <summary>
/// How a stream is decoded into the 8-bit yuv420p frames the scaler takes, and the colour space of those frames.
/// 8-bit 4:2:0 streams come out as they are (no conversion by ffmpeg: the GPU does it exactly). Other formats are
/// converted by ffmpeg first: RGB sources (image sequences) to BT.709 limited range, other Y'CbCr layouts to 4:2:0
/// limited range in their own matrix.
/// </summary>
public sealed record DecodeFormat(IReadOnlyList<string> Arguments, YuvColorSpace Colors)
{
    public static DecodeFormat For(string pixelFormat, string? colorSpace, string? colorRange, int height)
    {
        var source = YuvColorSpace.FromStream(colorSpace, colorRange, pixelFormat, height);
        if (pixelFormat is "yuv420p" or "yuvj420p")
            return new DecodeFormat(["-pix_fmt", pixelFormat], source);
        if (!pixelFormat.StartsWith("yuv", StringComparison.Ordinal) && !pixelFormat.StartsWith("nv", StringComparison.Ordinal))
        {
            var delivery = YuvColorSpace.Delivery;
            return new DecodeFormat(["-vf", $"scale=out_color_matrix={delivery.FfmpegMatrix}:out_range={delivery.FfmpegRange},format=yuv420p", "-pix_fmt", "yuv420p"], delivery);
        }
        var limited = source with { Range = YuvRange.Limited };
        return new DecodeFormat(["-vf", $"scale=in_range={source.FfmpegRange}:out_range=tv,format=yuv420p", "-pix_fmt", "yuv420p"], limited);
    }
}
