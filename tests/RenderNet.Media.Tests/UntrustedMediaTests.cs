using RenderNet.Core.Media;

namespace RenderNet.Media.Tests;

/// <summary>
/// Attacks through media files (security review M-1, F-2, K-1), against Debian's real ffmpeg: a party that writes a
/// file the other side feeds to ffmpeg must not make ffmpeg read anything else, and ffmpeg must not see secrets.
/// </summary>
[Collection("media")]
public class UntrustedMediaTests(MediaFixture f)
{
    static string Playlist(string target) =>
        $"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\n{target}\n#EXT-X-ENDLIST\n";

    [Fact]
    public async Task M1_a_segment_that_is_an_HLS_playlist_cannot_make_the_node_transcode_a_local_file()
    {
        // The node's private media (an MPEG-TS at a guessable absolute path) and a coordinator's "segment" naming it.
        var dir = Directory.CreateTempSubdirectory("rendernet-m1-").FullName;
        var secret = Path.Combine(dir, "private.ts");
        f.Run("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=24:d=2", "-c:v", "libx264", "-y", secret);
        var input = Path.Combine(dir, "input.mkv");
        await File.WriteAllTextAsync(input, Playlist(secret));
        // The attack works against ffmpeg's defaults (what the node ran before): 48 frames of the private file come out.
        Assert.Equal(48 * 320 * 240 * 3 / 2, f.Run("ffmpeg", "-v", "error", "-nostdin", "-i", input, "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1").Length);

        var spec = new SegmentSpec(320, 240, "yuv420p", null, null, new FrameRate(24, 1), 0, 48, [new Rendition("240p", 320, 240)]);
        var ex = await Assert.ThrowsAsync<MediaException>(() => SegmentTranscoder.RunAsync(f.Tools, spec, input, Path.Combine(dir, "out"), f.Scalers));
        Assert.Contains("decoding the segment failed", ex.Message);
        Assert.Contains("EBML header parsing failed", ex.Message); // refused as Matroska, never probed as a playlist
        Assert.False(File.Exists(Path.Combine(dir, "out", "00-240p.mp4")) && new FileInfo(Path.Combine(dir, "out", "00-240p.mp4")).Length > 0);
    }

    [Fact]
    public async Task M1_a_segment_in_an_unexpected_codec_family_is_refused_by_the_decoder_whitelist()
    {
        // A real Matroska file whose video is in a codec outside the whitelist (Microsoft Video 1): its decoder is never opened.
        var dir = Directory.CreateTempSubdirectory("rendernet-m1c-").FullName;
        var input = Path.Combine(dir, "odd.mkv");
        f.Run("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=64x48:r=24:d=0.5", "-c:v", "msvideo1", "-f", "matroska", "-y", input);
        var spec = new SegmentSpec(64, 48, "yuv420p", null, null, new FrameRate(24, 1), 0, 12, [new Rendition("48p", 64, 48)]);
        var ex = await Assert.ThrowsAsync<MediaException>(() => SegmentTranscoder.RunAsync(f.Tools, spec, input, Path.Combine(dir, "out"), f.Scalers));
        Assert.Contains("not on whitelist", ex.Message);
    }

    [Fact]
    public async Task F2_a_rendition_that_is_an_HLS_playlist_named_mp4_fails_the_check_and_cannot_be_joined()
    {
        var dir = Directory.CreateTempSubdirectory("rendernet-f2-").FullName;
        // A genuine earlier segment of the job, which the playlist points the coordinator back to.
        var real = Path.Combine(dir, "00-240p.mp4");
        f.Run("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=24:d=2", "-c:v", "libx264", "-g", "48", "-f", "mp4", "-y", real);
        var fake = Path.Combine(dir, "fake-240p.mp4");
        await File.WriteAllTextAsync(fake, Playlist("00-240p.mp4"));
        // Before the fix, ffprobe's auto-detection followed the playlist and reported the real segment's stream.
        Assert.Contains("h264,320,240", f.Text("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
            "-show_entries", "stream=codec_name,width,height,nb_read_packets", "-of", "csv=p=0", fake));

        var rendition = new Rendition("240p", 320, 240);
        await RenditionCheck.VerifyAsync(f.Tools, real, rendition, 48); // the honest file passes
        var ex = await Assert.ThrowsAsync<MediaException>(() => RenditionCheck.VerifyAsync(f.Tools, fake, rendition, 48));
        Assert.Equal("240p: not an MP4 file (it does not start with an ftyp box)", ex.Message);
        var join = await Assert.ThrowsAsync<MediaException>(() => RenditionPackager.JoinAsync(f.Tools, [real, fake], null, Path.Combine(dir, "joined.mp4"), default));
        Assert.Contains("does not start with an ftyp box", join.Message);
        Assert.False(File.Exists(Path.Combine(dir, "joined.mp4")));
    }

