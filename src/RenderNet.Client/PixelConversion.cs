using System;
using System.Runtime.InteropServices;

namespace RenderNet.Client
{
    /// <summary>
    /// Linear float RGBA to 8-bit sRGB RGBA, with the same rounding as the renderer's PNG writer
    /// (RenderNet.Core's ImageWriter.ToRgba8Srgb): kept here because the client may not depend on Core.
    /// </summary>
    static class PixelConversion
    {
        public static byte[] ToRgba8(ReadOnlySpan<byte> rgba32f)
        {
            var floats = MemoryMarshal.Cast<byte, float>(rgba32f);
            var bytes = new byte[floats.Length];
            for (int i = 0; i < floats.Length; i += 4)
            {
                bytes[i] = Encode(floats[i]);
                bytes[i + 1] = Encode(floats[i + 1]);
                bytes[i + 2] = Encode(floats[i + 2]);
                bytes[i + 3] = (byte)MathF.Round(Math.Clamp(floats[i + 3], 0f, 1f) * 255f);
            }
            return bytes;
        }

        static byte Encode(float linear)
        {
            float c = float.IsNaN(linear) ? 0f : Math.Clamp(linear, 0f, 1f);
            float srgb = c <= 0.0031308f ? 12.92f * c : 1.055f * MathF.Pow(c, 1f / 2.4f) - 0.055f;
            return (byte)MathF.Round(srgb * 255f);
        }
    }
}
