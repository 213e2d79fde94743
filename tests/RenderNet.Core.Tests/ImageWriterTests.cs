using RenderNet.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RenderNet.Core.Tests;

public class ImageWriterTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-img").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    static FloatImage Ramp()
    {
        var img = new FloatImage(3, 2);
        float[] values = [0f, 0.0031308f, 0.2158605f, 0.5f, 1f, 7f];
        for (int i = 0; i < 6; i++)
        {
            img.Pixels[4 * i] = values[i];
            img.Pixels[4 * i + 1] = values[5 - i];
            img.Pixels[4 * i + 2] = -values[i];
            img.Pixels[4 * i + 3] = 1;
        }
        return img;
    }

    [Fact]
    public void Png8_applies_the_srgb_curve_and_clamps()
    {
        string path = Path.Combine(dir, "a.png");
        ImageWriter.Write(Ramp(), path, ImageFormat.Png8);
        using var png = Image.Load<Rgba32>(path);
        Assert.Equal(3, png.Width);
        // linear 0.5 -> sRGB 0.7354 -> 188; 0.2158605 -> 0.50196 -> 128; above 1 clamps; negative clamps to 0.
        Assert.Equal(new Rgba32(0, 255, 0, 255), png[0, 0]);
        Assert.Equal(128, png[2, 0].R);
        Assert.Equal(188, png[0, 1].R);
        Assert.Equal(255, png[2, 1].R);
        Assert.Equal(0, png[2, 1].B);
        Assert.False(File.Exists(path + ".partial"));
    }

    [Fact]
    public void Png16_keeps_more_precision()
    {
        string path = Path.Combine(dir, "a.png");
        ImageWriter.Write(Ramp(), path, ImageFormat.Png16);
        using var png = Image.Load<Rgba64>(path);
        Assert.Equal((ushort)MathF.Round(ImageWriter.LinearToSrgb(0.5f) * 65535), png[0, 1].R);
    }

    [Fact]
    public void Pfm_round_trips_floats_exactly()
    {
        var img = Ramp();
        string path = Path.Combine(dir, "a.pfm");
        ImageWriter.Write(img, path, ImageFormat.Pfm);
        var back = ImageWriter.ReadPfm(path);
        Assert.True(img.BitEquals(back));
        Assert.Equal(img.ContentHash(), back.ContentHash());
    }

    [Theory]
    [InlineData("x.png", null, ImageFormat.Png8)]
    [InlineData("x.PNG", 16, ImageFormat.Png16)]
    [InlineData("x.pfm", null, ImageFormat.Pfm)]
    public void Format_follows_the_extension(string path, int? depth, ImageFormat expected) =>
        Assert.Equal(expected, ImageWriter.FormatFor(path, depth));

    [Fact]
    public void Unknown_extension_is_named_in_the_error()
    {
        var ex = Assert.Throws<ArgumentException>(() => ImageWriter.FormatFor("x.jpg"));
        Assert.Contains("'.jpg'", ex.Message);
    }

    [Fact]
    public void Srgb_curve_round_trips()
    {
        for (float v = 0; v <= 1; v += 0.01f)
            Assert.Equal(v, ImageWriter.SrgbToLinear(ImageWriter.LinearToSrgb(v)), 5);
    }
}
