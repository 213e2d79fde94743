using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using RenderNet.Core.Denoising;
using RenderNet.Core.Gltf;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Samples;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;
using RenderNet.Farm;
using RenderNet.Payments;
using RenderNet.Vulkan;
using Spectre.Console;

namespace RenderNet.Cli.Commands;

/// <summary>
/// `rendernet render SCENE ...`: path traces a glTF scene tile by tile, on this machine's Vulkan device or, with
/// --nodes / --local-nodes / --resume, across render nodes through the farm.
/// </summary>
static class RenderCommand
{
    public const string DefaultJournalDirectory = ".rendernet/jobs";

    internal sealed record Request(string? Scene, int Width, int Height, int Spp, int Bounces, int Tile, uint Seed, string? Camera,
        string? Device, string? Background, string Output, int BitDepth, bool Validation, bool Json,
        string[] Nodes, int LocalNodes, string Journal, string? Resume, bool AllowMixed, double TileTimeout, bool Pay, ulong Price,
        string? Rpc, string? Escrow, string? Token, string? Registry, string? PayerKeystore, string Mode,
        string? Frames = null, double Fps = 24, string Animation = "0", string? Timeline = null, double SpotCheck = FarmDefaults.SpotCheckRate,
        string? MaxPrice = null, string? ExpectedFingerprint = null, string? MinStake = null, Uri? Service = null,
        float NoiseThreshold = 0, int MinSpp = 0,
        string? Passes = null, bool Denoise = false, string ExrCompression = "zip", string ExrType = "half", int ExrTile = 0, string[]? SceneSources = null,
        double BatchSeconds = FarmDefaults.BatchSeconds)
    {
        public FarmSessionRequest Session => new(Nodes, LocalNodes, Device, Pay, Price, Rpc, Escrow, Token, Registry, PayerKeystore, MaxPrice, ExpectedFingerprint, MinStake);
        public bool Farmed => Session.Farmed || Resume is not null;
    }

