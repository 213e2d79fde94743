using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using RenderNet.Client;
using RenderNet.Client.Wire;
using RenderNet.Media;

namespace RenderNet.Service.Tests;

/// <summary>Measured shares of node time: run alone, not beside other classes' services competing for the same cores.</summary>
[CollectionDefinition("shares", DisableParallelization = true)]
public sealed class SharesCollection;

/// <summary>Several jobs on one service share its nodes by weighted fair share.</summary>
[Collection("shares")]
public sealed class ServiceSchedulingTests : IAsyncLifetime
{
    readonly string state = Directory.CreateTempSubdirectory("rendernet-scheduling").FullName;
    ServiceProcess service = null!;

    // One tile per call: the shares below are counted in tiles, and batches (charged by their work) make the count lumpy.
    public async Task InitializeAsync() => service = await ServiceProcess.StartAsync(state, null, "--local-nodes", "2", "--spot-check", "0", "--batch-seconds", "0");

    public Task DisposeAsync()
    {
        service.Dispose();
        Directory.Delete(state, true);
        return Task.CompletedTask;
    }

    static RenderRequest Job(int width, int height, int priority, string name) => new(RenderScene.Sample())
    {
        Width = width, Height = height, SamplesPerPixel = 4, MaxBounces = 2, TileSize = 16, Priority = priority, Name = name,
    };

    [Fact]
    public async Task Two_clients_at_different_priorities_while_a_big_job_runs_all_progress_and_the_higher_finishes_first()
    {
        using var studioA = await RenderServiceClient.ConnectAsync(service.Address, service.Token);
        using var studioB = await RenderServiceClient.ConnectAsync(service.Address, service.Token);
        var clock = Stopwatch.StartNew();
        // Counted by when the service accepted each tile (its clock), not when the event reached this client: on a
        // loaded machine two jobs' event streams lag by different amounts and skew a window counted on arrival.
        var tiles = new List<(string Job, DateTimeOffset At)>();
        void Track(RenderJob job, string name) => job.TileCompleted += t => { lock (tiles) tiles.Add((name, t.Accepted)); };

        var big = studioA.CreateJob(Job(256, 192, 50, "big")); // 192 tiles
        Track(big, "big");
        var bigStarted = new TaskCompletionSource();
        big.ProgressChanged += p => { if (p.TilesDone >= 10) bigStarted.TrySetResult(); };
        big.Start();
        await bigStarted.Task.WaitAsync(TimeSpan.FromMinutes(3));

        // Two more clients' jobs of the same size (48 tiles each) arrive while the big one runs.
        var high = studioA.CreateJob(Job(128, 96, 90, "high"));
        var low = studioB.CreateJob(Job(128, 96, 30, "low"));
        Track(high, "high");
        Track(low, "low");
        high.Start();
        low.Start();
        var highDone = await high.Completion;
        var highEnd = clock.Elapsed;
        await low.Completion;
        var lowEnd = clock.Elapsed;
        await big.Completion;

        Assert.True(highEnd < lowEnd, $"the priority-90 job finished at {highEnd}, after the priority-30 one at {lowEnd}");
        Assert.Equal(48, highDone.TilesDelivered);
        List<(string Job, DateTimeOffset At)> all;
        lock (tiles) all = tiles.ToList();
        var highAccepted = all.Where(t => t.Job == "high").Max(t => t.At);
        // While all three had work (from the newcomers' first tile until the high job ended), each got node time in
        // proportion to its priority: 90 : 50 : 30. Stated tolerance: within ±40% of the weight ratios (a few dozen
        // tiles on two nodes; ordering noise of one or two tiles moves a ratio by ~10%).
        var from = all.Where(t => t.Job != "big").Min(t => t.At);
        var window = all.Where(t => t.At >= from && t.At <= highAccepted).GroupBy(t => t.Job).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(window.TryGetValue("low", out int lowTiles) && lowTiles > 0, "the low-priority job made no progress while the others ran");
        Assert.True(window.TryGetValue("big", out int bigTiles) && bigTiles > 0, "the big job stalled when the others arrived");
        double highToLow = (double)window["high"] / lowTiles, bigToLow = (double)bigTiles / lowTiles;
        Assert.InRange(highToLow, 3.0 * 0.6, 3.0 * 1.4);
        Assert.InRange(bigToLow, 50.0 / 30 * 0.6, 50.0 / 30 * 1.4);
    }

