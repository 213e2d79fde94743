using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RenderNet.Core.Gltf;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Tiles;
using RenderNet.Vulkan;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

/// <summary>
/// RenderNet against Blender Cycles on scenes made in Blender and exported with its glTF exporter
/// (bench/cycles/make_scenes.py): per scene, a high-spp Cycles reference; Cycles at --spp, timed; RenderNet at the same
/// spp and at equal time (the spp its measured speed fits into Cycles' time). Reported: PSNR of each against the
/// reference, the ratio of mean radiance and the worst 8×8-cell difference (bias), and samples/s. Needs Debian's
/// blender; installs nothing itself.
/// </summary>
static class CyclesBench
{
    public static Command Create()
    {
        var size = new Option<int>("--size") { Description = "Image width and height", DefaultValueFactory = _ => 128 };
        var spp = new Option<int>("--spp") { Description = "Samples per pixel of the timed Cycles render", DefaultValueFactory = _ => 64 };
        var referenceSpp = new Option<int>("--reference-spp") { Description = "Samples per pixel of the Cycles reference", DefaultValueFactory = _ => 1024 };
        var bounces = new Option<int>("--bounces") { DefaultValueFactory = _ => 8 };
        var work = new Option<string>("--work") { Description = "Folder for scenes and images (references are kept and reused)", DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "rendernet-cycles-bench") };
        var scenes = new Option<string?>("--scenes") { Description = "Comma-separated scene names (default: all)" };
        var device = new Option<string?>("--device");
        var json = new Option<bool>("--json");
        var command = new Command("cycles", "RenderNet against Blender Cycles: bias, equal-time PSNR and samples/s on Blender-exported scenes")
        {
            size, spp, referenceSpp, bounces, work, scenes, device, json,
        };
        command.SetAction(parse => Run(parse.GetValue(size), parse.GetValue(spp), parse.GetValue(referenceSpp), parse.GetValue(bounces),
            parse.GetValue(work)!, parse.GetValue(scenes), parse.GetValue(device), parse.GetValue(json)));
        return command;
    }

    static readonly string[] AllScenes = ["cornell_metal", "many_lights", "glass", "textured_normals"];

    static int Run(int size, int spp, int referenceSpp, int bounces, string work, string? sceneList, string? deviceSelector, bool json)
    {
        var blender = FindOnPath("blender");
        if (blender is null)
        {
            Console.Error.WriteLine("cycles bench: Blender is not installed (Debian: apt-get install blender python3-numpy); this benchmark installs nothing itself");
            return 2;
        }
        var scripts = FindScripts();
        Directory.CreateDirectory(work);
        var names = sceneList?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? AllScenes;
        if (names.Any(n => !File.Exists(Path.Combine(work, n + ".glb"))))
            RunBlender(blender, Path.Combine(scripts, "make_scenes.py"), [work]);

        using var gpu = VulkanDevice.Open(deviceSelector);
        Log(json, $"device: {gpu.Info.Name} ({gpu.Info.DriverName}); Blender Cycles on the CPU, {Environment.ProcessorCount} cores; {size}x{size}, {bounces} bounces");
        var results = new List<object>();
        foreach (var name in names)
        {
            string glb = Path.Combine(work, name + ".glb");
            string reference = Path.Combine(work, $"{name}-cycles-{size}-{referenceSpp}spp-{bounces}b.png");
            if (!File.Exists(reference))
                CyclesRender(blender, scripts, glb, reference, size, referenceSpp, bounces);
            // Bias is judged against Cycles with glTF's Lambertian diffuse (see cycles_render.py), and also reported
            // against Cycles as Blender 3.4 users have it (Principled v1's Burley diffuse).
            string lambertReference = Path.Combine(work, $"{name}-cycles-lambert-{size}-{referenceSpp}spp-{bounces}b.png");
            if (!File.Exists(lambertReference))
                CyclesRender(blender, scripts, glb, lambertReference, size, referenceSpp, bounces, lambert: true);
            string cyclesOut = Path.Combine(work, $"{name}-cycles-{size}-{spp}spp.png");
            double cyclesSeconds = CyclesRender(blender, scripts, glb, cyclesOut, size, spp, bounces);
            var referenceImage = LoadSrgb(reference);
            var cyclesMetrics = ImageMetrics.Compare(LoadSrgb(cyclesOut), referenceImage);

            var scene = GltfSceneLoader.Load(glb);
            var frame = new FrameSettings
            {
                Width = size, Height = size, Camera = scene.Cameras[0], SamplesPerPixel = spp, MaxBounces = bounces, Seed = 1,
                Background = System.Numerics.Vector3.Zero,
            };
            var plan = new TilePlan(size, size, 64);
            LocalRender.Render(gpu, scene, frame with { SamplesPerPixel = 1 }, plan); // warm-up: pipeline and throughput probe
            var (sameSpp, sameStats) = LocalRender.Render(gpu, scene, frame, plan);
            double sameSeconds = (sameStats.BvhBuild + sameStats.Render).TotalSeconds;
            int equalSpp = Math.Max(1, (int)(sameStats.SamplesPerSecond * cyclesSeconds / ((double)size * size)));
            var (equalTime, equalStats) = LocalRender.Render(gpu, scene, frame with { SamplesPerPixel = equalSpp, Seed = 2 }, plan);
            double equalSeconds = (equalStats.BvhBuild + equalStats.Render).TotalSeconds;
            var sameMetrics = ImageMetrics.Compare(ToSrgb(sameSpp), referenceImage);
            var converged = LocalRender.Render(gpu, scene, frame with { SamplesPerPixel = referenceSpp, Seed = 3 }, plan).Image;
            var lambertBias = ImageMetrics.Compare(ToSrgb(converged), LoadSrgb(lambertReference));
            var principledBias = ImageMetrics.Compare(ToSrgb(converged), referenceImage);
            var equalMetrics = ImageMetrics.Compare(ToSrgb(equalTime), referenceImage);
            ImageWriter.Write(equalTime, Path.Combine(work, $"{name}-rendernet-{size}-{equalSpp}spp.png"), ImageFormat.Png8);

            double cyclesRate = (double)size * size * spp / cyclesSeconds;
            double rate = sameStats.PixelSamples / sameSeconds;
            Log(json, $"{name}: Cycles {spp} spp {cyclesSeconds:F2} s, PSNR {cyclesMetrics.Psnr:F2} dB | RenderNet {spp} spp {sameSeconds:F2} s, " +
                      $"PSNR {sameMetrics.Psnr:F2} dB | equal time: RenderNet {equalSpp} spp {equalSeconds:F2} s, PSNR {equalMetrics.Psnr:F2} dB " +
                      $"(difference {equalMetrics.Psnr - cyclesMetrics.Psnr:+0.00;-0.00} dB) | samples/s ratio {rate / cyclesRate:F2} | " +
                      $"bias at {referenceSpp} spp: against Cycles-Lambert mean ratio {lambertBias.MeanRatio:F4}, worst cell {lambertBias.WorstCell:F3}; " +
                      $"against Cycles-Principled mean ratio {principledBias.MeanRatio:F4}, worst cell {principledBias.WorstCell:F3}; warnings: {string.Join("; ", scene.Warnings.DefaultIfEmpty("none"))}");
            results.Add(new
            {
                scene = name, size, spp, reference_spp = referenceSpp, bounces,
                cycles_seconds = cyclesSeconds, cycles_psnr = cyclesMetrics.Psnr,
                rendernet_seconds = sameSeconds, rendernet_psnr = sameMetrics.Psnr,
                equal_time_spp = equalSpp, equal_time_seconds = equalSeconds, equal_time_psnr = equalMetrics.Psnr,
                equal_time_psnr_difference_db = equalMetrics.Psnr - cyclesMetrics.Psnr,
                samples_per_second_ratio = rate / cyclesRate,
                lambert_mean_ratio = lambertBias.MeanRatio, lambert_worst_cell = lambertBias.WorstCell,
                principled_mean_ratio = principledBias.MeanRatio, principled_worst_cell = principledBias.WorstCell,
                warnings = scene.Warnings,
            });
        }
        if (json) Console.WriteLine(JsonSerializer.Serialize(new { device = gpu.Info.Name, cores = Environment.ProcessorCount, scenes = results }, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    static double CyclesRender(string blender, string scripts, string glb, string output, int size, int spp, int bounces, bool lambert = false)
    {
        var lines = RunBlender(blender, Path.Combine(scripts, "cycles_render.py"),
            [glb, output, size.ToString(CultureInfo.InvariantCulture), size.ToString(CultureInfo.InvariantCulture), spp.ToString(CultureInfo.InvariantCulture), bounces.ToString(CultureInfo.InvariantCulture), .. (lambert ? (string[])["lambert"] : [])]);
        var timing = lines.LastOrDefault(l => l.StartsWith("CYCLES_RENDER_S ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"Blender printed no render time for {glb}:\n{string.Join('\n', lines.TakeLast(20))}");
        return double.Parse(timing["CYCLES_RENDER_S ".Length..], CultureInfo.InvariantCulture);
    }

    static List<string> RunBlender(string blender, string script, string[] arguments)
    {
        var start = new ProcessStartInfo(blender) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-b", "--factory-startup", "--python", script, "--", .. arguments]) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (process.StandardOutput.ReadLine() is { } line) lines.Add(line);
        if (!process.WaitForExit(TimeSpan.FromMinutes(30))) { process.Kill(true); throw new TimeoutException($"Blender ran over 30 minutes on {script}"); }
        if (process.ExitCode != 0 || lines.Any(l => l.Contains("Traceback", StringComparison.Ordinal)))
            throw new InvalidOperationException($"Blender failed on {script} (exit {process.ExitCode}):\n{string.Join('\n', lines.TakeLast(20))}\n{errors.Result}");
        return lines;
    }

    static byte[] ToSrgb(FloatImage image) => RgbOf(ImageWriter.ToRgba8Srgb(image.Pixels));

    static byte[] LoadSrgb(string path)
    {
        using var image = Image.Load<Rgba32>(path);
        var rgba = new byte[image.Width * image.Height * 4];
        image.CopyPixelDataTo(rgba);
        return RgbOf(rgba);
    }

    static byte[] RgbOf(byte[] rgba)
    {
        var rgb = new byte[rgba.Length / 4 * 3];
        for (int i = 0, j = 0; i < rgba.Length; i += 4, j += 3) { rgb[j] = rgba[i]; rgb[j + 1] = rgba[i + 1]; rgb[j + 2] = rgba[i + 2]; }
        return rgb;
    }

    static string FindScripts()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "cycles");
            if (File.Exists(Path.Combine(candidate, "make_scenes.py"))) return candidate;
        }
        throw new FileNotFoundException("bench/cycles/make_scenes.py was not found above the benchmark's folder");
    }

    static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    static void Log(bool json, string line)
    {
        if (json) Console.Error.WriteLine(line); else Console.WriteLine(line);
    }
}

/// <summary>PSNR over 8-bit sRGB values, and bias in linear radiance: the ratio of means and the worst 8×8-cell difference.</summary>
readonly record struct ImageMetrics(double Psnr, double MeanRatio, double WorstCell)
{
    public static ImageMetrics Compare(byte[] rgb, byte[] referenceRgb, int size = 0, int cells = 8)
    {
        if (rgb.Length != referenceRgb.Length) throw new ArgumentException("images differ in size");
        int pixels = rgb.Length / 3;
        int side = size > 0 ? size : (int)Math.Sqrt(pixels);
        double squared = 0;
        for (int i = 0; i < rgb.Length; i++) { double d = (rgb[i] - referenceRgb[i]) / 255.0; squared += d * d; }
        double rmse = Math.Sqrt(squared / rgb.Length);
        double psnr = rmse == 0 ? double.PositiveInfinity : 20 * Math.Log10(1 / rmse);

        var a = new double[cells * cells];
        var b = new double[cells * cells];
        double sumA = 0, sumB = 0;
        int cell = side / cells;
        for (int p = 0; p < pixels; p++)
        {
            double la = (Lin(rgb[3 * p]) + Lin(rgb[3 * p + 1]) + Lin(rgb[3 * p + 2])) / 3;
            double lb = (Lin(referenceRgb[3 * p]) + Lin(referenceRgb[3 * p + 1]) + Lin(referenceRgb[3 * p + 2])) / 3;
            sumA += la; sumB += lb;
            int x = p % side / cell, y = p / side / cell;
            if (x < cells && y < cells) { a[y * cells + x] += la; b[y * cells + x] += lb; }
        }
        double brightest = b.Max(), worst = 0;
        for (int c = 0; c < a.Length; c++)
            if (b[c] > 0.02 * brightest) worst = Math.Max(worst, Math.Abs(a[c] - b[c]) / b[c]);
        return new ImageMetrics(psnr, sumA / Math.Max(sumB, 1e-12), worst);
    }

    static double Lin(byte v) => ImageWriter.SrgbToLinear(v / 255f);
}
