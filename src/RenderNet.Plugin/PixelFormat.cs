namespace RenderNet.Plugin;

/// <summary>How the pixels of a tile or frame are laid out in memory.</summary>
public enum PixelFormat
{
    /// <summary>4 bytes per pixel, R, G, B, A; colour sRGB-encoded (clamped to [0, 1]), alpha linear. For an sRGB8_A8 texture.</summary>
    Rgba8Srgb,
    /// <summary>16 bytes per pixel, four little-endian float32 R, G, B, A in linear radiance (1.0 = white). For an RGBA32F texture.</summary>
    Rgba32FloatLinear,
}
