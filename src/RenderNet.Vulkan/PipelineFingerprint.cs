using System.Security.Cryptography;
using System.Text;

namespace RenderNet.Vulkan;

/// <summary>
/// What must be equal for two nodes to render equal bits: the SPIR-V, the version of the code that decides pixels
/// (scene import, BVH, packing, sampling) and the device and driver that execute it — different drivers may round
/// transcendental functions differently, so the same SPIR-V alone does not promise the same bits.
/// </summary>
public static class PipelineFingerprint
{
    /// <summary>Bump when CPU-side code that decides pixels changes without a shader change.</summary>
    public const string RenderCodeVersion = "render-core-1";

    public static string For(GpuDeviceInfo device)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var shader in (string[])[ShaderLibrary.PathTracer, ShaderLibrary.RasterVertex, ShaderLibrary.RasterFragment])
            sha.AppendData(ShaderLibrary.Load(shader));
        sha.AppendData(Encoding.UTF8.GetBytes($"|{RenderCodeVersion}|{device.VendorId:x}:{device.DeviceId:x}|{device.Name}|{device.DriverName}|{device.DriverInfo}"));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
