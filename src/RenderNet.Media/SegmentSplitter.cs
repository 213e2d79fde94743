using System.Globalization;

namespace RenderNet.Media;

/// <summary>One piece of the input, cut at a keyframe by stream copy: its file, and which frames of the input it holds.</summary>
public sealed record InputSegment(int Index, string Path, long FirstFrame, int Frames);

/// <summary>
/// Cuts the input's video into segments of about <c>seconds</c> each at keyframes, without re-encoding (ffmpeg's
/// segment muxer, stream copy into Matroska, which holds any codec, image sequences included), and counts each
/// segment's frames. The counts must add up to the input's: a segment that lost frames is refused here, not later.
/// </summary>
public static class SegmentSplitter
{
    public static async Task<IReadOnlyList<InputSegment>> SplitAsync(FfmpegTools tools, MediaInput input, MediaInfo info, double seconds, string directory, CancellationToken cancellation = default)
    {
        if (!(seconds is >= 0.1 and <= 3600)) throw new MediaException($"segment length {seconds} s is out of range (0.1–3600 s)");
        Directory.CreateDirectory(directory);
        await tools.RunAsync(tools.Ffmpeg,
        [
            "-v", "error", "-nostdin", .. input.Arguments(), "-map", "0:v:0", "-c", "copy",
            "-f", "segment", "-segment_time", seconds.ToString("0.###", CultureInfo.InvariantCulture), "-reset_timestamps", "1",
            "-segment_format", "matroska", Path.Combine(directory, "in%05d.mkv"),
        ], $"splitting {input.Path}", cancellation);
        var files = Directory.GetFiles(directory, "in*.mkv").Order(StringComparer.Ordinal).ToList();
        var counts = await Task.WhenAll(files.Select(f => CountFramesAsync(tools, f, cancellation)));
        var segments = new List<InputSegment>();
        long first = 0;
        for (int i = 0; i < files.Count; i++)
        {
            if (counts[i] == 0) continue;
            segments.Add(new InputSegment(segments.Count, files[i], first, counts[i]));
            first += counts[i];
        }
        if (first != info.Frames)
            throw new MediaException($"splitting {input.Path} gave {first} frames, the input has {info.Frames}: it may be truncated or damaged");
        return segments;
    }

    /// <summary>Video packets (= frames) in a file, counted by demuxing only.</summary>
    public static async Task<int> CountFramesAsync(FfmpegTools tools, string path, CancellationToken cancellation = default)
    {
        var text = await tools.RunAsync(tools.Ffprobe,
            ["-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", path],
            $"counting frames of {Path.GetFileName(path)}", cancellation);
        return int.TryParse(text.Trim().Split('\n')[0].Trim().TrimEnd(','), CultureInfo.InvariantCulture, out int n) ? n : 0;
    }
}