    public static Command Create()
    {
        var scene = new Argument<string?>("scene") { Description = "A .gltf or .glb file (default: the built-in Cornell-box sample)", Arity = ArgumentArity.ZeroOrOne };
        var width = new Option<int>("--width", "-W") { Description = "Image width in pixels", DefaultValueFactory = _ => 640 };
        var height = new Option<int>("--height", "-H") { Description = "Image height in pixels", DefaultValueFactory = _ => 480 };
        var spp = new Option<int>("--spp") { Description = "Samples per pixel", DefaultValueFactory = _ => 64 };
        var noiseThreshold = new Option<float>("--noise-threshold")
        {
            Description = "Adaptive sampling: a pixel stops taking samples once its noise estimate is at most this (like Cycles' noise threshold, e.g. 0.01; 0: off)",
        };
        var minSpp = new Option<int>("--min-spp") { Description = $"With --noise-threshold: samples every pixel takes before it may stop (default {FrameSettings.DefaultMinSamples})" };
        var bounces = new Option<int>("--bounces") { Description = "Maximum number of surface bounces per path", DefaultValueFactory = _ => 6 };
        var sceneSources = new Option<string[]>("--scene-source")
        {
            Description = "Where nodes may fetch the scene instead of being sent it: a URL with {sha256} or {cid} (its CIDv1, for IPFS gateways), e.g. https://cdn.example/scenes/{sha256}.glb (repeat; nodes fetch only from hosts they allow with --scene-gateway, and check the hash)",
            AllowMultipleArgumentsPerToken = true,
        };
        var tile = new Option<int>("--tile") { Description = "Tile size in pixels (square; edge tiles may be smaller)", DefaultValueFactory = _ => 64 };
        var seed = new Option<uint>("--seed") { Description = "Random seed of the frame", DefaultValueFactory = _ => 0u };
        var camera = new Option<string?>("--camera") { Description = "Camera name or index (default: the scene's first camera, or an automatic framing)" };
        var device = new Option<string?>("--device") { Description = $"Vulkan device index or name substring (default: ${DeviceSelection.EnvironmentVariable}, then the best device)" };
        var background = new Option<string?>("--background") { Description = "Environment radiance as R,G,B or one value (default: black when the scene has lights, else 1)" };
        var output = new Option<string>("--out", "-o") { Description = "Output image: .png (sRGB), .pfm (linear float) or .exr (linear, multi-layer with --passes)", DefaultValueFactory = _ => "render.png" };
        var passes = new Option<string?>("--passes") { Description = "Render passes written as EXR layers: albedo,normal,depth,position,object,material,emission,direct,indirect,variance or all" };
        var denoise = new Option<bool>("--denoise") { Description = "Denoise the assembled frame (guided by albedo, normal and variance, which are rendered for it); EXR keeps the noisy beauty as the 'noisy' layer" };
        var exrCompression = new Option<string>("--exr-compression") { Description = "EXR compression: none, rle, zips, zip, piz, dwaa or dwab (DWA: beauty only)", DefaultValueFactory = _ => "zip" };
        var exrType = new Option<string>("--exr-type") { Description = "EXR colour channels: half or float (depth, position, normal, ids and variance are always float)", DefaultValueFactory = _ => "half" };
        var exrTile = new Option<int>("--exr-tile") { Description = "EXR tile size in pixels (0: scanlines)", DefaultValueFactory = _ => 0 };
        var bitDepth = new Option<int>("--bit-depth") { Description = "PNG bit depth: 8 or 16", DefaultValueFactory = _ => 8 };
        var validation = new Option<bool>("--validation") { Description = "Enable Vulkan validation layers (when installed)" };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable JSON summary on stdout" };
        var nodes = new Option<string[]>("--nodes") { Description = "Render on these nodes: host:port,host:port,...", CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(), DefaultValueFactory = _ => [] };
        var localNodes = new Option<int>("--local-nodes") { Description = "Start N render nodes on loopback for this job and stop them afterwards", DefaultValueFactory = _ => 0 };
        var journal = new Option<string>("--journal") { Description = "Directory of job journals (farm renders)", DefaultValueFactory = _ => DefaultJournalDirectory };
        var resume = new Option<string?>("--resume") { Description = "Finish an interrupted farm job from its journal (tiles already delivered are kept)" };
        var allowMixed = new Option<bool>("--allow-mixed-pipelines") { Description = "Use nodes whose pipeline fingerprint differs from the job's" };
        var tileTimeout = new Option<double>("--tile-timeout") { Description = "Seconds a tile may take before any node's speed is known", DefaultValueFactory = _ => 120 };
        var pay = new Option<bool>("--pay") { Description = "Pay the local nodes per tile in tokens, on a local anvil chain started for the job (with --local-nodes)" };
        var rpc = new Option<string?>("--rpc") { Description = "Pay on this chain (JSON-RPC URL) instead of a local one: with --escrow, --token and --payer-keystore" };
        var escrowOption = new Option<string?>("--escrow") { Description = "With --rpc: the TileEscrow address" };
        var tokenOption = new Option<string?>("--token") { Description = "With --rpc: the RenderToken address" };
        var registryOption = new Option<string?>("--registry") { Description = "With --rpc: find nodes in this NodeRegistry (when no --nodes are given)" };
        var payerKeystore = new Option<string?>("--payer-keystore") { Description = "With --rpc: the payer's keystore (password in $RENDERNET_PAYER_PASSWORD)" };
        var mode = new Option<string>("--mode") { Description = "path (path traced, the default) or raster (rasterised preview: punctual lights and an ambient term)", DefaultValueFactory = _ => "path" };
        mode.AcceptOnlyFromAmong("path", "raster");
        var frames = new Option<string?>("--frames") { Description = "Render frames A..B of the scene's animation (at --fps), writing one image per frame: OUT with %04d, or OUT-NNNN.ext" };
        var fps = new Option<double>("--fps") { Description = "With --frames: frames per second of animation time", DefaultValueFactory = _ => 24 };
        var animation = new Option<string>("--animation") { Description = "With --frames: the animation, by index or name", DefaultValueFactory = _ => "0" };
        var timeline = new Option<string?>("--timeline") { Description = "With nodes: also draw the job as a PNG timeline (a row per node, a bar per tile attempt)" };
        var expected = new Option<string?>("--expected-fingerprint") { Description = "Use only nodes with this pipeline fingerprint (from a node you trust: rendernet nodes); default: the most common one" };
        var minStake = new Option<string?>("--min-stake") { Description = "With --registry: use only nodes that staked at least this much (token's smallest unit)" };
        var maxPrice = new Option<string?>("--max-price") { Description = "Pay at most this per price unit (token's smallest unit); nodes asking more, or more than they registered, are not used" };
        var spotCheck = new Option<double>("--spot-check") { Description = "With nodes: share of tiles (0 to 1) rendered again on another node and compared bit for bit", DefaultValueFactory = _ => FarmDefaults.SpotCheckRate };
        var batchSeconds = new Option<double>("--batch-seconds") { Description = "With nodes: a node takes as many tiles in one call as it renders in about this long (tiles sized per node); 0: one tile per call", DefaultValueFactory = _ => FarmDefaults.BatchSeconds };
        var service = new Option<Uri?>("--service")
        {
            CustomParser = ServiceRender.ParseAddress,
            Description = "Submit to this running coordinator service (rendernet serve) instead; its token in $RENDERNET_SERVICE_TOKEN (default: the local service's)" };
        var price = new Option<ulong>("--price") { Description = "With --pay: price per tile, in the token's smallest unit", DefaultValueFactory = _ => 1_000_000_000_000_000UL };

        var command = new Command("render", "Path trace a glTF 2.0 scene to an image")
        {
            scene, width, height, spp, bounces, tile, seed, camera, device, background, output, bitDepth, validation, json,
            nodes, localNodes, journal, resume, allowMixed, tileTimeout, pay, price, rpc, escrowOption, tokenOption, registryOption, payerKeystore, mode, frames, fps, animation, timeline, spotCheck, maxPrice, expected, minStake, service,
            noiseThreshold, minSpp, passes, denoise, exrCompression, exrType, exrTile, sceneSources, batchSeconds,
        };
        command.SetAction((parse, cancellation) => UserErrors.Run(() => Execute(new Request(
            parse.GetValue(scene), parse.GetValue(width), parse.GetValue(height), parse.GetValue(spp), parse.GetValue(bounces),
            parse.GetValue(tile), parse.GetValue(seed), parse.GetValue(camera), parse.GetValue(device), parse.GetValue(background),
            parse.GetValue(output)!, parse.GetValue(bitDepth), parse.GetValue(validation), parse.GetValue(json),
            parse.GetValue(nodes) ?? [], parse.GetValue(localNodes), parse.GetValue(journal)!, parse.GetValue(resume),
            parse.GetValue(allowMixed), parse.GetValue(tileTimeout), parse.GetValue(pay), parse.GetValue(price),
            parse.GetValue(rpc), parse.GetValue(escrowOption), parse.GetValue(tokenOption), parse.GetValue(registryOption), parse.GetValue(payerKeystore), parse.GetValue(mode)!,
            parse.GetValue(frames), parse.GetValue(fps), parse.GetValue(animation)!, parse.GetValue(timeline), parse.GetValue(spotCheck), parse.GetValue(maxPrice), parse.GetValue(expected), parse.GetValue(minStake), parse.GetValue(service),
            parse.GetValue(noiseThreshold), parse.GetValue(minSpp), parse.GetValue(passes), parse.GetValue(denoise),
            parse.GetValue(exrCompression)!, parse.GetValue(exrType)!, parse.GetValue(exrTile), parse.GetValue(sceneSources), parse.GetValue(batchSeconds)), cancellation)));
        return command;
    }

