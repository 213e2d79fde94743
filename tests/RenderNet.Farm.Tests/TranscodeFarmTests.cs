using System.Text.Json;
using System.Diagnostics;
using System.Numerics;
using System.Security.Cryptography;
using RenderNet.Core.Media;
using RenderNet.Media;
using RenderNet.Vulkan;

namespace RenderNet.Farm.Tests;

/// <summary>Transcode jobs across real node processes: same bytes as one process, dead and lying nodes, payment per segment.</summary>
[Collection("farm")]
public class TranscodeFarmTests : IDisposable
{
    const string Ladder = "90p,60p:crf=30";
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-transcode-farm").FullName;
    readonly FfmpegTools tools = FfmpegTools.Locate();

    public void Dispose() => Directory.Delete(dir, true);

    /// <summary>testsrc2 with a tone, 160x90 at 12 fps, a keyframe every 6 frames: 0.5 s segments.</summary>
    string Clip(double seconds)
    {
        var path = Path.Combine(dir, $"clip{seconds}.mp4");
        if (File.Exists(path)) return path;
        var psi = new ProcessStartInfo(tools.Ffmpeg) { RedirectStandardError = true };
        foreach (var a in (string[])["-v", "error", "-f", "lavfi", "-i", $"testsrc2=s=160x90:r=12:d={seconds}", "-f", "lavfi", "-i", $"sine=d={seconds}",
                     "-c:v", "libx264", "-g", "6", "-pix_fmt", "yuv420p", "-c:a", "aac", "-y", path])
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
        return path;
    }

    Task<TranscodeJob> Prepare(string input, string name, string ladder = Ladder) =>
        TranscodeJob.PrepareAsync(tools, new MediaInput(input), ladder, Path.Combine(dir, name), name, 0.5);

    async Task<List<byte[]>> LocalRun(string input)
    {
        using var job = await Prepare(input, "local");
        using var device = VulkanDevice.Open();
        var outputs = await LocalTranscode.RunAsync(tools, job, VideoScaler.FactoryFor(device));
        return outputs.Select(o => File.ReadAllBytes(o.Mp4)).ToList();
    }

    async Task<(List<byte[]> Files, FarmRun Run, TranscodeJob Job)> FarmRun(string input, string name, FarmOptions options, IReadOnlyList<string> nodes,
        Action<TileEvent>? onSegment = null, string ladder = Ladder)
    {
        var job = await Prepare(input, name, ladder);
        var work = new TranscodeWorkload(job, tools, name);
        var run = await new TileFarm(work, options, onTile: onSegment).RunWorkAsync(nodes);
        var outputs = await job.PackageAsync(work.Results);
        return (outputs.Select(o => File.ReadAllBytes(o.Mp4)).ToList(), run, job);
    }

    static void AssertSameFiles(List<byte[]> expected, List<byte[]> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(expected[i].AsSpan().SequenceEqual(actual[i]), $"rendition {i}: {actual[i].Length} bytes differ from the local run's {expected[i].Length}");
    }

    [Fact]
    public async Task Three_nodes_write_the_same_renditions_as_one_process()
    {
        var input = Clip(3);
        using var a = new NodeProcess(); using var b = new NodeProcess(); using var c = new NodeProcess();
        var (files, run, job) = await FarmRun(input, "three", Jobs.Fast, [a.Address, b.Address, c.Address]);
        Assert.Equal(6, job.Segments.Count);
        Assert.Equal(6, run.Nodes.Sum(n => n.Tiles));
        Assert.True(run.Nodes.Count(n => n.Tiles > 0) >= 2, "segments should spread over the nodes");
        // The nodes report this host's cores; the job sized x264 by them, as the in-process run does.
        Assert.Equal(TranscodeParallelism.EncoderThreads(Environment.ProcessorCount, job.Renditions.Count), job.EncoderThreads);
        AssertSameFiles(await LocalRun(input), files);
    }

