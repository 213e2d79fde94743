namespace RenderNet.Media;

/// <summary>
/// ffmpeg input options for files another party wrote. Left to itself ffmpeg probes a file's content to choose a
/// demuxer, so a "segment" that is really an HLS playlist makes it open and read whatever local files the playlist
/// names. Each option list forces the one container the file must be, allows only the local-file protocol, and (for
/// decoding) only common video decoders.
/// </summary>
public static class UntrustedInput
{
    /// <summary>Video decoders a segment may need: the formats studios deliver, nothing exotic.</summary>
    public const string VideoDecoders =
        "h264,hevc,vp8,vp9,av1,libdav1d,libaom-av1,mpeg1video,mpeg2video,mpeg4,msmpeg4v3,prores,dnxhd,mjpeg,png,ffv1,rawvideo,theora,vc1,wmv3,h263,huffyuv,utvideo,qtrle,cfhd,v210";

    /// <summary>A transcode segment as the coordinator's splitter writes it: Matroska only, decoded by a known video decoder.</summary>
    public static IReadOnlyList<string> MatroskaSegment { get; } =
        ["-f", "matroska", "-format_whitelist", "matroska,webm", "-protocol_whitelist", "file", "-codec_whitelist", VideoDecoders];

    /// <summary>A rendition segment a node sent back: MP4 only (checked to start with an <c>ftyp</c> box first).</summary>
    public static IReadOnlyList<string> Mp4 { get; } = ["-f", "mp4", "-format_whitelist", "mov,mp4,m4a,3gp,3g2,mj2", "-protocol_whitelist", "file"];

    /// <summary>
    /// Whether a file starts with an ISO-BMFF <c>ftyp</c> box. ffmpeg's MP4 probe scores such a file highest, so no other
    /// demuxer (HLS, concat, image sequences) can claim it later, when a join probes it again.
    /// </summary>
    public static bool StartsWithFtyp(string path)
    {
        Span<byte> head = stackalloc byte[12];
        using var file = File.OpenRead(path);
        if (file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length) return false;
        uint size = (uint)(head[0] << 24 | head[1] << 16 | head[2] << 8 | head[3]);
        return head[4] == 'f' && head[5] == 't' && head[6] == 'y' && head[7] == 'p' && size >= 16;
    }
}
