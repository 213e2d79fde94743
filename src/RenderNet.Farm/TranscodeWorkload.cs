using System.Collections.Concurrent;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using RenderNet.Core.Media;
using RenderNet.Media;
using RenderNet.Protocol;

namespace RenderNet.Farm;

/// <summary>
/// The segments of a transcode job as farm work: each segment (with all its renditions) goes to one node, comes back
/// as one MP4 per rendition, and is accepted only when every file matches its hash and demuxes as H.264 of the right
/// size with the right number of frames, starting at a keyframe. A segment is priced by its output pixels.
/// </summary>
public sealed class TranscodeWorkload : FarmWorkload
{
    readonly TranscodeJob job;
    readonly FfmpegTools tools;
    readonly string jobId;
    readonly ConcurrentDictionary<int, IReadOnlyList<RenditionSegment>> results = new();

    sealed record SegmentDelivery(double Seconds, long Size, string Directory, IReadOnlyList<RenditionSegment> Renditions, string Hash,
        SegmentHeader Header, string Fingerprint, string NodeSignature) : FarmDelivery(Seconds, Size)
    {
        /// <summary>Honest nodes write byte-identical renditions (pinned x264): one hash over all of them is a perfect spot check.</summary>
        public override string? ContentHash => Hash;

        public override RenderNet.Payments.WorkResult Claim
        {
            get
            {
                var (job, spec, unit, result, pipeline) = ResultClaims.ForSegment(Header, Hash, Fingerprint);
                return new RenderNet.Payments.WorkResult(job, spec, unit, result, pipeline);
            }
        }

        public override string Signature => NodeSignature;
    }

    readonly TranscodeJournal? journal;

    /// <param name="journal">Where the farm journals payments and this workload who delivered each segment.</param>
    public TranscodeWorkload(TranscodeJob job, FfmpegTools tools, string jobId, TranscodeJournal? journal = null)
    {
        this.journal = journal;
        this.job = job;
        this.tools = tools;
        this.jobId = jobId;
    }

    /// <summary>Every accepted segment's rendition files, by segment index: what <see cref="TranscodeJob.PackageAsync"/> joins.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<RenditionSegment>> Results => results;

    public override string JobId => jobId;
    public override string JobKind => "transcode";
    public override int Count => job.Segments.Count;
    public override int PriceUnitsOf(int unit) => job.SpecFor(job.Segments[unit]).PriceUnits;
    public override string FingerprintOf(Capabilities caps) => caps.TranscodeFingerprint;

    /// <summary>
    /// x264 threads for the job from the fewest cores among its nodes; when any node does not say, the count older
    /// coordinators used (<see cref="TranscodeParallelism.DefaultEncoderThreads"/>).
    /// </summary>
    public override void Plan(IReadOnlyList<Capabilities> nodes)
    {
        var cores = nodes.Select(c => NodeReported.Cores(c.CpuCores)).ToList();
        job.ChooseEncoderThreads(cores.Count == 0 || cores.Contains(0) ? 0 : cores.Min());
    }

    public override long WorkOf(int unit)
    {
        var spec = job.SpecFor(job.Segments[unit]);
        return spec.Renditions.Sum(r => r.PixelsPerFrame * spec.KeptFrames(r));
    }

    /// <summary>Renditions come back in chunks of <see cref="SegmentMessages.ChunkBytes"/>.</summary>
    public override int MaxReplyBytes => SegmentMessages.ChunkBytes + (64 << 10);

    public override Task<string?> PrepareAsync(INodeConnection node, Capabilities caps, DateTime deadline, CancellationToken cancellation)
    {
        long largest = job.Segments.Max(s => new FileInfo(s.Path).Length);
        return Task.FromResult(largest > (long)caps.MaxSegmentBytes
            ? $"the largest segment ({largest:N0} bytes) exceeds its limit of {caps.MaxSegmentBytes:N0} bytes"
            : null);
    }

