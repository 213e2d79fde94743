using RenderNet.Core.Media;

namespace RenderNet.Protocol;

/// <summary>The one mapping between a <see cref="SegmentSpec"/> and its wire header, used by both ends.</summary>
public static class SegmentMessages
{
    public const int ChunkBytes = 1 << 20;

    public static SegmentHeader ToHeader(SegmentSpec spec, string jobId, int segmentIndex, long inputBytes, string inputSha256, string paymentChannel)
    {
        var header = new SegmentHeader
        {
            JobId = jobId,
            SegmentIndex = (uint)segmentIndex,
            Width = (uint)spec.Width,
            Height = (uint)spec.Height,
            PixelFormat = spec.PixelFormat,
            ColorSpace = spec.ColorSpace ?? "",
            ColorRange = spec.ColorRange ?? "",
            RateNumerator = (uint)spec.Rate.Numerator,
            RateDenominator = (uint)spec.Rate.Denominator,
            FirstFrame = (ulong)spec.FirstFrame,
            Frames = (uint)spec.Frames,
            InputBytes = (ulong)inputBytes,
            InputSha256 = inputSha256,
            PaymentChannel = paymentChannel,
            EncoderThreads = (uint)spec.EncoderThreads,
        };
        header.Renditions.AddRange(spec.Renditions.Select(r => new Protocol.Rendition
        {
            Name = r.Name, Width = (uint)r.Width, Height = (uint)r.Height, Crf = (uint)r.Crf, BitrateKbps = (uint)r.BitrateKbps,
            FrameRateDivisor = (uint)r.FrameRateDivisor,
        }));
        return header;
    }

    /// <summary>The spec a header describes; throws <see cref="ArgumentException"/> naming what is wrong with it.</summary>
    public static SegmentSpec FromHeader(SegmentHeader header)
    {
        if (header.RateNumerator == 0 || header.RateDenominator == 0 || header.RateNumerator > 1_000_000 || header.RateDenominator > 1_000_000)
            throw new ArgumentException($"frame rate {header.RateNumerator}/{header.RateDenominator} is out of range");
        if (header.Frames == 0 || header.Frames > 1_000_000) throw new ArgumentException($"a segment of {header.Frames} frames is out of range");
        if (header.Renditions.Count is 0 or > 16) throw new ArgumentException($"{header.Renditions.Count} renditions: give 1 to 16");
        var renditions = header.Renditions.Select(r =>
        {
            // Names become parts of file names on the node: letters, digits, '_' and '-' only, never a path.
            if (r.Name.Length is 0 or > 32 || !r.Name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-'))
                throw new ArgumentException($"rendition name '{(r.Name.Length > 32 ? r.Name[..32] + "…" : r.Name)}' must be 1-32 letters, digits, '_' or '-'");
            if (r.Crf > 51 || r.BitrateKbps > 500_000 || r.FrameRateDivisor is 0 or > 16 || r.Width > int.MaxValue || r.Height > int.MaxValue)
                throw new ArgumentException($"rendition {r.Name}: settings out of range");
            return new Core.Media.Rendition(r.Name, (int)r.Width, (int)r.Height, (int)r.Crf, (int)r.BitrateKbps, (int)r.FrameRateDivisor);
        }).ToList();
        if (header.Width > int.MaxValue || header.Height > int.MaxValue || header.FirstFrame > int.MaxValue)
            throw new ArgumentException("source size out of range");
        if (header.EncoderThreads > TranscodeParallelism.MaxEncoderThreads)
            throw new ArgumentException($"encoder threads {header.EncoderThreads} is out of range (1–{TranscodeParallelism.MaxEncoderThreads})");
        var spec = new SegmentSpec((int)header.Width, (int)header.Height, header.PixelFormat,
            header.ColorSpace.Length > 0 ? header.ColorSpace : null, header.ColorRange.Length > 0 ? header.ColorRange : null,
            new FrameRate((int)header.RateNumerator, (int)header.RateDenominator), (long)header.FirstFrame, (int)header.Frames, renditions,
            header.EncoderThreads == 0 ? TranscodeParallelism.DefaultEncoderThreads : (int)header.EncoderThreads);
        spec.Validate();
        return spec;
    }
}
