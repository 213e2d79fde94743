using System.Diagnostics;
using System.Runtime.InteropServices;
using RenderNet.Client;
using RenderNet.Farm.Tests;
using RenderNet.Core.Tiles;

namespace RenderNet.Service.Tests;

/// <summary>The engine client end to end: a local service with 3 paid nodes, every event on the engine's thread, every token.</summary>
public sealed class ClientRenderTests(LocalServiceFixture fixture) : IClassFixture<LocalServiceFixture>
{
    const decimal Price = LocalServiceFixture.Price;

    [Fact]
    public async Task Every_tile_arrives_once_on_the_engine_thread_and_the_frame_equals_a_local_render()
    {
        using var main = new SingleThreadContext();
        var request = LocalServiceFixture.Small();
        var tiles = new List<RenderTile>();
        var progress = new List<RenderProgress>();
        var states = new List<RenderJobState>();
        var threads = new HashSet<int>();
        RenderImage? completedFrame = null;
        RenderJob job = null!;
        main.Send(() =>
        {
            // As an engine script would: subscribe and start on the main thread; handlers then run there, one at a time.
            job = fixture.Client.CreateJob(request);
            job.TileCompleted += t => { tiles.Add(t); threads.Add(Environment.CurrentManagedThreadId); };
            job.ProgressChanged += p => { progress.Add(p); threads.Add(Environment.CurrentManagedThreadId); };
            job.StateChanged += s => { states.Add(s); threads.Add(Environment.CurrentManagedThreadId); };
            job.FrameCompleted += (_, image) => completedFrame = image;
            job.Start();
        });
        var result = await job.Completion;
        main.Send(() => { }); // everything posted before completion has run

        Assert.Equal([main.ThreadId], threads);
        var plan = new TilePlan(64, 48, 16, 16);
        Assert.Equal(plan.Tiles.Count, tiles.Count);
        Assert.Equal(plan.Tiles.Select(t => (t.X, t.Y, t.Width, t.Height)).Order(), tiles.Select(t => (t.Image.X, t.Image.Y, t.Image.Width, t.Image.Height)).Order());
        Assert.All(tiles, t => Assert.Equal((64, 48, PixelFormat.Rgba32FloatLinear, 16 * 16), (t.FrameWidth, t.FrameHeight, t.Image.Format, t.Image.Stride)));

        // The frame equals the same request rendered in this process, bit for bit; each tile is its region of it.
        var frame = result.Frames.Single();
        Assert.True(LocalServiceFixture.Bytes(LocalServiceFixture.LocalRender(request)).AsSpan().SequenceEqual(frame.Pixels.Span), "the service's frame differs from the local render");
        Assert.NotNull(completedFrame);
        Assert.True(completedFrame!.Pixels.Span.SequenceEqual(frame.Pixels.Span));
        foreach (var tile in tiles)
            for (int row = 0; row < tile.Image.Height; row++)
                Assert.True(tile.Image.Pixels.Span.Slice(row * tile.Image.Stride, tile.Image.Stride)
                    .SequenceEqual(frame.Pixels.Span.Slice(((tile.Image.Y + row) * 64 + tile.Image.X) * 16, tile.Image.Stride)));

        // Progress after every tile, ending at all of them and the full cost; states in order.
        Assert.Equal(Enumerable.Range(1, plan.Tiles.Count), progress.Select(p => p.TilesDone));
        Assert.Equal(result.Cost, progress[^1].Cost);
        Assert.Equal([RenderJobState.Queued, RenderJobState.Running, RenderJobState.Completed], states);
        Assert.Equal(plan.Tiles.Count, result.Receipt.Sum(r => r.Tiles));
        Assert.All(result.Receipt, r => Assert.Equal((r.Tiles + r.Duplicates) * Price, r.Paid)); // one price unit per 16×16 tile at 4 spp
        Assert.Equal((plan.Tiles.Count + result.Receipt.Sum(r => r.Duplicates)) * Price, result.Cost);
    }

