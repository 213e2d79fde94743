using System.Diagnostics;
using System.Text.Json;

namespace RenderNet.Cli.Tests;

/// <summary>`rendernet transcode` end to end on this machine, and each kind of bad input with its own error.</summary>
public class TranscodeCommandTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-transcode-cli").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    string Out => Path.Combine(dir, "out");

    string Ffmpeg(string name, params string[] args)
    {
        var path = Path.Combine(dir, name);
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var a in (string[])["-v", "error", .. args, "-y", path]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
        return path;
    }

    string Clip(string name = "clip.mp4") =>
        Ffmpeg(name, "-f", "lavfi", "-i", "testsrc2=s=160x90:r=12:d=2", "-f", "lavfi", "-i", "sine=d=2", "-c:v", "libx264", "-g", "6", "-pix_fmt", "yuv420p", "-c:a", "aac");

    static void AssertError(CliRunner.Result r, int exitCode, string expected)
    {
        Assert.True(r.ExitCode == exitCode, $"exit {r.ExitCode}, expected {exitCode}:\n{r.Stderr}");
        var errors = r.Stderr.Split('\n').Where(l => l.StartsWith("rendernet: error:")).ToList();
        Assert.True(errors.Count == 1, $"expected one error line, got:\n{r.Stderr}");
        Assert.Contains(expected, errors[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    /// <summary>A failed job leaves nothing that looks like a result, and no staging directory.</summary>
    void AssertNothingWritten() =>
        Assert.True(!Directory.Exists(Out) || !Directory.EnumerateFileSystemEntries(Out).Any(), $"left behind: {string.Join(", ", Directory.Exists(Out) ? Directory.EnumerateFileSystemEntries(Out) : [])}");

    [Fact]
    public void Transcodes_a_clip_and_reports_it_as_json()
    {
        var r = CliRunner.Run("transcode", Clip(), "--renditions", "90p,46p", "--out", Out, "--segment-seconds", "1", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("segments").GetInt32());
        Assert.True(root.GetProperty("source").GetProperty("audio").GetBoolean());
        var renditions = root.GetProperty("renditions").EnumerateArray().ToList();
        Assert.Equal(["90p", "46p"], renditions.Select(x => x.GetProperty("name").GetString()));
        Assert.All(renditions, x => Assert.Equal(24, x.GetProperty("frames").GetInt32()));
        Assert.All(renditions, x => Assert.True(File.Exists(x.GetProperty("mp4").GetString())));
        Assert.True(File.Exists(Path.Combine(Out, "hls", "master.m3u8")));
        Assert.Equal(["46p.mp4", "90p.mp4", "hls"], Directory.EnumerateFileSystemEntries(Out).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void A_missing_input_is_named()
    {
        AssertError(CliRunner.Run("transcode", Path.Combine(dir, "nope.mp4"), "--out", Out), 2, "does not exist");
        AssertNothingWritten();
    }

    [Fact]
    public void An_unreadable_input_is_refused()
    {
        var path = Path.Combine(dir, "notes.mp4");
        File.WriteAllText(path, "this is not a video");
        AssertError(CliRunner.Run("transcode", path, "--out", Out), 2, "is not readable media");
        AssertNothingWritten();
    }

    [Fact]
    public void A_truncated_input_is_refused()
    {
        var whole = File.ReadAllBytes(Clip("whole.mp4"));
        var path = Path.Combine(dir, "truncated.mp4");
        File.WriteAllBytes(path, whole[..(whole.Length / 2)]); // the index (moov) is at the end: it is gone
        AssertError(CliRunner.Run("transcode", path, "--out", Out), 2, "is not readable media");
        AssertNothingWritten();
    }

    [Fact]
    public void An_input_without_video_is_refused()
    {
        var path = Ffmpeg("tone.m4a", "-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac");
        AssertError(CliRunner.Run("transcode", path, "--out", Out), 2, "has no video stream (it has audio)");
        AssertNothingWritten();
    }

    [Theory]
    [InlineData("99999p", "sizes must be between")]
    [InlineData("4p", "sizes must be between")]
    [InlineData("720p:crf=80", "crf must be 0–51")]
    [InlineData("big", "expected a height such as 720p")]
    [InlineData("720p,720p", "listed twice")]
    public void An_absurd_rendition_is_refused(string ladder, string expected)
    {
        AssertError(CliRunner.Run("transcode", Clip(), "--renditions", ladder, "--out", Out), 2, expected);
        AssertNothingWritten();
    }

    [Fact]
    public void A_missing_ffmpeg_is_named_with_how_to_install_it()
    {
        var r = CliRunner.Run(new Dictionary<string, string?> { ["RENDERNET_FFMPEG"] = Path.Combine(dir, "no-ffmpeg") }, "transcode", Clip(), "--out", Out);
        AssertError(r, 7, "ffmpeg was not found");
        Assert.Contains("install", r.Stderr);
        AssertNothingWritten();
    }
}
