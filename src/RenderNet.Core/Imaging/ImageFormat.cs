namespace RenderNet.Core.Imaging;

/// <summary>Output encodings: 8-bit sRGB PNG, 16-bit sRGB PNG, linear 32-bit float PFM, or linear multi-layer OpenEXR (written by RenderNet.Exr).</summary>
public enum ImageFormat { Png8, Png16, Pfm, Exr }
