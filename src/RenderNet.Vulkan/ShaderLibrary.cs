using System.Security.Cryptography;

namespace RenderNet.Vulkan;

/// <summary>SPIR-V compiled from shaders/ at build time and embedded in this assembly.</summary>
public static class ShaderLibrary
{
    public const string PathTracer = "pathtrace.comp";

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
