using RenderNet.Core.Media;

namespace RenderNet.Media.Tests;

/// <summary>The Vulkan scale+convert stage against ffmpeg's own scaler, and the exactness of its colour conversion.</summary>
[Collection("media")]
public sealed class ScalerQualityTests(MediaFixture media, ITestOutputHelper output)
{
    byte[] ScaleOnGpu(byte[] frame, Yuv420Layout source, YuvColorSpace colors, Yuv420Layout target, bool passthrough = true, bool directPlanes = true)
    {
        using var scaler = new Vulkan.VideoScaler(media.Device, source, colors, [target], passthrough, directPlanes);
        var result = new byte[target.FrameBytes];
        scaler.Scale(frame, [result], [true]);
        Assert.Equal(0, media.Device.ValidationErrors);
        return result;
    }

    /// <summary>
    /// The CPU plane scaler (used instead of the kernels when the Vulkan device is the CPU) writes the kernels' bytes:
    /// noise, so every weight and every rounding counts; odd sizes, shrinking, growing and 1080p to a 720p/480p ladder.
    /// </summary>
    [Theory]
    [InlineData(640, 360, 426, 240)]
    [InlineData(346, 198, 213, 121)]
    [InlineData(250, 140, 500, 280)]
    [InlineData(1920, 1080, 1280, 720)]
    [InlineData(1920, 1080, 854, 480)]
    [InlineData(64, 36, 16, 16)]
    public void CpuPlaneScalerWritesTheKernelsBytes(int sourceWidth, int sourceHeight, int width, int height)
    {
        var source = new Yuv420Layout(sourceWidth, sourceHeight);
        var target = new Yuv420Layout(width, height);
        var frame = new byte[source.FrameBytes];
        new Random(sourceWidth * 31 + width).NextBytes(frame);
        var kernels = ScaleOnGpu(frame, source, YuvColorSpace.Delivery, target, passthrough: false);
        using var cpu = new CpuPlaneScaler(source, YuvColorSpace.Delivery, [target]);
        var result = new byte[target.FrameBytes];
        cpu.Scale(frame, [result], [true]);
        int first = Enumerable.Range(0, result.Length).FirstOrDefault(i => result[i] != kernels[i], -1);
        Assert.True(first < 0, $"byte {first} differs: CPU {(first < 0 ? 0 : result[first])}, kernels {(first < 0 ? 0 : kernels[first])}");
    }

    [Fact]
    public void TheFactoryScalesOnTheCpuOnlyWhenTheDeviceIsTheCpuAndTheSourceNeedsNoConversion()
    {
        var layout = new Yuv420Layout(64, 36);
        var factory = Vulkan.VideoScaler.FactoryFor(media.Device);
        using var delivery = factory(layout, YuvColorSpace.Delivery, [new Yuv420Layout(32, 18)]);
        using var bt601 = factory(layout, new YuvColorSpace(YuvMatrix.Bt601, YuvRange.Limited), [new Yuv420Layout(32, 18)]);
        bool cpuDevice = media.Device.Info.Type == Vulkan.GpuDeviceType.Cpu;
        Assert.Equal(cpuDevice, delivery is CpuPlaneScaler);
        Assert.IsType<Vulkan.VideoScaler>(bt601);
    }

