using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using RenderNet.Core.Media;
using RenderNet.Farm;
using RenderNet.Media;
using RenderNet.Vulkan;
using Spectre.Console;

namespace RenderNet.Cli.Commands;

/// <summary>
/// `rendernet transcode INPUT --renditions 1080p,720p,480p --out DIR`: cuts the input into segments at keyframes and
/// turns each into every rendition — on this machine's Vulkan device, or across render nodes (--nodes,
/// --local-nodes), paid per segment by output pixels (--pay) — then joins them into MP4s and an HLS ladder.
/// </summary>
static class TranscodeCommand
{
    sealed record Request(string? Input, string? Resume, string Renditions, string Output, double SegmentSeconds, string? Fps, string? Device, bool Json,
        double Timeout, bool AllowMixed, FarmSessionRequest Session, double SpotCheck = FarmDefaults.SpotCheckRate, Uri? Service = null);

    public static Command Create()
    {
        var input = new Argument<string?>("input") { Description = "A video file ffmpeg reads, or an image sequence: a pattern such as frames/%04d.png or a directory of images", Arity = ArgumentArity.ZeroOrOne };
        var resume = new Option<string?>("--resume") { Description = "Finish an interrupted job (its id, printed at the start) in --out; finished segments are kept" };
        var renditions = new Option<string>("--renditions", "-r") { Description = "The ladder: heights or sizes, with options (720p:crf=20, 480p:b=900k, 720p:fps=/2)", DefaultValueFactory = _ => "1080p,720p,480p" };
        var output = new Option<string>("--out", "-o") { Description = "Output directory: NAME.mp4 per rendition and hls/master.m3u8", DefaultValueFactory = _ => "transcode" };
        var segment = new Option<double>("--segment-seconds") { Description = "Target segment length; cuts fall on the input's keyframes. Default: about two segments per node (one in-process), 2-10 s" };
        var fps = new Option<string?>("--fps") { Description = "Frame rate of an image sequence (e.g. 24 or 30000/1001; default 24)" };
        var device = new Option<string?>("--device") { Description = $"Vulkan device index or name substring (default: ${DeviceSelection.EnvironmentVariable}, then the best device)" };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable JSON summary on stdout" };
        var nodes = new Option<string[]>("--nodes") { Description = "Transcode on these nodes: host:port,host:port,...", CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(), DefaultValueFactory = _ => [] };
        var localNodes = new Option<int>("--local-nodes") { Description = "Start N nodes on loopback for this job and stop them afterwards", DefaultValueFactory = _ => 0 };
        var spotCheck = new Option<double>("--spot-check") { Description = "With nodes: share of segments (0 to 1) transcoded again on another node and compared byte for byte", DefaultValueFactory = _ => FarmDefaults.SpotCheckRate };
        var timeout = new Option<double>("--segment-timeout") { Description = "Seconds a segment may take before any node's speed is known", DefaultValueFactory = _ => 600 };
        var allowMixed = new Option<bool>("--allow-mixed-pipelines") { Description = "Use nodes whose transcode fingerprint differs from the job's" };
        var pay = new Option<bool>("--pay") { Description = "Pay the local nodes on a local anvil chain started for the job (with --local-nodes)" };
        var price = new Option<ulong>("--price") { Description = "With --pay: price per tile; a segment costs one tile per started megapixel of output", DefaultValueFactory = _ => 1_000_000_000_000_000UL };
        var rpc = new Option<string?>("--rpc") { Description = "Pay on this chain (JSON-RPC URL): with --escrow, --token and --payer-keystore" };
        var escrow = new Option<string?>("--escrow") { Description = "With --rpc: the TileEscrow address" };
        var token = new Option<string?>("--token") { Description = "With --rpc: the RenderToken address" };
        var registry = new Option<string?>("--registry") { Description = "With --rpc: find nodes in this NodeRegistry (when no --nodes are given)" };
        var payerKeystore = new Option<string?>("--payer-keystore") { Description = "With --rpc: the payer's keystore (password in $RENDERNET_PAYER_PASSWORD)" };
        var expected = new Option<string?>("--expected-fingerprint") { Description = "Use only nodes with this transcode fingerprint (from a node you trust); default: the most common one" };
        var minStake = new Option<string?>("--min-stake") { Description = "With --registry: use only nodes that staked at least this much (token's smallest unit)" };
        var maxPrice = new Option<string?>("--max-price") { Description = "Pay at most this per price unit (token's smallest unit); nodes asking more, or more than they registered, are not used" };
        var service = new Option<Uri?>("--service")
        {
            CustomParser = ServiceRender.ParseAddress,
            Description = "Submit to this running coordinator service (rendernet serve) instead and fetch its outputs into --out; its token in $RENDERNET_SERVICE_TOKEN (default: the local service's)",
        };

        var command = new Command("transcode", "Transcode video or an image sequence into an H.264 ladder (MP4 + HLS)")
        {
            input, resume, renditions, output, segment, fps, device, json, nodes, localNodes, timeout, allowMixed, pay, price, rpc, escrow, token, registry, payerKeystore, maxPrice, expected, minStake, spotCheck, service,
        };
        command.SetAction((parse, cancellation) => UserErrors.Run(() => Execute(new Request(
            parse.GetValue(input), parse.GetValue(resume), parse.GetValue(renditions)!, parse.GetValue(output)!, parse.GetValue(segment), parse.GetValue(fps),
            parse.GetValue(device), parse.GetValue(json), parse.GetValue(timeout), parse.GetValue(allowMixed),
            new FarmSessionRequest(parse.GetValue(nodes) ?? [], parse.GetValue(localNodes), parse.GetValue(device), parse.GetValue(pay), parse.GetValue(price),
                parse.GetValue(rpc), parse.GetValue(escrow), parse.GetValue(token), parse.GetValue(registry), parse.GetValue(payerKeystore), parse.GetValue(maxPrice), parse.GetValue(expected), parse.GetValue(minStake)), parse.GetValue(spotCheck), parse.GetValue(service)), cancellation)));
        return command;
    }

