using RenderNet.Core.Media;

namespace RenderNet.Media.Tests;

/// <summary>The Vulkan scale+convert stage against ffmpeg's own scaler, and the exactness of its colour conversion.</summary>
[Collection("media")]
public sealed class ScalerQualityTests(MediaFixture media, ITestOutputHelper output)
{
    byte[] ScaleOnGpu(byte[] frame, Yuv420Layout source, YuvColorSpace colors, Yuv420Layout target, bool passthrough = true)
    {
        using var scaler = new Vulkan.VideoScaler(media.Device, source, colors, [target], passthrough);
        var result = new byte[target.FrameBytes];
        scaler.Scale(frame, [result], [true]);
        Assert.Equal(0, media.Device.ValidationErrors);
        return result;
    }

    [Fact]
    public void IdentityScaleKeepsTheFrame()
    {
        var layout = new Yuv420Layout(320, 240);
        // BT.709 in, BT.709 out: only the chroma round trip through 4:4:4 may change anything.
        var frame = media.RawFrame("testsrc2=s=320x240", "-vf", "scale=out_color_matrix=bt709:out_range=tv");
        // A same-size rendition of a BT.709 limited source is passed through untouched...
        Assert.Equal(frame, ScaleOnGpu(frame, layout, YuvColorSpace.Delivery, layout));
        // ...and the kernels, made to convert it anyway, change no luma value.
        var result = ScaleOnGpu(frame, layout, YuvColorSpace.Delivery, layout, passthrough: false);
        double y = MediaFixture.Psnr(frame.AsSpan(0, layout.LumaBytes), result.AsSpan(0, layout.LumaBytes));
        double c = MediaFixture.Psnr(frame.AsSpan(layout.LumaBytes), result.AsSpan(layout.LumaBytes));
        output.WriteLine($"identity: Y {y:F2} dB, chroma {c:F2} dB");
        // Luma survives exactly (RGB is kept unclamped between the conversions); chroma loses a little to the
        // 4:2:0 -> 4:4:4 -> 4:2:0 round trip, whose averaging is a mild [1 6 1]/8 blur.
        Assert.True(frame.AsSpan(0, layout.LumaBytes).SequenceEqual(result.AsSpan(0, layout.LumaBytes)), $"luma PSNR {y:F2} dB");
        Assert.True(c > 35, $"chroma PSNR {c:F2} dB");
    }

    public static TheoryData<string, int, int> Downscales => new()
    {
        { "testsrc2", 426, 240 },
        { "testsrc2", 320, 180 },
        { "noise", 426, 240 },
        { "noise", 320, 180 },
    };

    /// <summary>
    /// RGB→YUV→RGB through the kernels on a grid of colours (every channel in steps of 15: 5,832 colours, each a 32×32
    /// block so the chroma filters see a flat area around the block's centre). 8-bit limited-range Y'CbCr cannot hold every
    /// RGB colour to within one code — its lattice is coarser (219 luma levels) — so a few colours come back 2 off; the
    /// test asserts the bound of the format, not more: at most 2 anywhere, and at least 99% within 1.
    /// </summary>
    [Fact]
    public void ColourRoundTripIsWithinOneCodeValue()
    {
        int[] levels = Enumerable.Range(0, 18).Select(i => i * 15).ToArray();
        int colours = levels.Length * levels.Length * levels.Length, across = 81, down = colours / across, block = 32;
        var layout = new Yuv420Layout(across * block, down * block);
        var rgb = new int[3 * layout.LumaBytes];
        int plane = layout.LumaBytes;
        for (int k = 0; k < colours; k++)
        {
            int r = levels[k % 18], g = levels[k / 18 % 18], b = levels[k / 324];
            for (int y = 0; y < block; y++)
                for (int x = 0; x < block; x++)
                {
                    int at = (k / across * block + y) * layout.Width + k % across * block + x;
                    rgb[at] = r * 16;
                    rgb[plane + at] = g * 16;
                    rgb[2 * plane + at] = b * 16;
                }
        }
        using var scaler = new Vulkan.VideoScaler(media.Device, layout, YuvColorSpace.Delivery, [layout], passthrough: false);
        var (_, back) = scaler.RoundTripRgb(rgb);
        Assert.Equal(0, media.Device.ValidationErrors);
        int worst = 0, withinOne = 0;
        for (int k = 0; k < colours; k++)
        {
            int at = (k / across * block + block / 2) * layout.Width + k % across * block + block / 2;
            int error = 0;
            for (int c = 0; c < 3; c++)
                error = Math.Max(error, Math.Abs((back[c * plane + at] + 8 >> 4) - rgb[c * plane + at] / 16));
            worst = Math.Max(worst, error);
            if (error <= 1) withinOne++;
        }
        output.WriteLine($"round trip over {colours} colours: worst {worst} code values, {100.0 * withinOne / colours:F2}% within 1");
        Assert.True(worst <= 2, $"worst error {worst}");
        Assert.True(withinOne >= 0.99 * colours, $"{withinOne} of {colours} within 1");
    }

    /// <summary>
    /// Against ffmpeg's scale with the same filter (Lanczos-3) and the same chroma siting (H.264's default, which
    /// ffmpeg's scaler must be told) on the same frame: PSNR of every plane >= 40 dB.
    /// </summary>
    [Theory]
    [MemberData(nameof(Downscales))]
    public void LanczosMatchesFfmpegScale(string pattern, int width, int height)
    {
        var source = new Yuv420Layout(640, 360);
        var target = new Yuv420Layout(width, height);
        // Both frames in BT.709 limited range, so only the resampling differs. Noise: uniform in every plane.
        string lavfi = pattern == "noise" ? "color=c=gray:s=640x360,noise=alls=100:allf=u+t,format=yuv420p" : "testsrc2=s=640x360";
        var bt709 = "scale=out_color_matrix=bt709:out_range=tv";
        var frame = media.RawFrame(lavfi, "-vf", bt709);
        var reference = media.RawFrame(lavfi, "-vf", $"{bt709},scale={width}:{height}:flags=lanczos+accurate_rnd+full_chroma_int+full_chroma_inp:in_h_chr_pos=0:out_h_chr_pos=0:in_v_chr_pos=128:out_v_chr_pos=128");
        var result = ScaleOnGpu(frame, source, YuvColorSpace.Delivery, target);
        double y = MediaFixture.Psnr(reference.AsSpan(0, target.LumaBytes), result.AsSpan(0, target.LumaBytes));
        double u = MediaFixture.Psnr(reference.AsSpan(target.LumaBytes, target.ChromaBytes), result.AsSpan(target.LumaBytes, target.ChromaBytes));
        double v = MediaFixture.Psnr(reference.AsSpan(target.LumaBytes + target.ChromaBytes), result.AsSpan(target.LumaBytes + target.ChromaBytes));
        output.WriteLine($"{pattern} 640x360 -> {width}x{height}: PSNR Y {y:F2} dB, U {u:F2} dB, V {v:F2} dB");
        Assert.True(y >= 40 && u >= 40 && v >= 40, $"PSNR Y {y:F2}, U {u:F2}, V {v:F2} dB");
    }
}