    [Fact]
    public void IdentityScaleKeepsTheFrame()
    {
        var layout = new Yuv420Layout(320, 240);
        // BT.709 in, BT.709 out: only the chroma round trip through 4:4:4 may change anything.
        var frame = media.RawFrame("testsrc2=s=320x240", "-vf", "scale=out_color_matrix=bt709:out_range=tv");
        // A same-size rendition of a BT.709 limited source is passed through untouched...
        Assert.Equal(frame, ScaleOnGpu(frame, layout, YuvColorSpace.Delivery, layout));
        // ...the direct-plane kernels, made to resample it anyway, give it back byte for byte (Lanczos at 1:1 is the identity)...
        Assert.Equal(frame, ScaleOnGpu(frame, layout, YuvColorSpace.Delivery, layout, passthrough: false));
        // ...and the RGB path, made to convert it anyway, changes no luma value.
        var result = ScaleOnGpu(frame, layout, YuvColorSpace.Delivery, layout, passthrough: false, directPlanes: false);
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
        using var scaler = new Vulkan.VideoScaler(media.Device, layout, YuvColorSpace.Delivery, [layout], passthrough: false, directPlanes: false);
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
    /// <summary>
    /// Where both apply (a BT.709 limited source), resampling the planes directly and going through RGB give the same
    /// frame to within one code value: luma everywhere (the RGB path is linear and unclamped between its conversions),
    /// chroma wherever it is smooth (the two paths filter chroma differently: directly on the chroma grid, or
    /// upsampled with Catmull-Rom to 4:4:4 and filtered down again, so sharp chroma edges may differ by more).
    /// </summary>
    [Theory]
    [InlineData(640, 360, 426, 240)]
    [InlineData(640, 360, 320, 180)]
    [InlineData(640, 360, 640, 360)]
    [InlineData(346, 198, 213, 121)] // rows and planes padded on the way in and out (odd chroma, odd sizes)
    [InlineData(250, 140, 500, 280)] // upscaling
    public void DirectPlanesAgreeWithTheRgbPath(int sourceWidth, int sourceHeight, int width, int height)
    {
        var source = new Yuv420Layout(sourceWidth, sourceHeight);
        var target = new Yuv420Layout(width, height);
        // A smooth frame: gradients in every plane (chroma included), nothing sharper than the filters.
        var frame = media.RawFrame($"gradients=s={sourceWidth}x{sourceHeight}:c0=0x203040:c1=0xe0c080:c2=0x40a0e0:c3=0xc04020:n=4:seed=1,format=yuv420p", "-vf", "scale=out_color_matrix=bt709:out_range=tv");
        var direct = ScaleOnGpu(frame, source, YuvColorSpace.Delivery, target, passthrough: false);
        var rgb = ScaleOnGpu(frame, source, YuvColorSpace.Delivery, target, passthrough: false, directPlanes: false);
        (int Worst, double WithinOne) Compare(int from, int count)
        {
            int worst = 0, within = 0;
            for (int i = from; i < from + count; i++)
            {
                int d = Math.Abs(direct[i] - rgb[i]);
                worst = Math.Max(worst, d);
                if (d <= 1) within++;
            }
            return (worst, within / (double)count);
        }
        var y = Compare(0, target.LumaBytes);
        var u = Compare(target.LumaBytes, target.ChromaBytes);
        var v = Compare(target.LumaBytes + target.ChromaBytes, target.ChromaBytes);
        output.WriteLine($"{sourceWidth}x{sourceHeight} -> {width}x{height}: worst Y {y.Worst} ({y.WithinOne:P2} within 1), U {u.Worst} ({u.WithinOne:P2}), V {v.Worst} ({v.WithinOne:P2})");
        Assert.True(y.Worst <= 1, $"luma differs by {y.Worst}");
        Assert.True(u.Worst <= 1 && v.Worst <= 1, $"chroma differs by {u.Worst} / {v.Worst}");
    }

    /// <summary>
    /// 4:2:0 chroma stays where H.264 puts it (co-sited with even luma columns, between luma rows): on noise, the
    /// renditions' chroma matches ffmpeg told that siting, and clearly not ffmpeg told centred chroma.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ChromaKeepsH264Siting(bool directPlanes)
    {
        var source = new Yuv420Layout(640, 360);
        var target = new Yuv420Layout(320, 180);
        const string lavfi = "color=c=gray:s=640x360,noise=alls=100:allf=u+t,format=yuv420p";
        var bt709 = "scale=out_color_matrix=bt709:out_range=tv";
        var frame = media.RawFrame(lavfi, "-vf", bt709);
        var result = ScaleOnGpu(frame, source, YuvColorSpace.Delivery, target, directPlanes: directPlanes);
        double ChromaPsnr(int h, int v)
        {
            var reference = media.RawFrame(lavfi, "-vf", $"{bt709},scale=320:180:flags=lanczos+accurate_rnd+full_chroma_int+full_chroma_inp:in_h_chr_pos={h}:out_h_chr_pos={h}:in_v_chr_pos={v}:out_v_chr_pos={v}");
            return MediaFixture.Psnr(reference.AsSpan(target.LumaBytes), result.AsSpan(target.LumaBytes));
        }
        double h264 = ChromaPsnr(0, 128), centred = ChromaPsnr(128, 128), top = ChromaPsnr(0, 0);
        output.WriteLine($"{(directPlanes ? "direct planes" : "through RGB")}: chroma PSNR vs H.264 siting {h264:F2} dB, centred {centred:F2} dB, top-left {top:F2} dB");
        Assert.True(h264 >= 40, $"{h264:F2} dB");
        Assert.True(h264 >= centred + 6 && h264 >= top + 6, $"H.264 siting {h264:F2} dB, centred {centred:F2}, top-left {top:F2}");
    }

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
