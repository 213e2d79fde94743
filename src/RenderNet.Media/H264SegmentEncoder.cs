using System.Globalization;
using RenderNet.Core.Media;

namespace RenderNet.Media;

/// <summary>
/// libx264 fed raw yuv420p through a pipe, with every setting that changes the bytes pinned: preset, profile, the
/// segment's thread count (x264 is deterministic for a given count; <see cref="TranscodeParallelism"/>), a closed GOP with a keyframe every
/// <see cref="KeyframeSeconds"/> from the segment's first frame and none from scene cuts, BT.709 limited-range tags,
/// and bitexact muxing without metadata. Two honest nodes with the same ffmpeg build write the same file.
/// </summary>
public sealed class H264SegmentEncoder
{
    public const double KeyframeSeconds = 2;

    readonly FfmpegProcess process;
    readonly Stream stdin;

    H264SegmentEncoder(FfmpegProcess process)
    {
        this.process = process;
        stdin = process.Process.StandardInput.BaseStream;
    }

    public static int KeyframeInterval(FrameRate rate) => Math.Max(1, (int)Math.Round(KeyframeSeconds * rate.PerSecond));

    public static IReadOnlyList<string> Arguments(Rendition rendition, FrameRate rate, string output, int threads = TranscodeParallelism.DefaultEncoderThreads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, TranscodeParallelism.MaxEncoderThreads);
        int keyint = KeyframeInterval(rate);
        var colors = YuvColorSpace.Delivery;
        var args = new List<string>
        {
            "-v", "error", "-nostdin",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", $"{rendition.Width}x{rendition.Height}", "-framerate", rate.ToString(), "-i", "pipe:0",
            "-c:v", "libx264", "-preset", "medium", "-profile:v", "high", "-pix_fmt", "yuv420p", "-threads", threads.ToString(CultureInfo.InvariantCulture),
            "-x264-params", $"keyint={keyint}:min-keyint={keyint}:scenecut=0:open-gop=0:lookahead-threads=1",
        };
        if (rendition.BitrateKbps > 0)
            args.AddRange(["-b:v", $"{rendition.BitrateKbps}k", "-maxrate", $"{rendition.BitrateKbps * 3 / 2}k", "-bufsize", $"{rendition.BitrateKbps * 2}k"]);
        else
            args.AddRange(["-crf", rendition.Crf.ToString(CultureInfo.InvariantCulture)]);
        args.AddRange([
            "-colorspace", colors.FfmpegMatrix, "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", colors.FfmpegRange,
            "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", "-y", output,
        ]);
        return args;
    }

    public static H264SegmentEncoder Start(FfmpegTools tools, Rendition rendition, FrameRate rate, string output, int threads = TranscodeParallelism.DefaultEncoderThreads) =>
        new(FfmpegProcess.Start(tools.Ffmpeg, Arguments(rendition, rate, output, threads), $"encoding {rendition.Name}", redirectInput: true, redirectOutput: false));

    public async Task WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellation)
    {
        try
        {
            await stdin.WriteAsync(frame, cancellation);
        }
        catch (IOException)
        {
            await process.WaitAsync(cancellation); // the encoder died: report its own words
            throw;
        }
    }

    public async Task CompleteAsync(CancellationToken cancellation)
    {
        await stdin.FlushAsync(cancellation);
        stdin.Close();
        await process.WaitAsync(cancellation);
        process.Dispose();
    }

    public void Abort() => process.Dispose();
}
