using System.Diagnostics;
using System.Runtime.InteropServices;
using RenderNet.Core.Gltf;
using RenderNet.Core.Tiles;
using RenderNet.Vulkan;

namespace RenderNet.Plugin.Tests;

/// <summary>The plugin API end to end: a studio's farm on 3 paid local nodes, every event, every token.</summary>
public sealed class RenderJobTests(PluginFixture fixture) : IClassFixture<PluginFixture>
{
    static RenderRequest Small(PixelFormat format = PixelFormat.Rgba32FloatLinear, int spp = 4) => new()
    {
        Scene = RenderScene.Sample(), Width = 64, Height = 48, SamplesPerPixel = spp, MaxBounces = 4, TileSize = 16, PixelFormat = format,
    };

    /// <summary>The request rendered in this process, in one tile, with the settings the plan gives the nodes.</summary>
    static float[] LocalRender(RenderRequest request)
    {
        var frame = RenderPlan.For(request).Frames.Single();
        using var device = VulkanDevice.Open();
        var scene = GltfSceneLoader.LoadGlb(request.Scene.Glb, request.Scene.Name);
        return Vulkan.LocalRender.Render(device, scene, frame, new TilePlan(frame.Width, frame.Height, frame.Width)).Image.Pixels;
    }

    [Fact]
    public async Task Every_tile_arrives_once_and_the_frame_equals_a_local_render_and_the_receipt_the_chain()
    {
        await using var farm = await fixture.ConnectAsync();
        var request = Small();
        var before = await fixture.NodeBalancesAsync();
        var job = farm.CreateJob(request);
        var tiles = new List<RenderTile>();
        var progress = new List<RenderProgress>();
        var states = new List<RenderJobState>();
        RenderImage? completedFrame = null;
        job.TileCompleted += tiles.Add; // one at a time: the dispatcher never raises two events at once
        job.ProgressChanged += progress.Add;
        job.StateChanged += states.Add;
        job.FrameCompleted += (_, image) => completedFrame = image;
        job.Start();
        var result = await job.Completion;

        // Every tile of the plan once, in final-image coordinates (top-left origin), before Completion ended.
        var plan = new TilePlan(64, 48, 16, 16);
        Assert.Equal(plan.Tiles.Count, tiles.Count);
        Assert.Equal(plan.Tiles.Select(t => (t.X, t.Y, t.Width, t.Height)).Order(),
            tiles.Select(t => (t.Image.X, t.Image.Y, t.Image.Width, t.Image.Height)).Order());
        Assert.All(tiles, t => Assert.Equal((64, 48, PixelFormat.Rgba32FloatLinear, 16 * 16), (t.FrameWidth, t.FrameHeight, t.Image.Format, t.Image.Stride)));

        // The frame equals the same request rendered in this process, bit for bit; each tile is its region of the frame.
        var frame = result.Frames.Single();
        Assert.Same(frame, completedFrame);
        var expected = MemoryMarshal.AsBytes(LocalRender(request).AsSpan()).ToArray();
        Assert.True(expected.AsSpan().SequenceEqual(frame.Pixels.Span), "the farm's frame differs from the local render");
        foreach (var tile in tiles)
            for (int row = 0; row < tile.Image.Height; row++)
                Assert.True(tile.Image.Pixels.Span.Slice(row * tile.Image.Stride, tile.Image.Stride)
                    .SequenceEqual(frame.Pixels.Span.Slice(((tile.Image.Y + row) * 64 + tile.Image.X) * 16, tile.Image.Stride)));

        // Progress after every tile, ending at all of them and the full cost; states in order.
        Assert.Equal(Enumerable.Range(1, plan.Tiles.Count), progress.Select(p => p.TilesDone));
        Assert.Equal(result.Cost, progress[^1].Cost);
        Assert.Equal([RenderJobState.Running, RenderJobState.Completed], states);
        Assert.Equal(RenderJobState.Completed, job.State);

        // The receipt: tiles × price, per node as the nodes counted, and the tokens are on chain at the nodes' addresses.
        Assert.Equal(plan.Tiles.Count, result.Receipt.Sum(r => r.Tiles));
        // (Checks are off here; a valid duplicate of a slow tile that lost the race is paid too: the node did the work.)
        Assert.All(result.Receipt, r => Assert.Equal((r.Tiles + r.Duplicates) * PluginFixture.Price, r.Paid));
        Assert.Equal((plan.Tiles.Count + result.Receipt.Sum(r => r.Duplicates)) * PluginFixture.Price, result.Cost);
        Assert.Equal(result.Cost, farm.Spent);
        var after = await fixture.NodeBalancesAsync();
        Assert.Equal(result.Cost, after.Sum() - before.Sum());
        foreach (var r in result.Receipt)
            Assert.Equal(r.Paid, after[fixture.IndexOf(r.Address)] - before[fixture.IndexOf(r.Address)]);
    }

