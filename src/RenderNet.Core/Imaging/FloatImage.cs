using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace RenderNet.Core.Imaging;

/// <summary>A linear-light RGBA32F image, rows top to bottom, 4 floats per pixel.</summary>
public sealed class FloatImage
{
    public int Width { get; }
    public int Height { get; }
    public float[] Pixels { get; }

    public FloatImage(int width, int height, float[]? pixels = null)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        pixels ??= new float[checked(width * height * 4)];
        if (pixels.Length != width * height * 4) throw new ArgumentException($"expected {width * height * 4} floats, got {pixels.Length}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public (float R, float G, float B, float A) this[int x, int y]
    {
        get
        {
            int i = 4 * (y * Width + x);
            return (Pixels[i], Pixels[i + 1], Pixels[i + 2], Pixels[i + 3]);
        }
    }

    /// <summary>SHA-256 of the raw little-endian float bytes: equal hashes mean bit-identical images.</summary>
    public string ContentHash() => Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(Pixels.AsSpan())));

    /// <summary>True when every float is bit-identical (NaN payloads and signed zeros included).</summary>
    public bool BitEquals(FloatImage other) =>
        Width == other.Width && Height == other.Height &&
        MemoryMarshal.AsBytes(Pixels.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(other.Pixels.AsSpan()));
}
