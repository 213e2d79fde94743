using System.Security.Cryptography;

namespace RenderNet.Vulkan;

/// <summary>SPIR-V compiled from shaders/ at build time and embedded in this assembly.</summary>
public static class ShaderLibrary
{
    public const string PathTracer = "pathtrace.comp";
    public const string DenoiseAtrous = "denoise_atrous.comp";
    public const string YuvToRgb = "yuv_to_rgb.comp";
    public const string ResampleHorizontal = "resample_h.comp";
    public const string ResampleVertical = "resample_v.comp";
    public const string RgbToYuv420 = "rgb_to_yuv420.comp";
    public const string PlaneResampleHorizontal = "plane_resample_h.comp";
    public const string PlaneResampleVertical = "plane_resample_v.comp";

    public const string RasterVertex = "raster.vert";
    public const string RasterFragment = "raster.frag";
    public const string RasterIdFragment = "raster_id.frag";
    public const string ShadowVertex = "shadow.vert";
    public const string ShadowFragment = "shadow.frag";

    /// <summary>The transcode kernels, in pipeline order.</summary>
    public static readonly string[] Transcode = [YuvToRgb, ResampleHorizontal, ResampleVertical, RgbToYuv420, PlaneResampleHorizontal, PlaneResampleVertical];

    public static byte[] Load(string name)
    {
        using var stream = typeof(ShaderLibrary).Assembly.GetManifestResourceStream($"shaders/{name}.spv")
            ?? throw new InvalidOperationException($"shader {name} is not embedded; was it compiled by the build?");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>SHA-256 of a shader's SPIR-V: part of what makes two nodes' pixels comparable.</summary>
    public static string Fingerprint(string name) => Convert.ToHexStringLower(SHA256.HashData(Load(name)));
}
