using System.Diagnostics;
using RenderNet.Exr;

namespace RenderNet.Exr.Tests;

/// <summary>Files written through OpenEXRCore read back with the same library and with Debian's exrheader.</summary>
public sealed class ExrRoundTripTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-exr-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    static float[] Ramp(int w, int h, float scale, float offset)
    {
        var v = new float[w * h];
        for (int i = 0; i < v.Length; i++) v[i] = offset + scale * MathF.Sin(i * 0.37f) * (1 + i % 7);
        return v;
    }

    [Theory]
    [InlineData(ExrCompression.None, 0)]
    [InlineData(ExrCompression.Zip, 0)]
    [InlineData(ExrCompression.Piz, 0)]
    [InlineData(ExrCompression.Zip, 32)]
    [InlineData(ExrCompression.Piz, 16)]
    public void Lossless_files_keep_every_float_and_every_half(ExrCompression compression, int tileSize)
    {
        int w = 67, h = 45;   // odd sizes: partial chunks and tiles at the edges
        var r = Ramp(w, h, 3f, 1f);
        var depth = Ramp(w, h, 1000f, 5000f);
        var ids = Enumerable.Range(0, w * h).Select(i => (float)(i % 70001)).ToArray();
        string path = Path.Combine(dir, "a.exr");
        ExrWriter.Write(path, w, h,
        [
            new("R", r, ExrPixelType.Half),
            new("albedo.G", r, ExrPixelType.Half),
            new("Z", depth, ExrPixelType.Float),
            new("objectId", ids, ExrPixelType.Float),
        ], new ExrWriteOptions { Compression = compression, TileSize = tileSize },
        [new ExrAttribute.Int("rendernet/samplesPerPixel", 16), new ExrAttribute.Text("rendernet/camera", "Camera.001"), new ExrAttribute.Float("rendernet/yfov", 0.5f)]);

        var image = ExrReader.Read(path);
        Assert.Equal((w, h, tileSize > 0, compression), (image.Width, image.Height, image.Tiled, image.Compression));
        Assert.Equal(["R", "Z", "albedo.G", "objectId"], image.Channels.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(ExrPixelType.Half, image.ChannelTypes["R"]);
        Assert.Equal(ExrPixelType.Float, image.ChannelTypes["Z"]);
        int firstBad = Enumerable.Range(0, w * h).FirstOrDefault(i => image.Channels["Z"][i] != depth[i], -1);
        Assert.True(firstBad < 0, $"first differing pixel: ({firstBad % w},{firstBad / w})");
        for (int i = 0; i < w * h; i++)
        {
            Assert.Equal((float)(Half)r[i], image.Channels["R"][i]);      // half: exactly the nearest half
            Assert.Equal((float)(Half)r[i], image.Channels["albedo.G"][i]);
            Assert.Equal(depth[i], image.Channels["Z"][i]);                 // float: bit for bit
            Assert.Equal(ids[i], image.Channels["objectId"][i]);
        }
        Assert.Equal(16, image.Attributes["rendernet/samplesPerPixel"]);
        Assert.Equal("Camera.001", image.Attributes["rendernet/camera"]);
        Assert.Equal(0.5f, image.Attributes["rendernet/yfov"]);
        Assert.False(File.Exists(path + ".partial"));
    }

    [Theory]
    [InlineData(ExrCompression.Dwaa)]
    [InlineData(ExrCompression.Dwab)]
    public void Dwa_beauty_files_are_lossy_but_close_and_passes_are_refused(ExrCompression compression)
    {
        int w = 96, h = 64;
        var smooth = new float[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) smooth[y * w + x] = 0.2f + 0.6f * x / w + 0.1f * y / h;
        string path = Path.Combine(dir, "dwa.exr");
        ExrWriter.Write(path, w, h, [new("R", smooth, ExrPixelType.Half), new("G", smooth, ExrPixelType.Half), new("B", smooth, ExrPixelType.Half)],
            new ExrWriteOptions { Compression = compression }, [new ExrAttribute.Int("rendernet/seed", 7)]);
        // OpenEXRCore 3.1 cannot decode DWA either: the C++ library (exrmaketiled) re-encodes it as ZIP for our reader.
        string zip = Path.Combine(dir, "dwa-as-zip.exr");
        Run("exrmaketiled", $"-z zip {path} {zip}");
        var image = ExrReader.Read(zip);
        string compressionLine = Run("exrheader", path).Split('\n').First(l => l.StartsWith("compression"));
        // exrheader names DWAA "dwa, small scanline blocks" and DWAB "dwa, medium scanline blocks".
        Assert.StartsWith($"compression (type compression): dwa, {(compression == ExrCompression.Dwaa ? "small" : "medium")}", compressionLine);
        double maxError = smooth.Select((v, i) => Math.Abs(v - image.Channels["G"][i])).Max();
        Assert.InRange(maxError, 0, 0.02);
        Assert.Equal(7, image.Attributes["rendernet/seed"]);

        var e = Assert.Throws<ArgumentException>(() => ExrWriter.Write(path, w, h, [new("R", smooth, ExrPixelType.Half), new("Z", smooth, ExrPixelType.Float)],
            new ExrWriteOptions { Compression = compression }));
        Assert.Contains("holds R, G, B and A only", e.Message);
        Assert.Contains("'Z'", e.Message);
    }

    static string Run(string tool, string arguments)
    {
        var psi = new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000));
        Assert.True(process.ExitCode == 0, $"{tool} {arguments}: {output}");
        return output;
    }

    [Fact]
    public void Exrheader_reads_the_layers_compression_and_attributes()
    {
        string path = Path.Combine(dir, "h.exr");
        int w = 8, h = 4;
        ExrWriter.Write(path, w, h, [new("R", new float[w * h], ExrPixelType.Half), new("N.X", new float[w * h], ExrPixelType.Float)],
            new ExrWriteOptions { Compression = ExrCompression.Piz, TileSize = 4 }, [new ExrAttribute.Int("rendernet/maxBounces", 6)]);
        string output = Run("exrheader", path);
        Assert.Contains("N.X, 32-bit floating-point", output);
        Assert.Contains("R, 16-bit floating-point", output);
        Assert.Contains("piz", output);
        Assert.Contains("tiledesc", output);
        Assert.Contains("rendernet/maxBounces (type int): 6", output);
        Assert.Contains("dataWindow (type box2i): (0 0) - (7 3)", output);
    }

    [Fact]
    public void Bad_requests_and_bad_files_get_one_line_errors()
    {
        string path = Path.Combine(dir, "bad.exr");
        var e1 = Assert.Throws<ArgumentException>(() => ExrWriter.Write(path, 4, 4, [new("R", new float[15], ExrPixelType.Half)]));
        Assert.Equal("channel 'R' has 15 values, expected 16 (4x4)", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => ExrWriter.Write(path, 4, 4, [new("R", new float[16], ExrPixelType.Half), new("R", new float[16], ExrPixelType.Half)]));
        Assert.Contains("channel 'R' is given twice", e2.Message);
        Assert.Throws<ArgumentException>(() => ExrWriteOptions.ParseCompression("lzw"));
        Assert.Equal(ExrCompression.Dwaa, ExrWriteOptions.ParseCompression("DWAA"));

        File.WriteAllBytes(path, [0x76, 0x2f, 0x31, 0x01, 2, 0, 0, 0, 1, 2, 3]);   // magic, then garbage
        var e3 = Assert.Throws<ExrException>(() => ExrReader.Read(path));
        Assert.StartsWith(path + ": opening failed:", e3.Message);
        Assert.DoesNotContain('\n', e3.Message);
    }
}
