namespace RenderNet.Core.Media;

/// <summary>
/// Everything a node needs to transcode one segment: the source stream's format (as probed by the coordinator), which
/// frames of the input the segment holds, the renditions to make, and x264's thread count for them (the bytes depend
/// on it: see <see cref="TranscodeParallelism"/>).
/// </summary>
public sealed record SegmentSpec(int Width, int Height, string PixelFormat, string? ColorSpace, string? ColorRange, FrameRate Rate,
    long FirstFrame, int Frames, IReadOnlyList<Rendition> Renditions, int EncoderThreads = TranscodeParallelism.DefaultEncoderThreads)
{
    public Yuv420Layout Layout => new(Width, Height);
    public int KeptFrames(Rendition r) => TranscodePricing.KeptFrames(FirstFrame, Frames, r.FrameRateDivisor);
    public int PriceUnits => TranscodePricing.Units(Renditions, Frames, FirstFrame);

    public void Validate()
    {
        if (Width is < 2 or > Rendition.MaxWidth * 2 || Height is < 2 or > Rendition.MaxHeight * 2)
            throw new ArgumentException($"source size {Width}x{Height} is out of range");
        if (Frames <= 0 || FirstFrame < 0) throw new ArgumentException("a segment must hold at least one frame");
        if (Renditions.Count == 0) throw new ArgumentException("a segment needs at least one rendition");
        if (EncoderThreads is < 1 or > TranscodeParallelism.MaxEncoderThreads)
            throw new ArgumentException($"encoder threads {EncoderThreads} is out of range (1–{TranscodeParallelism.MaxEncoderThreads})");
        foreach (var r in Renditions)
            if (r.Width % 2 != 0 || r.Height % 2 != 0 || r.Width is < Rendition.MinSize or > Rendition.MaxWidth || r.Height is < Rendition.MinSize or > Rendition.MaxHeight)
                throw new ArgumentException($"rendition {r.Name} is {r.Width}x{r.Height}: sizes must be even, {Rendition.MinSize}–{Rendition.MaxWidth} wide and {Rendition.MinSize}–{Rendition.MaxHeight} high");
    }
}
