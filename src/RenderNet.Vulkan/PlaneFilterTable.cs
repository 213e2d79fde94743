using RenderNet.Core.Media;

namespace RenderNet.Vulkan;

/// <summary>
/// A <see cref="Lanczos3"/> filter laid out for the direct-plane kernels, which make four neighbouring outputs per
/// invocation from one run of <see cref="Span"/> source samples (loaded once, shared by all four). Per quad of outputs
/// one record of <see cref="RecordVectors"/> ivec4s: the run's first source index, then each output's weights over
/// the whole run (zero outside its own taps) as 16-bit pairs, output-major. The sum is the filter's exactly — the
/// extra products are by zero and the kernels clamp indices as the filter does — so results do not change, while the
/// kernel's loops have constant bounds (a specialization constant) and unroll into registers: on lavapipe every
/// storage-buffer load is a per-lane loop, so fewer, wider loads are what makes the kernels fast.
/// </summary>
internal sealed class PlaneFilterTable
{
    public const int Outputs = 4;

    /// <summary>Source samples one quad of outputs reads (the longest over all quads).</summary>
    public int Span { get; }
    public int RecordVectors { get; }
    public int Quads { get; }
    public int[] Packed { get; }

    public PlaneFilterTable(Lanczos3 filter)
    {
        Quads = (filter.TargetSize + Outputs - 1) / Outputs;
        for (int g = 0; g < Quads; g++)
        {
            int first = filter.Start[g * Outputs], end = first;
            for (int o = g * Outputs; o < Math.Min(filter.TargetSize, (g + 1) * Outputs); o++)
                end = Math.Max(end, filter.Start[o] + filter.Taps);
            Span = Math.Max(Span, end - first);
        }
        RecordVectors = RecordVectorsFor(Span);
        int record = 4 * RecordVectors;
        Packed = new int[Quads * record];
        for (int g = 0; g < Quads; g++)
        {
            int first = filter.Start[g * Outputs];
            Packed[g * record] = first;
            for (int q = 0; q < Outputs; q++)
            {
                int o = g * Outputs + q;
                if (o >= filter.TargetSize) break;
                long magnitude = 0;
                for (int k = 0; k < filter.Taps; k++) magnitude += Math.Abs(filter.Weights[o * filter.Taps + k]);
                if (magnitude > 2L << Lanczos3.Shift) // the vertical pass's x16 results must stay within 16 bits: 255·16·2 < 2^15
                    throw new InvalidOperationException($"output {o}'s Lanczos weights add up to {magnitude} in magnitude; the kernels keep 16 bits between passes");
                for (int k = 0; k < filter.Taps; k++)
                {
                    int w = filter.Weights[o * filter.Taps + k];
                    if (w is < short.MinValue or > short.MaxValue)
                        throw new InvalidOperationException($"a Lanczos weight {w} does not fit the kernels' 16 bits");
                    int i = q * Span + filter.Start[o] - first + k, word = g * record + 1 + i / 2;
                    Packed[word] |= i % 2 == 0 ? w & 0xFFFF : w << 16;
                }
            }
        }
    }

    /// <summary>ivec4s per record: the start, then <see cref="Outputs"/> × span 16-bit weights; the kernels compute it the same way.</summary>
    public static int RecordVectorsFor(int span) => (1 + (Outputs * span + 1) / 2 + 3) / 4;
}
