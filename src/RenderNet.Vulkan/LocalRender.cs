using System.Diagnostics;
using RenderNet.Core.Acceleration;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;

namespace RenderNet.Vulkan;

/// <summary>Progress of a local render: tiles finished, pixel-samples finished, and the total of each.</summary>
public readonly record struct RenderProgress(int TilesDone, int TilesTotal, long PixelSamplesDone, long PixelSamplesTotal, TileRect? LastTile);

/// <summary>Timings and throughput of one local render.</summary>
public sealed record RenderStats(
    GpuDeviceInfo Device, int Triangles, int BvhNodes, int BvhDepth, TimeSpan BvhBuild, TimeSpan Upload, TimeSpan Render,
    long PixelSamples, long Rays, int Tiles)
{
    public double SamplesPerSecond => PixelSamples / Math.Max(Render.TotalSeconds, 1e-9);
    public double RaysPerSecond => Rays / Math.Max(Render.TotalSeconds, 1e-9);
}

/// <summary>
/// Renders a whole frame in one process: builds the BVH, uploads the scene, renders every tile of a
/// <see cref="TilePlan"/> on one device and assembles the frame. The single-process baseline the farm must equal.
/// </summary>
public static class LocalRender
{
    public static (FloatImage Image, RenderStats Stats) Render(
        VulkanDevice device, Scene scene, FrameSettings frame, TilePlan plan,
        Action<RenderProgress>? progress = null, CancellationToken cancellation = default)
    {
        var (rendered, stats) = RenderFrame(device, scene, frame, plan, progress, cancellation);
        return (rendered.Beauty, stats);
    }

    /// <summary>As <see cref="Render"/>, with the frame's render passes (<see cref="FrameSettings.Passes"/>).</summary>
    public static (RenderedFrame Frame, RenderStats Stats) RenderFrame(
        VulkanDevice device, Scene scene, FrameSettings frame, TilePlan plan,
        Action<RenderProgress>? progress = null, CancellationToken cancellation = default)
    {
        frame.Validate();
        if (plan.FrameWidth != frame.Width || plan.FrameHeight != frame.Height)
            throw new ArgumentException($"tile plan is for {plan.FrameWidth}x{plan.FrameHeight} but the frame is {frame.Width}x{frame.Height}");

        if (frame.Mode == RenderMode.Raster) return Rasterise(device, scene, frame, plan, progress, cancellation);
        var watch = Stopwatch.StartNew();
        var bvh = BvhBuilder.Build(scene.Positions);
        var bvhTime = watch.Elapsed;
        cancellation.ThrowIfCancellationRequested();

        watch.Restart();
        using var gpuScene = new GpuScene(device, scene, bvh);
        using var tracer = new PathTracer(device, gpuScene);
        var uploadTime = watch.Elapsed;

        var assembler = new FrameAssembler(frame.Width, frame.Height, frame.Passes);
        long perPixel = frame.Output == RenderOutput.Radiance ? frame.SamplesPerPixel : 1;
        long total = (long)frame.Width * frame.Height * perPixel;
        long finished = 0;
        int tilesDone = 0;
        watch.Restart();
        foreach (var tile in plan.Tiles)
        {
            long before = finished;
            var pixels = tracer.RenderTile(frame, tile,
                done => progress?.Invoke(new RenderProgress(tilesDone, plan.Tiles.Count, before + done, total, null)),
                cancellation);
            assembler.Place(tile, pixels);
            finished = before + tile.PixelCount * perPixel;
            tilesDone++;
            progress?.Invoke(new RenderProgress(tilesDone, plan.Tiles.Count, finished, total, tile));
        }
        var renderTime = watch.Elapsed;
        // Samples actually taken: adaptive sampling stops pixels early, and throughput counts only what was traced.
        long taken = frame.Output == RenderOutput.Radiance ? tracer.PixelSamplesTaken : finished;
        return (RenderedFrame.From(assembler), new RenderStats(device.Info, scene.TriangleCount, bvh.Nodes.Length, bvh.Depth,
            bvhTime, uploadTime, renderTime, taken, tracer.RaysTraced, plan.Tiles.Count));
    }

    static (RenderedFrame Frame, RenderStats Stats) Rasterise(VulkanDevice device, Scene scene, FrameSettings frame, TilePlan plan,
        Action<RenderProgress>? progress, CancellationToken cancellation)
    {
        var watch = Stopwatch.StartNew();
        using var raster = new Rasterizer(device, scene);
        var uploadTime = watch.Elapsed;
        var assembler = new FrameAssembler(frame.Width, frame.Height);
        long total = (long)frame.Width * frame.Height, finished = 0;
        int tilesDone = 0;
        watch.Restart();
        foreach (var tile in plan.Tiles)
        {
            cancellation.ThrowIfCancellationRequested();
            assembler.Place(tile, frame.Output == RenderOutput.PrimaryHit ? IdsAsPixels(raster.RenderIds(frame, tile)) : raster.RenderTile(frame, tile));
            finished += tile.PixelCount;
            progress?.Invoke(new RenderProgress(++tilesDone, plan.Tiles.Count, finished, total, tile));
        }
        return (RenderedFrame.From(assembler), new RenderStats(device.Info, scene.TriangleCount, 0, 0, TimeSpan.Zero, uploadTime, watch.Elapsed, finished, 0, plan.Tiles.Count));
    }

    /// <summary>The rasteriser's ids in the path tracer's primary-hit layout: R = triangle (-1 for none).</summary>
    static float[] IdsAsPixels(uint[] ids)
    {
        var pixels = new float[ids.Length * 4];
        for (int i = 0; i < ids.Length; i++) { pixels[4 * i] = (float)ids[i] - 1; pixels[4 * i + 3] = 1; }
        return pixels;
    }
}
