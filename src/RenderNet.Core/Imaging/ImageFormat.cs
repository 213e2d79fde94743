namespace RenderNet.Core.Imaging;

/// <summary>Output encodings: 8-bit sRGB PNG, 16-bit sRGB PNG, or linear 32-bit float PFM.</summary>
public enum ImageFormat { Png8, Png16, Pfm }
