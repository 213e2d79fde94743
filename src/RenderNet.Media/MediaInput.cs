using RenderNet.Core.Media;

namespace RenderNet.Media;

/// <summary>
/// What a transcode job reads: a media file ffmpeg can open, or an image sequence — a printf pattern such as
/// frames/%04d.png, or a directory of images (in name order) — played at <see cref="SequenceRate"/>.
/// </summary>
public sealed record MediaInput(string Path, FrameRate? SequenceRate = null)
{
    static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".exr", ".tga", ".webp"];

    public bool IsSequence => Path.Contains('%') || Directory.Exists(Path);

    /// <summary>The input arguments for ffmpeg/ffprobe.</summary>
    public IReadOnlyList<string> Arguments()
    {
        if (!IsSequence)
        {
            if (!File.Exists(Path)) throw new MediaException($"input {Path} does not exist");
            return ["-i", Path];
        }
        var rate = (SequenceRate ?? new FrameRate(24, 1)).ToString();
        if (Path.Contains('%'))
        {
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
            if (!Directory.Exists(dir)) throw new MediaException($"image sequence {Path}: directory {dir} does not exist");
            return ["-framerate", rate, "-f", "image2", "-i", Path];
        }
        var ext = Directory.EnumerateFiles(Path).Select(f => System.IO.Path.GetExtension(f).ToLowerInvariant())
            .Where(ImageExtensions.Contains).GroupBy(e => e).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault()
            ?? throw new MediaException($"directory {Path} holds no images ({string.Join(", ", ImageExtensions)})");
        return ["-framerate", rate, "-f", "image2", "-pattern_type", "glob", "-i", System.IO.Path.Combine(Path, "*" + ext)];
    }
}
