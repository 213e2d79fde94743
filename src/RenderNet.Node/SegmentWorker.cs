using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using RenderNet.Core.Media;
using RenderNet.Media;
using RenderNet.Protocol;
using RenderNet.Vulkan;

namespace RenderNet.Node;

/// <summary>
/// The node's transcode side: receives a segment into a private temporary directory, checks it against the announced
/// size and hash, runs <see cref="SegmentTranscoder"/> on the node's device, and streams each rendition back with its
/// hash. Exists only where ffmpeg is installed.
/// </summary>
public sealed class SegmentWorker
{
    /// <summary>Bump when CPU-side code that decides transcode bytes changes without a kernel change.</summary>
    public const string TranscodeCodeVersion = "transcode-1";
    /// <summary>Prefix of the private temporary directory of each segment (swept at start: a crash leaves them behind).</summary>
    public const string TempPrefix = "rendernet-segment-";

    /// <summary>Deletes segment directories a previous process left behind (it crashed, or was killed).</summary>
    public static int SweepLeftovers()
    {
        int swept = 0;
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), TempPrefix + "*"))
        {
            try { Directory.Delete(dir, recursive: true); swept++; }
            catch (IOException) { } // in use by another node process on this machine
            catch (UnauthorizedAccessException) { }
        }
        return swept;
    }

    readonly FfmpegTools tools;
    readonly TileRenderer renderer;

    SegmentWorker(FfmpegTools tools, TileRenderer renderer, string fingerprint)
    {
        this.tools = tools;
        this.renderer = renderer;
        Fingerprint = fingerprint;
    }

    /// <summary>
    /// SHA-256 over the transcode kernels' SPIR-V, this code's version and a probe encode with the pinned x264 settings.
    /// No device identity: the kernels are integer-exact, so any conformant device writes the same bytes.
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>A worker, or the reason this node cannot transcode (no ffmpeg).</summary>
    public static async Task<(SegmentWorker? Worker, string? Reason)> TryCreateAsync(TileRenderer renderer)
    {
        try
        {
            var tools = FfmpegTools.Locate();
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var kernel in ShaderLibrary.Transcode) sha.AppendData(ShaderLibrary.Load(kernel));
            sha.AppendData(Encoding.UTF8.GetBytes($"|{TranscodeCodeVersion}|{await tools.EncoderFingerprintAsync()}"));
            return (new SegmentWorker(tools, renderer, Convert.ToHexStringLower(sha.GetHashAndReset())), null);
        }
        catch (MediaException ex)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>Receives the segment's bytes (the first message's and the rest of the stream) into <paramref name="path"/>.</summary>
    public static async Task ReceiveAsync(SegmentUpload first, IAsyncStreamReader<SegmentUpload> rest, SegmentHeader header, string path, CancellationToken cancellation)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var pace = StreamPace.Default();
        long received = 0;
        await using (var file = File.Create(path))
        {
            async Task Append(ByteString data)
            {
                received += data.Length;
                if (received > (long)header.InputBytes)
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"the segment is longer than the announced {header.InputBytes:N0} bytes"));
                sha.AppendData(data.Span);
                await file.WriteAsync(data.Memory, cancellation);
                pace.Received(data.Length);
            }
            await Append(first.Data);
            while (await pace.MoveNextAsync(rest, cancellation)) await Append(rest.Current.Data);
        }
        if (received != (long)header.InputBytes)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"the segment upload ended after {received:N0} of {header.InputBytes:N0} bytes"));
        var actual = Convert.ToHexStringLower(sha.GetHashAndReset());
        if (!string.Equals(actual, header.InputSha256, StringComparison.OrdinalIgnoreCase))
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"the segment bytes hash to {actual}, not the announced {header.InputSha256}"));
    }

    /// <summary>Transcodes a received segment and streams every rendition back, in order.</summary>
    /// <param name="onFirstOutput">Called once, just before the first output byte is sent.</param>
    /// <param name="sign">Signs the segment's content hash (<see cref="ResultClaims.SegmentContent"/>) with the node's key, or null (no key).</param>
    public async Task TranscodeAsync(SegmentSpec spec, string input, string workDirectory, IServerStreamWriter<SegmentOutput> replies, NodeFault fault,
        CancellationToken cancellation, Action? onFirstOutput = null, Func<string, string, string>? sign = null)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<RenditionSegment> outputs;
        try
        {
            outputs = await SegmentTranscoder.RunAsync(tools, spec, input, Path.Combine(workDirectory, "out"), renderer.Scalers, cancellation);
        }
        catch (MediaException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message, ex));
        }
        catch (VulkanException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message, ex));
        }
        double seconds = watch.Elapsed.TotalSeconds;
        // Every rendition first: the signature, in the last message, covers the hash of all of them as sent.
        var sent = new List<(byte[] Bytes, string Hash)>();
        foreach (var o in outputs)
        {
            var bytes = o.Path is null ? [] : await File.ReadAllBytesAsync(o.Path, cancellation);
            sent.Add(ApplyFault(fault, bytes, Convert.ToHexStringLower(SHA256.HashData(bytes))));
        }
        string signature = sign?.Invoke(ResultClaims.SegmentContent(sent.Where((_, i) => outputs[i].Frames > 0).Select(s => Convert.ToHexStringLower(SHA256.HashData(s.Bytes)))), Fingerprint) ?? "";
        for (int i = 0; i < outputs.Count; i++)
        {
            var o = outputs[i];
            var (bytes, hash) = sent[i];
            for (int offset = 0; offset < bytes.Length || offset == 0; offset += SegmentMessages.ChunkBytes)
            {
                var reply = new SegmentOutput { Rendition = fault == NodeFault.BadRendition ? uint.MaxValue : (uint)i, Data = ByteString.CopyFrom(bytes, offset, Math.Min(SegmentMessages.ChunkBytes, bytes.Length - offset)) };
                if (i == 0 && offset == 0) onFirstOutput?.Invoke();
                if (offset == 0)
                {
                    reply.TotalBytes = fault == NodeFault.HugeTotalBytes ? 1UL << 50 : (ulong)bytes.Length;
                    reply.Sha256 = hash;
                    reply.Frames = (uint)o.Frames;
                    reply.TranscodeSeconds = fault == NodeFault.NaNSeconds ? double.NaN : seconds;
                    reply.TranscodeFingerprint = Fingerprint;
                }
                bool last = i == outputs.Count - 1 && (bytes.Length == 0 || offset + SegmentMessages.ChunkBytes >= bytes.Length);
                if (last) reply.Signature = signature;
                await replies.WriteAsync(reply, cancellation);
                if (bytes.Length == 0) break;
            }
        }
    }

    /// <summary>Lying nodes for the coordinator's tests: a damaged file with a matching hash, a bad hash, a truncated file.</summary>
    static (byte[] Bytes, string Hash) ApplyFault(NodeFault fault, byte[] bytes, string hash)
    {
        switch (fault)
        {
            case NodeFault.BadHash:
                return (bytes, new string('0', 64));
            case NodeFault.CorruptPixels when bytes.Length > 0:
                var damaged = (byte[])bytes.Clone();
                for (int i = damaged.Length / 3; i < damaged.Length; i += 7) damaged[i] ^= 0x5A;
                return (damaged, Convert.ToHexStringLower(SHA256.HashData(damaged)));
            case NodeFault.WrongSize when bytes.Length > 0:
                var cut = bytes[..(bytes.Length / 2)];
                return (cut, Convert.ToHexStringLower(SHA256.HashData(cut)));
            default:
                return (bytes, hash);
        }
    }
}