    internal static async Task<int> Execute(Request r, CancellationToken cancellation)
    {
        var total = Stopwatch.StartNew();
        // Check everything the user typed before any expensive work.
        if (r.Tile <= 0) throw new ArgumentException($"tile size must be at least 1, got {r.Tile}");
        var sources = r.SceneSources ?? [];
        if (sources.Length > RenderNet.Protocol.SceneSources.MaxCount)
            throw new ArgumentException($"at most {RenderNet.Protocol.SceneSources.MaxCount} --scene-source options, got {sources.Length}");
        foreach (var source in sources) RenderNet.Protocol.SceneSources.CheckTemplate(source);
        if (r.BitDepth is not (8 or 16)) throw new ArgumentException($"bit depth must be 8 or 16, got {r.BitDepth}");
        if (!(r.TileTimeout > 0)) throw new ArgumentException($"--tile-timeout must be positive, got {r.TileTimeout}");
        if (!(r.SpotCheck >= 0 && r.SpotCheck <= 1)) throw new ArgumentException($"--spot-check must be between 0 and 1, got {r.SpotCheck}");
        if (!(r.BatchSeconds >= 0 && r.BatchSeconds <= 3600)) throw new ArgumentException($"--batch-seconds must be between 0 and 3600, got {r.BatchSeconds}");
        r.Session.Validate();
        if (r.Timeline is not null && !r.Farmed) throw new ArgumentException("--timeline draws a farm job: give --local-nodes N or --nodes …");
        if (r.Timeline is not null) ImageWriter.EnsureWritable(r.Timeline);
        var format = ImageWriter.FormatFor(r.Output, r.BitDepth);
        var outputSettings = FrameOutput.Settings.Parse(r.Passes, r.Denoise, r.ExrCompression, r.ExrType, r.ExrTile, format, r.Mode);
        Vector3? explicitBackground = r.Background is null ? null : ParseColor(r.Background);
        FrameSettings.ValidateLimits(r.Width, r.Height, r.Spp, r.Bounces, explicitBackground ?? Vector3.Zero);
        FrameSettings.ValidateAdaptive(r.NoiseThreshold, r.MinSpp, r.Spp);
        ImageWriter.EnsureWritable(r.Output);

        if (r.Resume is not null)
        {
            using var resumed = TileJournal.Open(r.Journal, r.Resume);
            return await RenderOnFarm(r, resumed, format, outputSettings, total, cancellation);
        }

        // One scene encoding for every path: the .glb bytes that nodes receive are the ones rendered locally too.
        var loadWatch = Stopwatch.StartNew();
        string sceneName = r.Scene is null ? CornellBox.FileName : Path.GetFileName(r.Scene);
        byte[] glb = r.Scene is null ? CornellBox.Build().WriteGLB().ToArray() : GltfSceneLoader.ReadAsGlb(r.Scene);
        if (r.Service is not null)
        {
            if (r.Farmed) throw new ArgumentException("--service submits to a running service, which has its own nodes: leave out --nodes, --local-nodes, --rpc and --resume");
            if (outputSettings.ToRender != RenderPasses.None && format != ImageFormat.Exr && !r.Denoise)
                throw new ArgumentException("--passes are written as layers of an EXR file: give --out NAME.exr");
            return await ServiceRender.RunAsync(r, glb, sceneName, format, explicitBackground, cancellation);
        }
        if (r.Frames is not null)
        {
            var (first, last) = ParseFrames(r.Frames);
            if (!(r.Fps > 0 && r.Fps <= 1000)) throw new ArgumentException($"--fps must be between 0 and 1000, got {r.Fps}");
            int animationIndex = GltfSceneLoader.FindAnimation(glb, r.Animation);
            // One set of nodes (and chain) for all the frames: the scene is uploaded once, each frame is one job.
            using var shared = r.Session.Farmed ? await FarmSession.StartAsync(r.Session, cancellation) : null;
            for (int f = first; f <= last; f++)
            {
                cancellation.ThrowIfCancellationRequested();
                var output = FramePath(r.Output, f);
                Console.Error.WriteLine($"rendernet: frame {f} ({f / r.Fps:0.###} s) -> {output}");
                int code = await RenderFrame(r with { Output = output, Frames = null }, glb, sceneName, new AnimationPose(animationIndex, (float)(f / r.Fps)),
                    format, outputSettings, explicitBackground, Stopwatch.StartNew(), quiet: f != first, cancellation, shared);
                if (code != ExitCodes.Success) return code;
            }
            return ExitCodes.Success;
        }
        return await RenderFrame(r, glb, sceneName, null, format, outputSettings, explicitBackground, total, quiet: false, cancellation, null);
    }

