using System.Diagnostics;
using RenderNet.Client;

namespace RenderNet.Service.Tests;

/// <summary>
/// The stand-ins for Unity (Mono loading netstandard2.1 engine code at run time, C# 9) and Godot (.NET 8): the same
/// engine-side script starts a local service with local nodes, takes every tile on its own main thread and writes a
/// PNG equal to a render in this process.
/// </summary>
public sealed class EngineHostTests
{
    static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RenderNet.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new DirectoryNotFoundException("the repository root (RenderNet.sln) is not above the test's directory");
        }
    }

    // The test's own configuration (bin/Release/net10.0 → Release): the hosts were built with it.
    static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    static string Host(string project, string framework, string file) =>
        Path.Combine(RepoRoot, "tests", "EngineHosts", project, "bin", Configuration, framework, file);

    [Fact]
    public async Task Mono_loads_the_engine_script_at_run_time_and_gets_every_tile_on_its_main_thread()
    {
        string png = Path.Combine(Path.GetTempPath(), $"rendernet-mono-{Guid.NewGuid():N}.png");
        try
        {
            var (exit, stdout, stderr) = await Run("mono", Host("MonoHost", "net48", "MonoHost.exe"), Host("UnityStandIn", "netstandard2.1", "UnityStandIn.dll"),
                ServiceProcess.RendernetDll, png, "2");
            Assert.True(exit == 0, $"mono exited {exit}: {stderr}");
            Assert.Contains("tiles=12 offThread=0 frames=1", stdout);
            Assert.Contains("runtime=4.0", stdout); // Mono's Environment.Version: this really ran on Mono, not .NET
            AssertEqualsLocalRender(png);
        }
        finally { File.Delete(png); }
    }

    [Fact]
    public async Task A_net8_host_runs_the_same_engine_script()
    {
        string png = Path.Combine(Path.GetTempPath(), $"rendernet-net8-{Guid.NewGuid():N}.png");
        try
        {
            var (exit, stdout, stderr) = await Run("dotnet", Host("Net8Host", "net8.0", "Net8Host.dll"), ServiceProcess.RendernetDll, png, "2");
            Assert.True(exit == 0, $"the .NET 8 host exited {exit}: {stderr}");
            Assert.Contains("tiles=12 offThread=0 frames=1", stdout);
            AssertEqualsLocalRender(png);
        }
        finally { File.Delete(png); }
    }

    /// <summary>The PNG decodes to the engine script's request rendered in this process, converted to sRGB bytes.</summary>
    static void AssertEqualsLocalRender(string png)
    {
        var request = new RenderRequest(RenderScene.Sample()) { Width = 64, Height = 48, SamplesPerPixel = 4, MaxBounces = 4, TileSize = 16 };
        var linear = LocalServiceFixture.LocalRender(request);
        using var decoded = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgba32>(png);
        var bytes = new byte[64 * 48 * 4];
        decoded.CopyPixelDataTo(bytes);
        for (int i = 0; i < linear.Length; i++)
        {
            byte want = (i & 3) == 3 ? (byte)MathF.Round(Math.Clamp(linear[i], 0, 1) * 255) : (byte)MathF.Round(Core.Imaging.ImageWriter.LinearToSrgb(linear[i]) * 255);
            Assert.Equal(want, bytes[i]);
        }
    }

    static async Task<(int Exit, string Stdout, string Stderr)> Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
