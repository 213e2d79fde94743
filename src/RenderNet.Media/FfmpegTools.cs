using System.Diagnostics;
using System.Security.Cryptography;

namespace RenderNet.Media;

/// <summary>
/// Where ffmpeg and ffprobe are: RENDERNET_FFMPEG (the ffmpeg executable; ffprobe beside it), else the PATH.
/// RenderNet drives the ffmpeg CLI directly rather than through a wrapper library: transcode output must be
/// byte-identical between nodes, so every argument and its order is pinned here.
/// </summary>
public sealed record FfmpegTools(string Ffmpeg, string Ffprobe)
{
    public const string EnvironmentVariable = "RENDERNET_FFMPEG";

    public static FfmpegTools Locate()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            if (!File.Exists(configured))
                throw new MediaToolMissingException($"ffmpeg was not found at {configured} ({EnvironmentVariable}); install ffmpeg or fix the variable");
            var probe = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configured))!, "ffprobe");
            if (!File.Exists(probe))
                throw new MediaToolMissingException($"ffprobe was not found beside {configured} ({EnvironmentVariable})");
            return new FfmpegTools(configured, probe);
        }
        var ffmpeg = OnPath("ffmpeg");
        var ffprobe = OnPath("ffprobe");
        if (ffmpeg is null || ffprobe is null)
            throw new MediaToolMissingException($"{(ffmpeg is null ? "ffmpeg" : "ffprobe")} was not found on PATH: install ffmpeg (Debian: apt-get install ffmpeg, or ./scripts/install-deps.sh) or set {EnvironmentVariable}");
        return new FfmpegTools(ffmpeg, ffprobe);
    }

    static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>Runs a tool to completion; returns its standard output, or throws with the tail of its error output.</summary>
    public async Task<string> RunAsync(string tool, IEnumerable<string> arguments, string what, CancellationToken cancellation)
    {
        using var process = FfmpegProcess.Start(tool, arguments, what, redirectInput: false, redirectOutput: true);
        var output = process.Process.StandardOutput.ReadToEndAsync(cancellation);
        await process.WaitAsync(cancellation);
        return await output;
    }

    /// <summary>
    /// Identity of the encoder's behaviour: a hash of a tiny clip encoded with the pinned settings, so two nodes
    /// whose ffmpeg/x264 builds would write different bytes have different fingerprints.
    /// </summary>
    public async Task<string> EncoderFingerprintAsync(CancellationToken cancellation = default)
    {
        var dir = Directory.CreateTempSubdirectory("rendernet-encoder-");
        try
        {
            var file = Path.Combine(dir.FullName, "probe.mp4");
            var frames = new byte[8 * 48 * 32 * 3 / 2];
            for (int i = 0; i < frames.Length; i++) frames[i] = (byte)(i * 7 % 251);
            var encoder = H264SegmentEncoder.Start(this, new Core.Media.Rendition("probe", 48, 32), new Core.Media.FrameRate(24, 1), file);
            await encoder.WriteFrameAsync(frames, cancellation);
            await encoder.CompleteAsync(cancellation);
            return Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file, cancellation)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

/// <summary>An ffmpeg/ffprobe process whose error output is kept (last lines) for the error message.</summary>
public sealed class FfmpegProcess : IDisposable
{
    readonly string what;
    readonly Task stderrPump;
    readonly Queue<string> tail = new();

    public Process Process { get; }

    FfmpegProcess(Process process, string what)
    {
        Process = process;
        this.what = what;
        stderrPump = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
                lock (tail)
                {
                    tail.Enqueue(line);
                    if (tail.Count > 8) tail.Dequeue();
                }
        });
    }

    public static FfmpegProcess Start(string tool, IEnumerable<string> arguments, string what, bool redirectInput, bool redirectOutput)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = redirectOutput,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        ScrubEnvironment(info.Environment);
        try
        {
            return new FfmpegProcess(Process.Start(info)!, what);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new MediaToolMissingException($"{tool} could not be started ({ex.Message}): install ffmpeg or set {FfmpegTools.EnvironmentVariable}", ex);
        }
    }

    /// <summary>
    /// ffmpeg parses bytes from strangers: whatever a decoder bug gives an attacker must not include the parent's keys
    /// or passwords. The child gets an explicit environment — a fixed PATH and the C locale — and nothing inherited.
    /// </summary>
    public static void ScrubEnvironment(IDictionary<string, string?> environment)
    {
        environment.Clear();
        environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        environment["LC_ALL"] = "C";
    }

    public string ErrorTail
    {
        get { lock (tail) return string.Join(" | ", tail); }
    }

    /// <summary>Waits for exit; a non-zero exit becomes a <see cref="MediaException"/> naming the step and ffmpeg's own words.</summary>
    public async Task WaitAsync(CancellationToken cancellation)
    {
        try
        {
            await Process.WaitForExitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw;
        }
        await stderrPump;
        if (Process.ExitCode != 0)
            throw new MediaException($"{what} failed: {(ErrorTail.Length > 0 ? ErrorTail : $"exit code {Process.ExitCode}")}");
    }

    public void Kill()
    {
        try { if (!Process.HasExited) Process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }

    public void Dispose()
    {
        Kill();
        Process.Dispose();
    }
}
