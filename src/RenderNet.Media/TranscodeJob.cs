using System.Text.Json;
using RenderNet.Core.Media;

namespace RenderNet.Media;

/// <summary>A finished rendition: its MP4, its HLS playlist (relative to the output directory), and its frame count.</summary>
public sealed record RenditionOutput(Rendition Rendition, string Mp4, string Playlist, int Frames);

/// <summary>
/// The coordinator's side of one transcode job, whoever does the segments: probes the input, parses the ladder,
/// cuts the input into segments in a staging directory inside the output directory, encodes the audio once, and at the
/// end joins and packages the renditions. Outputs appear under their final names only when all of them are complete.
/// The staging directory (.rendernet-JOB) holds the job's manifest, the input segments and every accepted segment's
/// renditions, each moved in whole: a job killed or cancelled midway is resumed from it (<see cref="ResumeAsync"/>)
/// without redoing a finished segment. It is removed when the job is packaged, or discarded.
/// </summary>
public sealed class TranscodeJob : IDisposable
{
    const string ManifestFile = "job.json";
    readonly FfmpegTools tools;
    Task? audio;
    bool remove;

    /// <summary>What a resumed job needs to rebuild itself; written once the input is split.</summary>
    sealed record Manifest(string JobId, string Input, string? SequenceRate, string Ladder, double SegmentSeconds, int Frames, List<Manifest.Piece> Segments,
        int EncoderThreads = 0)
    {
        public sealed record Piece(int Index, string File, long FirstFrame, int Frames);
    }

    public MediaInput Input { get; }
    public MediaInfo Info { get; }
    public IReadOnlyList<Rendition> Renditions { get; }
    public IReadOnlyList<InputSegment> Segments { get; private set; } = [];
    public string OutputDirectory { get; }
    public string Staging { get; }
    public double SegmentSeconds { get; }
    public string JobId { get; }
    /// <summary>x264 threads of every segment, once chosen (<see cref="ChooseEncoderThreads"/>); 0 until then.</summary>
    public int EncoderThreads { get; private set; }
    Manifest? manifest;
    string AudioPath => Path.Combine(Staging, "audio.m4a");

    public static string StagingFor(string outputDirectory, string jobId) => Path.Combine(Path.GetFullPath(outputDirectory), $".rendernet-{jobId}");

    TranscodeJob(FfmpegTools tools, MediaInput input, MediaInfo info, IReadOnlyList<Rendition> renditions, string outputDirectory, string jobId, double segmentSeconds)
    {
        this.tools = tools;
        JobId = jobId;
        Input = input;
        Info = info;
        Renditions = renditions;
        OutputDirectory = Path.GetFullPath(outputDirectory);
        Staging = StagingFor(outputDirectory, jobId);
        SegmentSeconds = segmentSeconds;
    }

