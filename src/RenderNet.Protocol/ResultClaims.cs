using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;

namespace RenderNet.Protocol;

/// <summary>
/// What a node's result signature covers, each field 32 bytes, computed the same way by the node that signs and the
/// coordinator that checks: the job; the spec — everything in the request that decides the result (the request with
/// its rectangle, job, index and channel cleared), so a spot check of the same work has the same spec; the unit (the
/// rectangle); the result (the hash a spot check compares: pixels and samples); the pipeline fingerprint.
/// </summary>
public static class ResultClaims
{
    public static byte[] Job(string jobId) => Hash(jobId);

    public static byte[] TileSpec(TileRequest request)
    {
        var spec = request.Clone();
        spec.X = spec.Y = spec.Width = spec.Height = 0;
        spec.JobId = "";
        spec.TileIndex = 0;
        spec.PaymentChannel = "";
        return SHA256.HashData(spec.ToByteArray());
    }

    public static byte[] TileUnit(TileRequest request) => Hash($"tile:{request.X},{request.Y},{request.Width},{request.Height}");

    /// <summary>The content a spot check compares: the pixels' SHA-256 (lower-case hex) and the samples they took.</summary>
    public static string TileContent(string pixelsSha256, ulong pixelSamples) => $"{pixelsSha256.ToLowerInvariant()}/{pixelSamples}";

    public static byte[] Result(string content) => Hash(content);

    public static byte[] Pipeline(string fingerprint) => Hash(fingerprint);

    /// <summary>Every field of a tile's claim: (job, spec, unit, result, pipeline).</summary>
    public static (byte[] Job, byte[] Spec, byte[] Unit, byte[] Result, byte[] Pipeline) ForTile(TileRequest request, string content, string fingerprint) =>
        (Job(request.JobId), TileSpec(request), TileUnit(request), Result(content), Pipeline(fingerprint));

    /// <summary>A segment's spec: the header without what is per attempt (job, index, channel) or per unit (its frames and input).</summary>
    public static byte[] SegmentSpec(SegmentHeader header)
    {
        var spec = header.Clone();
        spec.JobId = "";
        spec.SegmentIndex = 0;
        spec.PaymentChannel = "";
        spec.FirstFrame = 0;
        spec.Frames = 0;
        spec.InputBytes = 0;
        spec.InputSha256 = "";
        return SHA256.HashData(spec.ToByteArray());
    }

    /// <summary>A segment: which frames of which input bytes.</summary>
    public static byte[] SegmentUnit(SegmentHeader header) => Hash($"segment:{header.FirstFrame},{header.Frames}:{header.InputSha256.ToLowerInvariant()}");

    /// <summary>The content a spot check compares for a segment: one hash over its renditions' (those that keep frames), in order.</summary>
    public static string SegmentContent(IEnumerable<string> renditionSha256s) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(string.Concat(renditionSha256s.Select(h => h.ToLowerInvariant() + "|")))));

    /// <summary>Every field of a segment's claim: (job, spec, unit, result, pipeline).</summary>
    public static (byte[] Job, byte[] Spec, byte[] Unit, byte[] Result, byte[] Pipeline) ForSegment(SegmentHeader header, string content, string fingerprint) =>
        (Job(header.JobId), SegmentSpec(header), SegmentUnit(header), Result(content), Pipeline(fingerprint));

    static byte[] Hash(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));
}
