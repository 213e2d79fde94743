using System.Diagnostics;
using Silk.NET.Vulkan;

namespace RenderNet.Vulkan;

/// <summary>
/// A logical device with one compute queue, a command pool and one reusable command buffer, on a physical device
/// chosen by <see cref="DeviceSelection"/>. Work is submitted synchronously (<see cref="Submit"/>), which keeps
/// ownership simple: nothing is in flight once a call returns.
/// </summary>
public sealed unsafe class VulkanDevice : IDisposable
{
    /// <summary>Fault injection for tests: after this many submissions, act as if the device was lost.</summary>
    public const string InjectDeviceLostEnvironmentVariable = "RENDERNET_INJECT_DEVICE_LOST_AFTER";

    readonly VulkanInstance instance;
    readonly bool ownsInstance;
    readonly PhysicalDeviceMemoryProperties memoryProperties;
    readonly long injectDeviceLostAfter;
    CommandPool commandPool;
    CommandBuffer commandBuffer;
    Fence fence;
    long submissions;
    bool lost;

    internal Vk Api => instance.Api;
    internal Device Handle { get; private set; }
    internal Queue Queue { get; }
    public GpuDeviceInfo Info { get; }
    public bool ValidationEnabled => instance.ValidationEnabled;
    /// <summary>Errors the validation layer reported so far (0 when validation is off).</summary>
    public int ValidationErrors => instance.ValidationErrors;
    public string? ValidationWarning => instance.ValidationWarning;

    /// <param name="selector">Device index or name substring; null falls back to RENDERNET_DEVICE, then the best device.</param>
    public static VulkanDevice Open(string? selector = null, bool validation = false)
    {
        var instance = new VulkanInstance(validation);
        try
        {
            return new VulkanDevice(instance, selector ?? Environment.GetEnvironmentVariable(DeviceSelection.EnvironmentVariable), ownsInstance: true);
        }
        catch
        {
            instance.Dispose();
            throw;
        }
    }

    VulkanDevice(VulkanInstance instance, string? selector, bool ownsInstance)
    {
        this.instance = instance;
        this.ownsInstance = ownsInstance;
        var physical = instance.PhysicalDevices();
        var infos = physical.Select((p, i) => instance.Describe(i, p)).ToList();
        Info = DeviceSelection.Choose(infos, selector);
        PhysicalDevice = physical[Info.Index];
        Api.GetPhysicalDeviceMemoryProperties(PhysicalDevice, out memoryProperties);

        uint familyCount = 0;
        Api.GetPhysicalDeviceQueueFamilyProperties(PhysicalDevice, ref familyCount, null);
        var families = new QueueFamilyProperties[familyCount];
        fixed (QueueFamilyProperties* f = families) Api.GetPhysicalDeviceQueueFamilyProperties(PhysicalDevice, ref familyCount, f);
        // One queue does everything (path tracing, video kernels, rasterising), so it must do graphics and compute:
        // every graphics-capable family of a Vulkan device also offers compute. A compute-only device still path traces.
        int family = Array.FindIndex(families, f => (f.QueueFlags & (QueueFlags.ComputeBit | QueueFlags.GraphicsBit)) == (QueueFlags.ComputeBit | QueueFlags.GraphicsBit));
        SupportsGraphics = family >= 0;
        if (family < 0) family = Array.FindIndex(families, f => (f.QueueFlags & QueueFlags.ComputeBit) != 0);
        QueueFamily = (uint)family;

        float priority = 1f;
        var queueInfo = new DeviceQueueCreateInfo
        {
            SType = StructureType.DeviceQueueCreateInfo,
            QueueFamilyIndex = QueueFamily,
            QueueCount = 1,
            PQueuePriorities = &priority,
        };
        // Shadow maps are written by fragment-shader atomics into a storage buffer (see ShadowMaps).
        Api.GetPhysicalDeviceFeatures(PhysicalDevice, out var available);
        var features = new PhysicalDeviceFeatures { FragmentStoresAndAtomics = available.FragmentStoresAndAtomics };
        SupportsFragmentAtomics = available.FragmentStoresAndAtomics;
        var deviceInfo = new DeviceCreateInfo
        {
            SType = StructureType.DeviceCreateInfo,
            QueueCreateInfoCount = 1,
            PQueueCreateInfos = &queueInfo,
            PEnabledFeatures = &features,
        };
        Api.CreateDevice(PhysicalDevice, in deviceInfo, null, out var device).Check("vkCreateDevice");
        Handle = device;
        Api.GetDeviceQueue(Handle, QueueFamily, 0, out var queue);
        Queue = queue;

        var poolInfo = new CommandPoolCreateInfo
        {
            SType = StructureType.CommandPoolCreateInfo,
            QueueFamilyIndex = QueueFamily,
            Flags = CommandPoolCreateFlags.ResetCommandBufferBit,
        };
        Api.CreateCommandPool(Handle, in poolInfo, null, out commandPool).Check("vkCreateCommandPool");
        var allocInfo = new CommandBufferAllocateInfo
        {
            SType = StructureType.CommandBufferAllocateInfo,
            CommandPool = commandPool,
            Level = CommandBufferLevel.Primary,
            CommandBufferCount = 1,
        };
        Api.AllocateCommandBuffers(Handle, in allocInfo, out commandBuffer).Check("vkAllocateCommandBuffers");
        var fenceInfo = new FenceCreateInfo { SType = StructureType.FenceCreateInfo };
        Api.CreateFence(Handle, in fenceInfo, null, out fence).Check("vkCreateFence");
        injectDeviceLostAfter = long.TryParse(Environment.GetEnvironmentVariable(InjectDeviceLostEnvironmentVariable), out var n) ? n : -1;
    }

