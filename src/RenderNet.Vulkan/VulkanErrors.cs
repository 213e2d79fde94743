using Silk.NET.Vulkan;

namespace RenderNet.Vulkan;

/// <summary>A Vulkan call failed; the message names the call and the result code.</summary>
public class VulkanException(string message, Result result = Result.ErrorUnknown) : Exception(message)
{
    public Result Result { get; } = result;
}

/// <summary>The device was lost (driver reset, GPU fault, watchdog). Work in flight is gone; the device cannot be reused.</summary>
public sealed class DeviceLostException(string during)
    : VulkanException($"the Vulkan device was lost during {during} (driver reset or GPU fault); the render was aborted", Result.ErrorDeviceLost);

/// <summary>No usable Vulkan driver, device or requested device.</summary>
public sealed class NoVulkanDeviceException(string message) : VulkanException(message, Result.ErrorInitializationFailed);

/// <summary>The scene does not fit the device's limits (e.g. a buffer larger than maxStorageBufferRange).</summary>
public sealed class SceneTooLargeException(string message) : VulkanException(message, Result.ErrorOutOfDeviceMemory);

static class ResultExtensions
{
    public static void Check(this Result result, string call)
    {
        if (result == Result.Success) return;
        if (result == Result.ErrorDeviceLost) throw new DeviceLostException(call);
        throw new VulkanException($"{call} failed: {result}", result);
    }
}
