namespace RenderNet.Vulkan;

/// <summary>Vulkan physical device type, in the order RenderNet prefers them (best last).</summary>
public enum GpuDeviceType { Other = 0, Cpu = 1, Virtual = 2, Integrated = 3, Discrete = 4 }

/// <summary>What `rendernet devices` shows about one physical device.</summary>
public sealed record GpuDeviceInfo(
    int Index, string Name, GpuDeviceType Type, string DriverName, string DriverInfo, string ApiVersion,
    uint VendorId, uint DeviceId, ulong MaxStorageBufferRange, bool HasComputeQueue);
