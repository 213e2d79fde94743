using RenderNet.Core.Tests;

namespace RenderNet.Cli.Tests;

/// <summary>Every user mistake gives one clear error line and a non-zero exit code, never a stack trace.</summary>
public class BadInputTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-cli").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    string Out => Path.Combine(dir, "out.png");

    static void AssertOneErrorLine(CliRunner.Result r, int exitCode, string expected)
    {
        Assert.Equal(exitCode, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var errors = lines.Where(l => l.StartsWith("rendernet: error:")).ToList();
        Assert.True(errors.Count == 1, $"expected one error line, got:\n{r.Stderr}");
        Assert.Contains(expected, errors[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.DoesNotContain("Exception", r.Stderr);
    }

    [Fact]
    public async Task Node_status_names_a_missing_node_and_a_report_with_a_bad_amount()
    {
        // Nothing listening: one line saying where it looked and what to check.
        var port = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        port.Start();
        int free = ((System.Net.IPEndPoint)port.LocalEndpoint).Port;
        port.Stop();
        AssertOneErrorLine(CliRunner.Run("node", "status", "--url", $"http://127.0.0.1:{free}"), 4, "is the node running with --status-listen?");

        // A "node" whose report has junk where an amount belongs.
        using var listener = new System.Net.HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{free}/");
        listener.Start();
        var serve = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            var body = """{"nodeId":"n","device":"d","fingerprint":"f","uptimeSeconds":1,"tilesRendered":0,"segmentsTranscoded":0,"workInFlight":0,"draining":false,"paymentAddress":"0x1","channels":[{"channel":"1","payer":"0xp","earned":"12abc","vouchered":"0","redeemed":"0","pending":"0","lastRedeemTransaction":null}]}"""u8.ToArray();
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        });
        AssertOneErrorLine(CliRunner.Run("node", "status", "--url", $"http://127.0.0.1:{free}"), 4, "the node's status has '12abc' where an amount should be");
        await serve;
    }

    [Fact]
    public void Missing_scene_file()
    {
        var r = CliRunner.Run("render", Path.Combine(dir, "nope.glb"), "--out", Out);
        AssertOneErrorLine(r, 2, "does not exist");
        Assert.False(File.Exists(Out));
    }

    [Fact]
    public void Corrupt_scene_file()
    {
        string path = Path.Combine(dir, "corrupt.glb");
        File.WriteAllBytes(path, Enumerable.Range(0, 200).Select(i => (byte)(i * 37)).ToArray());
        AssertOneErrorLine(CliRunner.Run("render", path, "--out", Out), 2, "not a readable glTF");
    }

    [Fact]
    public void Scene_without_triangles()
    {
        string path = Path.Combine(dir, "empty.gltf");
        File.WriteAllText(path, """{"asset":{"version":"2.0"},"scene":0,"scenes":[{"nodes":[0]}],"nodes":[{}]}""");
        AssertOneErrorLine(CliRunner.Run("render", path, "--out", Out), 2, "contains no triangles");
    }

    [Theory]
    [InlineData("--width", "0", "invalid")]
    [InlineData("--height", "-5", "invalid")]
    [InlineData("--width", "100000", "exceeds the limit of 16384")]
    [InlineData("--spp", "0", "samples per pixel")]
    [InlineData("--bounces", "1000", "bounces")]
    [InlineData("--tile", "0", "tile size")]
    [InlineData("--bit-depth", "12", "bit depth")]
    [InlineData("--background", "red", "not a colour")]
    public void Absurd_settings(string option, string value, string expected) =>
        AssertOneErrorLine(CliRunner.Run("render", "--out", Out, option, value), 2, expected);

    [Theory]
    [InlineData("--nodes", "0", "--nodes must be between 1 and 16, got 0")]
    [InlineData("--spot-check", "1.5", "--spot-check must be between 0 and 1, got 1.5")]
    [InlineData("--width", "0", "invalid")]
    public void Absurd_demo_settings_fail_before_anything_starts(string option, string value, string expected) =>
        AssertOneErrorLine(CliRunner.Run("demo", "--out", Out, "--journal", dir, option, value), 2, expected);

    [Fact]
    public void Unknown_output_format() =>
        AssertOneErrorLine(CliRunner.Run("render", "--out", Path.Combine(dir, "x.tiff")), 2, "'.tiff'");

    [Fact]
    public void Unwritable_output_fails_before_rendering()
    {
        string blocker = Path.Combine(dir, "file");
        File.WriteAllText(blocker, "");
        // A directory cannot be created under a regular file.
        var r = CliRunner.Run("render", "--out", Path.Combine(blocker, "sub", "x.png"), "--width", "8", "--height", "8");
        AssertOneErrorLine(r, 4, "cannot write the output");
        Assert.DoesNotContain("wrote", r.Stderr);
    }

    [Fact]
    public void Unknown_camera() =>
        AssertOneErrorLine(CliRunner.Run("render", "--camera", "Side", "--out", Out, "--width", "8", "--height", "8"), 2, "no camera named 'Side'");

    [Fact]
    public void No_vulkan_driver()
    {
        // Point the Vulkan loader at a driver manifest that does not exist: no device can be found.
        var env = new Dictionary<string, string?> { ["VK_ICD_FILENAMES"] = Path.Combine(dir, "none.json"), ["VK_DRIVER_FILES"] = Path.Combine(dir, "none.json") };
        var r = CliRunner.Run(env, "render", "--out", Out, "--width", "8", "--height", "8");
        AssertOneErrorLine(r, 3, "Vulkan");
        Assert.False(File.Exists(Out));
    }

    [Fact]
    public void Unknown_device() =>
        AssertOneErrorLine(CliRunner.Run("render", "--device", "99", "--out", Out, "--width", "8", "--height", "8"), 3, "no Vulkan device with index 99");

    [Fact]
    public void Device_lost_mid_render()
    {
        var env = new Dictionary<string, string?> { ["RENDERNET_INJECT_DEVICE_LOST_AFTER"] = "2" };
        var r = CliRunner.Run(env, "render", "--out", Out, "--width", "64", "--height", "48", "--tile", "16", "--spp", "2");
        AssertOneErrorLine(r, 3, "device was lost");
        Assert.False(File.Exists(Out), "a failed render must not leave an image that looks complete");
    }
}