    [Fact]
    public async Task Spot_checks_are_paid_like_tiles_and_show_on_the_receipt()
    {
        await using var farm = await fixture.ConnectAsync(spotCheckRate: 1);
        var before = await fixture.NodeBalancesAsync();
        var estimate = await farm.ValidateAsync(Small(spp: 1));
        Assert.Equal(2 * 12 * PluginFixture.Price, estimate.EstimatedCost); // every tile and its check
        var result = await farm.RenderAsync(Small(spp: 1));
        Assert.Equal(12, result.Receipt.Sum(r => r.Tiles));
        Assert.Equal(12, result.Receipt.Sum(r => r.SpotChecks));
        Assert.All(result.Receipt, r => Assert.Equal((r.Tiles + r.SpotChecks + r.Duplicates) * PluginFixture.Price, r.Paid));
        Assert.Equal(24 * PluginFixture.Price, result.Cost);
        Assert.Equal(result.Cost, (await fixture.NodeBalancesAsync()).Sum() - before.Sum());
        Assert.True(MemoryMarshal.AsBytes(LocalRender(Small(spp: 1)).AsSpan()).SequenceEqual(result.Frames[0].Pixels.Span));
    }

    [Fact]
    public async Task Rgba8_tiles_are_the_frame_in_srgb_bytes()
    {
        await using var farm = await fixture.ConnectAsync();
        var tiles = new List<RenderTile>();
        var job = farm.CreateJob(Small(PixelFormat.Rgba8Srgb, spp: 1));
        job.TileCompleted += tiles.Add;
        job.Start();
        var frame = (await job.Completion).Frames.Single();
        Assert.Equal((PixelFormat.Rgba8Srgb, 64 * 4, 64 * 48 * 4), (frame.Format, frame.Stride, frame.Pixels.Length));
        var linear = LocalRender(Small(spp: 1));
        for (int i = 0; i < linear.Length; i++)
        {
            byte want = (i & 3) == 3
                ? (byte)MathF.Round(Math.Clamp(linear[i], 0, 1) * 255)
                : (byte)MathF.Round(Core.Imaging.ImageWriter.LinearToSrgb(linear[i]) * 255);
            Assert.Equal(want, frame.Pixels.Span[i]);
        }
        Assert.Contains(frame.Pixels.ToArray(), b => b > 100); // the room is lit, not black
        var first = tiles[0].Image;
        Assert.True(first.Pixels.Span[..first.Stride].SequenceEqual(frame.Pixels.Span.Slice((first.Y * 64 + first.X) * 4, first.Stride)));
    }

