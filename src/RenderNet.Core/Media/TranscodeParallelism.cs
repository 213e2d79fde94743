namespace RenderNet.Core.Media;

/// <summary>
/// How a transcode job spreads over the cores it has: x264's thread count per rendition, and the segment length when
/// the studio leaves it to the coordinator. x264's bytes depend on its thread count, so a job picks one value, carries
/// it in every segment's header and keeps it when resumed: any node then writes the same bytes for a segment.
/// </summary>
public static class TranscodeParallelism
{
    /// <summary>What segments without a thread count (older coordinators) are encoded with.</summary>
    public const int DefaultEncoderThreads = 2;
    public const int MaxEncoderThreads = 16;
    /// <summary>Segment lengths the coordinator picks stay within these (x264 restarts per segment; a keyframe every 2 s anyway).</summary>
    public const double MinAutoSegmentSeconds = 2, MaxAutoSegmentSeconds = 10;

    /// <summary>
    /// x264 threads per rendition so that one segment's encoders keep <paramref name="cores"/> busy the way one ffmpeg
    /// process would: ffmpeg gives each libx264 1.5 threads per core, shared here among the renditions, which encode at
    /// the same time.
    /// </summary>
    public static int EncoderThreads(int cores, int renditions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(renditions, 1);
        if (cores < 1) return DefaultEncoderThreads;
        return Math.Clamp((int)Math.Round(1.5 * cores / renditions, MidpointRounding.AwayFromZero), 1, MaxEncoderThreads);
    }

    /// <summary>
    /// A segment length giving each of <paramref name="slots"/> concurrent segment slots (nodes × segments each runs
    /// at once; 1 in-process) about two segments, so a slow node's last segment does not hold up the job, within
    /// <see cref="MinAutoSegmentSeconds"/>–<see cref="MaxAutoSegmentSeconds"/>.
    /// </summary>
    public static double SegmentSeconds(double durationSeconds, int slots)
    {
        if (!(durationSeconds > 0)) return MinAutoSegmentSeconds;
        double seconds = durationSeconds / (2.0 * Math.Max(1, slots));
        return Math.Clamp(Math.Round(seconds, 1), MinAutoSegmentSeconds, MaxAutoSegmentSeconds);
    }
}