    [Fact]
    public async Task F2_an_MP4_header_in_front_of_a_playlist_is_still_read_as_MP4_only()
    {
        // An ftyp box glued to playlist text: it passes the first look but the forced MP4 demuxer finds no movie in it.
        var dir = Directory.CreateTempSubdirectory("rendernet-f2b-").FullName;
        var real = Path.Combine(dir, "00-240p.mp4");
        f.Run("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=24:d=1", "-c:v", "libx264", "-f", "mp4", "-y", real);
        var hybrid = Path.Combine(dir, "hybrid.mp4");
        byte[] ftyp = [0, 0, 0, 16, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'i', (byte)'s', (byte)'o', (byte)'m', 0, 0, 2, 0];
        await File.WriteAllBytesAsync(hybrid, [.. ftyp, .. System.Text.Encoding.ASCII.GetBytes(Playlist("00-240p.mp4"))]);
        var ex = await Assert.ThrowsAsync<MediaException>(() => RenditionCheck.VerifyAsync(f.Tools, hybrid, new Rendition("240p", 320, 240), 24));
        Assert.Contains("240p: not a readable video", ex.Message);
    }

    [Fact]
    public async Task K1_ffmpeg_children_inherit_no_secret_from_the_parent()
    {
        Environment.SetEnvironmentVariable("RENDERNET_NODE_KEY", "0x" + new string('7', 64));
        Environment.SetEnvironmentVariable("RENDERNET_TEST_SECRET", "hunter2");
        try
        {
            // The same process launcher every ffmpeg/ffprobe run goes through, pointed at env(1) to show what a child sees.
            using var child = FfmpegProcess.Start("/usr/bin/env", [], "listing the environment", redirectInput: false, redirectOutput: true);
            var seen = await child.Process.StandardOutput.ReadToEndAsync();
            await child.WaitAsync(default);
            Assert.DoesNotContain("RENDERNET_NODE_KEY", seen);
            Assert.DoesNotContain("hunter2", seen);
            Assert.Contains("PATH=/usr/local/bin:/usr/bin:/bin", seen);
        }
        finally
        {
            Environment.SetEnvironmentVariable("RENDERNET_NODE_KEY", null);
            Environment.SetEnvironmentVariable("RENDERNET_TEST_SECRET", null);
        }
    }
}

/// <summary>Security review M-2: what the coordinator's staging calls finished must be intact after a crash.</summary>
[Collection("media")]
public class StagingDurabilityTests(MediaFixture f)
{
    [Fact]
    public async Task M2_a_torn_segment_is_not_taken_as_finished_on_resume_and_attempt_directories_are_swept()
    {
        var input = f.Clip("staging.mp4", 160, 90, 1.0, fps: 12, audio: false, gop: 6);
        var outDir = Path.Combine(f.Directory, "staging-out");
        using var job = await TranscodeJob.PrepareAsync(f.Tools, new MediaInput(input), "90p", outDir, "staging", 0.5);
        var spec = job.SpecFor(job.Segments[0]);
        var attempt = job.SegmentDirectory(0) + ".attempt1";
        Directory.CreateDirectory(attempt);
        var file = TranscodeJob.RenditionFile(attempt, 0, spec.Renditions[0]);
        await File.WriteAllBytesAsync(file, Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray());
        var kept = job.Keep(0, attempt, [new RenditionSegment(spec.Renditions[0], file, spec.KeptFrames(spec.Renditions[0]))]);
        Assert.True(job.FinishedSegments().ContainsKey(0));

        // A power cut after the rename but before the data reached the disk: the file is shorter than what was kept.
        var stray = job.SegmentDirectory(1) + ".0b1c";
        Directory.CreateDirectory(stray);
        await using (var torn = new FileStream(kept[0].Path!, FileMode.Open)) torn.SetLength(1000);
        Assert.False(job.FinishedSegments().ContainsKey(0)); // before the fix: File.Exists was enough
        Assert.False(Directory.Exists(job.SegmentDirectory(0)));
        Assert.False(Directory.Exists(stray));
    }
}
