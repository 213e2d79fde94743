using RenderNet.Core.Rendering;

namespace RenderNet.Vulkan;

/// <summary>
/// Turns the path tracer's pass accumulators (7 vec4 per pixel; see Accum in shaders/pathtrace.comp) into the planes
/// a tile carries after its RGBA (<see cref="RenderPassLayout"/>): means over the samples, the pixel centre's depth,
/// position and ids, and the variance of the mean luminance. Every value is a function of the pixel's own sums.
/// </summary>
static class TilePasses
{
    const int Stride = 28;

    public static void Resolve(ReadOnlySpan<float> sums, RenderPasses passes, int pixelCount, GpuSceneData scene, Span<float> tile)
    {
        int offset = pixelCount * 4;
        foreach (var info in RenderPassLayout.Of(passes))
        {
            var plane = tile.Slice(offset, pixelCount * info.ChannelCount);
            for (int p = 0; p < pixelCount; p++)
            {
                var s = sums.Slice(p * Stride, Stride);
                float inv = 1f / Math.Max(s[3], 1f);
                var o = plane.Slice(p * info.ChannelCount, info.ChannelCount);
                uint triangle = BitConverter.SingleToUInt32Bits(s[11]);   // index + 1; 0 = the centre ray missed
                switch (info.Pass)
                {
                    case RenderPasses.Albedo: Mean(s.Slice(8, 3), inv, o); break;
                    case RenderPasses.Normal: Mean(s.Slice(12, 3), inv, o); break;
                    case RenderPasses.Emission: Mean(s.Slice(16, 3), inv, o); break;
                    case RenderPasses.Direct: Mean(s.Slice(20, 3), inv, o); break;
                    case RenderPasses.Indirect: Mean(s.Slice(24, 3), inv, o); break;
                    case RenderPasses.Depth: o[0] = triangle == 0 ? RenderPassLayout.MissDepth : s[15]; break;
                    case RenderPasses.Position: o[0] = s[19]; o[1] = s[23]; o[2] = s[27]; break;
                    case RenderPasses.ObjectId: o[0] = IdOf(scene.TriangleObjects, triangle); break;
                    case RenderPasses.MaterialId: o[0] = IdOf(scene.TriangleMaterials, triangle); break;
                    case RenderPasses.Variance: o[0] = MeanVariance(s[4], s[5], s[3]); break;
                }
            }
            offset += plane.Length;
        }
    }

    static void Mean(ReadOnlySpan<float> sum, float inv, Span<float> mean)
    {
        for (int c = 0; c < 3; c++) mean[c] = sum[c] * inv;
    }

    static float IdOf(int[] ids, uint triangle) =>
        triangle == 0 || triangle > (uint)ids.Length ? -1f : ids[triangle - 1];

    /// <summary>The variance of the mean of <paramref name="n"/> samples from their sum and sum of squares (0 below two samples).</summary>
    public static float MeanVariance(float sum, float sumSquares, float n)
    {
        if (n < 2) return 0f;
        float mean = sum / n;
        float sampleVariance = Math.Max(sumSquares / n - mean * mean, 0f) * n / (n - 1f);
        return sampleVariance / n;
    }
}