    [Fact]
    public async Task A_transcode_job_runs_beside_a_render_and_writes_the_renditions_a_local_transcode_writes()
    {
        var tools = FfmpegTools.Locate();
        string clip = Path.Combine(state, "clip.mp4");
        var psi = new ProcessStartInfo(tools.Ffmpeg) { RedirectStandardError = true };
        foreach (var a in (string[])["-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=12:d=2", "-f", "lavfi", "-i", "sine=d=2",
                     "-c:v", "libx264", "-g", "6", "-pix_fmt", "yuv420p", "-c:a", "aac", "-y", clip])
            psi.ArgumentList.Add(a);
        using (var ffmpeg = Process.Start(psi)!)
        {
            string err = await ffmpeg.StandardError.ReadToEndAsync();
            await ffmpeg.WaitForExitAsync();
            Assert.True(ffmpeg.ExitCode == 0, err);
        }
        using var http = service.Http();
        var bytes = await File.ReadAllBytesAsync(clip);
        string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Equal(HttpStatusCode.Created, (await http.PutAsync($"v1/media/{sha}", new ByteArrayContent(bytes))).StatusCode);

        var bad = await http.PostAsJsonAsync("v1/jobs", new JobSubmission { Kind = "transcode", Transcode = new TranscodeSettings { MediaSha256 = sha, Renditions = "99999p" } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("transcode.renditions", await bad.Content.ReadAsStringAsync());

        // Estimated from the probed video: 24 frames at 12 fps in 0.5 s segments, on both nodes (they transcode alike).
        var estimate = await (await http.PostAsJsonAsync("v1/estimates", new JobSubmission
        {
            Kind = "transcode", Transcode = new TranscodeSettings { MediaSha256 = sha, Renditions = "90p,48p", SegmentSeconds = 0.5 },
        })).Content.ReadFromJsonAsync<EstimateReply>();
        Assert.Equal((4, 24, 2), (estimate!.Segments, estimate.Frames, estimate.CompatibleNodes.Count));
        Assert.DoesNotContain(estimate.Problems, p => p.Severity == "error");

        // A render from one studio tool and a transcode from another share the nodes.
        using var client = await RenderServiceClient.ConnectAsync(service.Address, service.Token);
        var render = client.RenderAsync(Job(128, 96, 50, "render"));
        var submitted = await http.PostAsJsonAsync("v1/jobs", new JobSubmission
        {
            Kind = "transcode", Name = "clip", Priority = 50, Transcode = new TranscodeSettings { MediaSha256 = sha, Renditions = "90p,48p", SegmentSeconds = 0.5 },
        });
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var id = (await submitted.Content.ReadFromJsonAsync<JobStatus>())!.Id;
        JobStatus status;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while ((status = (await http.GetFromJsonAsync<JobStatus>($"v1/jobs/{id}"))!).State is not ("completed" or "failed" or "cancelled"))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the transcode is still {status.State} after 3 minutes");
            await Task.Delay(250);
        }
        Assert.True(status.State == "completed", status.Error?.Message);
        Assert.Equal(4, status.TilesDone); // four 0.5 s segments
        Assert.Equal(48, (await render).TilesDelivered);

        // The renditions equal a transcode of the same clip in this process, byte for byte (pinned x264).
        string local = Path.Combine(state, "local");
        using var localJob = await TranscodeJob.PrepareAsync(tools, new MediaInput(clip), "90p,48p", local, "local", 0.5);
        using var device = RenderNet.Vulkan.VulkanDevice.Open();
        var expected = await LocalTranscode.RunAsync(tools, localJob, RenderNet.Vulkan.VideoScaler.FactoryFor(device));
        foreach (var output in expected)
        {
            string file = Path.GetFileName(output.Mp4);
            var served = await http.GetByteArrayAsync($"v1/jobs/{id}/outputs/{file}");
            Assert.Equal(await File.ReadAllBytesAsync(output.Mp4), served);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"v1/jobs/{id}/outputs/..%2F..%2Ftoken")).StatusCode);
    }
}