    [Fact]
    public async Task Adaptive_sampling_reaches_the_nodes_and_the_frame_equals_one_process()
    {
        var request = LocalServiceFixture.Small(spp: 32);
        request.NoiseThreshold = 0.05f;
        request.MinSamplesPerPixel = 8;
        var estimate = await fixture.Client.ValidateAsync(request);
        Assert.True(estimate.CanRender, string.Join("; ", estimate.Problems));
        // The range: every pixel stopping at 8 samples, or taking all 32; the price is that of 32 (a cap).
        // (Durations are whole ticks: a quarter of one may differ from the other by under a tick.)
        Assert.Equal(estimate.EstimatedDuration!.Value.TotalSeconds / 4, estimate.FastestDuration!.Value.TotalSeconds, tolerance: 1e-6);
        Assert.Equal(12 * Price, estimate.EstimatedCost);

        var frame = (await fixture.Client.RenderAsync(request)).Frames.Single();
        var local = LocalServiceFixture.LocalRender(request); // planned by the service's own mapping: threshold included
        Assert.True(MemoryMarshal.Cast<byte, float>(frame.Pixels.Span).SequenceEqual(local));
        // Had the threshold been dropped on the way, the nodes would have rendered the full-sample image.
        request.NoiseThreshold = 0;
        Assert.False(MemoryMarshal.Cast<byte, float>(frame.Pixels.Span).SequenceEqual(LocalServiceFixture.LocalRender(request)));

        request.NoiseThreshold = 2;
        var bad = await fixture.Client.ValidateAsync(request);
        Assert.Contains(bad.Problems, p => p.Severity == ProblemSeverity.Error && p.Message.Contains("noise threshold must be between 0 (off) and 1, got 2"));
    }

    [Fact]
    public async Task Passes_and_denoising_reach_the_nodes_and_the_client_gets_the_denoised_frame_and_an_exr()
    {
        var request = LocalServiceFixture.Small(spp: 4);
        request.Passes.Add("albedo");
        request.Passes.Add("depth");
        request.Denoise = true;
        var job = fixture.Client.CreateJob(request);
        job.Start();
        var result = await job.Completion;
        var frame = result.Frames.Single();
        // The nodes rendered the passes (the denoiser needs them) and the service denoised exactly as one process would.
        var local = LocalServiceFixture.LocalRenderFrame(request);
        var denoised = new Core.Denoising.CpuDenoiser().Denoise(local);
        Assert.True(MemoryMarshal.Cast<byte, float>(frame.Pixels.Span).SequenceEqual(denoised.Pixels));
        Assert.False(denoised.BitEquals(local.Beauty));

        var output = Assert.Single(result.Outputs);
        Assert.Equal("frame-0000.exr", output.File);
        string path = Path.Combine(Path.GetTempPath(), $"rendernet-{Guid.NewGuid():N}.exr");
        try
        {
            using (var file = File.Create(path)) await fixture.Client.DownloadOutputAsync(job.Id, output.File, file);
            Assert.Equal(output.Bytes, new FileInfo(path).Length);
            var exr = Exr.ExrReader.Read(path);
            foreach (var channel in new[] { "R", "G", "B", "A", "albedo.R", "Z", "N.X", "variance", "emission.R", "noisy.R" })
                Assert.True(exr.Channels.ContainsKey(channel), $"the EXR has no {channel} channel");
            Assert.Equal(1, exr.Attributes["rendernet/denoised"]);
            var depth = local.Pass(Core.Rendering.RenderPasses.Depth)!.Values;
            Assert.Equal(depth, exr.Channels["Z"]);
            Assert.Equal((float)(Half)denoised.Pixels[4 * 100 + 1], exr.Channels["G"][100]);
            Assert.Equal((float)(Half)local.Beauty.Pixels[4 * 100 + 1], exr.Channels["noisy.G"][100]);
        }
        finally { File.Delete(path); }

        request.Passes.Add("glow");
        var bad = await fixture.Client.ValidateAsync(request);
        Assert.Contains(bad.Problems, p => p.Severity == ProblemSeverity.Error && p.Message.Contains("'glow' is not a render pass (known: albedo"));
    }