    [Fact]
    public async Task Cancelling_after_the_first_tile_stops_quickly_and_pays_only_delivered_tiles()
    {
        await using var farm = await fixture.ConnectAsync();
        var before = await fixture.NodeBalancesAsync();
        using var cancel = new CancellationTokenSource();
        var request = Small(spp: 64) with { Width = 128, Height = 96 }; // 48 tiles: far more than the first one
        var job = farm.CreateJob(request);
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
        Assert.Equal([RenderJobState.Running, RenderJobState.Cancelling, RenderJobState.Cancelled], states);
        Assert.InRange(delivered, 1, 47);
        // "Quickly": tiles in flight are called off rather than finished (one 16x16 tile at 64 spp takes well under this).
        Assert.True(cancelledAt.Elapsed < TimeSpan.FromSeconds(30), $"cancellation took {cancelledAt.Elapsed}");

        // Only delivered tiles are paid, and they are paid in full.
        var after = await fixture.NodeBalancesAsync();
        Assert.Equal(delivered * PluginFixture.Price, after.Sum() - before.Sum());
        Assert.Equal(delivered * PluginFixture.Price, farm.Spent);

        // Nothing was left running: the same farm renders the next job at once.
        var next = await farm.RenderAsync(Small(spp: 1) with { Width = 16, Height = 16 });
        Assert.Equal(1, next.TilesDelivered);
    }

    [Fact]
    public async Task A_cost_cap_stops_the_job_before_it_spends_more_and_reports_what_it_got()
    {
        await using var farm = await fixture.ConnectAsync();
        var before = await fixture.NodeBalancesAsync();
        var request = Small(spp: 1) with { MaxCost = 4.5m * PluginFixture.Price };
        var tiles = new List<RenderTile>();
        var job = farm.CreateJob(request);
        job.TileCompleted += tiles.Add;
        job.Start();
        var ex = await Assert.ThrowsAsync<BudgetExhaustedException>(() => job.Completion);

        // A tile is reserved at its price before it is handed out, so the cap is never passed: 4 tiles, not 5.
        var partial = ex.Partial;
        Assert.Equal(4, partial.TilesDelivered);
        Assert.Equal(12, partial.TilesTotal);
        Assert.Equal(4, tiles.Count);
        Assert.Equal(4 * PluginFixture.Price, partial.Cost);
        Assert.Equal(RenderJobState.Failed, job.State);
        var after = await fixture.NodeBalancesAsync();
        Assert.Equal(partial.Cost, after.Sum() - before.Sum());

        // The partial frame holds the delivered tiles and nothing else.
        var frame = partial.Frames.Single();
        foreach (var tile in tiles)
            Assert.True(tile.Image.Pixels.Span[..tile.Image.Stride].SequenceEqual(frame.Pixels.Span.Slice((tile.Image.Y * 64 + tile.Image.X) * 16, tile.Image.Stride)));
        var covered = tiles.Select(t => (t.Image.X, t.Image.Y)).ToHashSet();
        var missing = new TilePlan(64, 48, 16, 16).Tiles.First(t => !covered.Contains((t.X, t.Y)));
        var floats = MemoryMarshal.Cast<byte, float>(frame.Pixels.Span);
        for (int y = missing.Y; y < missing.Y + missing.Height; y++)
            for (int x = missing.X; x < missing.X + missing.Width; x++)
                Assert.Equal(0f, floats[4 * (y * 64 + x)]);
    }

    [Fact]
    public async Task A_farm_budget_spans_jobs_and_validation_says_when_it_cannot_cover_a_tile()
    {
        await using var farm = await fixture.ConnectAsync(budget: 13 * PluginFixture.Price);
        var first = await farm.RenderAsync(Small(spp: 1)); // 12 tiles: 0.012 of 0.013
        Assert.Equal(12 * PluginFixture.Price, first.Cost);
        var estimate = await farm.ValidateAsync(Small(spp: 1));
        Assert.Contains(estimate.Problems, p => p.Severity == ProblemSeverity.Warning && p.Message.Contains("may stop the job early"));
        var ex = await Assert.ThrowsAsync<BudgetExhaustedException>(() => farm.RenderAsync(Small(spp: 1)));
        Assert.Equal(1, ex.Partial.TilesDelivered);
        Assert.Equal(13 * PluginFixture.Price, farm.Spent);
        var broke = await farm.ValidateAsync(Small(spp: 1));
        Assert.False(broke.CanRender);
        Assert.Contains(broke.Problems, p => p.Message.Contains("does not cover one tile"));
    }

