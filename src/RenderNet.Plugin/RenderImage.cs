using RenderNet.Core.Imaging;

namespace RenderNet.Plugin;

/// <summary>
/// A block of pixels in final-image coordinates: the rectangle (<see cref="X"/>, <see cref="Y"/>, <see cref="Width"/>,
/// <see cref="Height"/>) with its origin at the image's top-left corner and rows going down, as a region texture upload
/// expects (flip <see cref="Y"/> as <c>frameHeight - Y - Height</c> for a bottom-left origin). Rows are
/// <see cref="Stride"/> bytes apart, tightly packed.
/// </summary>
public sealed class RenderImage
{
    internal RenderImage(int x, int y, int width, int height, PixelFormat format, byte[] pixels)
    {
        X = x; Y = y; Width = width; Height = height; Format = format;
        Pixels = pixels;
    }

    /// <summary>Left edge in final-image pixels.</summary>
    public int X { get; }
    /// <summary>Top edge in final-image pixels (origin top-left, rows going down).</summary>
    public int Y { get; }
    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }
    /// <summary>The pixel layout.</summary>
    public PixelFormat Format { get; }
    /// <summary>Bytes per pixel of <see cref="Format"/>.</summary>
    public int BytesPerPixel => Format == PixelFormat.Rgba8Srgb ? 4 : 16;
    /// <summary>Bytes from one row to the next.</summary>
    public int Stride => Width * BytesPerPixel;
    /// <summary>The pixels, <see cref="Height"/> rows of <see cref="Stride"/> bytes, top row first.</summary>
    public ReadOnlyMemory<byte> Pixels { get; }

    /// <summary>Writes the image as an 8-bit sRGB PNG (written beside the target and renamed, so it is never half-written).</summary>
    public void SavePng(string path)
    {
        if (Format == PixelFormat.Rgba32FloatLinear)
        {
            ImageWriter.Write(ToLinear(), path, ImageFormat.Png8);
            return;
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using (var png = SixLabors.ImageSharp.Image.LoadPixelData<SixLabors.ImageSharp.PixelFormats.Rgba32>(Pixels.Span, Width, Height))
            SixLabors.ImageSharp.ImageExtensions.SaveAsPng(png, path + ".partial");
        File.Move(path + ".partial", path, overwrite: true);
    }

    /// <summary>Copies a rectangle of a linear float frame into a new image in the requested format.</summary>
    internal static RenderImage From(FloatImage frame, int x, int y, int width, int height, PixelFormat format)
    {
        int bpp = format == PixelFormat.Rgba8Srgb ? 4 : 16;
        var pixels = new byte[checked(width * height * bpp)];
        var source = frame.Pixels;
        for (int row = 0; row < height; row++)
        {
            int from = 4 * ((y + row) * frame.Width + x);
            if (format == PixelFormat.Rgba32FloatLinear)
            {
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(source.AsSpan(from, 4 * width)).CopyTo(pixels.AsSpan(row * width * 16));
                continue;
            }
            var to = pixels.AsSpan(row * width * 4, width * 4);
            for (int i = 0; i < width; i++)
            {
                to[4 * i] = Encode(source[from + 4 * i]);
                to[4 * i + 1] = Encode(source[from + 4 * i + 1]);
                to[4 * i + 2] = Encode(source[from + 4 * i + 2]);
                to[4 * i + 3] = (byte)MathF.Round(Math.Clamp(source[from + 4 * i + 3], 0, 1) * 255);
            }
        }
        return new RenderImage(x, y, width, height, format, pixels);
    }

    static byte Encode(float linear) => (byte)MathF.Round(ImageWriter.LinearToSrgb(linear) * 255f);

    FloatImage ToLinear()
    {
        var image = new FloatImage(Width, Height);
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Pixels.Span).CopyTo(image.Pixels);
        return image;
    }
}
