using RenderNet.Core.Media;

namespace RenderNet.Core.Tests;

public class TranscodeParallelismTests
{
    [Theory]
    [InlineData(2, 2, 2)]   // this CI machine, a 720p+480p ladder: what every segment used before
    [InlineData(2, 1, 3)]   // ffmpeg's own rule for one encoder: 1.5 threads per core
    [InlineData(16, 3, 8)]
    [InlineData(64, 1, 16)] // x264's bytes are pinned per count: capped where the headers cap it
    [InlineData(1, 4, 1)]
    [InlineData(0, 2, TranscodeParallelism.DefaultEncoderThreads)] // cores unknown
    public void EncoderThreadsShareTheCoresAmongTheRenditions(int cores, int renditions, int threads) =>
        Assert.Equal(threads, TranscodeParallelism.EncoderThreads(cores, renditions));

    [Theory]
    [InlineData(12, 1, 6)]     // in-process: two segments
    [InlineData(12, 3, 2)]     // three nodes: the 2 s floor
    [InlineData(3600, 4, 10)]  // an hour on four nodes: the 10 s ceiling
    [InlineData(0, 1, 2)]      // a length the probe could not read
    public void SegmentSecondsGiveEachSlotAboutTwoSegments(double duration, int slots, double seconds) =>
        Assert.Equal(seconds, TranscodeParallelism.SegmentSeconds(duration, slots));
}
