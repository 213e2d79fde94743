using System.Runtime.InteropServices;
using System.Security.Cryptography;
using RenderNet.Core.Rendering;

namespace RenderNet.Core.Imaging;

/// <summary>One render pass of a frame: <see cref="RenderPassInfo.ChannelCount"/> floats per pixel, rows top to bottom.</summary>
public sealed class PassImage
{
    public RenderPassInfo Info { get; }
    public int Width { get; }
    public int Height { get; }
    public float[] Values { get; }
    public int Channels => Info.ChannelCount;

    public PassImage(RenderPassInfo info, int width, int height, float[]? values = null)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        long count = (long)width * height * info.ChannelCount;
        values ??= new float[checked((int)count)];
        if (values.Length != count) throw new ArgumentException($"the {info.Name} pass of {width}x{height} needs {count} floats, got {values.Length}", nameof(values));
        Info = info;
        Width = width;
        Height = height;
        Values = values;
    }

    /// <summary>SHA-256 of the raw little-endian float bytes: equal hashes mean bit-identical passes.</summary>
    public string ContentHash() => Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(Values.AsSpan())));

    /// <summary>Splits a planar frame or tile (beauty RGBA, then the passes; see <see cref="RenderPassLayout"/>) into its beauty and pass images.</summary>
    public static (FloatImage Beauty, IReadOnlyList<PassImage> Passes) Split(int width, int height, RenderPasses passes, ReadOnlySpan<float> planar)
    {
        int pixels = checked(width * height);
        if (planar.Length != (long)pixels * RenderPassLayout.FloatsPerPixel(passes))
            throw new ArgumentException($"a {width}x{height} image with passes {RenderPassLayout.Format(passes)} needs {(long)pixels * RenderPassLayout.FloatsPerPixel(passes)} floats, got {planar.Length}");
        var beauty = new FloatImage(width, height, planar[..(pixels * 4)].ToArray());
        var list = new List<PassImage>();
        int offset = pixels * 4;
        foreach (var info in RenderPassLayout.Of(passes))
        {
            int count = pixels * info.ChannelCount;
            list.Add(new PassImage(info, width, height, planar.Slice(offset, count).ToArray()));
            offset += count;
        }
        return (beauty, list);
    }
}