    [Fact]
    public async Task Validation_estimates_without_spending_and_names_every_problem()
    {
        await using var farm = await fixture.ConnectAsync();
        var before = await fixture.NodeBalancesAsync();
        var estimate = await farm.ValidateAsync(Small() with { Width = 640, Height = 480, TileSize = 64 });
        Assert.True(estimate.CanRender, string.Join("; ", estimate.Problems));
        Assert.Equal(10 * 8, estimate.TilesPerFrame);
        Assert.Equal(1, estimate.Frames);
        Assert.Equal(3, estimate.CompatibleNodes.Count);
        Assert.All(estimate.CompatibleNodes, n => Assert.True(n.SamplesPerSecond > 0, $"{n.Id} was not calibrated"));
        Assert.Equal(80 * PluginFixture.Price, estimate.EstimatedCost);
        Assert.Equal(80 * PluginFixture.Price, estimate.MaximumCost);
        Assert.NotNull(estimate.EstimatedDuration);
        Assert.True(estimate.EstimatedDuration > TimeSpan.Zero);
        Assert.Equal(before, await fixture.NodeBalancesAsync());
        Assert.Equal(0m, farm.Spent);

        var absurd = await farm.ValidateAsync(Small() with { Width = 1_000_000 });
        Assert.False(absurd.CanRender);
        Assert.Contains(absurd.Problems, p => p.Message.Contains("1000000x48 exceeds the limit"));

        var garbage = await farm.ValidateAsync(Small() with { Scene = RenderScene.FromGlb("not a glb at all"u8, "broken.glb") });
        Assert.False(garbage.CanRender);
        Assert.Contains(garbage.Problems, p => p.Message.StartsWith("broken.glb:"));
        var thrown = await Assert.ThrowsAsync<InvalidSceneException>(() => farm.RenderAsync(Small() with { Scene = RenderScene.FromGlb("not a glb at all"u8, "broken.glb") }));
        Assert.Contains("broken.glb", thrown.Message);

        Assert.Throws<InvalidSceneException>(() => RenderScene.FromFile(Path.Combine(Path.GetTempPath(), "no-such-scene.gltf")));
        var noCamera = await farm.ValidateAsync(Small() with { Camera = "no such camera" });
        Assert.Contains(noCamera.Problems, p => p.Severity == ProblemSeverity.Error && p.Message.Contains("no such camera"));
    }

    [Core.Tests.SharedGltfFact]
    public async Task A_real_gltf_file_renders_with_its_own_camera()
    {
        var path = Core.Tests.SharedData.Gltf("Duck.gltf");
        await using var farm = await fixture.ConnectAsync();
        var request = new RenderRequest
        {
            Scene = RenderScene.FromFile(path), Width = 48, Height = 48, TileSize = 24, Mode = RenderQualityMode.Raster, PixelFormat = PixelFormat.Rgba32FloatLinear,
        };
        var result = await farm.RenderAsync(request);
        Assert.True(MemoryMarshal.AsBytes(LocalRender(request).AsSpan()).SequenceEqual(result.Frames[0].Pixels.Span));
    }

    [Fact]
    public async Task Events_are_raised_on_the_callers_synchronization_context()
    {
        await using var farm = await fixture.ConnectAsync();
        using var loop = new SingleThreadContext();
        var threads = new List<int>();
        var job = farm.CreateJob(Small(spp: 1) with { Width = 32, Height = 32 });
        job.TileCompleted += _ => threads.Add(Environment.CurrentManagedThreadId);
        job.ProgressChanged += _ => threads.Add(Environment.CurrentManagedThreadId);
        job.StateChanged += _ => threads.Add(Environment.CurrentManagedThreadId);
        loop.Send(() => job.Start());
        await job.Completion;
        // Posted events run on the loop: wait for it to drain before reading what it recorded.
        loop.Send(() => { });
        Assert.Equal(4 + 4 + 2, threads.Count);
        Assert.All(threads, id => Assert.Equal(loop.ThreadId, id));
    }