    /// <summary>Checks everything that can be checked before work is spent, then splits the input.</summary>
    /// <param name="segmentSeconds">Target segment length; 0: picked for <paramref name="slots"/> segments at a time
    /// (<see cref="TranscodeParallelism.SegmentSeconds"/>).</param>
    public static async Task<TranscodeJob> PrepareAsync(FfmpegTools tools, MediaInput input, string ladder, string outputDirectory, string jobId,
        double segmentSeconds = 4, CancellationToken cancellation = default, int slots = 1)
    {
        if (!(segmentSeconds == 0 || segmentSeconds is >= 0.5 and <= 600)) throw new MediaException($"segment length {segmentSeconds} s is out of range (0.5–600 s, or 0 to let the coordinator pick)");
        var info = await MediaInfo.ProbeAsync(tools, input, cancellation);
        if (segmentSeconds == 0) segmentSeconds = TranscodeParallelism.SegmentSeconds(info.Duration, slots);
        IReadOnlyList<Rendition> renditions;
        try { renditions = Rendition.ParseLadder(ladder, info.Width, info.Height); }
        catch (FormatException ex) { throw new MediaException(ex.Message, ex); }
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
            job.manifest = new Manifest(jobId, Path.GetFullPath(input.Path), input.SequenceRate?.ToString(), ladder, segmentSeconds, info.Frames,
                job.Segments.Select(x => new Manifest.Piece(x.Index, Path.GetFileName(x.Path), x.FirstFrame, x.Frames)).ToList());
            job.WriteManifest();
            job.StartAudio(cancellation);
            return job;
        }
        catch
        {
            job.Discard(); // nothing worth resuming yet
            throw;
        }
    }

    /// <summary>Reopens an interrupted job from its staging directory in <paramref name="outputDirectory"/>.</summary>
    public static async Task<TranscodeJob> ResumeAsync(FfmpegTools tools, string outputDirectory, string jobId, CancellationToken cancellation = default)
    {
        var staging = StagingFor(outputDirectory, jobId);
        var manifestPath = Path.Combine(staging, ManifestFile);
        if (!File.Exists(manifestPath))
            throw new MediaException($"there is no interrupted transcode job {jobId} in {outputDirectory} (no {manifestPath})");
        var manifest = JsonSerializer.Deserialize<Manifest>(await File.ReadAllTextAsync(manifestPath, cancellation))
            ?? throw new MediaException($"{manifestPath} is damaged");
        FrameRate? rate = manifest.SequenceRate is null ? null : FrameRate.TryParse(manifest.SequenceRate, out var r) ? r : throw new MediaException($"{manifestPath} is damaged");
        var input = new MediaInput(manifest.Input, rate);
        var info = await MediaInfo.ProbeAsync(tools, input, cancellation);
        if (info.Frames != manifest.Frames)
            throw new MediaException($"{manifest.Input} has {info.Frames} frames now, {manifest.Frames} when job {jobId} started: it changed, start a new job");
        if (manifest.EncoderThreads is < 0 or > TranscodeParallelism.MaxEncoderThreads) throw new MediaException($"{manifestPath} is damaged");
        var job = new TranscodeJob(tools, input, info, Rendition.ParseLadder(manifest.Ladder, info.Width, info.Height), outputDirectory, jobId, manifest.SegmentSeconds)
        {
            Segments = manifest.Segments.Select(p => new InputSegment(p.Index, Path.Combine(staging, "input", p.File), p.FirstFrame, p.Frames)).ToList(),
            EncoderThreads = manifest.EncoderThreads,
            manifest = manifest,
        };
        var lost = job.Segments.FirstOrDefault(x => !File.Exists(x.Path));
        if (lost is not null) throw new MediaException($"job {jobId}: its input segment {lost.Path} is gone; start a new job");
        job.StartAudio(cancellation);
        return job;
    }

    /// <summary>
    /// Fixes x264's thread count for the job from the cores of the hosts that will encode it (the fewest, when several),
    /// unless it is already fixed: a resumed job keeps its count, so every segment of a rendition is encoded alike.
    /// </summary>
    public void ChooseEncoderThreads(int cores)
    {
        if (EncoderThreads != 0) return;
        EncoderThreads = TranscodeParallelism.EncoderThreads(cores, Renditions.Count);
        if (manifest is not null)
        {
            manifest = manifest with { EncoderThreads = EncoderThreads };
            WriteManifest();
        }
    }

    void WriteManifest()
    {
        var path = Path.Combine(Staging, ManifestFile);
        File.WriteAllText(path + ".partial", JsonSerializer.Serialize(manifest));
        File.Move(path + ".partial", path, overwrite: true);
    }

    /// <summary>Encodes the audio once, unless an earlier run of the job already did (written whole, then renamed).</summary>
    void StartAudio(CancellationToken cancellation)
    {
        if (!Info.HasAudio || File.Exists(AudioPath)) return;
        audio = Task.Run(async () =>
        {
            await RenditionPackager.EncodeAudioAsync(tools, Input, AudioPath + ".partial", cancellation);
            File.Move(AudioPath + ".partial", AudioPath, overwrite: true);
        }, cancellation);
    }

    /// <summary>The file a segment's rendition is kept in, inside <paramref name="directory"/>.</summary>
    public static string RenditionFile(string directory, int rendition, Rendition r) => Path.Combine(directory, $"{rendition:D2}-{r.Name}.mp4");

    /// <summary>The list of a kept segment's files and their SHA-256, written last: a segment without it is not finished.</summary>
    const string HashList = "sha256.txt";

    /// <summary>
    /// Segments finished by an earlier run of this job, with their rendition files: only those whose files all still
    /// hash to what was recorded when they were kept (a power cut can leave a renamed directory with torn files).
    /// Anything else — attempt directories, damaged segments — is removed, to be transcoded again.
    /// </summary>
    public IReadOnlyDictionary<int, IReadOnlyList<RenditionSegment>> FinishedSegments()
    {
        var done = new Dictionary<int, IReadOnlyList<RenditionSegment>>();
        var root = Path.Combine(Staging, "segments");
        if (Directory.Exists(root))
            foreach (var attempt in Directory.EnumerateDirectories(root).Where(d => Path.GetFileName(d).Contains('.'))) // NNNNN.<attempt>, NNNNN.partial
                TryDeleteDirectory(attempt);
        foreach (var segment in Segments)
        {
            var dir = SegmentDirectory(segment.Index);
            if (!Directory.Exists(dir)) continue;
            var spec = SpecFor(segment);
            var files = Renditions.Select((r, i) => new RenditionSegment(r, spec.KeptFrames(r) > 0 ? RenditionFile(dir, i, r) : null, spec.KeptFrames(r))).ToList();
            if (Intact(dir, files)) done[segment.Index] = files;
            else TryDeleteDirectory(dir);
        }
        return done;
    }

    static bool Intact(string dir, IReadOnlyList<RenditionSegment> files)
    {
        var list = Path.Combine(dir, HashList);
        if (!File.Exists(list)) return false;
        var recorded = File.ReadAllLines(list).Select(l => l.Split(' ', 2)).Where(p => p.Length == 2).ToDictionary(p => p[1], p => p[0]);
        foreach (var f in files.Where(f => f.Path is not null))
        {
            if (!File.Exists(f.Path) || !recorded.TryGetValue(Path.GetFileName(f.Path!), out var hash)) return false;
            using var stream = File.OpenRead(f.Path!);
            if (Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream)) != hash) return false;
        }
        return true;
    }

    /// <summary>
    /// Moves a checked segment's files (written in <paramref name="attemptDirectory"/>) into place in one rename, after
    /// flushing them and their hash list to disk; the staging directory is flushed after the rename.
    /// </summary>
    public IReadOnlyList<RenditionSegment> Keep(int segment, string attemptDirectory, IReadOnlyList<RenditionSegment> files)
    {
        var lines = new List<string>();
        foreach (var f in files.Where(f => f.Path is not null))
        {
            Core.Storage.DurableFile.Flush(f.Path!);
            using var stream = File.OpenRead(f.Path!);
            lines.Add($"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream))} {Path.GetFileName(f.Path!)}");
        }
        Core.Storage.DurableFile.Replace(Path.Combine(attemptDirectory, HashList), s => s.Write(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n")));
        var final = SegmentDirectory(segment);
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(attemptDirectory, final);
        Core.Storage.DurableFile.FlushDirectory(Path.GetDirectoryName(final)!);
        return files.Select(r => r with { Path = r.Path is null ? null : Path.Combine(final, Path.GetFileName(r.Path)) }).ToList();
    }

    /// <summary>Takes a kept segment back out (its node was outvoted in a spot check): it will be transcoded again.</summary>
    public void Forget(int segment) => TryDeleteDirectory(SegmentDirectory(segment));

    static void TryDeleteDirectory(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>Gives up on the job: its staging directory goes when it is disposed.</summary>
    public void Discard()
    {
        remove = true;
        Dispose();
    }

    public SegmentSpec SpecFor(InputSegment segment) =>
        new(Info.Width, Info.Height, Info.PixelFormat, Info.ColorSpace, Info.ColorRange, Info.Rate, segment.FirstFrame, segment.Frames, Renditions,
            EncoderThreads == 0 ? TranscodeParallelism.DefaultEncoderThreads : EncoderThreads);

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
            await RenditionPackager.JoinAsync(tools, parts.Select(p => p.Path!).ToList(), Info.HasAudio ? AudioPath : null, mp4, cancellation);
            long peak = await RenditionPackager.WriteHlsAsync(tools, mp4, Path.Combine(hls, rendition.Name), SegmentSeconds, cancellation);
            variants.Add((rendition, $"{rendition.Name}/index.m3u8", peak, Info.Rate.DividedBy(rendition.FrameRateDivisor)));
            outputs.Add(new RenditionOutput(rendition, Path.Combine(OutputDirectory, rendition.Name + ".mp4"),
                Path.Combine(OutputDirectory, "hls", rendition.Name, "index.m3u8"), parts.Sum(p => p.Frames)));
        }
        RenditionPackager.WriteMasterPlaylist(Path.Combine(hls, "master.m3u8"), variants, Info.HasAudio);

        // Everything is complete: only now do the results take their final names.
        foreach (var o in outputs) File.Move(Path.Combine(final, o.Rendition.Name + ".mp4"), o.Mp4, overwrite: true);
        var hlsTarget = Path.Combine(OutputDirectory, "hls");
        if (Directory.Exists(hlsTarget)) Directory.Delete(hlsTarget, recursive: true);
        Directory.Move(hls, hlsTarget);
        Discard();
        return outputs;
    }

    public string MasterPlaylist => Path.Combine(OutputDirectory, "hls", "master.m3u8");

    /// <summary>Waits for the audio encoder; removes the staging directory if the job was packaged or discarded.</summary>
    public void Dispose()
    {
        try { audio?.Wait(TimeSpan.FromSeconds(30)); } catch (AggregateException) { }
        if (!remove) return;
        try { if (Directory.Exists(Staging)) Directory.Delete(Staging, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>Runs every segment of a job in this process, one after another, on one scaler device, x264 sized to this host's cores.</summary>
public static class LocalTranscode
{
    public static async Task<IReadOnlyList<RenditionOutput>> RunAsync(FfmpegTools tools, TranscodeJob job, VideoFrameScalerFactory scalers,
        Action<InputSegment>? onSegment = null, CancellationToken cancellation = default)
    {
        job.ChooseEncoderThreads(Environment.ProcessorCount);
        var results = new Dictionary<int, IReadOnlyList<RenditionSegment>>(job.FinishedSegments());
        foreach (var segment in job.Segments.Where(x => !results.ContainsKey(x.Index)))
        {
            var attempt = job.SegmentDirectory(segment.Index) + ".partial";
            if (Directory.Exists(attempt)) Directory.Delete(attempt, recursive: true);
            var files = await SegmentTranscoder.RunAsync(tools, job.SpecFor(segment), segment.Path, attempt, scalers, cancellation);
            results[segment.Index] = job.Keep(segment.Index, attempt, files);
            onSegment?.Invoke(segment);
        }
        return await job.PackageAsync(results, cancellation);
    }
}
