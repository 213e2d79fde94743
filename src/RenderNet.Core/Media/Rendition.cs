using System.Globalization;
using System.Text.RegularExpressions;

namespace RenderNet.Core.Media;

/// <summary>
/// One output of a transcode job: H.264 at a size, with a constant quality (CRF) or an average bitrate. The frame rate
/// is the source's divided by <see cref="FrameRateDivisor"/> (1: every frame; 2: every other frame, e.g. 60 → 30).
/// </summary>
public sealed record Rendition(string Name, int Width, int Height, int Crf = Rendition.DefaultCrf, int BitrateKbps = 0, int FrameRateDivisor = 1)
{
    public const int DefaultCrf = 23;
    public const int MaxWidth = 8192, MaxHeight = 4320, MinSize = 16;

    public long PixelsPerFrame => (long)Width * Height;

    /// <summary>
    /// Parses a comma-separated ladder against the source size: "1080p,720p,480p", "1280x720", with options after a
    /// colon: "720p:crf=20", "480p:b=900k", "720p:fps=/2". Heights keep the source's aspect ratio; sizes are rounded to
    /// even numbers (4:2:0 needs them).
    /// </summary>
    public static IReadOnlyList<Rendition> ParseLadder(string ladder, int sourceWidth, int sourceHeight)
    {
        var items = ladder.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) throw new FormatException("no renditions were given (e.g. --renditions 1080p,720p,480p)");
        var result = new List<Rendition>();
        foreach (var item in items)
        {
            var parts = item.Split(':');
            var size = parts[0].ToLowerInvariant();
            int width, height;
            Match m;
            if ((m = Regex.Match(size, @"^(\d{1,6})p$")).Success)
            {
                height = ParseSize(m.Groups[1].Value, item);
                width = (int)Math.Round(height * (double)sourceWidth / sourceHeight / 2) * 2;
            }
            else if ((m = Regex.Match(size, @"^(\d{1,6})x(\d{1,6})$")).Success)
            {
                width = ParseSize(m.Groups[1].Value, item);
                height = ParseSize(m.Groups[2].Value, item);
            }
            else throw new FormatException($"rendition '{item}': expected a height such as 720p or a size such as 1280x720");
            height = (int)Math.Round(height / 2.0) * 2;
            width = Math.Max(2, width);
            if (width < MinSize || height < MinSize || width > MaxWidth || height > MaxHeight)
                throw new FormatException($"rendition '{item}' is {width}x{height}: sizes must be between {MinSize}x{MinSize} and {MaxWidth}x{MaxHeight}");
            int crf = DefaultCrf, kbps = 0, divisor = 1;
            foreach (var option in parts.Skip(1))
            {
                var kv = option.Split('=', 2);
                string key = kv[0].Trim().ToLowerInvariant(), value = kv.Length == 2 ? kv[1].Trim().ToLowerInvariant() : "";
                switch (key)
                {
                    case "crf" when int.TryParse(value, CultureInfo.InvariantCulture, out crf) && crf is >= 0 and <= 51: break;
                    case "crf": throw new FormatException($"rendition '{item}': crf must be 0–51");
                    case "b" or "bitrate" when TryParseKbps(value, out kbps) && kbps is >= 16 and <= 500_000: break;
                    case "b" or "bitrate": throw new FormatException($"rendition '{item}': bitrate must be 16k–500M (e.g. b=2500k)");
                    case "fps" when value.StartsWith('/') && int.TryParse(value[1..], CultureInfo.InvariantCulture, out divisor) && divisor is >= 1 and <= 16: break;
                    case "fps": throw new FormatException($"rendition '{item}': fps takes a divisor of the source rate, e.g. fps=/2");
                    default: throw new FormatException($"rendition '{item}': unknown option '{key}' (crf=, b=, fps=/N)");
                }
            }
            string name = parts[0].ToLowerInvariant();
            if (divisor > 1) name += $"-fps{divisor}";
            if (result.Any(r => r.Name == name)) throw new FormatException($"rendition '{name}' is listed twice");
            result.Add(new Rendition(name, width, height, crf, kbps, divisor));
        }
        return result;
    }

    static int ParseSize(string digits, string item) =>
        int.TryParse(digits, CultureInfo.InvariantCulture, out int v) ? v : throw new FormatException($"rendition '{item}': size out of range");

    static bool TryParseKbps(string value, out int kbps)
    {
        kbps = 0;
        double factor = value.EndsWith('m') ? 1000 : value.EndsWith('k') ? 1 : 0.001;
        if (value.EndsWith('m') || value.EndsWith('k')) value = value[..^1];
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return false;
        kbps = (int)Math.Round(v * factor);
        return true;
    }

    public override string ToString() => $"{Name} {Width}x{Height} " + (BitrateKbps > 0 ? $"{BitrateKbps} kb/s" : $"crf {Crf}");
}
