using System.Diagnostics;
using RenderNet.Exr;

namespace RenderNet.Cli.Tests;

/// <summary>`render --passes … --denoise -o NAME.exr`: one multi-layer EXR, the same from one process and from local nodes.</summary>
public class ExrOutputTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-exr-cli").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void A_denoised_frame_with_passes_is_one_exr_and_the_farm_writes_the_same_one()
    {
        string local = Path.Combine(dir, "local.exr"), farmed = Path.Combine(dir, "farmed.exr");
        string[] common = ["render", "-W", "48", "-H", "36", "--spp", "4", "--tile", "16", "--passes", "depth,normal,object", "--denoise", "--exr-compression", "piz", "--exr-tile", "32"];
        var r = CliRunner.Run([.. common, "-o", local]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var f = CliRunner.Run([.. common, "--local-nodes", "2", "--journal", Path.Combine(dir, "jobs"), "-o", farmed]);
        Assert.True(f.ExitCode == 0, f.Stderr);

        var a = ExrReader.Read(local);
        var b = ExrReader.Read(farmed);
        Assert.Equal((48, 36, true, ExrCompression.Piz), (a.Width, a.Height, a.Tiled, a.Compression));
        foreach (var channel in new[] { "R", "G", "B", "A", "Z", "N.X", "N.Y", "N.Z", "objectId", "albedo.R", "variance", "emission.R", "noisy.R" })
        {
            Assert.True(a.Channels.ContainsKey(channel), $"no {channel} layer");
            Assert.Equal(a.Channels[channel], b.Channels[channel]);   // the farm's tiles and CPU denoiser give the local bits
        }
        Assert.Equal(ExrPixelType.Half, a.ChannelTypes["R"]);
        Assert.Equal(ExrPixelType.Float, a.ChannelTypes["Z"]);
        Assert.Equal(1, a.Attributes["rendernet/denoised"]);
        Assert.Equal(4, a.Attributes["rendernet/samplesPerPixel"]);
        Assert.NotEqual(a.Channels["R"], a.Channels["noisy.R"]);

        // Debian's own tool reads it too.
        var psi = new ProcessStartInfo("exrinfo", ["-v", local]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var tool = Process.Start(psi)!;
        string info = tool.StandardOutput.ReadToEnd() + tool.StandardError.ReadToEnd();
        Assert.True(tool.WaitForExit(30_000) && tool.ExitCode == 0, info);
        Assert.Contains("objectId", info);
    }

    [Theory]
    [InlineData(new[] { "--passes", "albedo", "-o", "x.png" }, "--passes are written as layers of an EXR file: give --out NAME.exr")]
    [InlineData(new[] { "--passes", "albedo,glow", "-o", "x.exr" }, "'glow' is not a render pass")]
    [InlineData(new[] { "--denoise", "--mode", "raster", "-o", "x.png" }, "--denoise needs the path tracer (--mode path), not the rasteriser")]
    [InlineData(new[] { "--passes", "depth", "--exr-compression", "dwaa", "-o", "x.exr" }, "holds the beauty only")]
    [InlineData(new[] { "--exr-compression", "lzw", "-o", "x.exr" }, "'lzw' is not an EXR compression")]
    [InlineData(new[] { "--exr-type", "double", "-o", "x.exr" }, "--exr-type must be half or float, got 'double'")]
    public void Bad_output_options_get_one_line(string[] args, string expected)
    {
        var r = CliRunner.Run(["render", "-W", "8", "-H", "8", "--spp", "1", .. args.Select(a => a.StartsWith("x.") ? Path.Combine(dir, a) : a)]);
        Assert.Equal(2, r.ExitCode);
        var errors = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("rendernet: error:")).ToList();
        Assert.True(errors.Count == 1 && errors[0].Contains(expected), r.Stderr);
    }
}