    [Fact]
    public async Task A_node_killed_mid_segment_leaves_the_output_unchanged()
    {
        var input = Clip(6); // 12 segments for 6 slots: the victim always has more to do when it dies
        using var victim = new NodeProcess(); using var b = new NodeProcess(); using var c = new NodeProcess();
        int killed = 0;
        var (files, run, _) = await FarmRun(input, "killed", Jobs.Fast, [victim.Address, b.Address, c.Address], e =>
        {
            // SIGKILL right after its first segment: its other slot is busy with one, and the freed one takes the next.
            if (e.Node.Contains(victim.Address) && Interlocked.Exchange(ref killed, 1) == 0) victim.Kill();
        });
        Assert.True(victim.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(12, run.Nodes.Sum(n => n.Tiles));
        Assert.True(run.Nodes.Single(n => n.Address == victim.Address).Failures >= 1, string.Join("; ", run.Nodes));
        AssertSameFiles(await LocalRun(input), files);
    }

    [Theory]
    [InlineData("WrongSize")] // a truncated MP4 with a matching hash: fails the demux check
    [InlineData("BadHash")]
    public async Task A_lying_node_is_caught_and_its_segments_redone(string fault)
    {
        var input = Clip(2);
        using var liar = new NodeProcess(fault); using var good = new NodeProcess();
        var (files, run, _) = await FarmRun(input, "liar-" + fault, Jobs.Fast with { SpeculativeStragglers = false }, [liar.Address, good.Address]);
        var report = run.Nodes.Single(n => n.Address == liar.Address);
        Assert.Equal(0, report.Tiles);
        Assert.True(report.Failures >= 1);
        AssertSameFiles(await LocalRun(input), files);
    }

    [Fact]
    public async Task Paid_segments_cost_one_tile_price_per_started_output_megapixel()
    {
        var input = Clip(2);
        await using var chain = new PaidFarmTests.PaidChain();
        await chain.DeployAsync();
        using var a = chain.Node(1); using var b = chain.Node(2);
        var unitsByNode = new Dictionary<string, int>();
        // 720p (upscaled) + 90p: a 0.5 s segment holds 6 frames of each, (1280x720 + 160x90) x 6 = 5,616,000 pixels:
        // 6 started megapixels (2^20 pixels), so each segment is paid 6 tiles' price.
        var (_, run, job) = await FarmRun(input, "paid", Jobs.Fast with { Payer = chain.Payer() }, [a.Address, b.Address], e =>
        {
            lock (unitsByNode) unitsByNode[e.Node] = unitsByNode.GetValueOrDefault(e.Node) + 6;
        }, ladder: "720p,90p");
        Assert.Equal(4 * 6, job.PriceUnits);
        BigInteger total = 0;
        int account = 1;
        foreach (var node in new[] { a, b })
        {
            var report = run.Nodes.Single(n => n.Address == node.Address);
            var units = unitsByNode.Where(kv => kv.Key.Contains(node.Address)).Sum(kv => kv.Value);
            Assert.Equal(6 * report.Tiles, units);
            Assert.Equal(PaidFarmTests.Price * units, report.Paid);
            Assert.Equal(report.Paid, await chain.BalanceOf(account++)); // redeemed on chain, exact to the wei
            total += report.Paid;
        }
        Assert.Equal(PaidFarmTests.Price * job.PriceUnits, total);
    }

    [Fact]
    public async Task A_paid_nodes_segments_must_carry_its_own_signature()
    {
        var input = Clip(2);
        await using var chain = new PaidFarmTests.PaidChain();
        await chain.DeployAsync();
        using var impostor = chain.NodeWithFault(1, "ForeignSignature"); using var honest = chain.Node(2);
        var attempts = new List<FarmAttempt>();
        var job = await Prepare(input, "signed");
        var work = new TranscodeWorkload(job, tools, "signed");
        var run = await new TileFarm(work, Jobs.Fast with { Payer = chain.Payer() }, onAttempt: x => { lock (attempts) attempts.Add(x); })
            .RunWorkAsync([impostor.Address, honest.Address]);
        Assert.Equal(0, run.Nodes.Single(n => n.Address == impostor.Address).Tiles);
        Assert.True(run.Nodes.Single(n => n.Address == honest.Address).Tiles > 0); // the honest node's segments verify
        Assert.Contains(attempts, x => x.Node.Contains(impostor.Address) && x.Kind == AttemptOutcome.Invalid
            && x.Outcome.Contains("its result is not signed by its key", StringComparison.OrdinalIgnoreCase));
        AssertSameFiles(await LocalRun(input), (await job.PackageAsync(work.Results)).Select(o => File.ReadAllBytes(o.Mp4)).ToList());
    }

    [Theory]
    [InlineData("BadRendition", "out of order")]        // files[-1] threw IndexOutOfRangeException: the job failed
    [InlineData("HugeTotalBytes", "more than")]         // a node-chosen size let it stream to the coordinator's disk
    [InlineData("NaNSeconds", "cannot be true")]        // TimeSpan.FromSeconds(NaN) threw: the job failed
    public async Task F1_a_hostile_transcode_node_is_excluded_and_the_renditions_are_unchanged(string fault, string reason)
    {
        var input = Clip(2);
        using var bad = new NodeProcess(fault); using var good = new NodeProcess();
        var story = new List<string>(); // warnings and every attempt's outcome
        var job = await Prepare(input, "hostile-" + fault);
        var work = new TranscodeWorkload(job, tools, "hostile-" + fault);
        var run = await new TileFarm(work, Jobs.Fast, onWarning: w => { lock (story) story.Add(w); }, onAttempt: a => { lock (story) story.Add(a.Outcome); })
            .RunWorkAsync([bad.Address, good.Address]);
        var files = (await job.PackageAsync(work.Results)).Select(o => File.ReadAllBytes(o.Mp4)).ToList();
        AssertSameFiles(await LocalRun(input), files);
        var report = run.Nodes.Single(n => n.Address == bad.Address);
        Assert.Equal(0, report.Tiles);
        Assert.True(report.Failures > 0);
        Assert.Contains(reason, string.Join(" | ", story) + " | " + report.Excluded);
    }
}

/// <summary>`rendernet transcode` on local nodes as a user runs it: a killed coordinator and its resume.</summary>
[Collection("farm")]
public class TranscodeCliTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-transcode-cli").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    static int FinishedSegments(string output) =>
        Directory.EnumerateDirectories(output, ".rendernet-*").SelectMany(s => Directory.Exists(Path.Combine(s, "segments")) ? Directory.EnumerateDirectories(Path.Combine(s, "segments")) : [])
            .Count(d => Path.GetFileName(d).Length == 5); // attempts in progress carry a suffix

