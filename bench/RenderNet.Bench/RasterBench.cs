using System.CommandLine;
using System.Diagnostics;
using RenderNet.Core.Gltf;
using RenderNet.Core.Rendering;
using RenderNet.Core.Samples;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;
using RenderNet.Vulkan;

/// <summary>
/// `bench raster`: frames/s of the rasteriser at 1920×1080 (4× MSAA) on the sample scene and on the largest model in
/// ../shared/gltf, and the cost of drawing the frame as 256-pixel tiles against one full-frame draw (ratio), with the
/// device name. The baseline for previews is the path tracer on the same frame at 1 spp, measured in the same run.
/// </summary>
static class RasterBench
{
    public static Command Create()
    {
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 1920 };
        var height = new Option<int>("--height") { DefaultValueFactory = _ => 1080 };
        var tile = new Option<int>("--tile") { DefaultValueFactory = _ => 256 };
        var frames = new Option<int>("--frames") { Description = "Frames timed per scene", DefaultValueFactory = _ => 5 };
        var command = new Command("raster", "Rasteriser frames/s and tiled-vs-full overhead") { width, height, tile, frames };
        command.SetAction(parse => Run(parse.GetValue(width), parse.GetValue(height), parse.GetValue(tile), parse.GetValue(frames)));
        return command;
    }

    static int Run(int width, int height, int tileSize, int frames)
    {
        using var device = VulkanDevice.Open();
        Console.WriteLine($"device: {device.Info.Name} ({device.Info.Type}, {device.Info.DriverName} {device.Info.DriverInfo}); {width}x{height}, 4x MSAA, {tileSize}px tiles");
        var scenes = new List<Scene> { GltfSceneLoader.Load(CornellBox.Build(), CornellBox.FileName) };
        var shared = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "..", "shared", "gltf"));
        if (Directory.Exists(shared))
        {
            var largest = Directory.EnumerateFiles(shared).Where(f => f.EndsWith(".gltf") || f.EndsWith(".glb")).OrderByDescending(f => new FileInfo(f).Length).First();
            scenes.Add(GltfSceneLoader.Load(largest));
        }
        else Console.WriteLine($"({shared} not found: sample scene only)");

        foreach (var scene in scenes)
        {
            var frame = new FrameSettings { Width = width, Height = height, Camera = scene.ResolveCamera(null), Mode = RenderMode.Raster, Background = new(0.2f) };
            using var raster = new Rasterizer(device, scene);
            var full = new TileRect(0, 0, width, height);
            raster.RenderTile(frame, full); // warm-up: geometry for this camera, pipelines
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < frames; i++) raster.RenderTile(frame, full);
            double fullSeconds = watch.Elapsed.TotalSeconds / frames;

            var plan = new TilePlan(width, height, tileSize);
            watch.Restart();
            for (int i = 0; i < frames; i++) foreach (var t in plan.Tiles) raster.RenderTile(frame, t);
            double tiledSeconds = watch.Elapsed.TotalSeconds / frames;

            // Geometry preparation (clip, project, snap, upload) happens once per camera: timed on its own.
            watch.Restart();
            var geometry = RasterGeometry.Build(scene, frame);
            double prepare = watch.Elapsed.TotalSeconds;

            var traced = frame with { Mode = RenderMode.PathTrace, SamplesPerPixel = 1, MaxBounces = 2 };
            watch.Restart();
            LocalRender.Render(device, scene, traced, new TilePlan(width, height, width));
            double pathSeconds = watch.Elapsed.TotalSeconds;

            Console.WriteLine($"{scene.Name}: {scene.TriangleCount:N0} triangles ({geometry.TriangleCount:N0} after clipping): " +
                $"{1 / fullSeconds:F1} frames/s full frame ({fullSeconds * 1000:F0} ms), tiled {tiledSeconds * 1000:F0} ms ({plan.Tiles.Count} tiles), " +
                $"tiled/full {tiledSeconds / fullSeconds:F2}; geometry prep {prepare * 1000:F0} ms per camera; " +
                $"path tracer at 1 spp, 2 bounces (baseline) {pathSeconds:F2} s: raster is {pathSeconds / fullSeconds:F0}x faster");
        }
        return 0;
    }
}
