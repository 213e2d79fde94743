using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using RenderNet.Core.Gltf;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Samples;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;
using RenderNet.Vulkan;
using Spectre.Console;

namespace RenderNet.Cli.Commands;

/// <summary>`rendernet render SCENE ...`: path traces a glTF scene tile by tile on one Vulkan device.</summary>
static class RenderCommand
{
    public static Command Create()
    {
        var scene = new Argument<string?>("scene") { Description = "A .gltf or .glb file (default: the built-in Cornell-box sample)", Arity = ArgumentArity.ZeroOrOne };
        var width = new Option<int>("--width", "-W") { Description = "Image width in pixels", DefaultValueFactory = _ => 640 };
        var height = new Option<int>("--height", "-H") { Description = "Image height in pixels", DefaultValueFactory = _ => 480 };
        var spp = new Option<int>("--spp") { Description = "Samples per pixel", DefaultValueFactory = _ => 64 };
        var bounces = new Option<int>("--bounces") { Description = "Maximum number of surface bounces per path", DefaultValueFactory = _ => 6 };
        var tile = new Option<int>("--tile") { Description = "Tile size in pixels (square; edge tiles may be smaller)", DefaultValueFactory = _ => 64 };
        var seed = new Option<uint>("--seed") { Description = "Random seed of the frame", DefaultValueFactory = _ => 0u };
        var camera = new Option<string?>("--camera") { Description = "Camera name or index (default: the scene's first camera, or an automatic framing)" };
        var device = new Option<string?>("--device") { Description = $"Vulkan device index or name substring (default: ${DeviceSelection.EnvironmentVariable}, then the best device)" };
        var background = new Option<string?>("--background") { Description = "Environment radiance as R,G,B or one value (default: black when the scene has lights, else 1)" };
        var output = new Option<string>("--out", "-o") { Description = "Output image: .png (sRGB) or .pfm (linear float)", DefaultValueFactory = _ => "render.png" };
        var bitDepth = new Option<int>("--bit-depth") { Description = "PNG bit depth: 8 or 16", DefaultValueFactory = _ => 8 };
        var validation = new Option<bool>("--validation") { Description = "Enable Vulkan validation layers (when installed)" };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable JSON summary on stdout" };

        var command = new Command("render", "Path trace a glTF 2.0 scene to an image")
        {
            scene, width, height, spp, bounces, tile, seed, camera, device, background, output, bitDepth, validation, json,
        };
        command.SetAction((parse, cancellation) => UserErrors.Run(() => Task.FromResult(Execute(new Request(
            parse.GetValue(scene), parse.GetValue(width), parse.GetValue(height), parse.GetValue(spp), parse.GetValue(bounces),
            parse.GetValue(tile), parse.GetValue(seed), parse.GetValue(camera), parse.GetValue(device), parse.GetValue(background),
            parse.GetValue(output)!, parse.GetValue(bitDepth), parse.GetValue(validation), parse.GetValue(json)), cancellation))));
        return command;
    }

    sealed record Request(string? Scene, int Width, int Height, int Spp, int Bounces, int Tile, uint Seed, string? Camera,
        string? Device, string? Background, string Output, int BitDepth, bool Validation, bool Json);

