using RenderNet.Core.Media;

namespace RenderNet.Vulkan.Tests;

/// <summary>The direct-plane kernels' filter layout: every quad's run of weights gives exactly the filter's sums.</summary>
public class PlaneFilterTableTests
{
    [Theory]
    [InlineData(1920, 1280)]
    [InlineData(1920, 854)]
    [InlineData(173, 107)]
    [InlineData(125, 250)]
    [InlineData(7, 3)] // fewer source samples than a quad's run: clamped reads
    public void QuadsReproduceTheFilter(int sourceSize, int targetSize)
    {
        var filter = new Lanczos3(sourceSize, targetSize);
        var table = new PlaneFilterTable(filter);
        var samples = new int[sourceSize];
        var random = new Random(7);
        for (int i = 0; i < sourceSize; i++) samples[i] = random.Next(256);
        int record = 4 * table.RecordVectors;
        Assert.Equal((targetSize + 3) / 4, table.Quads);
        for (int o = 0; o < targetSize; o++)
        {
            long expected = 0;
            for (int k = 0; k < filter.Taps; k++)
                expected += (long)filter.Weights[o * filter.Taps + k] * samples[Math.Clamp(filter.Start[o] + k, 0, sourceSize - 1)];
            int quad = o / 4, q = o % 4, start = table.Packed[quad * record];
            long actual = 0;
            for (int j = 0; j < table.Span; j++)
            {
                int i = q * table.Span + j, packed = table.Packed[quad * record + 1 + i / 2];
                int weight = i % 2 == 0 ? (short)packed : packed >> 16;
                actual += (long)weight * samples[Math.Clamp(start + j, 0, sourceSize - 1)];
            }
            Assert.Equal(expected, actual);
        }
    }
}