    [Fact]
    public void A_killed_coordinator_resumes_without_redoing_a_finished_segment()
    {
        var input = Path.Combine(dir, "clip.mp4");
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var a in (string[])["-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=12:d=8", "-f", "lavfi", "-i", "sine=d=8",
                     "-c:v", "libx264", "-g", "6", "-pix_fmt", "yuv420p", "-c:a", "aac", "-y", input])
            psi.ArgumentList.Add(a);
        using (var ff = Process.Start(psi)!) { ff.StandardError.ReadToEnd(); ff.WaitForExit(); Assert.Equal(0, ff.ExitCode); }
        string[] settings = ["transcode", input, "--renditions", "90p,60p:crf=30", "--segment-seconds", "0.5"];

        var output = Path.Combine(dir, "farm");
        string jobId;
        int before;
        using (var first = new FarmCliTests.Cli([.. settings, "--out", output, "--local-nodes", "2"]))
        {
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (DateTime.UtcNow < deadline && (!Directory.Exists(output) || FinishedSegments(output) < 3)) Thread.Sleep(50);
            first.Process.Kill(); // SIGKILL: no cleanup
            first.Wait();
            before = FinishedSegments(output);
            Assert.InRange(before, 3, 15);
            Assert.Empty(Directory.EnumerateFiles(output, "*.mp4")); // nothing that looks like a result
            jobId = Path.GetFileName(Directory.EnumerateDirectories(output, ".rendernet-*").Single())[".rendernet-".Length..];
            Assert.Contains($"--resume {jobId}", first.Stderr);
        }

        using (var resumed = new FarmCliTests.Cli("transcode", "--resume", jobId, "--out", output, "--local-nodes", "2", "--json"))
        {
            Assert.True(resumed.Wait() == 0, resumed.Stderr);
            using var json = JsonDocument.Parse(resumed.Stdout);
            Assert.Equal(16, json.RootElement.GetProperty("segments").GetInt32());
            Assert.Equal(before, json.RootElement.GetProperty("segments_from_earlier_run").GetInt32());
            // The nodes did only what was left.
            Assert.Equal(16 - before, json.RootElement.GetProperty("nodes").EnumerateArray().Sum(n => n.GetProperty("segments").GetInt32()));
        }
        Assert.Empty(Directory.EnumerateDirectories(output, ".rendernet-*")); // staging removed once packaged

        // The same bytes as one uninterrupted run in one process.
        var local = Path.Combine(dir, "local");
        using (var straight = new FarmCliTests.Cli([.. settings, "--out", local]))
            Assert.True(straight.Wait() == 0, straight.Stderr);
        foreach (var name in new[] { "90p.mp4", "60p.mp4" })
            Assert.True(File.ReadAllBytes(Path.Combine(local, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(output, name))), $"{name} differs");
    }
}