    /// <summary>"A..B" or "N": an inclusive range of frame numbers.</summary>
    internal static (int First, int Last) ParseFrames(string text)
    {
        var parts = text.Split("..");
        if (parts.Length is 1 or 2 && int.TryParse(parts[0], out int a) && int.TryParse(parts[^1], out int b) && a >= 0 && b >= a && b - a < 100_000)
            return (a, b);
        throw new ArgumentException($"--frames '{text}' is not a frame range: give A..B (e.g. 0..47) or one frame number");
    }

    /// <summary>The image of frame <paramref name="frame"/>: a printf-style %0Nd in the name is replaced, else -NNNN goes before the extension.</summary>
    internal static string FramePath(string output, int frame)
    {
        var match = System.Text.RegularExpressions.Regex.Match(output, @"%(0?)(\d*)d");
        if (match.Success)
        {
            int width = match.Groups[2].Value.Length > 0 ? int.Parse(match.Groups[2].Value) : 0;
            string number = frame.ToString().PadLeft(width, match.Groups[1].Value == "0" ? '0' : ' ');
            return output[..match.Index] + number + output[(match.Index + match.Length)..];
        }
        return Path.Combine(Path.GetDirectoryName(output) ?? "", $"{Path.GetFileNameWithoutExtension(output)}-{frame:D4}{Path.GetExtension(output)}");
    }

