using System.CommandLine;
using System.Diagnostics;
using System.Numerics;
using System.Text.Json;
using RenderNet.Core.Acceleration;
using RenderNet.Core.Gltf;
using RenderNet.Core.Rendering;
using RenderNet.Core.Samples;
using RenderNet.Core.Tiles;
using RenderNet.Vulkan;

// Benchmarks the render core and reports each figure next to its baseline, measured in the same run:
//   - path tracing the sample scene: samples/s and rays/s (full frame, one tile);
//   - tiled (--tile) vs full frame: time ratio (the overhead of cutting a frame into tiles), plus a bit-exactness check;
//   - BVH build of a ~1M-triangle mesh: parallel vs single-threaded (ratio), plus a determinism check.
var size = new Option<int>("--size") { Description = "Frame width and height", DefaultValueFactory = _ => 512 };
var spp = new Option<int>("--spp") { Description = "Samples per pixel", DefaultValueFactory = _ => 16 };
var tile = new Option<int>("--tile") { Description = "Tile size for the tiled run", DefaultValueFactory = _ => 64 };
var triangles = new Option<int>("--triangles") { Description = "Triangles in the BVH mesh", DefaultValueFactory = _ => 1_000_000 };
var device = new Option<string?>("--device") { Description = "Vulkan device index or name substring" };
var json = new Option<bool>("--json") { Description = "Print JSON" };
var root = new RootCommand("RenderNet benchmarks (default: the render core)") { size, spp, tile, triangles, device, json };
root.SetAction(parse => Run(parse.GetValue(size), parse.GetValue(spp), parse.GetValue(tile), parse.GetValue(triangles), parse.GetValue(device), parse.GetValue(json)));
root.Subcommands.Add(FarmBench.Create());
root.Subcommands.Add(PaymentsBench.Create());
root.Subcommands.Add(TranscodeBench.Create());
root.Subcommands.Add(RasterBench.Create());
root.Subcommands.Add(ClientBench.Create());
root.Subcommands.Add(CyclesBench.Create());
root.Subcommands.Add(DenoiseBench.Create());
root.Subcommands.Add(RenderNet.Bench.Scale.ScaleBench.Create());
return root.Parse(args).Invoke();

static int Run(int size, int spp, int tileSize, int triangleCount, string? deviceSelector, bool json)
{
    using var gpu = VulkanDevice.Open(deviceSelector);
    var scene = GltfSceneLoader.Load(CornellBox.Build(), CornellBox.FileName);
    var frame = new FrameSettings { Width = size, Height = size, Camera = scene.Cameras[0], SamplesPerPixel = spp, MaxBounces = 6, Seed = 1 };
    Log(json, $"device: {gpu.Info.Name} ({gpu.Info.Type}, {gpu.Info.DriverName} {gpu.Info.DriverInfo}, Vulkan {gpu.Info.ApiVersion})");

    // Warm-up: pipeline compilation and the throughput probe are not part of the figures.
    LocalRender.Render(gpu, scene, frame with { Width = 64, Height = 64, SamplesPerPixel = 1 }, new TilePlan(64, 64, 64));

    var (fullImage, full) = LocalRender.Render(gpu, scene, frame, new TilePlan(size, size, size));
    Log(json, $"sample scene {size}x{size} @ {spp} spp, full frame: {full.Render.TotalSeconds:F2} s, " +
              $"{full.SamplesPerSecond / 1e6:F3} M samples/s, {full.RaysPerSecond / 1e6:F3} M rays/s");
    var (tiledImage, tiled) = LocalRender.Render(gpu, scene, frame, new TilePlan(size, size, tileSize));
    double tiledRatio = tiled.Render.TotalSeconds / full.Render.TotalSeconds;
    bool identical = fullImage.BitEquals(tiledImage);
    Log(json, $"{tileSize}px tiles ({tiled.Tiles} tiles): {tiled.Render.TotalSeconds:F2} s, tiled/full time ratio {tiledRatio:F3}, bit-identical: {identical}");

    var mesh = BumpySphere(triangleCount);
    var watch = Stopwatch.StartNew();
    var parallelBvh = BvhBuilder.Build(mesh, parallel: true);
    double parallelSeconds = watch.Elapsed.TotalSeconds;
    watch.Restart();
    var sequentialBvh = BvhBuilder.Build(mesh, parallel: false);
    double sequentialSeconds = watch.Elapsed.TotalSeconds;
    bool sameTree = parallelBvh.Nodes.AsSpan().SequenceEqual(sequentialBvh.Nodes) && parallelBvh.TriangleOrder.AsSpan().SequenceEqual(sequentialBvh.TriangleOrder);
    Log(json, $"BVH of {mesh.Length / 3:N0} triangles on {Environment.ProcessorCount} cores: parallel {parallelSeconds:F2} s, " +
              $"single-threaded {sequentialSeconds:F2} s, speed-up {sequentialSeconds / parallelSeconds:F2}x, " +
              $"{parallelBvh.Nodes.Length:N0} nodes, depth {parallelBvh.Depth}, identical trees: {sameTree}");

    if (json)
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            device = gpu.Info.Name, device_type = gpu.Info.Type.ToString(), driver = $"{gpu.Info.DriverName} {gpu.Info.DriverInfo}".Trim(),
            size, spp, tile = tileSize,
            full_frame_s = full.Render.TotalSeconds, samples_per_second = full.SamplesPerSecond, rays_per_second = full.RaysPerSecond,
            tiled_s = tiled.Render.TotalSeconds, tiled_over_full = tiledRatio, tiled_bit_identical = identical,
            bvh_triangles = mesh.Length / 3, bvh_parallel_s = parallelSeconds, bvh_single_thread_s = sequentialSeconds, bvh_identical = sameTree,
        }, new JsonSerializerOptions { WriteIndented = true }));
    return identical && sameTree ? 0 : 1;
}

static void Log(bool json, string line)
{
    if (json) Console.Error.WriteLine(line); else Console.WriteLine(line);
}

// A sphere with a few octaves of ripples: uneven triangle sizes and orientations, like a scanned asset.
static Vector3[] BumpySphere(int triangles)
{
    int rings = (int)Math.Sqrt(triangles / 2.0);
    int segments = triangles / (2 * rings);
    var p = new Vector3[rings * segments * 6];
    Vector3 At(int r, int s)
    {
        float theta = MathF.PI * r / rings, phi = 2 * MathF.PI * s / segments;
        var n = new Vector3(MathF.Sin(theta) * MathF.Cos(phi), MathF.Cos(theta), MathF.Sin(theta) * MathF.Sin(phi));
        return n * (1 + 0.05f * MathF.Sin(13 * theta) * MathF.Cos(17 * phi) + 0.01f * MathF.Sin(97 * phi));
    }
    int k = 0;
    for (int r = 0; r < rings; r++)
        for (int s = 0; s < segments; s++)
        {
            Vector3 a = At(r, s), b = At(r + 1, s), c = At(r + 1, s + 1), d = At(r, s + 1);
            p[k++] = a; p[k++] = b; p[k++] = c;
            p[k++] = a; p[k++] = c; p[k++] = d;
        }
    return p;
}
