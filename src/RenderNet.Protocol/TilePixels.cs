using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Google.Protobuf;
using RenderNet.Core.Tiles;

namespace RenderNet.Protocol;

/// <summary>
/// Tile pixels on the wire: RGBA32F little-endian (then the frame's render passes, planar), zlib-compressed (BCL's ZLibStream), with a SHA-256 of the raw bytes
/// so the receiver can tell a corrupt or substituted tile from a good one.
/// </summary>
public static class TilePixels
{
    public static string Sha256(ReadOnlySpan<float> pixels) =>
        Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(pixels)));

    public static ByteString Compress(ReadOnlySpan<float> pixels)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
            z.Write(MemoryMarshal.AsBytes(pixels));
        return ByteString.CopyFrom(output.GetBuffer(), 0, (int)output.Length);
    }

    /// <summary>Decodes and checks a tile result against the rectangle that was asked for.</summary>
    /// <exception cref="InvalidDataException">Wrong size, undecodable data or a hash that does not match, with the reason.</exception>
    /// <param name="floatsPerPixel">4, or the frame's <see cref="Core.Rendering.FrameSettings.FloatsPerPixel"/> with render passes: the size is ours, never the sender's.</param>
    public static float[] Decode(TileResult result, TileRect expected, int floatsPerPixel = 4)
    {
        if (result.Width != expected.Width || result.Height != expected.Height)
            throw new InvalidDataException($"tile {expected} came back as {result.Width}x{result.Height}");
        int byteCount = checked(expected.PixelCount * floatsPerPixel * 4);
        var pixels = new float[checked(expected.PixelCount * floatsPerPixel)];
        var bytes = MemoryMarshal.AsBytes(pixels.AsSpan());
        bool trailing;
        try
        {
            using var z = new ZLibStream(new MemoryStream(result.PixelsZlib.ToByteArray()), CompressionMode.Decompress);
            z.ReadExactly(bytes);
            trailing = z.ReadByte() != -1;
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException)
        {
            throw new InvalidDataException($"tile {expected} pixels cannot be decoded: {ex.Message}", ex);
        }
        if (trailing) throw new InvalidDataException($"tile {expected} carries more than {byteCount} bytes of pixels");
        string hash = Sha256(pixels);
        if (!string.Equals(hash, result.PixelsSha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"tile {expected} pixels hash to {hash[..12]}… but the node claimed {Short(result.PixelsSha256)}");
        return pixels;
    }

    static string Short(string s) => s.Length > 12 ? s[..12] + "…" : s;
}
