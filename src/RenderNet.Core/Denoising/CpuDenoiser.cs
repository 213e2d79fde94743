using RenderNet.Core.Imaging;

namespace RenderNet.Core.Denoising;

/// <summary>
/// The denoiser on the CPU, rows in parallel: what a coordinator (which has no GPU) runs, and the reference the Vulkan
/// denoiser must match bit for bit.
/// </summary>
public sealed class CpuDenoiser : IFrameDenoiser
{
    public FloatImage Denoise(RenderedFrame frame, CancellationToken cancellation = default)
    {
        var input = DenoiseInput.Prepare(frame);
        return input.Finish(Filter(input, cancellation));
    }

    /// <summary>The five filter passes over prepared integers.</summary>
    public static uint[] Filter(DenoiseInput input, CancellationToken cancellation = default)
    {
        int w = input.Width, h = input.Height;
        var a = (uint[])input.Colour.Clone();
        var b = new uint[a.Length];
        var options = new ParallelOptions { CancellationToken = cancellation };
        const int RowsPerBlock = 8;
        for (int pass = 0; pass < AtrousFilter.Passes; pass++)
        {
            var (source, target) = (a, b);
            int current = pass;
            Parallel.For(0, (h + RowsPerBlock - 1) / RowsPerBlock, options, block =>
                AtrousFilter.Pass(source, target, input.Features, w, h, current, block * RowsPerBlock, Math.Min(h, (block + 1) * RowsPerBlock)));
            (a, b) = (b, a);
        }
        return a;
    }
}
