using System.Globalization;
using System.Security.Cryptography;
using RenderNet.Core.Media;

namespace RenderNet.Media.Tests;

/// <summary>The whole ladder in one process: split, decode, scale on Vulkan, encode, join, package.</summary>
[Collection("media")]
public sealed class TranscodePipelineTests(MediaFixture media, ITestOutputHelper output)
{
    /// <summary>Records the SHA-256 of every frame the scaler hands to each rendition's encoder, in order.</summary>
    sealed class RecordingScaler(IVideoFrameScaler inner, List<string>[] hashes) : IVideoFrameScaler
    {
        public void Scale(ReadOnlySpan<byte> source, IReadOnlyList<byte[]> outputs, IReadOnlyList<bool> wanted)
        {
            inner.Scale(source, outputs, wanted);
            for (int i = 0; i < outputs.Count; i++)
                if (wanted[i]) hashes[i].Add(Convert.ToHexStringLower(SHA256.HashData(outputs[i])));
        }

        public void Dispose() => inner.Dispose();
    }

    async Task<(IReadOnlyList<RenditionOutput> Outputs, List<string>[] Frames, TranscodeJob Job)> Run(string input, string ladder, double segmentSeconds, string name)
    {
        var outDir = Path.Combine(media.Directory, name);
        var job = await TranscodeJob.PrepareAsync(media.Tools, new MediaInput(input), ladder, outDir, name, segmentSeconds);
        var frames = job.Renditions.Select(_ => new List<string>()).ToArray();
        VideoFrameScalerFactory recording = (l, c, t) => new RecordingScaler(media.Scalers(l, c, t), frames);
        var outputs = await LocalTranscode.RunAsync(media.Tools, job, recording);
        Assert.Equal(0, media.Device.ValidationErrors);
        return (outputs, frames, job);
    }

