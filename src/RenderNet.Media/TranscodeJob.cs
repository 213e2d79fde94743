using RenderNet.Core.Media;

namespace RenderNet.Media;

/// <summary>A finished rendition: its MP4, its HLS playlist (relative to the output directory), and its frame count.</summary>
public sealed record RenditionOutput(Rendition Rendition, string Mp4, string Playlist, int Frames);

/// <summary>
/// The coordinator's side of one transcode job, whoever does the segments: probes the input, parses the ladder,
/// cuts the input into segments in a staging directory inside the output directory, encodes the audio once, and at the
/// end joins and packages the renditions. Outputs appear under their final names only when all of them are complete;
/// a job that fails or is cancelled leaves no output and removes its staging directory.
/// </summary>
public sealed class TranscodeJob : IDisposable
{
    readonly FfmpegTools tools;
    Task? audio;

    public MediaInput Input { get; }
    public MediaInfo Info { get; }
    public IReadOnlyList<Rendition> Renditions { get; }
    public IReadOnlyList<InputSegment> Segments { get; private set; } = [];
    public string OutputDirectory { get; }
    public string Staging { get; }
    public double SegmentSeconds { get; }
    string AudioPath => Path.Combine(Staging, "audio.m4a");

    TranscodeJob(FfmpegTools tools, MediaInput input, MediaInfo info, IReadOnlyList<Rendition> renditions, string outputDirectory, string jobId, double segmentSeconds)
    {
        this.tools = tools;
        Input = input;
        Info = info;
        Renditions = renditions;
        OutputDirectory = Path.GetFullPath(outputDirectory);
        Staging = Path.Combine(OutputDirectory, $".rendernet-{jobId}");
        SegmentSeconds = segmentSeconds;
    }

    /// <summary>Checks everything that can be checked before work is spent, then splits the input.</summary>
    public static async Task<TranscodeJob> PrepareAsync(FfmpegTools tools, MediaInput input, string ladder, string outputDirectory, string jobId,
        double segmentSeconds = 4, CancellationToken cancellation = default)
    {
        if (!(segmentSeconds is >= 0.5 and <= 600)) throw new MediaException($"segment length {segmentSeconds} s is out of range (0.5–600 s)");
        var info = await MediaInfo.ProbeAsync(tools, input, cancellation);
        IReadOnlyList<Rendition> renditions;
        try { renditions = Rendition.ParseLadder(ladder, info.Width, info.Height); }
        catch (FormatException ex) { throw new MediaException(ex.Message); }
        try
        {
            Directory.CreateDirectory(outputDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write to output directory {outputDirectory}: {ex.Message}", ex);
        }
        var job = new TranscodeJob(tools, input, info, renditions, outputDirectory, jobId, segmentSeconds);
        try
        {
            Directory.CreateDirectory(job.Staging);
            job.Segments = await SegmentSplitter.SplitAsync(tools, input, info, segmentSeconds, Path.Combine(job.Staging, "input"), cancellation);
            if (info.HasAudio) job.audio = RenditionPackager.EncodeAudioAsync(tools, input, job.AudioPath, cancellation);
            return job;
        }
        catch
        {
            job.Dispose();
            throw;
        }
    }

    public SegmentSpec SpecFor(InputSegment segment) =>
        new(Info.Width, Info.Height, Info.PixelFormat, Info.ColorSpace, Info.ColorRange, Info.Rate, segment.FirstFrame, segment.Frames, Renditions);

    /// <summary>Where a segment's rendition files are kept until packaging.</summary>
    public string SegmentDirectory(int segment) => Path.Combine(Staging, "segments", $"{segment:D5}");

    /// <summary>Price units of the whole job (see <see cref="TranscodePricing"/>).</summary>
    public int PriceUnits => Segments.Sum(s => SpecFor(s).PriceUnits);

    /// <summary>Joins, muxes audio, packages HLS, then moves the results into the output directory.</summary>
    public async Task<IReadOnlyList<RenditionOutput>> PackageAsync(IReadOnlyDictionary<int, IReadOnlyList<RenditionSegment>> segments, CancellationToken cancellation = default)
    {
        var missing = Segments.Where(s => !segments.ContainsKey(s.Index)).Select(s => s.Index).ToList();
        if (missing.Count > 0) throw new MediaException($"segments {string.Join(", ", missing)} were not transcoded");
        if (audio is not null) await audio.WaitAsync(cancellation);
        var final = Path.Combine(Staging, "final");
        var hls = Path.Combine(final, "hls");
        Directory.CreateDirectory(hls);
        var outputs = new List<RenditionOutput>();
        var variants = new List<(Rendition, string, long, FrameRate)>();
        for (int r = 0; r < Renditions.Count; r++)
        {
            var rendition = Renditions[r];
            var parts = Segments.Select(s => segments[s.Index][r]).Where(p => p.Path is not null).ToList();
            var mp4 = Path.Combine(final, rendition.Name + ".mp4");
            await RenditionPackager.JoinAsync(tools, parts.Select(p => p.Path!).ToList(), audio is null ? null : AudioPath, mp4, cancellation);
            long peak = await RenditionPackager.WriteHlsAsync(tools, mp4, Path.Combine(hls, rendition.Name), SegmentSeconds, cancellation);
            variants.Add((rendition, $"{rendition.Name}/index.m3u8", peak, Info.Rate.DividedBy(rendition.FrameRateDivisor)));
            outputs.Add(new RenditionOutput(rendition, Path.Combine(OutputDirectory, rendition.Name + ".mp4"),
                Path.Combine(OutputDirectory, "hls", rendition.Name, "index.m3u8"), parts.Sum(p => p.Frames)));
        }
        RenditionPackager.WriteMasterPlaylist(Path.Combine(hls, "master.m3u8"), variants, audio is not null);

        // Everything is complete: only now do the results take their final names.
        foreach (var o in outputs) File.Move(Path.Combine(final, o.Rendition.Name + ".mp4"), o.Mp4, overwrite: true);
        var hlsTarget = Path.Combine(OutputDirectory, "hls");
        if (Directory.Exists(hlsTarget)) Directory.Delete(hlsTarget, recursive: true);
        Directory.Move(hls, hlsTarget);
        Dispose();
        return outputs;
    }

    public string MasterPlaylist => Path.Combine(OutputDirectory, "hls", "master.m3u8");

    /// <summary>Removes the staging directory (the job's intermediate files).</summary>
    public void Dispose()
    {
        try { audio?.Wait(TimeSpan.FromSeconds(30)); } catch (AggregateException) { }
        try { if (Directory.Exists(Staging)) Directory.Delete(Staging, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>Runs every segment of a job in this process, one after another, on one scaler device.</summary>
public static class LocalTranscode
{
    public static async Task<IReadOnlyList<RenditionOutput>> RunAsync(FfmpegTools tools, TranscodeJob job, VideoFrameScalerFactory scalers,
        Action<InputSegment>? onSegment = null, CancellationToken cancellation = default)
    {
        var results = new Dictionary<int, IReadOnlyList<RenditionSegment>>();
        foreach (var segment in job.Segments)
        {
            results[segment.Index] = await SegmentTranscoder.RunAsync(tools, job.SpecFor(segment), segment.Path, job.SegmentDirectory(segment.Index), scalers, cancellation);
            onSegment?.Invoke(segment);
        }
        return await job.PackageAsync(results, cancellation);
    }
}
