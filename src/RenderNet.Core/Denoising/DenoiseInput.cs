using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;

namespace RenderNet.Core.Denoising;

/// <summary>
/// A frame turned into the integers <see cref="AtrousFilter"/> works on, and back. Preparation divides the light by
/// the albedo (what is filtered is irradiance, so textures stay sharp), leaves out the emission seen directly (lamps and
/// the environment are not noisy and keep their edges), scales by a power of two chosen from the frame's mean, and
/// quantises; finishing multiplies the albedo back and adds the emission. Only IEEE operations that are exactly
/// rounded (+ − × ÷ √, rounding, power-of-two scaling) are used, so every machine prepares the same integers.
/// </summary>
public sealed class DenoiseInput
{
    /// <summary>Added to the albedo before dividing by it, so black surfaces do not blow noise up.</summary>
    public const float AlbedoEpsilon = 1f / 64;
    /// <summary>The frame's mean demodulated luminance lands near 2^12 in fixed point (so about 4096× the mean is the brightest value kept).</summary>
    const int MeanExponent = 12;

    /// <summary>The passes a frame needs to be denoised (emission is used when present).</summary>
    public const RenderPasses RequiredPasses = RenderPasses.Albedo | RenderPasses.Normal | RenderPasses.Variance;

    public int Width { get; }
    public int Height { get; }
    /// <summary>Per pixel: R, G, B, σ (see <see cref="AtrousFilter"/>).</summary>
    public uint[] Colour { get; }
    /// <summary>Per pixel: normal X, Y, Z (±<see cref="AtrousFilter.NormalOne"/>), packed 8-bit albedo.</summary>
    public int[] Features { get; }
    /// <summary>Fixed point = demodulated value × 2^Exponent.</summary>
    public int Exponent { get; }

    readonly RenderedFrame frame;

    DenoiseInput(RenderedFrame frame, uint[] colour, int[] features, int exponent)
    {
        this.frame = frame;
        Width = frame.Width;
        Height = frame.Height;
        Colour = colour;
        Features = features;
        Exponent = exponent;
    }

    /// <exception cref="ArgumentException">The frame lacks a pass the denoiser needs (named).</exception>
    public static DenoiseInput Prepare(RenderedFrame frame)
    {
        var missing = RenderPassLayout.Of(RequiredPasses).Where(p => frame.Pass(p.Pass) is null).Select(p => p.Name).ToList();
        if (missing.Count > 0) throw new ArgumentException($"denoising needs the {string.Join(", ", missing)} pass{(missing.Count > 1 ? "es" : "")}, which the frame lacks");
        int n = frame.Width * frame.Height;
        var beauty = frame.Beauty.Pixels;
        var albedo = frame.Pass(RenderPasses.Albedo)!.Values;
        var normal = frame.Pass(RenderPasses.Normal)!.Values;
        var variance = frame.Pass(RenderPasses.Variance)!.Values;
        var emission = frame.Pass(RenderPasses.Emission)?.Values;

        var demodulated = new float[n * 3];
        double lumSum = 0;
        for (int p = 0; p < n; p++)
        {
            for (int c = 0; c < 3; c++)
            {
                float light = beauty[4 * p + c] - (emission?[3 * p + c] ?? 0f);
                float d = light / (Math.Max(albedo[3 * p + c], 0f) + AlbedoEpsilon);
                demodulated[3 * p + c] = float.IsFinite(d) && d > 0 ? d : 0f;
            }
            lumSum += 0.2126 * demodulated[3 * p] + 0.7152 * demodulated[3 * p + 1] + 0.0722 * demodulated[3 * p + 2];
        }
        double mean = lumSum / n;
        int exponent = mean > 0 && double.IsFinite(mean) ? Math.Clamp(MeanExponent - Math.ILogB(mean), -120, 120) : 0;
        double scale = Math.ScaleB(1.0, exponent);

        var colour = new uint[n * 4];
        var sigmaSquared = new ulong[n];
        var features = new int[n * 4];
        for (int p = 0; p < n; p++)
        {
            for (int c = 0; c < 3; c++) colour[4 * p + c] = Quantise(demodulated[3 * p + c] * scale);
            double albedoLum = 0.2126 * Math.Max(albedo[3 * p], 0f) + 0.7152 * Math.Max(albedo[3 * p + 1], 0f) + 0.0722 * Math.Max(albedo[3 * p + 2], 0f);
            double v = variance[p];
            ulong sigma = Quantise(float.IsFinite(variance[p]) && v > 0 ? Math.Sqrt(v) / (albedoLum + AlbedoEpsilon) * scale : 0);
            sigmaSquared[p] = sigma * sigma;
            for (int c = 0; c < 3; c++)
            {
                float value = normal[3 * p + c];
                features[4 * p + c] = float.IsFinite(value) ? (int)Math.Round(Math.Clamp(value, -1f, 1f) * (double)AtrousFilter.NormalOne) : 0;
            }
            int packed = 0;
            for (int c = 0; c < 3; c++)
                packed |= (int)Math.Round(Math.Clamp(float.IsFinite(albedo[3 * p + c]) ? albedo[3 * p + c] : 0f, 0f, 1f) * 255.0) << (8 * c);
            features[4 * p + 3] = packed;
        }
        // One pixel's variance estimate is itself noisy: the deviation each pixel starts with is the root of its 3×3 mean (as SVGF).
        for (int y = 0; y < frame.Height; y++)
            for (int x = 0; x < frame.Width; x++)
            {
                ulong sum = 0, count = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int qx = x + dx, qy = y + dy;
                        if (qx < 0 || qy < 0 || qx >= frame.Width || qy >= frame.Height) continue;
                        sum += sigmaSquared[qy * frame.Width + qx];
                        count++;
                    }
                colour[4 * (y * frame.Width + x) + 3] = (uint)Math.Min(IntegerSqrt(sum / count), AtrousFilter.MaxColour);
            }
        return new DenoiseInput(frame, colour, features, exponent);
    }

    static uint Quantise(double value) => value > 0 ? (uint)Math.Min(Math.Round(value), AtrousFilter.MaxColour) : 0u;

    /// <summary>floor(√v), exactly.</summary>
    static ulong IntegerSqrt(ulong v)
    {
        ulong r = (ulong)Math.Sqrt(v);
        while (r * r > v) r--;
        while ((r + 1) * (r + 1) <= v) r++;
        return r;
    }

    /// <summary>The filtered integers back to light: × albedo, + emission; alpha from the beauty.</summary>
    public FloatImage Finish(ReadOnlySpan<uint> filtered)
    {
        int n = Width * Height;
        if (filtered.Length != n * 4) throw new ArgumentException($"expected {n * 4} filtered values, got {filtered.Length}");
        var beauty = frame.Beauty.Pixels;
        var albedo = frame.Pass(RenderPasses.Albedo)!.Values;
        var emission = frame.Pass(RenderPasses.Emission)?.Values;
        double inverseScale = Math.ScaleB(1.0, -Exponent);
        var pixels = new float[n * 4];
        for (int p = 0; p < n; p++)
        {
            for (int c = 0; c < 3; c++)
            {
                double light = filtered[4 * p + c] * inverseScale * (Math.Max(albedo[3 * p + c], 0f) + (double)AlbedoEpsilon);
                pixels[4 * p + c] = (float)(light + (emission?[3 * p + c] ?? 0f));
            }
            pixels[4 * p + 3] = beauty[4 * p + 3];
        }
        return new FloatImage(Width, Height, pixels);
    }
}