    public override async Task<FarmDelivery> RunAsync(INodeConnection node, int unit, string paymentChannel, DateTime deadline, CancellationToken cancellation)
    {
        var segment = job.Segments[unit];
        var spec = job.SpecFor(segment);
        var directory = $"{job.SegmentDirectory(unit)}.{Guid.NewGuid():N}";
        Directory.CreateDirectory(directory);
        try
        {
            var input = await File.ReadAllBytesAsync(segment.Path, cancellation);
            using var call = node.TranscodeSegment(deadline, cancellation);
            var header = SegmentMessages.ToHeader(spec, jobId, unit, input.Length, Convert.ToHexStringLower(SHA256.HashData(input)), paymentChannel);
            for (int offset = 0; offset < input.Length || offset == 0; offset += SegmentMessages.ChunkBytes)
            {
                var message = new SegmentUpload
                {
                    ProtocolVersion = ProtocolVersion.Current,
                    Data = ByteString.CopyFrom(input, offset, Math.Min(SegmentMessages.ChunkBytes, input.Length - offset)),
                };
                if (offset == 0) message.Header = header;
                await call.RequestStream.WriteAsync(message, cancellation);
                if (input.Length == 0) break;
            }
            await call.RequestStream.CompleteAsync();

            var files = new (string Path, ulong Size, string Sha256, uint Frames, FileStream? Stream, long Received)[spec.Renditions.Count];
            double seconds = 0;
            long total = 0;
            int current = -1;
            string signature = "", fingerprint = "";
            try
            {
                await foreach (var reply in call.ResponseStream.ReadAllAsync(cancellation))
                {
                    if (reply.Rendition >= (uint)files.Length || (int)reply.Rendition < current)
                        throw new InvalidDataException($"reply for rendition {reply.Rendition} out of order (the segment has {files.Length})");
                    int r = (int)reply.Rendition;
                    if (r != current)
                    {
                        current = r;
                        long most = MaxRenditionBytes(spec, spec.Renditions[r]);
                        if (reply.TotalBytes > (ulong)most)
                            throw new InvalidDataException($"{spec.Renditions[r].Name}: the node announces {reply.TotalBytes:N0} bytes, more than {most:N0} for its frames");
                        var path = TranscodeJob.RenditionFile(directory, r, spec.Renditions[r]);
                        files[r] = (path, reply.TotalBytes, reply.Sha256, reply.Frames, reply.TotalBytes > 0 ? File.Create(path) : null, 0);
                        seconds = NodeReported.Seconds(reply.TranscodeSeconds, $"segment {unit}");
                    }
                    if (reply.TranscodeFingerprint.Length > 0) fingerprint = reply.TranscodeFingerprint;
                    if (reply.Signature.Length > 0) signature = reply.Signature;
                    ref var f = ref files[r];
                    f.Received += reply.Data.Length;
                    if ((ulong)f.Received > f.Size) throw new InvalidDataException($"{spec.Renditions[r].Name}: more bytes than the announced {f.Size:N0}");
                    if (f.Stream is not null) await f.Stream.WriteAsync(reply.Data.Memory, cancellation);
                }
            }
            finally
            {
                foreach (var f in files) f.Stream?.Dispose();
            }

            var renditions = new List<RenditionSegment>();
            var hashes = new List<string>();
            for (int r = 0; r < files.Length; r++)
            {
                var rendition = spec.Renditions[r];
                var f = files[r];
                int expected = spec.KeptFrames(rendition);
                if (f.Path is null) throw new InvalidDataException($"{rendition.Name}: no output came back");
                if ((ulong)f.Received != f.Size) throw new InvalidDataException($"{rendition.Name}: {f.Received:N0} of {f.Size:N0} bytes arrived");
                if (f.Frames != expected) throw new InvalidDataException($"{rendition.Name}: the node reports {f.Frames} frames, the segment keeps {expected}");
                if (expected == 0)
                {
                    renditions.Add(new RenditionSegment(rendition, null, 0));
                    continue;
                }
                var actual = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(f.Path, cancellation)));
                hashes.Add(actual);
                if (actual != f.Sha256) throw new InvalidDataException($"{rendition.Name}: the bytes hash to {actual[..12]}…, not the announced {f.Sha256[..Math.Min(12, f.Sha256.Length)]}…");
                try { await RenditionCheck.VerifyAsync(tools, f.Path, rendition, expected, cancellation); }
                catch (MediaException ex) { throw new InvalidDataException(ex.Message); }
                renditions.Add(new RenditionSegment(rendition, f.Path, expected));
                total += f.Received;
            }
            return new SegmentDelivery(seconds, total, directory, renditions, ResultClaims.SegmentContent(hashes), header, fingerprint, signature);
        }
        catch
        {
            TryDelete(directory);
            throw;
        }
    }

    /// <summary>
    /// The most bytes one rendition of a segment may take: twice its raw 4:2:0 frames plus 1 MiB of container. x264 never
    /// comes near it (even lossless noise stays below raw size); it only stops a node from filling the coordinator's disk.
    /// </summary>
    static long MaxRenditionBytes(Core.Media.SegmentSpec spec, Core.Media.Rendition rendition) =>
        (long)spec.KeptFrames(rendition) * rendition.PixelsPerFrame * 3 + (1 << 20);

    public override void Accept(int unit, string node, FarmDelivery delivery)
    {
        var segment = (SegmentDelivery)delivery;
        results[unit] = job.Keep(unit, segment.Directory, segment.Renditions);
        journal?.SaveSegment(unit, node);
    }

    /// <summary>Segments an earlier run of the job finished (see <see cref="TranscodeJob.FinishedSegments"/>).</summary>
    public override IEnumerable<(int Unit, string Node, long Bytes)> Restore()
    {
        foreach (var (unit, files) in job.FinishedSegments())
        {
            results[unit] = files;
            yield return (unit, "an earlier run", files.Where(f => f.Path is not null).Sum(f => new FileInfo(f.Path!).Length));
        }
    }

    public override void Retract(int unit)
    {
        results.TryRemove(unit, out _);
        job.Forget(unit);
    }

    public override void Discard(FarmDelivery delivery) => TryDelete(((SegmentDelivery)delivery).Directory);

    static void TryDelete(string directory)
    {
        try { if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
    }
}