    [Fact]
    public async Task A_paused_job_hands_out_no_tiles_until_it_is_resumed()
    {
        await using var farm = await fixture.ConnectAsync();
        var request = Small(spp: 16) with { Width = 96, Height = 64 }; // 24 tiles
        var job = farm.CreateJob(request);
        int delivered = 0;
        var firstTile = new TaskCompletionSource();
        job.TileCompleted += _ =>
        {
            if (Interlocked.Increment(ref delivered) == 1)
            {
                job.Pause();
                firstTile.TrySetResult();
            }
        };
        job.Start();
        await firstTile.Task;
        Assert.Equal(RenderJobState.Paused, job.State);
        // Tiles already in flight finish (at most one per node slot); then nothing more arrives while paused.
        await Task.Delay(TimeSpan.FromSeconds(4));
        int whilePaused = Volatile.Read(ref delivered);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(whilePaused, Volatile.Read(ref delivered));
        Assert.True(whilePaused < 24, "the job finished although it was paused");
        Assert.False(job.Completion.IsCompleted);

        job.Resume();
        Assert.Equal(RenderJobState.Running, job.State);
        var result = await job.Completion;
        Assert.Equal(24, delivered);
        Assert.Equal(24 * PluginFixture.Price, result.Cost);
    }

    [Fact]
    public async Task A_scene_built_in_code_renders_its_lit_mesh()
    {
        await using var farm = await fixture.ConnectAsync();
        // A white quad facing the camera, lit head-on by a directional light, on a black background.
        var scene = new RenderSceneBuilder("quad")
            .AddMesh([new(-1, -1, 0), new(1, -1, 0), new(1, 1, 0), new(-1, 1, 0)], [0, 1, 2, 0, 2, 3], new SceneMaterial(new(0.8f, 0.8f, 0.8f)))
            .AddLight(SceneLightKind.Directional, default, new(0, 0, -1), new(1, 1, 1), 3 * 683) // lux: radiance × 683 lm/W
            .SetCamera(new(0, 0, 4), default, 0.8f)
            .Build();
        var request = new RenderRequest { Scene = scene, Width = 32, Height = 32, SamplesPerPixel = 4, TileSize = 16, PixelFormat = PixelFormat.Rgba32FloatLinear, Background = default(System.Numerics.Vector3) };
        var result = await farm.RenderAsync(request);
        var pixels = MemoryMarshal.Cast<byte, float>(result.Frames[0].Pixels.Span);
        // Nearly Lambertian: albedo / π × irradiance = 0.8 / π × 3 at normal incidence; glTF's dielectric BRDF moves a
        // few percent (F0 = 0.04) from the diffuse to the specular lobe, so allow 5%.
        float centre = pixels[4 * (16 * 32 + 16)];
        Assert.InRange(centre, 0.95f * 0.8f / MathF.PI * 3, 1.05f * 0.8f / MathF.PI * 3);
        Assert.Equal(0f, pixels[0]); // corner: background
        Assert.True(MemoryMarshal.AsBytes(LocalRender(request).AsSpan()).SequenceEqual(result.Frames[0].Pixels.Span));
    }