    [Fact]
    public async Task Rgba8_tiles_are_the_frame_in_srgb_bytes_and_save_as_a_png()
    {
        var request = LocalServiceFixture.Small(PixelFormat.Rgba8Srgb, spp: 1);
        var frame = (await fixture.Client.RenderAsync(request)).Frames.Single();
        Assert.Equal((PixelFormat.Rgba8Srgb, 64 * 4, 64 * 48 * 4), (frame.Format, frame.Stride, frame.Pixels.Length));
        var linear = LocalServiceFixture.LocalRender(request);
        for (int i = 0; i < linear.Length; i++)
        {
            byte want = (i & 3) == 3 ? (byte)MathF.Round(Math.Clamp(linear[i], 0, 1) * 255) : (byte)MathF.Round(Core.Imaging.ImageWriter.LinearToSrgb(linear[i]) * 255);
            Assert.Equal(want, frame.Pixels.Span[i]);
        }
        // The client's own PNG encoder: the file decodes (with ImageSharp here) to the same bytes.
        string png = Path.Combine(Path.GetTempPath(), $"rendernet-client-{Guid.NewGuid():N}.png");
        try
        {
            frame.SavePng(png);
            using var decoded = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgba32>(png);
            var bytes = new byte[64 * 48 * 4];
            decoded.CopyPixelDataTo(bytes);
            Assert.True(bytes.AsSpan().SequenceEqual(frame.Pixels.Span));
        }
        finally { File.Delete(png); }
    }

    [Fact]
    public async Task A_second_client_attaches_mid_job_and_resumes_after_an_event_without_missing_or_repeating_a_tile()
    {
        var request = LocalServiceFixture.Small(spp: 16, width: 96, height: 64); // 24 tiles
        var job = fixture.Client.CreateJob(request);
        var firstTiles = new List<RenderTile>();
        var sawFive = new TaskCompletionSource();
        job.TileCompleted += t =>
        {
            lock (firstTiles) firstTiles.Add(t);
            if (firstTiles.Count == 5) sawFive.TrySetResult();
        };
        job.Start();
        await sawFive.Task.WaitAsync(TimeSpan.FromMinutes(2));
        long after;
        lock (firstTiles) after = firstTiles[4].Sequence;

        // Another client (another engine, or this one after a crash) follows the same job from event `after` on.
        using var other = await RenderServiceClient.ConnectAsync(fixture.Client.ServiceAddress, fixture.Client.Connection.Token);
        var attached = await other.AttachAsync(job.Id, PixelFormat.Rgba32FloatLinear, afterEvent: after);
        var laterTiles = new List<RenderTile>();
        attached.TileCompleted += laterTiles.Add;
        var result = await attached.Completion;
        var original = await job.Completion;

        // The first five tiles (up to `after`) plus the attached client's tiles are every tile exactly once.
        var seen = firstTiles.Take(5).Concat(laterTiles).Select(t => (t.Image.X, t.Image.Y)).ToList();
        Assert.Equal(24, seen.Count);
        Assert.Equal(24, seen.Distinct().Count());
        Assert.All(laterTiles, t => Assert.True(t.Sequence > after));
        Assert.True(result.Frames[0].Pixels.Span.SequenceEqual(original.Frames[0].Pixels.Span));

        // A job that ended can still be attached to from the start: its whole history, every tile once.
        var replay = await other.AttachAsync(job.Id, PixelFormat.Rgba8Srgb);
        var replayed = new List<RenderTile>();
        replay.TileCompleted += replayed.Add;
        await replay.Completion;
        Assert.Equal(24, replayed.Select(t => (t.Image.X, t.Image.Y)).Distinct().Count());
        Assert.Equal(24, replayed.Count);
        var missing = await Assert.ThrowsAsync<RenderServiceException>(() => other.AttachAsync("20990101-000000-nothere"));
        Assert.Equal(RenderErrorKind.JobNotFound, missing.Kind);
    }

