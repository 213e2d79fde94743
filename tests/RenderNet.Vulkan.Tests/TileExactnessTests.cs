using RenderNet.Core.Acceleration;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Tiles;

namespace RenderNet.Vulkan.Tests;

/// <summary>Tiles reassemble into exactly the full frame, whatever the tile size, band or sample batching.</summary>
[Collection("device")]
public class TileExactnessTests(DeviceFixture gpu)
{
    static readonly Lazy<Core.Scenes.Scene> Cornell = new(SceneBuilder.CornellBox);

    FrameSettings Frame(int w, int h, uint seed = 7) => new()
    {
        Width = w, Height = h, Camera = Cornell.Value.Cameras[0], SamplesPerPixel = 4, MaxBounces = 3, Seed = seed,
    };

    [Theory]
    [InlineData(17, 13)]
    [InlineData(32, 32)]
    [InlineData(100, 1)]
    [InlineData(1, 75)]
    public void Tiled_equals_full_frame_bit_for_bit(int tw, int th)
    {
        var frame = Frame(100, 75);
        var full = gpu.Render(Cornell.Value, frame, tileSize: 100);
        var tiled = LocalRender.Render(gpu.Device, Cornell.Value, frame, new TilePlan(100, 75, tw, th)).Image;
        Assert.True(full.BitEquals(tiled), $"{tw}x{th} tiles differ from the full frame");
        // Not a trivially constant image: the room is lit and noisy.
        Assert.True(full.Pixels.Distinct().Count() > 1000);
    }

    [Fact]
    public void One_pixel_tiles_equal_the_full_frame()
    {
        var frame = Frame(24, 18);
        var full = gpu.Render(Cornell.Value, frame, tileSize: 24);
        var single = gpu.Render(Cornell.Value, frame, tileSize: 1);
        Assert.True(full.BitEquals(single));
    }

    [Fact]
    public void Sample_batches_and_row_bands_do_not_change_pixels()
    {
        var scene = Cornell.Value;
        var frame = Frame(40, 30) with { SamplesPerPixel = 9 };
        using var gpuScene = new GpuScene(gpu.Device, scene, BvhBuilder.Build(scene.Positions));
        using var coarse = new PathTracer(gpu.Device, gpuScene) { TargetDispatchSeconds = 10 };
        using var fine = new PathTracer(gpu.Device, gpuScene) { TargetDispatchSeconds = 1e-9 }; // one row, one sample per dispatch
        var tile = new TileRect(0, 0, 40, 30);
        int dispatches = 0;
        var a = coarse.RenderTile(frame, tile);
        fine.RenderTile(frame, new TileRect(0, 0, 8, 8)); // measures throughput, so the next tile is cut finely
        var b = fine.RenderTile(frame, tile, _ => dispatches++);
        Assert.True(dispatches >= 30 * 9 / 2, $"only {dispatches} dispatches: batching was not exercised");
        Assert.Equal(a, b);
    }

    [Fact]
    public void Hundreds_of_samples_are_exact_however_they_are_batched()
    {
        // llvmpipe stops every loop once a SIMD vector has made 65,535 loop trips in one invocation. Before the tracer
        // counted its trips, 128 samples of this tile in one dispatch left 456 of 4,800 values different (darker)
        // from the same samples in batches of 96 or fewer.
        var scene = Cornell.Value;
        var frame = Frame(40, 30) with { SamplesPerPixel = 192 };
        var tile = new TileRect(0, 0, 40, 30);
        using var gpuScene = new GpuScene(gpu.Device, scene, BvhBuilder.Build(scene.Positions));
        float[] Render(uint maxSamples)
        {
            using var tracer = new PathTracer(gpu.Device, gpuScene) { TargetDispatchSeconds = 100, MaxSamplesPerDispatch = maxSamples };
            return tracer.RenderTile(frame, tile);
        }
        var asItLikes = Render(uint.MaxValue);
        Assert.Equal(asItLikes, Render(96));
        Assert.Equal(asItLikes, Render(1));
    }

    [Fact]
    public void The_seed_changes_the_noise_but_not_the_picture()
    {
        var a = gpu.Render(Cornell.Value, Frame(40, 30, seed: 1));
        var b = gpu.Render(Cornell.Value, Frame(40, 30, seed: 2));
        Assert.False(a.BitEquals(b));
        double meanA = a.Pixels.Average(), meanB = b.Pixels.Average();
        Assert.Equal(meanA, meanB, 1);
    }
}

[Collection("device")]
public class UploadAndCancellationTests(DeviceFixture gpu)
{
    [Fact]
    public void Staged_uploads_as_on_discrete_gpus_give_the_same_pixels()
    {
        var scene = SceneBuilder.CornellBox();
        var frame = new FrameSettings { Width = 24, Height = 18, Camera = scene.Cameras[0], SamplesPerPixel = 2, MaxBounces = 2 };
        var direct = gpu.Render(scene, frame);
        gpu.Device.ForceStagingUploads = true;
        try
        {
            Assert.True(direct.BitEquals(gpu.Render(scene, frame)));
        }
        finally { gpu.Device.ForceStagingUploads = false; }
    }

    [Fact]
    public void Cancellation_stops_a_render_between_dispatches()
    {
        var scene = SceneBuilder.CornellBox();
        var frame = new FrameSettings { Width = 64, Height = 48, Camera = scene.Cameras[0], SamplesPerPixel = 64, MaxBounces = 4 };
        using var cts = new CancellationTokenSource();
        int tilesDone = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => LocalRender.Render(gpu.Device, scene, frame, new TilePlan(64, 48, 16),
            p => { if (p.LastTile is not null && ++tilesDone == 2) cts.Cancel(); }, cts.Token));
        Assert.Equal(2, tilesDone);
        // The device is still usable afterwards.
        Assert.True(gpu.Render(scene, frame with { Width = 8, Height = 8, SamplesPerPixel = 1 }).Pixels.Max() > 0);
    }
}
