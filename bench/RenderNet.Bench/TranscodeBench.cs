using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using RenderNet.Core.Media;
using RenderNet.Farm;
using RenderNet.Media;
using RenderNet.Vulkan;

/// <summary>
/// `bench transcode`: the transcode path against plain ffmpeg on the same input, in the same run.
///   - Scale+convert stage: the Vulkan kernels (one upload, every rendition) vs ffmpeg's scale filter (Lanczos, split
///     to the same ladder, no encode), frames/s and ratio.
///   - End to end: the ladder in-process (no nodes) and on 1, 2 and 4 local nodes (split, farm, join, HLS) vs one ffmpeg process producing the
///     same ladder with the same x264 settings; wall-time ratio, and PSNR/SSIM of every rendition of both against the
///     source scaled to the rendition's size.
/// </summary>
static class TranscodeBench
{
    public static Command Create()
    {
        var width = new Option<int>("--width") { Description = "Source width", DefaultValueFactory = _ => 1280 };
        var height = new Option<int>("--height") { Description = "Source height", DefaultValueFactory = _ => 720 };
        var seconds = new Option<int>("--seconds") { Description = "Source length", DefaultValueFactory = _ => 8 };
        var ladder = new Option<string>("--renditions") { Description = "The ladder", DefaultValueFactory = _ => "720p,480p,360p" };
        var fps = new Option<string>("--fps") { Description = "Source frame rate (the source has B-frames)", DefaultValueFactory = _ => "24" };
        var nodeCounts = new Option<string>("--nodes") { Description = "Local node counts to run the ladder on", DefaultValueFactory = _ => "1,2,4" };
        var command = new Command("transcode", "Vulkan scale+convert vs ffmpeg scale; the ladder in-process and on 1/2/4 nodes vs one ffmpeg") { width, height, seconds, ladder, fps, nodeCounts };
        command.SetAction(parse => Run(parse.GetValue(width), parse.GetValue(height), parse.GetValue(seconds), parse.GetValue(ladder)!, parse.GetValue(fps)!,
            parse.GetValue(nodeCounts)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()).GetAwaiter().GetResult());
        return command;
    }

