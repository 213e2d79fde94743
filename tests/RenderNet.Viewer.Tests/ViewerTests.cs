using System.Diagnostics;
using System.Numerics;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Samples;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;
using RenderNet.Vulkan;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RenderNet.Viewer.Tests;

/// <summary>
/// The viewer as an artist runs it, in a window on a virtual X display (Xvfb) with Mesa's OpenGL: screenshots after N
/// frames compared with the same views rendered in this process, within a tolerance for the GPU's sRGB arithmetic.
/// </summary>
public sealed class ViewerTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-viewer").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    static string ViewerDll => Path.Combine(AppContext.BaseDirectory, "rendernet-viewer.dll");

    /// <summary>Runs the viewer under xvfb-run and returns its screenshot.</summary>
    Image<Rgba32> Screenshot(params string[] args)
    {
        string shot = Path.Combine(dir, $"shot-{Guid.NewGuid():N}.png");
        var psi = new ProcessStartInfo("xvfb-run") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])["-a", "-s", "-screen 0 1280x1024x24", "dotnet", ViewerDll, "--screenshot", shot, .. args]) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("xvfb-run did not start: run scripts/install-deps.sh (Debian xvfb)");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the viewer did not finish: {stderr.Result}");
        }
        Assert.True(process.ExitCode == 0, $"viewer exit {process.ExitCode}: {stderr.Result}{stdout.Result}");
        return Image.Load<Rgba32>(shot);
    }

    static Scene Sample() => Core.Gltf.GltfSceneLoader.LoadGlb(CornellBox.Build().WriteGLB().ToArray(), CornellBox.FileName);

    /// <summary>Linear pixels as 8-bit sRGB, as the viewer's shader shows them.</summary>
    static byte[] Srgb(float[] linear)
    {
        var bytes = new byte[linear.Length];
        for (int i = 0; i < linear.Length; i++)
            bytes[i] = (i & 3) == 3 ? (byte)255 : (byte)MathF.Round(ImageWriter.LinearToSrgb(Math.Clamp(linear[i], 0, 1)) * 255);
        return bytes;
    }

    /// <summary>Per channel: mean absolute difference and the share of values more than 2 codes apart.</summary>
    static (double Mean, double Outliers) Compare(Image<Rgba32> shot, byte[] expected)
    {
        double sum = 0;
        int outliers = 0, count = 0;
        for (int y = 0; y < shot.Height; y++)
            for (int x = 0; x < shot.Width; x++)
            {
                var p = shot[x, y];
                int i = 4 * (y * shot.Width + x);
                foreach (var (got, want) in new[] { (p.R, expected[i]), (p.G, expected[i + 1]), (p.B, expected[i + 2]) })
                {
                    int d = Math.Abs(got - want);
                    sum += d;
                    if (d > 2) outliers++;
                    count++;
                }
            }
        return (sum / count, (double)outliers / count);
    }

    [Fact]
    public void The_preview_after_three_frames_shows_the_scene_from_its_camera()
    {
        using var shot = Screenshot("--frames", "3", "--local-nodes", "0", "--width", "320", "--height", "240");
        Assert.Equal((320, 240), (shot.Width, shot.Height));

        // The reference: the sample's camera, rasterised in this process by the pipeline the viewer previews with.
        var scene = Sample();
        var camera = scene.ResolveCamera(null);
        var frame = new FrameSettings { Width = 320, Height = 240, Camera = SceneCamera.LookAt(camera.Position, camera.Position + camera.Forward * StartDistance(scene), camera.YFov), Mode = RenderMode.Raster };
        using var device = VulkanDevice.Open();
        using var raster = new Rasterizer(device, scene);
        var expected = Srgb(raster.RenderTile(frame, new TileRect(0, 0, 320, 240)));
        var (mean, outliers) = Compare(shot, expected);
        Assert.True(mean < 0.5 && outliers < 0.005, $"screenshot vs reference: mean {mean:F3} codes, {outliers:P2} beyond 2 codes");

        // Not trivially right: the room's red wall is on the left, the green one on the right, the panel is bright.
        Assert.True(shot[20, 120].R > shot[20, 120].G + 20 && shot[20, 120].R > shot[20, 120].B + 20, $"left wall {shot[20, 120]}");
        Assert.True(shot[300, 120].G > shot[300, 120].R + 20 && shot[300, 120].G > shot[300, 120].B + 20, $"right wall {shot[300, 120]}");
        Assert.True(Enumerable.Range(0, 60).Max(y => shot[160, y].R) > 240, "no bright ceiling panel above the centre");
    }

    [Fact]
    public void A_view_sent_to_the_network_shows_the_path_traced_tiles_with_their_nodes()
    {
        const int w = 128, h = 96;
        using var plain = Screenshot("--frames", "2", "--local-nodes", "2", "--free", "--send-view", "--width", $"{w}", "--height", $"{h}",
            "--spp", "4", "--tile", "32");

        // The path-traced frame of the viewer's starting view, as RenderRequest.View sends it.
        var scene = Sample();
        var camera = scene.ResolveCamera(null);
        var frame = new FrameSettings
        {
            Width = w, Height = h, SamplesPerPixel = 4, MaxBounces = 6, Background = Vector3.Zero,
            Camera = SceneCamera.LookAt(camera.Position, camera.Position + camera.Forward * StartDistance(scene), camera.YFov),
        };
        using var device = VulkanDevice.Open();
        var expected = Srgb(LocalRender.Render(device, scene, frame, new TilePlan(w, h, w)).Image.Pixels);
        var (mean, outliers) = Compare(plain, expected);
        Assert.True(mean < 0.5 && outliers < 0.005, $"screenshot vs reference: mean {mean:F3} codes, {outliers:P2} beyond 2 codes");

        // With the overlay, each tile's border carries the colour of a node (the timeline's palette).
        using var marked = Screenshot("--frames", "2", "--local-nodes", "2", "--free", "--send-view", "--overlay", "--width", $"{w}", "--height", $"{h}",
            "--spp", "4", "--tile", "32");
        var palette = new[] { TimelineChart.ColorOf(0), TimelineChart.ColorOf(1) }.Select(c => (c.R, c.G, c.B)).ToList();
        var borders = new TilePlan(w, h, 32).Tiles.Select(t => marked[t.X, t.Y]).Select(p => (p.R, p.G, p.B)).ToList();
        Assert.All(borders, b => Assert.Contains(b, palette));
    }

    [Fact]
    public void A_denoised_render_shows_the_denoised_frame_and_its_passes()
    {
        const int w = 96, h = 72;
        string[] common = ["--frames", "2", "--local-nodes", "2", "--free", "--send-view", "--width", $"{w}", "--height", $"{h}", "--spp", "4", "--tile", "32", "--denoise"];
        using var beauty = Screenshot([.. common, "--show", "beauty"]);
        using var normals = Screenshot([.. common, "--show", "normal"]);

        var scene = Sample();
        var camera = scene.ResolveCamera(null);
        var frame = new FrameSettings
        {
            Width = w, Height = h, SamplesPerPixel = 4, MaxBounces = 6, Background = Vector3.Zero,
            Camera = SceneCamera.LookAt(camera.Position, camera.Position + camera.Forward * StartDistance(scene), camera.YFov),
            Passes = RenderPasses.Albedo | RenderPasses.Normal | RenderPasses.Depth | Core.Denoising.DenoiseInput.RequiredPasses | RenderPasses.Emission,
        };
        using var device = VulkanDevice.Open();
        var rendered = LocalRender.RenderFrame(device, scene, frame, new TilePlan(w, h, w)).Frame;
        var denoised = new Core.Denoising.CpuDenoiser().Denoise(rendered);
        var (mean, outliers) = Compare(beauty, Srgb(denoised.Pixels));
        Assert.True(mean < 0.5 && outliers < 0.005, $"denoised view vs reference: mean {mean:F3} codes, {outliers:P2} beyond 2 codes");
        Assert.True(Compare(beauty, Srgb(rendered.Beauty.Pixels)).Mean > 2, "the view shows the noisy frame, not the denoised one");

        // The normal view: (n + 1) / 2 as display values, from the job's EXR.
        var n = rendered.Pass(RenderPasses.Normal)!.Values;
        var expected = new byte[w * h * 4];
        for (int i = 0; i < w * h; i++)
        {
            for (int c = 0; c < 3; c++) expected[4 * i + c] = (byte)MathF.Round(Math.Clamp(n[3 * i + c] * 0.5f + 0.5f, 0, 1) * 255);
            expected[4 * i + 3] = 255;
        }
        (mean, outliers) = Compare(normals, expected);
        Assert.True(mean < 1 && outliers < 0.01, $"normal view vs the normal pass: mean {mean:F3} codes, {outliers:P2} beyond 2 codes");
    }

    [Fact]
    public void Orbiting_turns_the_view_around_the_scene_centre()
    {
        using var shot = Screenshot("--frames", "2", "--local-nodes", "0", "--width", "160", "--height", "120", "--orbit", "40");

        // The orbit's definition: the eye turns 40° about +Y around the point it looked at, at the same distance.
        var scene = Sample();
        var start = scene.ResolveCamera(null);
        float distance = StartDistance(scene);
        var target = start.Position + start.Forward * distance;
        var back = -start.Forward;
        float yaw = MathF.Atan2(back.X, back.Z) + 40 * MathF.PI / 180, pitch = MathF.Asin(back.Y);
        var eye = target + distance * new Vector3(MathF.Cos(pitch) * MathF.Sin(yaw), MathF.Sin(pitch), MathF.Cos(pitch) * MathF.Cos(yaw));
        var frame = new FrameSettings { Width = 160, Height = 120, Camera = SceneCamera.LookAt(eye, target, start.YFov), Mode = RenderMode.Raster };
        using var device = VulkanDevice.Open();
        using var raster = new Rasterizer(device, scene);
        var expected = Srgb(raster.RenderTile(frame, new TileRect(0, 0, 160, 120)));
        var (mean, outliers) = Compare(shot, expected);
        Assert.True(mean < 0.5 && outliers < 0.005, $"screenshot vs reference: mean {mean:F3} codes, {outliers:P2} beyond 2 codes");

        // And it is not the unturned view.
        var unturned = Srgb(raster.RenderTile(frame with { Camera = SceneCamera.LookAt(start.Position, target, start.YFov) }, new TileRect(0, 0, 160, 120)));
        Assert.True(Compare(shot, unturned).Mean > 5, "the orbit did not move the camera");
    }

    /// <summary>How far the viewer's orbit target is from the camera: the scene centre's depth along the view.</summary>
    static float StartDistance(Scene scene)
    {
        var camera = scene.ResolveCamera(null);
        var (min, max) = scene.Bounds();
        return Vector3.Dot((min + max) / 2 - camera.Position, camera.Forward);
    }
}
