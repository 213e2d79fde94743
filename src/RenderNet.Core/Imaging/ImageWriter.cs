using System.Buffers.Binary;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace RenderNet.Core.Imaging;

/// <summary>
/// Encodes a linear <see cref="FloatImage"/>. PNGs get the sRGB transfer curve, values clamped to [0,1] (no tone
/// mapping, like a "Standard" view transform). The float output is PFM: a lossless, trivially exact container for
/// float32 RGB that HDR tools read; OpenEXR would need a hand-written encoder since no EXR library is available to us.
/// </summary>
public static class ImageWriter
{
    public static ImageFormat FormatFor(string path, int? bitDepth = null) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => bitDepth == 16 ? ImageFormat.Png16 : ImageFormat.Png8,
        ".pfm" => ImageFormat.Pfm,
        ".exr" => ImageFormat.Exr,
        var ext => throw new ArgumentException($"unsupported output extension '{ext}': use .png, .pfm or .exr"),
    };

    /// <summary>
    /// Fails now, with the I/O error, if <paramref name="path"/> cannot be written — so a long render is not wasted
    /// on an output that was never going to be saved. Creates the directory; leaves no file behind.
    /// </summary>
    public static void EnsureWritable(string path)
    {
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null) Directory.CreateDirectory(dir);
            string temp = path + ".partial";
            using (File.Create(temp)) { }
            File.Delete(temp);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write the output '{path}': {ex.Message}", ex);
        }
    }

    public static void Write(FloatImage image, string path, ImageFormat format)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        // Write beside the target and rename, so a crash never leaves a half-written file that looks complete.
        string temp = path + ".partial";
        using (var stream = File.Create(temp))
        {
            switch (format)
            {
                case ImageFormat.Png8: WritePng8(image, stream); break;
                case ImageFormat.Png16: WritePng16(image, stream); break;
                case ImageFormat.Pfm: WritePfm(image, stream); break;
                default: throw new ArgumentException($"{format} images are not written here (EXR: RenderNet.Exr.FrameExr)");
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    public static float LinearToSrgb(float v)
    {
        if (!(v > 0)) return 0; // also maps NaN to 0
        if (v >= 1) return 1;
        return v <= 0.0031308f ? v * 12.92f : 1.055f * MathF.Pow(v, 1 / 2.4f) - 0.055f;
    }

    public static float SrgbToLinear(float v) =>
        v <= 0.04045f ? v / 12.92f : MathF.Pow((v + 0.055f) / 1.055f, 2.4f);

    static void WritePng8(FloatImage image, Stream stream)
    {
        using var png = new Image<Rgba32>(image.Width, image.Height);
        png.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < image.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < image.Width; x++)
                {
                    var (r, g, b, _) = image[x, y];
                    row[x] = new Rgba32(To8(r), To8(g), To8(b), 255);
                }
            }
        });
        png.Save(stream, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 });
    }

    static void WritePng16(FloatImage image, Stream stream)
    {
        using var png = new Image<Rgba64>(image.Width, image.Height);
        png.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < image.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < image.Width; x++)
                {
                    var (r, g, b, _) = image[x, y];
                    row[x] = new Rgba64(To16(r), To16(g), To16(b), ushort.MaxValue);
                }
            }
        });
        png.Save(stream, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 });
    }

    /// <summary>Linear float RGBA to 8-bit sRGB RGBA (alpha kept, linear), rounded as the PNG writer rounds.</summary>
    public static byte[] ToRgba8Srgb(ReadOnlySpan<float> rgba)
    {
        var bytes = new byte[rgba.Length];
        for (int i = 0; i + 3 < rgba.Length; i += 4)
        {
            bytes[i] = To8(rgba[i]);
            bytes[i + 1] = To8(rgba[i + 1]);
            bytes[i + 2] = To8(rgba[i + 2]);
            bytes[i + 3] = (byte)MathF.Round(Math.Clamp(float.IsNaN(rgba[i + 3]) ? 0f : rgba[i + 3], 0f, 1f) * 255f);
        }
        return bytes;
    }

    static byte To8(float linear) => (byte)MathF.Round(LinearToSrgb(linear) * 255f);
    static ushort To16(float linear) => (ushort)MathF.Round(LinearToSrgb(linear) * 65535f);

    // PFM has no library on the registry; the format is a text header plus raw floats, bottom row first.
    static void WritePfm(FloatImage image, Stream stream)
    {
        stream.Write(Encoding.ASCII.GetBytes($"PF\n{image.Width} {image.Height}\n-1.0\n"));
        var row = new byte[image.Width * 12];
        for (int y = image.Height - 1; y >= 0; y--)
        {
            for (int x = 0; x < image.Width; x++)
            {
                var (r, g, b, _) = image[x, y];
                BinaryPrimitives.WriteSingleLittleEndian(row.AsSpan(x * 12), r);
                BinaryPrimitives.WriteSingleLittleEndian(row.AsSpan(x * 12 + 4), g);
                BinaryPrimitives.WriteSingleLittleEndian(row.AsSpan(x * 12 + 8), b);
            }
            stream.Write(row);
        }
    }

    /// <summary>Reads a PFM written by <see cref="Write"/> (little-endian, RGB) back; alpha is set to 1.</summary>
    public static FloatImage ReadPfm(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int pos = 0;
        string Token()
        {
            while (pos < bytes.Length && char.IsWhiteSpace((char)bytes[pos])) pos++;
            int start = pos;
            while (pos < bytes.Length && !char.IsWhiteSpace((char)bytes[pos])) pos++;
            return Encoding.ASCII.GetString(bytes, start, pos - start);
        }
        if (Token() != "PF") throw new InvalidDataException($"'{path}' is not an RGB PFM file");
        int width = int.Parse(Token()), height = int.Parse(Token());
        float scale = float.Parse(Token(), System.Globalization.CultureInfo.InvariantCulture);
        if (scale >= 0) throw new InvalidDataException($"'{path}' is a big-endian PFM, which is not supported");
        pos++; // the single whitespace after the scale
        var image = new FloatImage(width, height);
        for (int y = height - 1; y >= 0; y--)
            for (int x = 0; x < width; x++)
            {
                int i = 4 * (y * width + x);
                for (int c = 0; c < 3; c++, pos += 4)
                    image.Pixels[i + c] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(pos));
                image.Pixels[i + 3] = 1f;
            }
        return image;
    }
}