    static int Execute(Request r, CancellationToken cancellation)
    {
        var total = Stopwatch.StartNew();
        // Check everything the user typed before any expensive work.
        if (r.Tile <= 0) throw new ArgumentException($"tile size must be at least 1, got {r.Tile}");
        if (r.BitDepth is not (8 or 16)) throw new ArgumentException($"bit depth must be 8 or 16, got {r.BitDepth}");
        var format = ImageWriter.FormatFor(r.Output, r.BitDepth);
        Vector3? explicitBackground = r.Background is null ? null : ParseColor(r.Background);
        FrameSettings.ValidateLimits(r.Width, r.Height, r.Spp, r.Bounces, explicitBackground ?? Vector3.Zero);
        ImageWriter.EnsureWritable(r.Output);

        var loadWatch = Stopwatch.StartNew();
        var scene = r.Scene is null
            ? GltfSceneLoader.Load(CornellBox.Build(), CornellBox.FileName)
            : GltfSceneLoader.Load(r.Scene);
        var loadTime = loadWatch.Elapsed;
        foreach (var warning in scene.Warnings) Console.Error.WriteLine($"rendernet: warning: {warning}");
        bool hasLights = scene.Lights.Count > 0 || scene.Materials.Any(m => m.IsEmissive);
        var frame = new FrameSettings
        {
            Width = r.Width,
            Height = r.Height,
            SamplesPerPixel = r.Spp,
            MaxBounces = r.Bounces,
            Camera = scene.ResolveCamera(r.Camera),
            Seed = r.Seed,
            Background = explicitBackground ?? (hasLights ? Vector3.Zero : Vector3.One),
        };
        if (explicitBackground is null && !hasLights)
            Console.Error.WriteLine("rendernet: note: the scene has no lights; it is lit by a uniform white environment (set --background to change)");

        using var gpu = VulkanDevice.Open(r.Device, r.Validation);
        if (gpu.ValidationWarning is { } vw) Console.Error.WriteLine($"rendernet: warning: {vw}");
        if (!r.Json) Console.Error.WriteLine($"rendernet: {scene.Name}: {scene.TriangleCount:N0} triangles, {r.Width}x{r.Height}, {r.Spp} spp on {gpu.Info.Name} ({gpu.Info.Type})");

        var plan = new TilePlan(r.Width, r.Height, r.Tile);
        (FloatImage image, RenderStats stats) = RenderWithProgress(gpu, scene, frame, plan, r.Json, cancellation);
        ImageWriter.Write(image, r.Output, format);

        if (r.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                scene = r.Scene ?? CornellBox.FileName,
                output = Path.GetFullPath(r.Output),
                format = format.ToString().ToLowerInvariant(),
                width = r.Width, height = r.Height, spp = r.Spp, bounces = r.Bounces, seed = r.Seed, tile = r.Tile,
                tiles = stats.Tiles,
                camera = frame.Camera.Name,
                triangles = stats.Triangles,
                device = new { name = stats.Device.Name, type = stats.Device.Type.ToString().ToLowerInvariant(), driver = stats.Device.DriverName, api_version = stats.Device.ApiVersion },
                timings = new
                {
                    load_s = loadTime.TotalSeconds, bvh_s = stats.BvhBuild.TotalSeconds, upload_s = stats.Upload.TotalSeconds,
                    render_s = stats.Render.TotalSeconds, total_s = total.Elapsed.TotalSeconds,
                },
                samples_per_second = stats.SamplesPerSecond,
                rays_per_second = stats.RaysPerSecond,
                image_sha256 = image.ContentHash(),
                warnings = scene.Warnings,
            }, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            Console.Error.WriteLine($"rendernet: wrote {r.Output} in {total.Elapsed.TotalSeconds:F2} s " +
                $"(render {stats.Render.TotalSeconds:F2} s, {stats.SamplesPerSecond / 1e6:F2} M samples/s, {stats.RaysPerSecond / 1e6:F2} M rays/s, {stats.Tiles} tile{(stats.Tiles == 1 ? "" : "s")})");
        }
        return ExitCodes.Success;
    }

    static (FloatImage, RenderStats) RenderWithProgress(VulkanDevice gpu, Scene scene, FrameSettings frame, TilePlan plan, bool json, CancellationToken cancellation)
    {
        if (json || Console.IsErrorRedirected)
            return LocalRender.Render(gpu, scene, frame, plan, null, cancellation);

        // Progress goes to stderr so stdout stays clean for pipes.
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        (FloatImage, RenderStats) result = default;
        var watch = Stopwatch.StartNew();
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"tiles 0/{plan.Tiles.Count}", maxValue: 1);
                result = LocalRender.Render(gpu, scene, frame, plan, p =>
                {
                    task.MaxValue = p.PixelSamplesTotal;
                    task.Value = p.PixelSamplesDone;
                    double rate = p.PixelSamplesDone / Math.Max(watch.Elapsed.TotalSeconds, 1e-3);
                    task.Description = $"tiles {p.TilesDone}/{p.TilesTotal}  {rate / 1e6:F2} M samples/s";
                }, cancellation);
            });
        return result;
    }

    static Vector3 ParseColor(string text)
    {
        var parts = text.Split(',');
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]) || values[i] < 0)
                throw new ArgumentException($"--background '{text}' is not a colour: give R,G,B or one non-negative number");
        return parts.Length switch
        {
            1 => new Vector3(values[0]),
            3 => new Vector3(values[0], values[1], values[2]),
            _ => throw new ArgumentException($"--background '{text}' is not a colour: give R,G,B or one non-negative number"),
        };
    }
}
