using RenderNet.Core.Media;

namespace RenderNet.Media;

/// <summary>One rendition of one segment: an MP4 file and the frames in it (absent when the rendition keeps no frame of the segment).</summary>
public sealed record RenditionSegment(Rendition Rendition, string? Path, int Frames);

/// <summary>
/// The node's pipeline for one segment: ffmpeg decodes to yuv420p through a pipe; each frame goes up to the device once
/// and comes back as one frame per rendition (<see cref="IVideoFrameScaler"/>); each rendition streams into its own
/// pinned libx264 encoder. The stages overlap: while frame N streams into the encoders, frame N+1 is scaled and frame
/// N+2 decoded (two sets of output frames take turns), so a segment takes about as long as its slowest stage, not
/// the sum of them.
/// </summary>
public static class SegmentTranscoder
{
    public static async Task<IReadOnlyList<RenditionSegment>> RunAsync(FfmpegTools tools, SegmentSpec spec, string input, string outputDirectory,
        VideoFrameScalerFactory scalers, CancellationToken cancellation = default)
    {
        spec.Validate();
        Directory.CreateDirectory(outputDirectory);
        var decode = DecodeFormat.For(spec.PixelFormat, spec.ColorSpace, spec.ColorRange, spec.Height);
        var renditions = spec.Renditions;
        var layouts = renditions.Select(r => new Yuv420Layout(r.Width, r.Height)).ToList();
        // Two sets of output frames: the scaler fills one while the encoders still read the other.
        var outputSets = new[] { layouts.Select(l => new byte[l.FrameBytes]).ToList(), layouts.Select(l => new byte[l.FrameBytes]).ToList() };
        var paths = renditions.Select((r, i) => spec.KeptFrames(r) > 0 ? TranscodeJob.RenditionFile(outputDirectory, i, r) : null).ToList();
        var wantedSets = new[] { new bool[renditions.Count], new bool[renditions.Count] };
        var encoders = new H264SegmentEncoder?[renditions.Count];
        using var decoder = FfmpegProcess.Start(tools.Ffmpeg,
            ["-v", "error", "-nostdin", .. UntrustedInput.MatroskaSegment, "-i", input, "-map", "0:v:0", "-fps_mode", "passthrough", .. decode.Arguments, "-f", "rawvideo", "pipe:1"],
            "decoding the segment", redirectInput: false, redirectOutput: true);
        try
        {
            for (int i = 0; i < renditions.Count; i++)
                if (paths[i] is { } path)
                    encoders[i] = H264SegmentEncoder.Start(tools, renditions[i], spec.Rate.DividedBy(renditions[i].FrameRateDivisor), path, spec.EncoderThreads);
            using var scaler = scalers(spec.Layout, decode.Colors, layouts);
            var stdout = decoder.Process.StandardOutput.BaseStream;
            var current = new byte[spec.Layout.FrameBytes];
            var next = new byte[spec.Layout.FrameBytes];
            var read = ReadFrameAsync(stdout, current, cancellation);
            var writing = Task.CompletedTask;
            int decoded = 0;
            while (await read)
            {
                if (decoded == spec.Frames)
                    throw new MediaException($"the segment decodes to more than the {spec.Frames} frames it was announced with");
                (current, next) = (next, current);
                read = ReadFrameAsync(stdout, current, cancellation); // decode ahead while this frame is scaled and encoded
                long index = spec.FirstFrame + decoded;
                var (outputs, wanted) = (outputSets[decoded & 1], wantedSets[decoded & 1]);
                for (int i = 0; i < wanted.Length; i++) wanted[i] = index % renditions[i].FrameRateDivisor == 0;
                var frame = next;
                await Task.Run(() => scaler.Scale(frame, outputs, wanted), cancellation); // while the previous frame is encoded
                await writing; // the encoders have taken the previous frame: its output set is free again, and frames stay in order
                writing = Task.WhenAll(encoders.Select((e, i) => e is not null && wanted[i] ? e.WriteFrameAsync(outputs[i], cancellation) : Task.CompletedTask));
                decoded++;
            }
            await writing;
            await decoder.WaitAsync(cancellation);
            if (decoded != spec.Frames)
                throw new MediaException($"the segment decoded to {decoded} frames, not the {spec.Frames} it holds: the input is damaged or has open GOPs across segment cuts");
            await Task.WhenAll(encoders.Where(e => e is not null).Select(e => e!.CompleteAsync(cancellation)));
            return renditions.Select((r, i) => new RenditionSegment(r, paths[i], spec.KeptFrames(r))).ToList();
        }
        catch
        {
            foreach (var e in encoders) e?.Abort();
            throw;
        }
    }

    /// <summary>Reads one whole frame; false at a clean end of stream.</summary>
    static async Task<bool> ReadFrameAsync(Stream stream, byte[] frame, CancellationToken cancellation)
    {
        int filled = 0;
        while (filled < frame.Length)
        {
            int n = await stream.ReadAsync(frame.AsMemory(filled), cancellation);
            if (n == 0)
            {
                if (filled == 0) return false;
                throw new MediaException($"the decoder stopped mid-frame ({filled} of {frame.Length} bytes)");
            }
            filled += n;
        }
        return true;
    }
}