    [Fact]
    public async Task Cancelling_after_the_first_tile_stops_quickly_and_pays_only_delivered_tiles()
    {
        using var cancel = new CancellationTokenSource();
        var job = fixture.Client.CreateJob(LocalServiceFixture.Small(spp: 64, width: 128, height: 96)); // 48 tiles
        int delivered = 0;
        var cancelledAt = new Stopwatch();
        var states = new List<RenderJobState>();
        job.StateChanged += states.Add;
        job.TileCompleted += _ =>
        {
            delivered++;
            if (!cancelledAt.IsRunning)
            {
                cancelledAt.Start();
                cancel.Cancel();
            }
        };
        job.Start(cancel.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.Completion);
        Assert.Equal(RenderJobState.Cancelled, job.State);
        Assert.True(cancelledAt.Elapsed < TimeSpan.FromSeconds(30), $"cancellation took {cancelledAt.Elapsed}");
        var status = (await fixture.Client.GetJobsAsync()).Single(j => j.Id == job.Id);
        Assert.Equal("cancelled", status.State);
        Assert.InRange(status.TilesDone, 1, 47);
        // Only delivered tiles are paid (a 16×16 tile at 64 spp is one price unit), and nothing is left running.
        Assert.Equal(status.TilesDone * Price, decimal.Parse(status.Cost, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(RenderJobState.Cancelled, states[^1]);
        var next = await fixture.Client.RenderAsync(LocalServiceFixture.Small(spp: 1, width: 16, height: 16));
        Assert.Equal(1, next.TilesDelivered);
    }

    [Fact]
    public async Task A_paused_job_hands_out_no_tiles_until_resumed()
    {
        var job = fixture.Client.CreateJob(LocalServiceFixture.Small(spp: 16, width: 96, height: 64));
        int delivered = 0;
        var first = new TaskCompletionSource();
        job.TileCompleted += _ => { Interlocked.Increment(ref delivered); first.TrySetResult(); };
        job.Start();
        await first.Task.WaitAsync(TimeSpan.FromMinutes(2));
        await job.PauseAsync();
        // Tiles in flight finish (however slow the machine), then nothing more is handed out: the service's own count
        // settles for good well before the job could have finished (the service's count, not the client's events,
        // which may arrive late on a busy machine). A pause that did not hold would run on to all 24 tiles.
        async Task<RenderNet.Client.Wire.JobStatus> Status() => (await fixture.Client.GetJobsAsync()).Single(j => j.Id == job.Id);
        int settled = (await Status()).TilesDone;
        var quietSince = Stopwatch.StartNew();
        var giveUp = Stopwatch.StartNew();
        while (quietSince.Elapsed < TimeSpan.FromSeconds(6) && giveUp.Elapsed < TimeSpan.FromSeconds(90))
        {
            await Task.Delay(200);
            int now = (await Status()).TilesDone;
            if (now != settled) (settled, quietSince) = (now, Stopwatch.StartNew());
        }
        Assert.True(settled < 24, $"the paused job delivered all its tiles ({settled})");
        Assert.Equal("paused", (await Status()).State);
        await Task.Delay(2000);
        Assert.Equal(settled, (await Status()).TilesDone);
        await job.ResumeAsync();
        var result = await job.Completion;
        Assert.Equal(24, result.TilesDelivered);
    }

    [Fact]
    public async Task A_cost_cap_stops_the_job_before_it_spends_more_and_reports_what_it_got()
    {
        var request = LocalServiceFixture.Small(spp: 1);
        request.MaxCost = 4.5m * Price;
        var job = fixture.Client.CreateJob(request);
        var tiles = new List<RenderTile>();
        job.TileCompleted += tiles.Add;
        job.Start();
        var ex = await Assert.ThrowsAsync<BudgetExhaustedException>(() => job.Completion);
        Assert.Equal(RenderErrorKind.BudgetExhausted, ex.Kind);
        Assert.Equal(4, ex.Partial.TilesDelivered);
        Assert.Equal(12, ex.Partial.TilesTotal);
        Assert.Equal(4, tiles.Count);
        Assert.Equal(4 * Price, ex.Partial.Cost);
        Assert.Equal(RenderJobState.Failed, job.State);
        var frame = ex.Partial.Frames.Single(); // the partial frame holds the delivered tiles
        foreach (var tile in tiles)
            Assert.True(tile.Image.Pixels.Span[..tile.Image.Stride].SequenceEqual(frame.Pixels.Span.Slice((tile.Image.Y * 64 + tile.Image.X) * 16, tile.Image.Stride)));
    }

    [Fact]
    public async Task Validation_lists_every_problem_without_spending_and_estimates_on_the_nodes()
    {
        var bad = LocalServiceFixture.Small();
        bad.Width = 0;
        bad.Camera = "nope";
        var problems = await fixture.Client.ValidateAsync(bad);
        Assert.False(problems.CanRender);
        Assert.Contains(problems.Problems, p => p.Message.Contains("image size 0x48 is invalid"));

        var estimate = await fixture.Client.ValidateAsync(LocalServiceFixture.Small(spp: 1));
        Assert.True(estimate.CanRender, string.Join("; ", estimate.Problems));
        Assert.Equal(12, estimate.TilesPerFrame);
        Assert.Equal(3, estimate.CompatibleNodes.Count);
        Assert.Equal(12 * Price, estimate.EstimatedCost);
        Assert.NotNull(estimate.EstimatedDuration);

        var broken = fixture.Client.CreateJob(new RenderRequest(RenderScene.FromGlb([1, 2, 3, 4], "broken.glb")));
        broken.Start();
        var error = await Assert.ThrowsAsync<InvalidSceneException>(() => broken.Completion);
        Assert.Contains("broken.glb", error.Message);
    }

    [Fact]
    public async Task The_services_metrics_move_as_a_job_runs_and_match_its_receipt()
    {
        using var http = new HttpClient { BaseAddress = fixture.Client.ServiceAddress };
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync("metrics")).StatusCode); // behind the token like the rest
        http.DefaultRequestHeaders.Authorization = new("Bearer", fixture.Client.Connection.Token);
        var before = PrometheusText.Parse(await http.GetStringAsync("metrics"));

        var result = await fixture.Client.RenderAsync(LocalServiceFixture.Small(spp: 1));
        var after = PrometheusText.Parse(await http.GetStringAsync("metrics"));

        double Delta(string name, params (string, string)[] labels) => after.Value(name, labels) - before.Value(name, labels);
        Assert.Equal(result.Receipt.Sum(r => r.Tiles), Delta("rendernet_service_units_delivered_total", ("kind", "tile")));
        Assert.Equal(1, Delta("rendernet_service_jobs", ("state", "completed")));
        Assert.Equal(0, after.Value("rendernet_service_jobs", ("state", "running")));
        Assert.Equal((double)result.Cost, Delta("rendernet_service_spent_tokens"), 1e-9);
        var up = after.Where(s => s.Name == "rendernet_service_node_up").ToList();
        Assert.Equal(3, up.Count);
        Assert.All(up, s => Assert.Equal(1, s.Value));
    }

