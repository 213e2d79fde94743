using System.Text.Json;
using RenderNet.Core.Imaging;

namespace RenderNet.Cli.Tests;

public class RenderCommandTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-cli").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void Tiles_rendered_in_separate_processes_assemble_to_the_same_bits()
    {
        string a = Path.Combine(dir, "a.pfm"), b = Path.Combine(dir, "b.pfm");
        string[] common = ["render", "--width", "40", "--height", "30", "--spp", "3", "--bounces", "3", "--seed", "5"];
        Assert.Equal(0, CliRunner.Run([.. common, "--tile", "7", "--out", a]).ExitCode);
        Assert.Equal(0, CliRunner.Run([.. common, "--tile", "40", "--out", b]).ExitCode);
        var imgA = ImageWriter.ReadPfm(a);
        Assert.True(imgA.BitEquals(ImageWriter.ReadPfm(b)));
        Assert.True(File.ReadAllBytes(a).SequenceEqual(File.ReadAllBytes(b)));
        Assert.True(imgA.Pixels.Max() > 0.05f, "the image is black");
    }

    [Fact]
    public void Json_summary_names_device_timings_and_output()
    {
        string png = Path.Combine(dir, "cornell.png");
        var r = CliRunner.Run("render", Path.Combine(Core.Tests.SharedData.RepoRoot, "samples", "cornell-box.glb"),
            "--width", "32", "--height", "24", "--spp", "2", "--tile", "16", "--out", png, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var root = json.RootElement;
        Assert.Equal(Path.GetFullPath(png), root.GetProperty("output").GetString());
        Assert.Equal(4, root.GetProperty("tiles").GetInt32()); // 32x24 in 16-pixel tiles
        Assert.False(string.IsNullOrEmpty(root.GetProperty("device").GetProperty("name").GetString()));
        Assert.True(root.GetProperty("samples_per_second").GetDouble() > 0);
        // Every sample traces at least its camera ray.
        Assert.True(root.GetProperty("rays_per_second").GetDouble() >= root.GetProperty("samples_per_second").GetDouble());
        Assert.True(root.GetProperty("timings").GetProperty("render_s").GetDouble() > 0);
        Assert.Equal(64, root.GetProperty("image_sha256").GetString()!.Length);
        using var image = SixLabors.ImageSharp.Image.Load(png);
        Assert.Equal(32, image.Width);
    }

    [Fact]
    public void Devices_lists_at_least_one_device_as_json()
    {
        var r = CliRunner.Run("devices", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var first = json.RootElement[0];
        Assert.False(string.IsNullOrEmpty(first.GetProperty("name").GetString()));
        Assert.False(string.IsNullOrEmpty(first.GetProperty("type").GetString()));
        Assert.Matches(@"^1\.\d+\.\d+$", first.GetProperty("api_version").GetString());
        Assert.Single(json.RootElement.EnumerateArray(), d => d.GetProperty("selected").GetBoolean());
    }

    [Fact]
    public void Sample_scene_command_writes_a_loadable_glb()
    {
        string path = Path.Combine(dir, "box.glb");
        Assert.Equal(0, CliRunner.Run("sample-scene", path).ExitCode);
        Assert.True(File.ReadAllBytes(path).AsSpan(0, 4).SequenceEqual("glTF"u8));
    }
}

public class ChainCommandTests
{
    [Fact]
    public async Task Chain_up_deploys_the_contracts_prints_their_addresses_and_stops_its_anvil_on_sigint()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "rendernet.dll"), "chain", "up", "--json" }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = new System.Text.StringBuilder();
        var done = new TaskCompletionSource();
        p.OutputDataReceived += (_, e) => { if (e.Data is null) return; lock (stdout) { stdout.AppendLine(e.Data); if (e.Data == "}") done.TrySetResult(); } };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
        using var json = JsonDocument.Parse(stdout.ToString());
        foreach (var name in new[] { "token", "registry", "escrow" })
            Assert.Matches("^0x[0-9a-fA-F]{40}$", json.RootElement.GetProperty(name).GetString());
        Assert.Equal(31337, json.RootElement.GetProperty("chain_id").GetInt32());
        var anvil = Directory.EnumerateDirectories($"/proc/{p.Id}/task").SelectMany(t => File.ReadAllText(Path.Combine(t, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse).ToList();
        Assert.NotEmpty(anvil);
        Assert.Equal(0, kill(p.Id, 2));
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, p.ExitCode);
        await Task.Delay(200);
        Assert.All(anvil, pid => Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z "), $"anvil {pid} left running"));
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    static extern int kill(int pid, int signal);
}

/// <summary>`render --frames`: one image per frame of a glTF animation.</summary>
public class AnimationRenderTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-frames").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void Frames_of_an_animation_are_rendered_one_image_each()
    {
        var model = RenderNet.Core.Tests.AnimationTests.AnimatedModel();
        var camera = model.CreateCamera("camera");
        camera.SetPerspectiveMode(null, 1.0f, 0.1f, 100f);
        var cameraNode = model.DefaultScene.CreateNode("camera");
        cameraNode.Camera = camera;
        cameraNode.LocalMatrix = System.Numerics.Matrix4x4.CreateTranslation(2, 1, 10);
        var glb = Path.Combine(dir, "animated.glb");
        model.SaveGLB(glb);

        var r = CliRunner.Run("render", glb, "--mode", "raster", "--frames", "0..2", "--fps", "1", "--background", "1", "-W", "64", "-H", "48",
            "--out", Path.Combine(dir, "f%03d.png"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var frames = Enumerable.Range(0, 3).Select(i => Path.Combine(dir, $"f{i:D3}.png")).ToList();
        Assert.All(frames, f => Assert.True(File.Exists(f), $"{f} is missing"));
        // The triangle moves: consecutive frames differ.
        Assert.NotEqual(File.ReadAllBytes(frames[0]), File.ReadAllBytes(frames[1]));
        Assert.NotEqual(File.ReadAllBytes(frames[1]), File.ReadAllBytes(frames[2]));

        // On two local nodes (started once for all the frames), the same images.
        var farmed = CliRunner.Run("render", glb, "--mode", "raster", "--frames", "0..2", "--fps", "1", "--background", "1", "-W", "64", "-H", "48",
            "--local-nodes", "2", "--tile", "16", "--journal", Path.Combine(dir, "jobs"), "--out", Path.Combine(dir, "n%03d.png"));
        Assert.True(farmed.ExitCode == 0, farmed.Stderr);
        for (int i = 0; i < 3; i++)
            Assert.Equal(File.ReadAllBytes(frames[i]), File.ReadAllBytes(Path.Combine(dir, $"n{i:D3}.png")));

        var bad = CliRunner.Run("render", glb, "--frames", "0..1", "--animation", "walk", "--out", Path.Combine(dir, "x.png"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("no animation 'walk'", bad.Stderr);
    }
}
