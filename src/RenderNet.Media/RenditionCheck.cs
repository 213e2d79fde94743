using System.Globalization;
using RenderNet.Core.Media;

namespace RenderNet.Media;

/// <summary>
/// Checks an untrusted node's rendition segment by demuxing it: it must be H.264 at the rendition's size with exactly
/// the frames it should hold, the first of them a keyframe. (A hash only proves the bytes arrived as sent.)
/// </summary>
public static class RenditionCheck
{
    public static async Task VerifyAsync(FfmpegTools tools, string path, Rendition rendition, int expectedFrames, CancellationToken cancellation = default)
    {
        // Forced MP4: a node's file is never probed, so a playlist posing as a rendition cannot point ffprobe (or the
        // later join) at other files.
        if (!UntrustedInput.StartsWithFtyp(path))
            throw new MediaException($"{rendition.Name}: not an MP4 file (it does not start with an ftyp box)");
        string text;
        try
        {
            text = await tools.RunAsync(tools.Ffprobe,
                ["-v", "error", .. UntrustedInput.Mp4, "-select_streams", "v:0", "-count_packets", "-show_entries", "stream=codec_name,width,height,nb_read_packets",
                 "-show_entries", "packet=flags", "-of", "csv=p=0", path],
                $"checking {rendition.Name}", cancellation);
        }
        catch (MediaException ex) when (ex is not MediaToolMissingException)
        {
            throw new MediaException($"{rendition.Name}: not a readable video ({ex.Message})", ex);
        }
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var stream = lines.Select(l => l.Split(',')).FirstOrDefault(p => p.Length >= 4 && p[0] == "h264")
            ?? throw new MediaException($"{rendition.Name}: no H.264 stream ({string.Join(" ", lines)})");
        int width = int.Parse(stream[1], CultureInfo.InvariantCulture), height = int.Parse(stream[2], CultureInfo.InvariantCulture);
        int frames = int.TryParse(stream[3], CultureInfo.InvariantCulture, out int n) ? n : -1;
        if (width != rendition.Width || height != rendition.Height)
            throw new MediaException($"{rendition.Name}: {width}x{height}, expected {rendition.Width}x{rendition.Height}");
        if (frames != expectedFrames)
            throw new MediaException($"{rendition.Name}: {frames} frames, expected {expectedFrames}");
        var firstPacket = lines.FirstOrDefault(l => l.Length > 0 && !l.Contains(','));
        if (firstPacket is null || !firstPacket.StartsWith('K'))
            throw new MediaException($"{rendition.Name}: the segment does not start with a keyframe");
    }
}