    [Fact]
    public async Task The_wallet_key_never_reaches_the_client()
    {
        // The local service pays from anvil's development account 0; its (public, test-only) key must stay in the service.
        const string devKey = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        var info = await fixture.Client.GetServiceInfoAsync();
        Assert.Matches("^0x[0-9a-fA-F]{40}$", info.Payer!);
        var job = await fixture.Client.RenderAsync(LocalServiceFixture.Small(spp: 1, width: 16, height: 16));
        using var http = new HttpClient { BaseAddress = fixture.Client.ServiceAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", fixture.Client.Connection.Token);
        foreach (var path in new[] { "v1/service", "v1/nodes", "v1/jobs", "openapi/v1.json" })
            Assert.DoesNotContain(devKey, (await http.GetStringAsync(path)).ToLowerInvariant());
        Assert.All(System.Environment.GetEnvironmentVariables().Values.Cast<object>(), v => Assert.DoesNotContain(devKey, v?.ToString()?.ToLowerInvariant() ?? ""));
        // And nothing in this process could sign with it: the client's closure has no signing library (see ClientPackageTests).
        Assert.DoesNotContain(typeof(RenderServiceClient).Assembly.GetReferencedAssemblies(), a => a.Name!.StartsWith("Nethereum", StringComparison.Ordinal));
        Assert.Equal(1, job.TilesDelivered);
    }
}
