namespace RenderNet.Core.Media;

/// <summary>
/// The separable resampling filter of transcode jobs: Lanczos-3, widened by the scale factor when shrinking (so it
/// low-passes instead of aliasing), edges replicated. Luma samples sit at pixel centres; 4:2:0 chroma samples sit
/// where H.264 puts them by default (co-sited with even luma columns, between luma rows) and are filtered from the
/// full-resolution RGB with the chroma grid's own (twice as wide) kernel — chroma is a weighted average over its whole
/// footprint, never a dropped sample. Weights are computed here in double precision and quantised to integers that
/// sum to exactly 2^14 per output sample, so the GPU kernels are exact.
/// </summary>
public sealed class Lanczos3
{
    public const int Lobes = 3;
    public const int Shift = 14;

    /// <summary>First source index of each output pixel's taps (may be negative or past the end: the kernel clamps).</summary>
    public int[] Start { get; }
    /// <summary><see cref="Taps"/> weights per output pixel, row-major.</summary>
    public int[] Weights { get; }
    public int Taps { get; }
    public int SourceSize { get; }
    public int TargetSize { get; }

    /// <summary>Resamples <paramref name="sourceSize"/> pixels to <paramref name="targetSize"/>, centres aligned.</summary>
    public Lanczos3(int sourceSize, int targetSize)
        : this(sourceSize, targetSize, i => (i + 0.5) * sourceSize / targetSize - 0.5, sourceSize / (double)targetSize)
    {
    }

    /// <summary>
    /// The chroma samples of a 4:2:0 image <paramref name="lumaTargetSize"/> pixels across, from <paramref name="sourceSize"/>
    /// full-resolution pixels: at even luma positions when <paramref name="cosited"/> (columns), else midway between
    /// luma rows 2i and 2i+1.
    /// </summary>
    public static Lanczos3 ForChroma(int sourceSize, int lumaTargetSize, bool cosited)
    {
        double ratio = sourceSize / (double)lumaTargetSize;
        double offset = cosited ? 0 : 0.5;
        return new Lanczos3(sourceSize, (lumaTargetSize + 1) / 2, i => (2 * i + offset + 0.5) * ratio - 0.5, 2 * ratio);
    }

    /// <summary>
    /// A 4:2:0 chroma plane resampled directly, chroma grid to chroma grid, for a luma resize from
    /// <paramref name="sourceLumaSize"/> to <paramref name="targetLumaSize"/>: each target chroma sample at its H.264
    /// siting (even luma column when <paramref name="cosited"/>, else midway between two luma rows) is mapped through
    /// the luma resize onto the source chroma grid, which sits the same way.
    /// </summary>
    public static Lanczos3 ForChromaPlane(int sourceLumaSize, int targetLumaSize, bool cosited)
    {
        double ratio = sourceLumaSize / (double)targetLumaSize, offset = cosited ? 0 : 0.5;
        // Target chroma i sits at target luma 2i + offset; in source luma units (centres aligned), then source chroma units.
        return new Lanczos3((sourceLumaSize + 1) / 2, (targetLumaSize + 1) / 2, i => ((2 * i + offset + 0.5) * ratio - 0.5 - offset) / 2, ratio);
    }

    /// <summary>
    /// The direct-plane resample of a 4:2:0 frame from <paramref name="source"/> to <paramref name="target"/>: the
    /// vertical and horizontal filters of Y, Cb and Cr, in that order. Every plane resampler (Vulkan kernels, CPU) takes
    /// them from here, so all write the same bytes.
    /// </summary>
    public static (Lanczos3 Down, Lanczos3 Across)[] ForPlanes(Yuv420Layout source, Yuv420Layout target)
    {
        var chroma = (ForChromaPlane(source.Height, target.Height, cosited: false), ForChromaPlane(source.Width, target.Width, cosited: true));
        return [(new Lanczos3(source.Height, target.Height), new Lanczos3(source.Width, target.Width)), chroma, chroma];
    }

    Lanczos3(int sourceSize, int targetSize, Func<int, double> centreOf, double ratio)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(targetSize, 1);
        SourceSize = sourceSize;
        TargetSize = targetSize;
        double scale = Math.Max(1, ratio), support = Lobes * scale;
        Taps = (int)Math.Ceiling(2 * support) + 1;
        Start = new int[targetSize];
        Weights = new int[targetSize * Taps];
        var w = new double[Taps];
        for (int i = 0; i < targetSize; i++)
        {
            double centre = centreOf(i);
            int first = (int)Math.Floor(centre - support) + 1;
            Start[i] = first;
            double sum = 0;
            for (int k = 0; k < Taps; k++) sum += w[k] = Kernel((first + k - centre) / scale);
            int total = 0, largest = 0;
            for (int k = 0; k < Taps; k++)
            {
                int q = (int)Math.Round(w[k] / sum * (1 << Shift));
                Weights[i * Taps + k] = q;
                total += q;
                if (Math.Abs(q) > Math.Abs(Weights[i * Taps + largest])) largest = k;
            }
            Weights[i * Taps + largest] += (1 << Shift) - total; // exact unity gain: flat areas stay flat
        }
    }

    /// <summary>The table as one int array for the GPU: Taps, then Start[], then Weights[].</summary>
    public int[] Packed()
    {
        var packed = new int[1 + Start.Length + Weights.Length];
        packed[0] = Taps;
        Start.CopyTo(packed, 1);
        Weights.CopyTo(packed, 1 + Start.Length);
        return packed;
    }

    static double Kernel(double x)
    {
        x = Math.Abs(x);
        if (x < 1e-12) return 1;
        if (x >= Lobes) return 0;
        double px = Math.PI * x;
        return Lobes * Math.Sin(px) * Math.Sin(px / Lobes) / (px * px);
    }
}
