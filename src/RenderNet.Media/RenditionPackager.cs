using System.Globalization;
using System.Text;
using RenderNet.Core.Media;

namespace RenderNet.Media;

/// <summary>
/// The coordinator's last step: joins each rendition's segments without re-encoding (concat demuxer), muxes in the
/// audio it encoded once, and packages HLS (a media playlist per rendition, cut at the segments' keyframes, and a
/// master playlist over all of them).
/// </summary>
public static class RenditionPackager
{
    /// <summary>Encodes the input's first audio stream to AAC once, for every rendition.</summary>
    public static Task EncodeAudioAsync(FfmpegTools tools, MediaInput input, string output, CancellationToken cancellation) =>
        tools.RunAsync(tools.Ffmpeg,
            ["-v", "error", "-nostdin", .. input.Arguments(), "-map", "0:a:0", "-vn", "-c:a", "aac", "-b:a", "160k", "-ac", "2",
             "-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1", "-f", "mp4", "-y", output],
            "encoding the audio", cancellation);

    /// <summary>Joins segment files (in order) into one MP4 with the audio, by stream copy.</summary>
    public static async Task JoinAsync(FfmpegTools tools, IReadOnlyList<string> segments, string? audio, string output, CancellationToken cancellation)
    {
        if (segments.Count == 0) throw new MediaException($"no segments to join into {output}");
        // The concat demuxer probes each listed file: only MP4s (ftyp first) may be joined, so none is read as a playlist.
        foreach (var segment in segments)
            if (!UntrustedInput.StartsWithFtyp(segment))
                throw new MediaException($"{segment} is not an MP4 file (it does not start with an ftyp box); it cannot be joined");
        var list = output + ".concat.txt";
        // The concat demuxer's list syntax: one quoted path per line, quotes escaped.
        await File.WriteAllLinesAsync(list, segments.Select(s => $"file '{Path.GetFullPath(s).Replace("'", @"'\''")}'"), cancellation);
        try
        {
            var args = new List<string> { "-v", "error", "-nostdin", "-f", "concat", "-safe", "0", "-protocol_whitelist", "file", "-i", list };
            if (audio is not null) args.AddRange(["-i", audio]);
            args.AddRange(["-map", "0:v:0"]);
            if (audio is not null) args.AddRange(["-map", "1:a:0"]);
            args.AddRange(["-c", "copy", "-fflags", "+bitexact", "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", "-y", output]);
            await tools.RunAsync(tools.Ffmpeg, args, $"joining {Path.GetFileName(output)}", cancellation);
        }
        finally
        {
            File.Delete(list);
        }
    }

    /// <summary>Writes an HLS media playlist and MPEG-TS segments for one rendition; returns its peak bit rate (bits/s).</summary>
    public static async Task<long> WriteHlsAsync(FfmpegTools tools, string mp4, string directory, double segmentSeconds, CancellationToken cancellation)
    {
        Directory.CreateDirectory(directory);
        await tools.RunAsync(tools.Ffmpeg,
        [
            "-v", "error", "-nostdin", .. UntrustedInput.Mp4, "-i", mp4, "-map", "0", "-c", "copy", "-f", "hls",
            "-hls_time", segmentSeconds.ToString("0.###", CultureInfo.InvariantCulture), "-hls_playlist_type", "vod", "-hls_flags", "independent_segments",
            "-hls_segment_filename", Path.Combine(directory, "seg%05d.ts"), "-y", Path.Combine(directory, "index.m3u8"),
        ], $"packaging HLS for {Path.GetFileName(mp4)}", cancellation);
        return PeakBitrate(Path.Combine(directory, "index.m3u8"));
    }

    /// <summary>The highest segment bit rate of a media playlist: what a master playlist's BANDWIDTH means.</summary>
    static long PeakBitrate(string playlist)
    {
        long peak = 0;
        double duration = 0;
        var dir = Path.GetDirectoryName(playlist)!;
        foreach (var line in File.ReadLines(playlist))
        {
            if (line.StartsWith("#EXTINF:", StringComparison.Ordinal))
                duration = double.Parse(line[8..].TrimEnd(',').Split(',')[0], CultureInfo.InvariantCulture);
            else if (!line.StartsWith('#') && line.Length > 0 && duration > 0)
                peak = Math.Max(peak, (long)(new FileInfo(Path.Combine(dir, line)).Length * 8 / duration));
        }
        return peak;
    }

    /// <summary>The master playlist: one variant per rendition, best first.</summary>
    public static void WriteMasterPlaylist(string path, IEnumerable<(Rendition Rendition, string Playlist, long PeakBitsPerSecond, FrameRate Rate)> variants, bool audio)
    {
        var text = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n");
        foreach (var v in variants.OrderByDescending(v => v.Rendition.PixelsPerFrame))
        {
            string codecs = audio ? "avc1.640028,mp4a.40.2" : "avc1.640028";
            text.Append(CultureInfo.InvariantCulture,
                $"#EXT-X-STREAM-INF:BANDWIDTH={Math.Max(1, v.PeakBitsPerSecond)},RESOLUTION={v.Rendition.Width}x{v.Rendition.Height},FRAME-RATE={v.Rate.PerSecond:0.###},CODECS=\"{codecs}\"\n{v.Playlist}\n");
        }
        File.WriteAllText(path, text.ToString());
    }
}