    [Fact]
    public async Task Ladder_has_every_frame_keyframe_and_the_audio_and_matches_a_single_pass()
    {
        // 5 s at 24 fps with a keyframe every 12 frames: 1 s segments give 5 segments of 24 frames.
        var input = media.Clip("ladder.mp4", 320, 180, 5, gop: 12);
        const string ladder = "180p,120p:crf=28,72p:b=150k,120p:fps=/2";
        var (outputs, frames, job) = await Run(input, ladder, 1, "segmented");
        Assert.Equal(5, job.Segments.Count);
        Assert.False(Directory.Exists(job.Staging), "the staging directory is removed after packaging");

        var expected = new[] { (320, 180, 120, 24.0), (214, 120, 120, 24.0), (128, 72, 120, 24.0), (214, 120, 60, 12.0) };
        for (int i = 0; i < outputs.Count; i++)
        {
            var o = outputs[i];
            var (w, h, n, fps) = expected[i];
            var probe = media.Probe(o.Mp4);
            output.WriteLine($"{o.Rendition}: {probe.Width}x{probe.Height}, {probe.Frames} frames, {probe.Duration:F3} s, audio {probe.Audio}");
            Assert.Equal((w, h, n), (probe.Width, probe.Height, probe.Frames));
            Assert.Equal(n, o.Frames);
            Assert.True(probe.Audio, $"{o.Rendition.Name} has no audio");
            Assert.InRange(probe.Duration, 5 - 0.05, 5 + 0.05);

            // Timestamps continuous across the joins: every frame exactly 1/fps after the previous one.
            var pts = media.Text("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time,key_frame", "-of", "csv=p=0", o.Mp4)
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')).Where(p => p.Length >= 2)
                .Select(p => (Key: p[0] == "1", Time: double.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
            Assert.Equal(n, pts.Count);
            for (int k = 0; k < n; k++) Assert.Equal(k / fps, pts[k].Time, 3);
            // A keyframe at every segment's first frame (and every 2 s within one): HLS can cut anywhere we cut.
            int perSegment = 24 / o.Rendition.FrameRateDivisor;
            for (int s = 0; s < 5; s++) Assert.True(pts[s * perSegment].Key, $"{o.Rendition.Name}: frame {s * perSegment} starts segment {s} but is no keyframe");

            var playlist = File.ReadAllText(Path.Combine(job.OutputDirectory, o.Playlist));
            Assert.Contains("#EXT-X-ENDLIST", playlist);
        }
        var master = File.ReadAllText(job.MasterPlaylist);
        Assert.Equal(4, master.Split("#EXT-X-STREAM-INF").Length - 1);
        Assert.Contains("RESOLUTION=320x180", master);

        // No frame dropped or doubled at segment boundaries: the frames every encoder was given equal a single pass's.
        var (_, single, singleJob) = await Run(input, ladder, 600, "single");
        Assert.Single(singleJob.Segments);
        for (int i = 0; i < frames.Length; i++) Assert.Equal(single[i], frames[i]);
        Assert.Equal(120, frames[0].Distinct().Count()); // testsrc2 moves: every frame differs, so a repeat would show
    }

    /// <summary>
    /// x264's bytes depend on its thread count, which is why a job fixes one and every header carries it: the same
    /// segment with the same count is byte-identical, with another count it is not. A resumed job keeps its count.
    /// </summary>
    [Fact]
    public async Task The_encoder_thread_count_is_the_segments_and_a_resumed_job_keeps_it()
    {
        var input = media.Clip("threads.mp4", 320, 180, 1, audio: false);
        var outDir = Path.Combine(media.Directory, "threads");
        using var job = await TranscodeJob.PrepareAsync(media.Tools, new MediaInput(input), "180p", outDir, "threads", 4);
        Assert.Equal(0, job.EncoderThreads);
        var spec = job.SpecFor(job.Segments[0]);
        async Task<byte[]> Encode(int threads, string name)
        {
            var files = await SegmentTranscoder.RunAsync(media.Tools, spec with { EncoderThreads = threads }, job.Segments[0].Path, Path.Combine(outDir, name), media.Scalers);
            return File.ReadAllBytes(files[0].Path!);
        }
        var one = await Encode(1, "one");
        var four = await Encode(4, "four");
        var fourAgain = await Encode(4, "four-again");
        Assert.Equal(four, fourAgain);
        Assert.NotEqual(one, four);

        job.ChooseEncoderThreads(16); // 16 cores, one rendition: 16 threads (1.5 per core, capped)
        Assert.Equal(16, job.SpecFor(job.Segments[0]).EncoderThreads);
        using var resumed = await TranscodeJob.ResumeAsync(media.Tools, outDir, "threads");
        Assert.Equal(16, resumed.EncoderThreads);
        resumed.ChooseEncoderThreads(2); // a resumed job keeps the count its first segments were encoded with
        Assert.Equal(16, resumed.SpecFor(resumed.Segments[0]).EncoderThreads);
        job.Discard();
    }

    [Fact]
    public async Task Two_runs_write_the_same_bytes()
    {
        var input = media.Clip("repeat.mp4", 192, 108, 2, audio: false);
        var a = await Run(input, "108p,72p", 1, "run-a");
        var b = await Run(input, "108p,72p", 1, "run-b");
        for (int i = 0; i < a.Outputs.Count; i++)
            Assert.Equal(SHA256.HashData(File.ReadAllBytes(a.Outputs[i].Mp4)), SHA256.HashData(File.ReadAllBytes(b.Outputs[i].Mp4)));
        Assert.False(media.Probe(a.Outputs[0].Mp4).Audio);
    }

    [Fact]
    public async Task An_image_sequence_is_transcoded_at_its_frame_rate()
    {
        var dir = Path.Combine(media.Directory, "frames");
        Directory.CreateDirectory(dir);
        media.Run("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=10:d=3", "-y", Path.Combine(dir, "f%04d.png"));
        var outDir = Path.Combine(media.Directory, "sequence-out");
        using var job = await TranscodeJob.PrepareAsync(media.Tools, new MediaInput(Path.Combine(dir, "f%04d.png"), new FrameRate(30, 1)), "90p,46p", outDir, "seq", 0.5);
        Assert.Equal(30, job.Info.Frames);
        var outputs = await LocalTranscode.RunAsync(media.Tools, job, media.Scalers);
        var probe = media.Probe(outputs[0].Mp4);
        Assert.Equal((30, 160, 90), (probe.Frames, probe.Width, probe.Height));
        Assert.InRange(probe.Duration, 0.95, 1.05); // 30 frames at 30 fps
        // A directory of images works the same way.
        using var fromDir = await TranscodeJob.PrepareAsync(media.Tools, new MediaInput(dir, new FrameRate(30, 1)), "46p", Path.Combine(media.Directory, "dir-out"), "dir", 1);
        Assert.Equal(30, fromDir.Info.Frames);
    }
}
