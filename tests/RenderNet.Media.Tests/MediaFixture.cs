using System.Diagnostics;
using System.Globalization;
using RenderNet.Core.Media;

namespace RenderNet.Media.Tests;

/// <summary>
/// ffmpeg, a Vulkan device with validation on, and a scratch directory for the media tests (which run one after
/// another in the "media" collection). Inputs are generated with ffmpeg's own sources (testsrc2, sine, noise).
/// </summary>
public sealed class MediaFixture : IDisposable
{
    public FfmpegTools Tools { get; } = FfmpegTools.Locate();
    public Vulkan.VulkanDevice Device { get; } = Vulkan.VulkanDevice.Open(validation: true);
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("rendernet-media-tests-").FullName;

    public VideoFrameScalerFactory Scalers => Vulkan.VideoScaler.FactoryFor(Device);

    /// <summary>Runs ffmpeg (or ffprobe) and returns stdout as bytes; fails the test with ffmpeg's message.</summary>
    public byte[] Run(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool == "ffprobe" ? Tools.Ffprobe : Tools.Ffmpeg) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stderr = p.StandardError.ReadToEndAsync();
        using var ms = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(ms);
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {string.Join(' ', args)}: {stderr.Result}");
        return ms.ToArray();
    }

    public string Text(string tool, params string[] args) => System.Text.Encoding.UTF8.GetString(Run(tool, args));

    /// <summary>A test clip: testsrc2 (moving colour pattern) with a sine tone unless <paramref name="audio"/> is false.</summary>
    public string Clip(string name, int width, int height, double seconds, int fps = 24, bool audio = true, int gop = 12, params string[] extra)
    {
        var path = Path.Combine(Directory, name);
        if (File.Exists(path)) return path;
        var args = new List<string> { "-v", "error", "-f", "lavfi", "-i", $"testsrc2=s={width}x{height}:r={fps}:d={seconds.ToString(CultureInfo.InvariantCulture)}" };
        if (audio) args.AddRange(["-f", "lavfi", "-i", $"sine=f=440:d={seconds.ToString(CultureInfo.InvariantCulture)}"]);
        args.AddRange(["-c:v", "libx264", "-preset", "ultrafast", "-g", gop.ToString(CultureInfo.InvariantCulture), "-pix_fmt", "yuv420p"]);
        args.AddRange(extra);
        if (audio) args.AddRange(["-c:a", "aac"]);
        args.AddRange(["-y", path]);
        Run("ffmpeg", [.. args]);
        return path;
    }

    /// <summary>One raw yuv420p frame from an ffmpeg lavfi source graph.</summary>
    public byte[] RawFrame(string lavfi, params string[] filters) =>
        Run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", lavfi, "-frames:v", "1", .. filters, "-pix_fmt", "yuv420p", "-f", "rawvideo", "pipe:1"]);

    /// <summary>Frame count, size and duration of a file's video stream, and whether it has audio.</summary>
    public (int Frames, int Width, int Height, double Duration, bool Audio) Probe(string path)
    {
        var v = Text("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames,width,height", "-of", "csv=p=0", path).Trim().Split(',');
        var duration = Text("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path).Trim();
        bool audio = Text("ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream=codec_type", "-of", "csv=p=0", path).Trim().Length > 0;
        return (int.Parse(v[2], CultureInfo.InvariantCulture), int.Parse(v[0], CultureInfo.InvariantCulture), int.Parse(v[1], CultureInfo.InvariantCulture),
            double.Parse(duration, CultureInfo.InvariantCulture), audio);
    }

    /// <summary>PSNR (dB) of plane data: 8-bit samples compared one to one.</summary>
    public static double Psnr(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        Assert.Equal(a.Length, b.Length);
        double se = 0;
        for (int i = 0; i < a.Length; i++) { double d = a[i] - b[i]; se += d * d; }
        double mse = se / a.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    public void Dispose()
    {
        Device.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition("media")]
public sealed class MediaCollection : ICollectionFixture<MediaFixture>;
