namespace RenderNet.Core.Denoising;

/// <summary>
/// The denoiser's filter: five passes of an edge-avoiding à-trous wavelet filter (Dammertz et al. 2010; the
/// variance-guided colour weight of SVGF, Schied et al. 2017) on integers only. Every weight comes from tables built
/// by integer arithmetic and every sum fits 32 bits, so the CPU (this class) and the Vulkan kernel
/// (shaders/denoise_atrous.comp, which must stay its line-by-line twin) give the same bits on any device: a denoised
/// frame can be checked like a tile, by anyone, without a GPU.
/// </summary>
/// <remarks>
/// Per pixel, <c>colour</c> holds four uints: demodulated R, G, B in fixed point (<see cref="MaxColour"/> at most)
/// and the luminance's standard deviation in the same units; <c>features</c> holds four ints: the normal quantised to
/// ±<see cref="NormalOne"/> and the albedo packed as 8-bit R, G, B.
/// </remarks>
public static class AtrousFilter
{
    public const int Passes = 5;
    public const uint MaxColour = (1u << 24) - 1;
    public const int NormalOne = 16383;
    /// <summary>B3-spline taps [1 4 6 4 1]: a tap's spatial weight is the product of its two (at most 36).</summary>
    static readonly uint[] Spline = [1, 4, 6, 4, 1];

    /// <summary>4096·max(cos θ, 0)^128 at 1 − cos θ = i/256 (SVGF's normal weight), by seven squarings in 16-bit fixed point.</summary>
    public static readonly uint[] NormalWeights = BuildNormalWeights();
    /// <summary>4096·exp(−i/16): the colour weight at a luminance difference of i/16 of four standard deviations.</summary>
    public static readonly uint[] ColourWeights = BuildColourWeights();

    static uint[] BuildNormalWeights()
    {
        var table = new uint[257];
        for (int i = 0; i <= 256; i++)
        {
            ulong c = (ulong)(65536 - i * 256);
            for (int s = 0; s < 7; s++) c = (c * c + 32768) >> 16;
            table[i] = (uint)(c >> 4);
        }
        return table;
    }

    static uint[] BuildColourWeights()
    {
        // 61565 = round(65536·exp(−1/16)); repeated multiplication keeps the table exact integer arithmetic.
        var table = new uint[256];
        ulong t = 65536;
        for (int i = 0; i < 256; i++)
        {
            table[i] = (uint)((t + 8) >> 4);
            t = (t * 61565 + 32768) >> 16;
        }
        return table;
    }

    /// <summary>Luminance in the colour's fixed point: Rec. 709 weights as 54, 183, 19 of 256.</summary>
    public static uint Luminance(uint r, uint g, uint b) => (54 * (r >> 4) + 183 * (g >> 4) + 19 * (b >> 4)) >> 4;

    /// <summary>Normal agreement in 12-bit fixed point; a pixel without a normal (the environment) matches only another.</summary>
    public static uint NormalWeight(int nx, int ny, int nz, int mx, int my, int mz)
    {
        bool none = nx == 0 && ny == 0 && nz == 0, otherNone = mx == 0 && my == 0 && mz == 0;
        if (none || otherNone) return none && otherNone ? 4096u : 0u;
        int dot = nx * mx + ny * my + nz * mz;
        int index = (268435456 - dot) >> 20;   // normals longer than one (not from a renderer) clamp to full agreement
        return NormalWeights[Math.Clamp(index, 0, 256)];
    }

    /// <summary>Albedo agreement in 12-bit fixed point: 4096·256/(256 + d²) for d the summed 8-bit channel difference.</summary>
    public static uint AlbedoWeight(int a, int b)
    {
        uint d = (uint)(Math.Abs((a & 255) - (b & 255)) + Math.Abs(((a >> 8) & 255) - ((b >> 8) & 255)) + Math.Abs(((a >> 16) & 255) - ((b >> 16) & 255)));
        return 1048576u / (256u + d * d);
    }

    /// <summary>
    /// One pass at step 2^<paramref name="pass"/> over rows [<paramref name="rowBegin"/>, <paramref name="rowEnd"/>):
    /// reads <paramref name="source"/>, writes <paramref name="target"/> (same layout; the deviation is halved for the next pass).
    /// </summary>
    public static void Pass(ReadOnlySpan<uint> source, Span<uint> target, ReadOnlySpan<int> features, int width, int height, int pass, int rowBegin, int rowEnd)
    {
        int step = 1 << pass;
        for (int y = rowBegin; y < rowEnd; y++)
            for (int x = 0; x < width; x++)
            {
                int p = y * width + x;
                uint r = source[4 * p], g = source[4 * p + 1], b = source[4 * p + 2], sigma = source[4 * p + 3];
                uint lum = Luminance(r, g, b);
                uint scale = (sigma >> pass) * 4 + 1;
                int nx = features[4 * p], ny = features[4 * p + 1], nz = features[4 * p + 2], albedo = features[4 * p + 3];
                uint sumW = 0, hiR = 0, hiG = 0, hiB = 0, loR = 0, loG = 0, loB = 0;
                for (int dy = -2; dy <= 2; dy++)
                {
                    int qy = y + dy * step;
                    if (qy < 0 || qy >= height) continue;
                    for (int dx = -2; dx <= 2; dx++)
                    {
                        int qx = x + dx * step;
                        if (qx < 0 || qx >= width) continue;
                        int q = qy * width + qx;
                        uint qr = source[4 * q], qg = source[4 * q + 1], qb = source[4 * q + 2];
                        uint w;
                        if (q == p) w = 256;
                        else
                        {
                            uint wn = NormalWeight(nx, ny, nz, features[4 * q], features[4 * q + 1], features[4 * q + 2]);
                            uint wa = AlbedoWeight(albedo, features[4 * q + 3]);
                            uint ql = Luminance(qr, qg, qb);
                            uint diff = lum > ql ? lum - ql : ql - lum;
                            uint wl = ColourWeights[Math.Min(diff * 16 / scale, 255u)];
                            w = (((wn * wa) >> 12) * wl) >> 16;
                        }
                        w *= Spline[dx + 2] * Spline[dy + 2];
                        sumW += w;
                        hiR += w * (qr >> 12); loR += w * (qr & 4095);
                        hiG += w * (qg >> 12); loG += w * (qg & 4095);
                        hiB += w * (qb >> 12); loB += w * (qb & 4095);
                    }
                }
                target[4 * p] = Divide(hiR, loR, sumW);
                target[4 * p + 1] = Divide(hiG, loG, sumW);
                target[4 * p + 2] = Divide(hiB, loB, sumW);
                target[4 * p + 3] = sigma;
            }
    }

    /// <summary>round((hi·4096 + lo) / w) without 64-bit arithmetic (w &lt; 2^19, so every step fits 32 bits).</summary>
    public static uint Divide(uint hi, uint lo, uint w)
    {
        uint quotient = hi / w, remainder = hi % w;
        return quotient * 4096 + (remainder * 4096 + lo + w / 2) / w;
    }
}
