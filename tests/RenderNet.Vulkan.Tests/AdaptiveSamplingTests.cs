using Xunit.Abstractions;
using RenderNet.Core.Acceleration;
using RenderNet.Core.Rendering;
using RenderNet.Core.Tiles;

namespace RenderNet.Vulkan.Tests;

/// <summary>Adaptive sampling: pixels stop where their own samples say they are converged, and tiles stay exact.</summary>
[Collection("device")]
public class AdaptiveSamplingTests(DeviceFixture gpu, ITestOutputHelper output)
{
    static readonly Lazy<Core.Scenes.Scene> Cornell = new(SceneBuilder.CornellBox);

    FrameSettings Frame(float threshold) => new()
    {
        Width = 40, Height = 30, Camera = Cornell.Value.Cameras[0], SamplesPerPixel = 128, MaxBounces = 3, Seed = 3,
        NoiseThreshold = threshold, MinSamplesPerPixel = 8,
    };

    [Fact]
    public void Tiles_bands_and_sample_batches_do_not_change_where_a_pixel_stops()
    {
        var frame = Frame(0.05f);
        var full = gpu.Render(Cornell.Value, frame, tileSize: 40);
        var tiled = LocalRender.Render(gpu.Device, Cornell.Value, frame, new TilePlan(40, 30, 7, 5)).Image;
        Assert.True(full.BitEquals(tiled), "7x5 tiles differ from the full frame with adaptive sampling");

        using var gpuScene = new GpuScene(gpu.Device, Cornell.Value, BvhBuilder.Build(Cornell.Value.Positions));
        using var coarse = new PathTracer(gpu.Device, gpuScene) { TargetDispatchSeconds = 10 };
        using var fine = new PathTracer(gpu.Device, gpuScene) { TargetDispatchSeconds = 1e-9 };
        // Two rows of the frame, where converged and unconverged pixels meet: one sample of one row per dispatch is
        // 256 dispatches (each of which the validation layer checks at a cost that grows with the kernel's size).
        var tile = new TileRect(0, 14, 40, 2);
        fine.RenderTile(frame, new TileRect(0, 0, 8, 8));
        long before = fine.PixelSamplesTaken;
        Assert.Equal(coarse.RenderTile(frame, tile), fine.RenderTile(frame, tile));
        Assert.Equal(coarse.PixelSamplesTaken, fine.PixelSamplesTaken - before);
    }

    [Fact]
    public void Converged_pixels_stop_early_and_the_picture_stays_the_same()
    {
        using var gpuScene = new GpuScene(gpu.Device, Cornell.Value, BvhBuilder.Build(Cornell.Value.Positions));
        using var tracer = new PathTracer(gpu.Device, gpuScene);
        var tile = new TileRect(0, 0, 40, 30);
        var all = tracer.RenderTile(Frame(0), tile);
        long allSamples = tracer.PixelSamplesTaken;
        Assert.Equal(40L * 30 * 128, allSamples);
        var adaptive = tracer.RenderTile(Frame(0.05f), tile);
        long adaptiveSamples = tracer.PixelSamplesTaken - allSamples;
        double mean(float[] p) => Enumerable.Range(0, p.Length / 4).Average(i => (double)p[4 * i] + p[4 * i + 1] + p[4 * i + 2]);
        output.WriteLine($"samples {adaptiveSamples} of {allSamples} ({100.0 * adaptiveSamples / allSamples:F1}%); mean {mean(adaptive):F4} vs {mean(all):F4}");
        Assert.True(adaptiveSamples < 0.8 * allSamples, $"adaptive sampling took {adaptiveSamples} of {allSamples} samples");
        Assert.True(adaptiveSamples >= 40L * 30 * 8, "every pixel takes the minimum");
        Assert.Equal(mean(all), mean(adaptive), 0.02 * mean(all));
    }
}
