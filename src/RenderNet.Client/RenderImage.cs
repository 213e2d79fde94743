using System;
using System.IO;

namespace RenderNet.Client
{
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
            int bpp = format == PixelFormat.Rgba8Srgb ? 4 : 16;
            if (width < 0 || height < 0 || pixels.Length != (long)width * height * bpp)
                throw new InvalidDataException($"{pixels.Length} bytes are not a {width}×{height} {format} image");
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

        /// <summary>Writes the image as an 8-bit sRGB PNG (beside the target, then renamed: never half-written).</summary>
        public void SavePng(string path)
        {
            var rgba = Format == PixelFormat.Rgba8Srgb ? Pixels.ToArray() : PixelConversion.ToRgba8(Pixels.Span);
            var full = Path.GetFullPath(path);
            var dir = Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            using (var file = File.Create(full + ".partial"))
                PngEncoder.Write(file, Width, Height, rgba);
            if (File.Exists(full)) File.Delete(full);
            File.Move(full + ".partial", full);
        }
    }
}