    internal PhysicalDevice PhysicalDevice { get; }

    /// <summary>Whether the device's queue can rasterise (false only on compute-only devices).</summary>
    public bool SupportsGraphics { get; }

    /// <summary>Whether fragment shaders may write storage buffers (the rasteriser's shadow maps need it).</summary>
    public bool SupportsFragmentAtomics { get; private set; }

    /// <summary>
    /// Upload through a staging buffer even where device-local memory is host-visible, as on discrete GPUs; lets the
    /// tests exercise that path on lavapipe, whose memory is all host-visible.
    /// </summary>
    internal bool ForceStagingUploads { get; set; }
    internal uint QueueFamily { get; }

    /// <summary>Finds a memory type allowed by <paramref name="typeBits"/> with all <paramref name="required"/> flags, preferring <paramref name="preferred"/>.</summary>
    internal uint FindMemoryType(uint typeBits, MemoryPropertyFlags required, MemoryPropertyFlags preferred = 0)
    {
        int fallback = -1;
        for (int i = 0; i < memoryProperties.MemoryTypeCount; i++)
        {
            if ((typeBits & (1u << i)) == 0) continue;
            var flags = memoryProperties.MemoryTypes[i].PropertyFlags;
            if ((flags & required) != required) continue;
            if ((flags & preferred) == preferred) return (uint)i;
            if (fallback < 0) fallback = i;
        }
        if (fallback >= 0) return (uint)fallback;
        throw new VulkanException($"no memory type with {required} on {Info.Name}");
    }

    internal MemoryPropertyFlags MemoryTypeFlags(uint type) => memoryProperties.MemoryTypes[(int)type].PropertyFlags;

    /// <summary>Records commands into the device's command buffer, submits them and waits until they finish.</summary>
    internal void Submit(Action<CommandBuffer> record, string what)
    {
        ObjectDisposedException.ThrowIf(Handle.Handle == 0, this);
        if (lost) throw new DeviceLostException(what);
        Api.ResetCommandBuffer(commandBuffer, 0).Check("vkResetCommandBuffer");
        var begin = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo, Flags = CommandBufferUsageFlags.OneTimeSubmitBit };
        Api.BeginCommandBuffer(commandBuffer, in begin).Check("vkBeginCommandBuffer");
        record(commandBuffer);
        Api.EndCommandBuffer(commandBuffer).Check("vkEndCommandBuffer");
        var cb = commandBuffer;
        var submit = new SubmitInfo { SType = StructureType.SubmitInfo, CommandBufferCount = 1, PCommandBuffers = &cb };
        var f = fence;
        Api.ResetFences(Handle, 1, &f).Check("vkResetFences");
        try
        {
            submissions++;
            if (injectDeviceLostAfter >= 0 && submissions > injectDeviceLostAfter)
                throw new DeviceLostException(what);
            Api.QueueSubmit(Queue, 1, &submit, fence).Check($"vkQueueSubmit ({what})");
            Api.WaitForFences(Handle, 1, &f, true, ulong.MaxValue).Check($"vkWaitForFences ({what})");
        }
        catch (DeviceLostException)
        {
            lost = true;
            throw;
        }
    }

    public void Dispose()
    {
        if (Handle.Handle == 0) return;
        if (!lost) Api.DeviceWaitIdle(Handle);
        Api.DestroyFence(Handle, fence, null);
        Api.DestroyCommandPool(Handle, commandPool, null);
        Api.DestroyDevice(Handle, null);
        Handle = default;
        if (ownsInstance) instance.Dispose();
    }
}
