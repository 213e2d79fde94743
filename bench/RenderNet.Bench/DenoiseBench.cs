using System.CommandLine;
using System.Diagnostics;
using RenderNet.Core.Denoising;
using RenderNet.Core.Gltf;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Samples;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;
using RenderNet.Vulkan;

/// <summary>
/// `bench denoise`: PSNR against a high-spp reference for 4/16/64 spp with and without the denoiser, on the sample scene
/// and on BlenderLights.glb from ../shared/gltf (written by Blender's exporter), each with its render time; then the
/// denoiser's time per megapixel on the Vulkan device and on the CPU (which must agree bit for bit).
/// </summary>
static class DenoiseBench
{
    public static Command Create()
    {
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 128 };
        var height = new Option<int>("--height") { DefaultValueFactory = _ => 96 };
        var reference = new Option<int>("--reference-spp") { DefaultValueFactory = _ => 1024 };
        var timingWidth = new Option<int>("--timing-width") { Description = "Frame size the denoiser is timed on", DefaultValueFactory = _ => 1280 };
        var timingHeight = new Option<int>("--timing-height") { DefaultValueFactory = _ => 720 };
        var command = new Command("denoise", "Denoiser quality (PSNR vs a reference) and speed (ms per megapixel)") { width, height, reference, timingWidth, timingHeight };
        command.SetAction(parse => Run(parse.GetValue(width), parse.GetValue(height), parse.GetValue(reference), parse.GetValue(timingWidth), parse.GetValue(timingHeight)));
        return command;
    }

    const RenderPasses Guides = DenoiseInput.RequiredPasses | RenderPasses.Emission;

    static int Run(int width, int height, int referenceSpp, int timingWidth, int timingHeight)
    {
        using var device = VulkanDevice.Open();
        Console.WriteLine($"device: {device.Info.Name} ({device.Info.Type}, {device.Info.DriverName} {device.Info.DriverInfo}); {width}x{height}, reference {referenceSpp} spp");
        var scenes = new List<Scene> { GltfSceneLoader.Load(CornellBox.Build(), CornellBox.FileName) };
        var blender = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "..", "shared", "gltf", "BlenderLights.glb"));
        if (File.Exists(blender)) scenes.Add(GltfSceneLoader.Load(blender));
        else Console.WriteLine($"({blender} not found: sample scene only)");
        var gpu = new VulkanDenoiser(device);
        foreach (var scene in scenes)
        {
            FrameSettings Frame(int spp) => new()
            {
                Width = width, Height = height, Camera = scene.Cameras[0], SamplesPerPixel = spp, MaxBounces = 6, Seed = 9,
                Background = scene.Lights.Count > 0 || scene.Materials.Any(m => m.IsEmissive) ? default : System.Numerics.Vector3.One,
            };
            var plan = new TilePlan(width, height, 64);
            var watch = Stopwatch.StartNew();
            var truth = LocalRender.Render(device, scene, Frame(referenceSpp), plan).Image;
            Console.WriteLine($"{scene.Name}: reference rendered in {watch.Elapsed.TotalSeconds:F1} s");
            foreach (int spp in new[] { 4, 16, 64 })
            {
                watch.Restart();
                var noisy = LocalRender.RenderFrame(device, scene, Frame(spp) with { Passes = Guides }, plan).Frame;
                double renderSeconds = watch.Elapsed.TotalSeconds;
                watch.Restart();
                var denoised = gpu.Denoise(noisy);
                double denoiseSeconds = watch.Elapsed.TotalSeconds;
                double before = Psnr(noisy.Beauty, truth), after = Psnr(denoised, truth);
                Console.WriteLine($"  {spp,3} spp: noisy {before:F2} dB, denoised {after:F2} dB (+{after - before:F2} dB); render {renderSeconds:F2} s, denoise {denoiseSeconds * 1000:F0} ms");
            }
        }

        // Speed on a larger frame (1 spp is enough: the filter's cost does not depend on the samples).
        var cornell = scenes[0];
        var big = LocalRender.RenderFrame(device, cornell, new FrameSettings
        {
            Width = timingWidth, Height = timingHeight, Camera = cornell.Cameras[0], SamplesPerPixel = 1, MaxBounces = 2, Passes = Guides,
        }, new TilePlan(timingWidth, timingHeight, 256)).Frame;
        double megapixels = timingWidth * (double)timingHeight / 1e6;
        var input = DenoiseInput.Prepare(big);
        double Best(Func<uint[]> filter, out uint[] result)
        {
            result = filter();   // warm-up: pipeline creation, JIT
            double best = double.MaxValue;
            for (int i = 0; i < 3; i++)
            {
                var w = Stopwatch.StartNew();
                result = filter();
                best = Math.Min(best, w.Elapsed.TotalSeconds);
            }
            return best;
        }
        double onDevice = Best(() => gpu.Filter(input), out var a);
        double onCpu = Best(() => CpuDenoiser.Filter(input), out var b);
        var prepare = Stopwatch.StartNew();
        var again = DenoiseInput.Prepare(big);
        again.Finish(a);
        double prepareFinish = prepare.Elapsed.TotalSeconds;
        bool same = a.AsSpan().SequenceEqual(b);
        Console.WriteLine($"denoiser, {timingWidth}x{timingHeight}: {device.Info.Name} {onDevice * 1000 / megapixels:F0} ms/MP, " +
                          $"CPU ({Environment.ProcessorCount} cores) {onCpu * 1000 / megapixels:F0} ms/MP, prepare+finish (CPU) {prepareFinish * 1000 / megapixels:F0} ms/MP; " +
                          $"device == CPU bit for bit: {same}");
        return same ? 0 : 1;
    }

    /// <summary>PSNR (dB) over RGB clamped to [0, 1], peak 1: the display-range error (as the tests).</summary>
    static double Psnr(FloatImage a, FloatImage b)
    {
        double sum = 0;
        for (int p = 0; p < a.Width * a.Height; p++)
            for (int c = 0; c < 3; c++)
            {
                double d = Math.Clamp(a.Pixels[4 * p + c], 0, 1) - Math.Clamp(b.Pixels[4 * p + c], 0, 1);
                sum += d * d;
            }
        return 10 * Math.Log10(1 / (sum / (3.0 * a.Width * a.Height)));
    }
}
