using System.Globalization;
using System.Text.Json;
using RenderNet.Core.Media;

namespace RenderNet.Media;

/// <summary>What ffprobe says about an input's first video stream (and whether there is audio).</summary>
public sealed record MediaInfo(int Width, int Height, FrameRate Rate, int Frames, double Duration, string Codec, string PixelFormat,
    string? ColorSpace, string? ColorRange, bool HasAudio)
{
    public YuvColorSpace Colors => YuvColorSpace.FromStream(ColorSpace, ColorRange, PixelFormat, Height);
    public Yuv420Layout Layout => new(Width, Height);

    /// <summary>Probes an input; counts its video packets (one per frame) without decoding.</summary>
    public static async Task<MediaInfo> ProbeAsync(FfmpegTools tools, MediaInput input, CancellationToken cancellation = default)
    {
        string json;
        try
        {
            json = await tools.RunAsync(tools.Ffprobe,
                ["-v", "error", "-count_packets", "-show_streams", "-show_format", "-of", "json", .. input.Arguments()],
                $"reading {input.Path}", cancellation);
        }
        catch (MediaException ex) when (ex is not MediaToolMissingException)
        {
            throw new MediaException($"input {input.Path} is not readable media: {ex.Message.Split(": ", 2).Last()}", ex);
        }
        using var doc = JsonDocument.Parse(json);
        var streams = doc.RootElement.TryGetProperty("streams", out var s) ? s.EnumerateArray().ToList() : [];
        var video = streams.FirstOrDefault(x => Str(x, "codec_type") == "video" && !IsAttachedPicture(x));
        if (video.ValueKind == JsonValueKind.Undefined)
            throw new MediaException($"input {input.Path} has no video stream{(streams.Count > 0 ? $" (it has {string.Join(", ", streams.Select(x => Str(x, "codec_type")))})" : "")}");
        bool hasAudio = streams.Any(x => Str(x, "codec_type") == "audio");
        int width = Int(video, "width"), height = Int(video, "height");
        if (width <= 0 || height <= 0) throw new MediaException($"input {input.Path}: the video stream has no frame size");
        if (!FrameRate.TryParse(Str(video, "avg_frame_rate"), out var rate) && !FrameRate.TryParse(Str(video, "r_frame_rate"), out rate))
            throw new MediaException($"input {input.Path}: the video stream has no frame rate");
        if (input.IsSequence && input.SequenceRate is { } given) rate = given;
        int frames = Int(video, "nb_read_packets");
        if (frames <= 0) throw new MediaException($"input {input.Path}: the video stream has no frames");
        double duration = Dbl(video, "duration") is > 0 and var d ? d
            : doc.RootElement.TryGetProperty("format", out var f) && Dbl(f, "duration") is > 0 and var fd ? fd : frames / rate.PerSecond;
        return new MediaInfo(width, height, rate, frames, duration, Str(video, "codec_name") ?? "?", Str(video, "pix_fmt") ?? "?",
            Str(video, "color_space"), Str(video, "color_range"), hasAudio);
    }

    static bool IsAttachedPicture(JsonElement stream) =>
        stream.TryGetProperty("disposition", out var d) && d.TryGetProperty("attached_pic", out var a) && a.ValueKind == JsonValueKind.Number && a.GetInt32() == 1;

    static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    static int Int(JsonElement e, string name) => e.TryGetProperty(name, out var v)
        ? v.ValueKind == JsonValueKind.Number ? v.GetInt32() : int.TryParse(v.GetString(), CultureInfo.InvariantCulture, out int i) ? i : 0
        : 0;

    static double Dbl(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : 0;
}