    [Fact]
    public async Task A_callers_view_replaces_the_scenes_camera()
    {
        await using var farm = await fixture.ConnectAsync();
        var scene = new RenderSceneBuilder("quad")
            .AddMesh([new(-1, -1, 0), new(1, -1, 0), new(1, 1, 0), new(-1, 1, 0)], [0, 1, 2, 0, 2, 3], new SceneMaterial(new(0.8f, 0.8f, 0.8f)))
            .AddLight(SceneLightKind.Directional, default, new(0, 0, -1), new(1, 1, 1), 683)
            .SetCamera(new(0, 0, 4), default, 0.8f)
            .Build();
        var request = new RenderRequest { Scene = scene, Width = 32, Height = 32, SamplesPerPixel = 2, TileSize = 16, PixelFormat = PixelFormat.Rgba32FloatLinear };
        var own = MemoryMarshal.Cast<byte, float>((await farm.RenderAsync(request)).Frames[0].Pixels.Span).ToArray();

        // The same pose given as a view: the same picture (up to the last bits of the camera matrix).
        var same = await farm.RenderAsync(request with { View = new RenderView(new(0, 0, 4), default, 0.8f) });
        var viewed = MemoryMarshal.Cast<byte, float>(same.Frames[0].Pixels.Span).ToArray();
        Assert.True(own.Zip(viewed).Max(p => MathF.Abs(p.First - p.Second)) < 1e-4f);
        Assert.True(own[4 * (16 * 32 + 16)] > 0.1f);

        // Turned away from the quad: nothing but the black background.
        var away = await farm.RenderAsync(request with { View = new RenderView(new(0, 0, 4), new(0, 0, 8)) });
        Assert.All(MemoryMarshal.Cast<byte, float>(away.Frames[0].Pixels.Span).ToArray().Where((_, i) => i % 4 != 3), v => Assert.Equal(0f, v));

        var broken = await farm.ValidateAsync(request with { View = new RenderView(new(1, 2, 3), new(1, 2, 3)) });
        Assert.Contains(broken.Problems, p => p.Severity == ProblemSeverity.Error && p.Message.Contains("is not a camera"));
    }

    [Fact]
    public async Task A_farm_finds_its_nodes_in_the_chains_registry_and_refuses_unusable_options()
    {
        var wallet = RenderWallet.FromPrivateKey(fixture.Network.DevPayerKey!);
        await using var farm = await RenderFarm.ConnectAsync(new RenderFarmOptions { Chain = fixture.Chain, Wallet = wallet, SpotCheckRate = 0 });
        Assert.Equal(fixture.Network.NodeAddresses.Order(), farm.NodeAddresses.Order());
        Assert.Equal(wallet.Address, farm.PayerAddress);
        var result = await farm.RenderAsync(Small(spp: 1) with { Width = 32, Height = 16 });
        Assert.Equal(2 * PluginFixture.Price, result.Cost);

        var noWallet = await Assert.ThrowsAsync<ArgumentException>(() => RenderFarm.ConnectAsync(new RenderFarmOptions { Chain = fixture.Chain }));
        Assert.Contains("needs a wallet", noWallet.Message);
        var deadChain = await Assert.ThrowsAsync<ArgumentException>(() => RenderFarm.ConnectAsync(new RenderFarmOptions
        {
            Chain = fixture.Chain with { RpcUrl = "http://127.0.0.1:9" }, Wallet = wallet,
        }));
        Assert.Contains("http://127.0.0.1:9 cannot be used", deadChain.Message);
        Assert.Throws<ArgumentException>(() => RenderWallet.FromPrivateKey("0x1234"));
    }

    /// <summary>A triangle sliding along +X over 2 s, seen by a fixed camera (SharpGLTF writes the animation).</summary>
    static byte[] SlidingTriangle()
    {
        var model = SharpGLTF.Schema2.ModelRoot.CreateModel();
        var scene = model.UseScene("sliding");
        var mesh = model.CreateMesh("triangle");
        var corners = new System.Numerics.Vector3[] { new(-1, -1, 0), new(1, -1, 0), new(0, 1, 0) };
        var accessor = model.CreateAccessor();
        accessor.SetVertexData(model.UseBufferView(MemoryMarshal.AsBytes(corners.AsSpan()).ToArray(), 0, null, 0, SharpGLTF.Schema2.BufferMode.ARRAY_BUFFER),
            0, 3, new SharpGLTF.Memory.AttributeFormat(SharpGLTF.Schema2.DimensionType.VEC3));
        mesh.CreatePrimitive().SetVertexAccessor("POSITION", accessor);
        var node = scene.CreateNode("mover");
        node.Mesh = mesh;
        model.CreateAnimation("slide").CreateTranslationChannel(node,
            new Dictionary<float, System.Numerics.Vector3> { [0] = new(-2, 0, 0), [2] = new(2, 0, 0) }, linear: true);
        var camera = model.CreateCamera("camera");
        camera.SetPerspectiveMode(null, 1.2f, 0.01f, 100f);
        var eye = scene.CreateNode("eye");
        eye.Camera = camera;
        eye.LocalTransform = new SharpGLTF.Transforms.AffineTransform(null, null, new System.Numerics.Vector3(0, 0, 6));
        return model.WriteGLB().ToArray();
    }