    static async Task<int> RenderFrame(Request r, byte[] glb, string sceneName, AnimationPose? pose, ImageFormat format, FrameOutput.Settings outputSettings, Vector3? explicitBackground,
        Stopwatch total, bool quiet, CancellationToken cancellation, FarmSession? session)
    {
        var loadWatch = Stopwatch.StartNew();
        var scene = GltfSceneLoader.LoadGlb(glb, sceneName, pose);
        var loadTime = loadWatch.Elapsed;
        if (!quiet) foreach (var warning in scene.Warnings) Console.Error.WriteLine($"rendernet: warning: {warning}");
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
            Mode = r.Mode == "raster" ? RenderMode.Raster : RenderMode.PathTrace,
            Animation = pose,
            NoiseThreshold = r.NoiseThreshold,
            MinSamplesPerPixel = r.MinSpp,
            Passes = outputSettings.ToRender,
        };
        if (explicitBackground is null && !hasLights && !quiet)
            Console.Error.WriteLine("rendernet: note: the scene has no lights; it is lit by a uniform white environment (set --background to change)");

        if (r.Farmed)
        {
            var spec = new FarmJobSpec(FarmJobSpec.NewJobId(), glb, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(glb)), frame, r.Tile, r.Tile)
            {
                SceneSources = r.SceneSources ?? [],
            };
            using var journal = TileJournal.Create(r.Journal, spec);
            return await RenderOnFarm(r, journal, format, outputSettings, total, cancellation, session);
        }
        return RenderLocally(r, scene, frame, format, outputSettings, loadTime, total, cancellation);
    }

    static int RenderLocally(Request r, Scene scene, FrameSettings frame, ImageFormat format, FrameOutput.Settings outputSettings, TimeSpan loadTime, Stopwatch total, CancellationToken cancellation)
    {
        using var gpu = VulkanDevice.Open(r.Device, r.Validation);
        if (gpu.ValidationWarning is { } vw) Console.Error.WriteLine($"rendernet: warning: {vw}");
        if (!r.Json) Console.Error.WriteLine($"rendernet: {scene.Name}: {scene.TriangleCount:N0} triangles, {r.Width}x{r.Height}, {(frame.Mode == RenderMode.Raster ? "rasterised" : $"{r.Spp} spp")} on {gpu.Info.Name} ({gpu.Info.Type})");

        var plan = new TilePlan(r.Width, r.Height, r.Tile);
        (RenderedFrame rendered, RenderStats stats) = WithProgress(r.Json, plan.Tiles.Count, (long)r.Width * r.Height * r.Spp, report =>
            LocalRender.RenderFrame(gpu, scene, frame, plan, p => report(p.TilesDone, p.PixelSamplesDone), cancellation));
        // Denoised on the device when the frame fits its buffers, else on the CPU: the same bits either way.
        var vulkanDenoiser = new VulkanDenoiser(gpu);
        var (image, denoiseSeconds) = FrameOutput.Write(rendered, frame, r.Output, format, outputSettings,
            () => vulkanDenoiser.Fits(frame.Width, frame.Height) ? vulkanDenoiser : new CpuDenoiser());

        if (r.Json)
        {
            PrintJson(new
            {
                scene = r.Scene ?? CornellBox.FileName,
                output = Path.GetFullPath(r.Output),
                format = format.ToString().ToLowerInvariant(),
                mode = frame.Mode == RenderMode.Raster ? "raster" : "path",
                width = r.Width, height = r.Height, spp = r.Spp, bounces = r.Bounces, seed = r.Seed, tile = r.Tile,
                tiles = stats.Tiles,
                camera = frame.Camera.Name,
                triangles = stats.Triangles,
                device = new { name = stats.Device.Name, type = stats.Device.Type.ToString().ToLowerInvariant(), driver = stats.Device.DriverName, api_version = stats.Device.ApiVersion },
                timings = new
                {
                    load_s = loadTime.TotalSeconds, bvh_s = stats.BvhBuild.TotalSeconds, upload_s = stats.Upload.TotalSeconds,
                    render_s = stats.Render.TotalSeconds, denoise_s = denoiseSeconds, total_s = total.Elapsed.TotalSeconds,
                },
                pixel_samples = stats.PixelSamples,
                samples_per_second = stats.SamplesPerSecond,
                rays_per_second = stats.RaysPerSecond,
                image_sha256 = image.ContentHash(),
                warnings = scene.Warnings,
            });
        }
        else
        {
            Console.Error.WriteLine($"rendernet: wrote {r.Output} in {total.Elapsed.TotalSeconds:F2} s " +
                $"(render {stats.Render.TotalSeconds:F2} s, " + (outputSettings.Denoise ? $"denoise {denoiseSeconds:F2} s, " : "") +
                (frame.Mode == RenderMode.Raster ? "" : $"{stats.SamplesPerSecond / 1e6:F2} M samples/s, {stats.RaysPerSecond / 1e6:F2} M rays/s, ") +
                $"{stats.Tiles} tile{(stats.Tiles == 1 ? "" : "s")})");
        }
        return ExitCodes.Success;
    }

    static async Task<int> RenderOnFarm(Request r, TileJournal journal, ImageFormat format, FrameOutput.Settings outputSettings, Stopwatch total, CancellationToken cancellation,
        FarmSession? shared = null)
    {
        var spec = journal.Spec;
        var frame = spec.Frame;
        // A job paid on a local chain cannot be resumed: the chain, and the channels it paid on, end with the process.
        bool resumable = !(r.Pay && r.Rpc is null);
        Console.Error.WriteLine($"rendernet: job {spec.JobId} ({frame.Width}x{frame.Height}, {frame.SamplesPerPixel} spp, {spec.Plan.Tiles.Count} tiles)" +
            (resumable ? $"; resume with --resume {spec.JobId}" + (r.Journal != DefaultJournalDirectory ? $" --journal {r.Journal}" : "") : ""));

        using var owned = shared is null ? await FarmSession.StartAsync(r.Session, cancellation) : null;
        var session = shared ?? owned!;
        var payer = session.Payer;
        var addresses = session.Addresses;

        var options = new FarmOptions { AllowMixedPipelines = r.AllowMixed, InitialTileTimeout = TimeSpan.FromSeconds(r.TileTimeout), Payer = payer, SpotCheckRate = r.SpotCheck,
            BatchTarget = TimeSpan.FromSeconds(r.BatchSeconds) };
        options = session.Apply(options, r.Session);
        var renderWatch = Stopwatch.StartNew();
        long perTile = (long)frame.SamplesPerPixel;
        var attempts = new List<FarmAttempt>();
        var result = await WithProgressAsync(r.Json, spec.Plan.Tiles.Count, (long)frame.Width * frame.Height * perTile, async report =>
        {
            long samples = 0;
            var farm = new TileFarm(spec, options, journal,
                onTile: e => report(e.Done, Interlocked.Add(ref samples, (long)e.Rect.PixelCount * perTile)),
                onWarning: w => Console.Error.WriteLine($"rendernet: warning: {w}"),
                onAttempt: a => { lock (attempts) attempts.Add(a); });
            return await farm.RunAsync(addresses, cancellation);
        });
        var renderTime = renderWatch.Elapsed;
        // The coordinator has no GPU of its own: it denoises on the CPU, which gives the device's bits.
        var (image, denoiseSeconds) = FrameOutput.Write(result.Frame, frame, r.Output, format, outputSettings, () => new CpuDenoiser());
        string? timelineLegend = r.Timeline is null ? null : JobTimeline.Write(r.Timeline, result.Nodes, attempts);

        if (r.Json)
        {
            PrintJson(new
            {
                job = spec.JobId,
                journal = Path.GetFullPath(journal.Path),
                timeline = r.Timeline is null ? null : Path.GetFullPath(r.Timeline),
                output = Path.GetFullPath(r.Output),
                format = format.ToString().ToLowerInvariant(),
                width = frame.Width, height = frame.Height, spp = frame.SamplesPerPixel, bounces = frame.MaxBounces, seed = frame.Seed,
                tiles = spec.Plan.Tiles.Count,
                tiles_from_journal = result.TilesFromJournal,
                timings = new { render_s = renderTime.TotalSeconds, denoise_s = denoiseSeconds, total_s = total.Elapsed.TotalSeconds },
                pixel_samples = result.PixelSamples,
                samples_per_second = result.PixelSamples / renderTime.TotalSeconds,
                nodes = result.Nodes.Select(n => new
                {
                    address = n.Address, node_id = n.NodeId, device = n.Device, fingerprint = n.Fingerprint,
                    tiles = n.Tiles, render_s = n.RenderTime.TotalSeconds, failures = n.Failures, excluded = n.Excluded,
                    paid = n.Paid.ToString(), redeem_tx = n.RedeemTransaction, spot_checks = n.SpotChecks, duplicates_paid = n.PaidDuplicates,
                }),
                image_sha256 = image.ContentHash(),
                warnings = result.Warnings,
            });
        }
        else
        {
            session.PrintReport(result.Nodes, "Tiles");
            if (timelineLegend is not null) Console.Error.WriteLine(timelineLegend);
            Console.Error.WriteLine($"rendernet: wrote {r.Output} in {total.Elapsed.TotalSeconds:F2} s (render {renderTime.TotalSeconds:F2} s on {result.Nodes.Count(n => n.Tiles > 0)} node(s)" +
                (result.TilesFromJournal > 0 ? $", {result.TilesFromJournal} tiles from the journal" : "") + (outputSettings.Denoise ? $", denoised in {denoiseSeconds:F2} s" : "") + ")");
        }
        return ExitCodes.Success;
    }

    static IAnsiConsole StderrConsole => FarmSession.Stderr;

    static void PrintJson(object value) => Console.WriteLine(JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Runs <paramref name="work"/> with a progress bar on stderr when it is a terminal (tiles done, samples/s, ETA).</summary>
    static T WithProgress<T>(bool json, int tiles, long samples, Func<Action<int, long>, T> work) =>
        WithProgressAsync(json, tiles, samples, report => Task.FromResult(work(report))).GetAwaiter().GetResult();

    static async Task<T> WithProgressAsync<T>(bool json, int tiles, long samples, Func<Action<int, long>, Task<T>> work)
    {
        if (json || Console.IsErrorRedirected) return await work((_, _) => { });
        var watch = Stopwatch.StartNew();
        return await StderrConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask($"tiles 0/{tiles}", maxValue: samples);
                return await work((tilesDone, samplesDone) =>
                {
                    task.Value = samplesDone;
                    double rate = samplesDone / Math.Max(watch.Elapsed.TotalSeconds, 1e-3);
                    task.Description = $"tiles {tilesDone}/{tiles}  {rate / 1e6:F2} M samples/s";
                });
            });
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