    static async Task<int> Execute(Request r, CancellationToken cancellation)
    {
        var total = Stopwatch.StartNew();
        r.Session.Validate();
        if (r.Service is not null)
        {
            if (r.Session.Farmed || r.Resume is not null || r.Fps is not null || r.Device is not null)
                throw new ArgumentException("--service submits to a running service, which has its own nodes and journal: leave out --nodes, --local-nodes, --rpc, --resume, --fps and --device");
            if (r.Input is null) throw new ArgumentException("give an INPUT video to transcode on the service");
            return await ServiceTranscode.RunAsync(r.Service, r.Input, r.Renditions, r.Output, r.SegmentSeconds, r.Json, cancellation);
        }
        if (!(r.SpotCheck >= 0 && r.SpotCheck <= 1)) throw new ArgumentException($"--spot-check must be between 0 and 1, got {r.SpotCheck}");
        if (!(r.Timeout > 0)) throw new ArgumentException($"--segment-timeout must be positive, got {r.Timeout}");
        FrameRate? rate = null;
        if (r.Fps is not null)
            rate = FrameRate.TryParse(r.Fps, out var parsed) ? parsed : throw new ArgumentException($"--fps '{r.Fps}' is not a frame rate (e.g. 24 or 30000/1001)");
        if ((r.Input is null) == (r.Resume is null)) throw new ArgumentException("give an INPUT to transcode, or --resume JOB to finish an interrupted job");
        var tools = FfmpegTools.Locate();
        using var job = r.Resume is not null
            ? await TranscodeJob.ResumeAsync(tools, r.Output, r.Resume, cancellation)
            : await TranscodeJob.PrepareAsync(tools, new MediaInput(r.Input!, rate), r.Renditions, r.Output, FarmJobSpec.NewJobId(), r.SegmentSeconds, cancellation,
                slots: Math.Max(1, r.Session.Nodes.Length + r.Session.LocalNodes));
        var jobId = job.JobId;
        var info = job.Info;
        int earlier = job.FinishedSegments().Count;
        Console.Error.WriteLine($"rendernet: job {jobId}: {job.Input.Path}: {info.Width}x{info.Height} {info.Codec} {info.PixelFormat} ({info.Colors}), {info.Frames} frames at {info.Rate.PerSecond:0.###} fps" +
            $"{(info.HasAudio ? ", audio" : "")}; {job.Segments.Count} segment(s){(earlier > 0 ? $", {earlier} done before" : "")} -> {string.Join(", ", job.Renditions)}; " +
            $"if interrupted, resume with --resume {jobId} --out {r.Output}");
        foreach (var rendition in job.Renditions.Where(x => x.Height > info.Height))
            Console.Error.WriteLine($"rendernet: warning: rendition {rendition.Name} is larger than the source ({info.Width}x{info.Height}): it is upscaled");

        IReadOnlyList<RenditionOutput> outputs;
        FarmRun? run = null;
        FarmSession? session = null;
        var transcodeWatch = Stopwatch.StartNew();
        string device = "";
        try
        {
            if (r.Session.Farmed)
            {
                session = await FarmSession.StartAsync(r.Session, cancellation);
                // Payments and deliveries journaled in the staging directory: a resumed paid job keeps its channels and
                // pays every delivered segment exactly once.
                using var journal = TranscodeJournal.OpenOrCreate(Path.Combine(job.Staging, "journal.sqlite"));
                var work = new TranscodeWorkload(job, tools, jobId, journal);
                var options = new FarmOptions
                {
                    AllowMixedPipelines = r.AllowMixed, InitialTileTimeout = TimeSpan.FromSeconds(r.Timeout), Payer = session.Payer,
                    SpotCheckRate = r.SpotCheck, MinTileTimeout = TimeSpan.FromSeconds(30),
                };
                options = session.Apply(options, r.Session);
                run = await WithProgress(r.Json, job.Segments.Count, report =>
                    new TileFarm(work, options, journal, onTile: e => report(e.Done), onWarning: w => Console.Error.WriteLine($"rendernet: warning: {w}"))
                        .RunWorkAsync(session.Addresses, cancellation));
                outputs = await job.PackageAsync(work.Results, cancellation);
            }
            else
            {
                using var gpu = VulkanDevice.Open(r.Device);
                device = gpu.Info.Name;
                int done = 0;
                outputs = await WithProgress(r.Json, job.Segments.Count, report =>
                    LocalTranscode.RunAsync(tools, job, VideoScaler.FactoryFor(gpu), _ => report(++done), cancellation));
            }
        }
        finally
        {
            session?.Dispose();
        }
        var transcodeTime = transcodeWatch.Elapsed;

        if (r.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                job = jobId,
                input = Path.GetFullPath(job.Input.Path),
                output = job.OutputDirectory,
                hls = job.MasterPlaylist,
                source = new { width = info.Width, height = info.Height, codec = info.Codec, pixel_format = info.PixelFormat, colors = info.Colors.ToString(), frames = info.Frames, fps = info.Rate.ToString(), audio = info.HasAudio },
                segments = job.Segments.Count,
                segments_from_earlier_run = earlier,
                renditions = outputs.Select(o => new
                {
                    name = o.Rendition.Name, width = o.Rendition.Width, height = o.Rendition.Height, crf = o.Rendition.BitrateKbps > 0 ? (int?)null : o.Rendition.Crf,
                    bitrate_kbps = o.Rendition.BitrateKbps > 0 ? (int?)o.Rendition.BitrateKbps : null, frames = o.Frames, mp4 = o.Mp4, playlist = o.Playlist,
                    bytes = new FileInfo(o.Mp4).Length,
                }),
                price_units = job.PriceUnits,
                device = run is null ? device : null,
                nodes = run?.Nodes.Select(n => new
                {
                    address = n.Address, node_id = n.NodeId, device = n.Device, segments = n.Tiles, work_s = n.RenderTime.TotalSeconds,
                    failures = n.Failures, excluded = n.Excluded, paid = n.Paid.ToString(), redeem_tx = n.RedeemTransaction, spot_checks = n.SpotChecks,
                    duplicates_paid = n.PaidDuplicates,
                }),
                timings = new { transcode_s = transcodeTime.TotalSeconds, total_s = total.Elapsed.TotalSeconds },
                warnings = run?.Warnings ?? [],
            }, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            if (run is not null) session!.PrintReport(run.Nodes, "Segments");
            var table = new Table().AddColumns("Rendition", "Size", "Frames", "MP4", "Bytes");
            foreach (var o in outputs)
                table.AddRow(o.Rendition.Name, $"{o.Rendition.Width}x{o.Rendition.Height}", o.Frames.ToString(), Markup.Escape(o.Mp4), $"{new FileInfo(o.Mp4).Length:N0}");
            FarmSession.Stderr.Write(table);
            Console.Error.WriteLine($"rendernet: wrote {outputs.Count} rendition(s) and {job.MasterPlaylist} in {total.Elapsed.TotalSeconds:F2} s " +
                $"(transcode {transcodeTime.TotalSeconds:F2} s, {info.Frames / transcodeTime.TotalSeconds:F1} source frames/s{(run is null ? $" on {device}" : $" on {run.Nodes.Count(n => n.Tiles > 0)} node(s)")})");
        }
        return ExitCodes.Success;
    }

    /// <summary>Runs <paramref name="work"/> with a segment progress bar on stderr when it is a terminal.</summary>
    static async Task<T> WithProgress<T>(bool json, int segments, Func<Action<int>, Task<T>> work)
    {
        if (json || Console.IsErrorRedirected) return await work(_ => { });
        return await FarmSession.Stderr.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask($"segments 0/{segments}", maxValue: segments);
                return await work(done =>
                {
                    task.Value = done;
                    task.Description = $"segments {done}/{segments}";
                });
            });
    }
}