    [Fact]
    public async Task A_frame_range_renders_each_pose_of_the_animation()
    {
        await using var farm = await fixture.ConnectAsync();
        var glb = SlidingTriangle();
        var request = new RenderRequest
        {
            Scene = RenderScene.FromGlb(glb, "sliding.glb"), Width = 48, Height = 32, TileSize = 16, Mode = RenderQualityMode.Raster,
            PixelFormat = PixelFormat.Rgba32FloatLinear, Frames = new FrameRange(0, 2, FramesPerSecond: 1, Animation: "slide"),
        };
        var job = farm.CreateJob(request);
        var completed = new List<int>();
        var tileFrames = new List<int>();
        job.FrameCompleted += (frame, _) => completed.Add(frame);
        job.TileCompleted += t => tileFrames.Add(t.Frame);
        job.Start();
        var result = await job.Completion;

        Assert.Equal([0, 1, 2], completed);
        Assert.Equal(3 * 6, tileFrames.Count);
        Assert.All(new[] { 0, 1, 2 }, f => Assert.Equal(6, tileFrames.Count(x => x == f)));
        Assert.Equal(18, result.TilesDelivered);
        var plan = RenderPlan.For(request);
        using var device = VulkanDevice.Open();
        for (int f = 0; f < 3; f++)
        {
            // Each frame is the scene posed at f seconds, rendered here with the same settings.
            var posed = GltfSceneLoader.LoadGlb(glb, "sliding.glb", plan.Frames[f].Animation);
            var expected = Vulkan.LocalRender.Render(device, posed, plan.Frames[f], new TilePlan(48, 32, 48)).Image.Pixels;
            Assert.True(MemoryMarshal.AsBytes(expected.AsSpan()).SequenceEqual(result.Frames[f].Pixels.Span), $"frame {f}");
        }
        Assert.False(result.Frames[0].Pixels.Span.SequenceEqual(result.Frames[2].Pixels.Span)); // it moved

        var wrong = await farm.ValidateAsync(request with { Frames = new FrameRange(0, 2, 1, "no such animation") });
        Assert.Contains(wrong.Problems, p => p.Severity == ProblemSeverity.Error && p.Message.Contains("no such animation"));
    }

    [Fact]
    public async Task A_second_job_waits_queued_until_the_first_is_done()
    {
        await using var farm = await fixture.ConnectAsync();
        var first = farm.CreateJob(Small(spp: 16) with { Width = 96, Height = 64 });
        var second = farm.CreateJob(Small(spp: 1));
        var secondStates = new List<RenderJobState>();
        second.StateChanged += secondStates.Add;
        var firstTile = new TaskCompletionSource();
        first.TileCompleted += _ => firstTile.TrySetResult();
        first.Start();
        await firstTile.Task;
        second.Start();
        await Task.Delay(300);
        Assert.Equal(RenderJobState.Queued, second.State);
        Assert.False(first.Completion.IsCompleted);
        await first.Completion;
        await second.Completion;
        Assert.Equal([RenderJobState.Running, RenderJobState.Completed], secondStates);
    }

    [Fact]
    public async Task Paid_nodes_are_not_compatible_with_a_farm_without_a_wallet()
    {
        await using var farm = await RenderFarm.ConnectAsync(new RenderFarmOptions { Nodes = fixture.Network.NodeAddresses });
        var estimate = await farm.ValidateAsync(Small(spp: 1));
        Assert.False(estimate.CanRender);
        Assert.Contains(estimate.Problems, p => p.Message.Contains("renders for pay, and this farm has no wallet"));
        var ex = await Assert.ThrowsAsync<NoCompatibleNodeException>(() => farm.RenderAsync(Small(spp: 1)));
        Assert.Contains("no usable render node", ex.Message);
    }
}