    static async Task<int> Run(int width, int height, int seconds, string ladderText, string fps, int[] nodeCounts)
    {
        var tools = FfmpegTools.Locate();
        var dir = Directory.CreateTempSubdirectory("rendernet-transcode-bench-").FullName;
        try
        {
            if (!FrameRate.TryParse(fps, out var rate)) throw new ArgumentException($"--fps '{fps}' is not a frame rate");
            var source = Path.Combine(dir, "source.mp4");
            Ffmpeg(tools, "-f", "lavfi", "-i", $"testsrc2=s={width}x{height}:r={fps}:d={seconds}", "-f", "lavfi", "-i", $"sine=d={seconds}",
                "-c:v", "libx264", "-preset", "veryfast", "-bf", "3", "-crf", "16", "-g", $"{(int)Math.Round(2 * rate.PerSecond)}", "-pix_fmt", "yuv420p",
                "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-c:a", "aac", "-y", source);
            var info = await MediaInfo.ProbeAsync(tools, new MediaInput(source));
            var ladder = Rendition.ParseLadder(ladderText, width, height);
            Console.WriteLine($"source: {width}x{height} testsrc2, {info.Frames} frames at {fps} fps; ladder {string.Join(", ", ladder)}; {Environment.ProcessorCount} cores");

            // Stage: decode once to raw frames so neither side pays for decoding here.
            var raw = Path.Combine(dir, "source.yuv");
            Ffmpeg(tools, "-i", source, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-y", raw);
            var layout = new Yuv420Layout(width, height);
            var frames = File.ReadAllBytes(raw);
            int count = frames.Length / layout.FrameBytes;
            var targets = ladder.Select(r => new Yuv420Layout(r.Width, r.Height)).ToList();
            double Time(IVideoFrameScaler scaler)
            {
                var outputs = targets.Select(t => new byte[t.FrameBytes]).ToList();
                var wanted = ladder.Select(_ => true).ToList();
                scaler.Scale(frames.AsSpan(0, layout.FrameBytes), outputs, wanted); // warm-up
                var watch = Stopwatch.StartNew();
                for (int i = 0; i < count; i++) scaler.Scale(frames.AsSpan(i * layout.FrameBytes, layout.FrameBytes), outputs, wanted);
                return count / watch.Elapsed.TotalSeconds;
            }
            double vulkanFps, pipelineFps;
            string pipelineName;
            using (var device = VulkanDevice.Open())
            {
                using (var kernels = new VideoScaler(device, layout, info.Colors, targets)) vulkanFps = Time(kernels);
                Console.WriteLine($"scale+convert, Vulkan kernels on {device.Info.Name}: {vulkanFps:F1} frames/s ({ladder.Count} renditions per frame)");
                // What the transcode pipeline uses on this host (on a CPU device, the same resampler as SIMD code).
                using var chosen = VideoScaler.FactoryFor(device)(layout, info.Colors, targets);
                pipelineName = chosen is CpuPlaneScaler ? "CPU plane scaler (the pipeline's choice on a CPU device)" : "Vulkan kernels (the pipeline's choice)";
                pipelineFps = chosen is CpuPlaneScaler ? Time(chosen) : vulkanFps;
                if (chosen is CpuPlaneScaler) Console.WriteLine($"scale+convert, {pipelineName}: {pipelineFps:F1} frames/s");
            }
            var split = string.Join("", ladder.Select((_, i) => $"[s{i}]"));
            var graph = $"split={ladder.Count}{split};" + string.Join(";", ladder.Select((r, i) =>
                $"[s{i}]scale={r.Width}:{r.Height}:flags=lanczos+accurate_rnd+full_chroma_int:in_h_chr_pos=0:out_h_chr_pos=0:in_v_chr_pos=128:out_v_chr_pos=128[o{i}]"));
            var scaleArgs = new List<string> { "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", $"{width}x{height}", "-i", raw, "-filter_complex", graph };
            for (int i = 0; i < ladder.Count; i++) scaleArgs.AddRange(["-map", $"[o{i}]", "-f", "null", "-"]);
            var ffWatch = Stopwatch.StartNew();
            Ffmpeg(tools, [.. scaleArgs]);
            double ffmpegFps = count / ffWatch.Elapsed.TotalSeconds;
            Console.WriteLine($"scale+convert, ffmpeg scale (lanczos): {ffmpegFps:F1} frames/s (baseline); Vulkan kernels/ffmpeg ratio {vulkanFps / ffmpegFps:F2}, the pipeline's scaler/ffmpeg ratio {pipelineFps / ffmpegFps:F2}");

            // End to end: one plain ffmpeg producing the same ladder with the same encoder settings.
            var plainDir = Directory.CreateDirectory(Path.Combine(dir, "plain")).FullName;
            var plainArgs = new List<string> { "-i", source, "-filter_complex", $"[0:v]{graph.Replace("split=", "split=", StringComparison.Ordinal)}" };
            for (int i = 0; i < ladder.Count; i++)
            {
                var encoder = H264SegmentEncoder.Arguments(ladder[i], info.Rate, Path.Combine(plainDir, ladder[i].Name + ".mp4"));
                int from = encoder.ToList().IndexOf("-c:v");
                plainArgs.AddRange(["-map", $"[o{i}]", "-map", "0:a:0", "-c:a", "aac", "-b:a", "160k", .. encoder.Skip(from)]);
            }
            var plainWatch = Stopwatch.StartNew();
            Ffmpeg(tools, [.. plainArgs]);
            double plain = plainWatch.Elapsed.TotalSeconds;
            Console.WriteLine($"ladder, one plain ffmpeg process: {plain:F2} s (baseline)");
            foreach (var r in ladder) Console.WriteLine($"  {r.Name}: {Quality(tools, Path.Combine(plainDir, r.Name + ".mp4"), source, r)}");

            using (var device = VulkanDevice.Open())
            {
                var watch = Stopwatch.StartNew();
                using var job = await TranscodeJob.PrepareAsync(tools, new MediaInput(source), ladderText, Path.Combine(dir, "in-process"), "bench-in-process", 0); // the CLI's default: picked for one slot
                var outputs = await LocalTranscode.RunAsync(tools, job, VideoScaler.FactoryFor(device));
                double t = watch.Elapsed.TotalSeconds;
                Console.WriteLine($"ladder in-process (rendernet transcode without nodes), {job.Segments.Count} segments, x264 threads {job.EncoderThreads}: {t:F2} s, time/plain ffmpeg {t / plain:F2}");
                foreach (var o in outputs) Console.WriteLine($"  {o.Rendition.Name}: {Quality(tools, o.Mp4, source, o.Rendition)}");
            }

            foreach (int n in nodeCounts)
            {
                var nodes = LocalNode.StartMany(n, NodeCommandLine.ForDll(Path.Combine(AppContext.BaseDirectory, "rendernet.dll")), _ => []);
                try
                {
                    var watch = Stopwatch.StartNew();
                    var jobId = $"bench-{n}";
                    using var job = await TranscodeJob.PrepareAsync(tools, new MediaInput(source), ladderText, Path.Combine(dir, jobId), jobId, 0, slots: n); // as the CLI with n nodes
                    var work = new TranscodeWorkload(job, tools, jobId);
                    await new TileFarm(work).RunWorkAsync(nodes.Select(x => x.Address).ToList());
                    var outputs = await job.PackageAsync(work.Results);
                    double t = watch.Elapsed.TotalSeconds;
                    Console.WriteLine($"ladder on {n} local node(s), {job.Segments.Count} segments, x264 threads {job.EncoderThreads}: {t:F2} s, time/plain ffmpeg {t / plain:F2}");
                    if (n == 1) foreach (var o in outputs) Console.WriteLine($"  {o.Rendition.Name}: {Quality(tools, o.Mp4, source, o.Rendition)}");
                }
                finally
                {
                    LocalNode.StopAll(nodes);
                }
            }
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>PSNR (all planes) and SSIM of a rendition against the source scaled to its size by ffmpeg (Lanczos).</summary>
    static string Quality(FfmpegTools tools, string rendition, string source, Rendition r)
    {
        var text = Ffmpeg(tools, "-i", rendition, "-i", source, "-lavfi",
            $"[1:v]scale={r.Width}:{r.Height}:flags=lanczos+accurate_rnd+full_chroma_int[ref];[0:v]split[a][b];[ref]split[c][d];[a][c]psnr;[b][d]ssim", "-f", "null", "-");
        var psnr = Regex.Match(text, @"PSNR .*average:([\d.inf]+)").Groups[1].Value;
        var ssim = Regex.Match(text, @"SSIM .*All:([\d.]+)").Groups[1].Value;
        return $"PSNR {psnr} dB, SSIM {ssim}, {new FileInfo(rendition).Length / 1024.0:F0} KiB";
    }

    static string Ffmpeg(FfmpegTools tools, params string[] args)
    {
        var psi = new ProcessStartInfo(tools.Ffmpeg) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])["-nostdin", "-hide_banner", .. args]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ffmpeg {string.Join(' ', args)}: {err.Result}");
        return err.Result;
    }
}
