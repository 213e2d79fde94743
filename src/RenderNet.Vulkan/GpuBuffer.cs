using System.Runtime.InteropServices;
using Silk.NET.Vulkan;
using VkBuffer = Silk.NET.Vulkan.Buffer;

namespace RenderNet.Vulkan;

/// <summary>
/// A VkBuffer with its own memory allocation. Host-visible buffers stay mapped for their lifetime; device-local
/// buffers are filled through a temporary staging buffer unless their memory is host-visible anyway (UMA, lavapipe).
/// </summary>
public sealed unsafe class GpuBuffer : IDisposable
{
    readonly VulkanDevice device;
    DeviceMemory memory;
    void* mapped;

    internal VkBuffer Handle { get; private set; }
    public ulong Size { get; }

    GpuBuffer(VulkanDevice device, ulong size, BufferUsageFlags usage, MemoryPropertyFlags required, MemoryPropertyFlags preferred)
    {
        this.device = device;
        Size = Math.Max(size, 16);
        var vk = device.Api;
        var info = new BufferCreateInfo { SType = StructureType.BufferCreateInfo, Size = Size, Usage = usage, SharingMode = SharingMode.Exclusive };
        vk.CreateBuffer(device.Handle, in info, null, out var buffer).Check("vkCreateBuffer");
        Handle = buffer;
        try
        {
            vk.GetBufferMemoryRequirements(device.Handle, buffer, out var req);
            uint type = device.FindMemoryType(req.MemoryTypeBits, required, preferred);
            var alloc = new MemoryAllocateInfo { SType = StructureType.MemoryAllocateInfo, AllocationSize = req.Size, MemoryTypeIndex = type };
            var result = vk.AllocateMemory(device.Handle, in alloc, null, out memory);
            if (result is Result.ErrorOutOfDeviceMemory or Result.ErrorOutOfHostMemory)
                throw new SceneTooLargeException($"out of memory allocating a {Size / (1024.0 * 1024):F1} MiB buffer on {device.Info.Name}");
            result.Check("vkAllocateMemory");
            vk.BindBufferMemory(device.Handle, buffer, memory, 0).Check("vkBindBufferMemory");
            var flags = device.MemoryTypeFlags(type);
            if ((flags & MemoryPropertyFlags.HostVisibleBit) != 0 && (flags & MemoryPropertyFlags.HostCoherentBit) != 0)
            {
                void* p;
                vk.MapMemory(device.Handle, memory, 0, Vk.WholeSize, 0, &p).Check("vkMapMemory");
                mapped = p;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>A host-visible, coherent buffer (uniforms, readback).</summary>
    public static GpuBuffer CreateHostVisible(VulkanDevice device, ulong size, BufferUsageFlags usage) =>
        new(device, size, usage, MemoryPropertyFlags.HostVisibleBit | MemoryPropertyFlags.HostCoherentBit, MemoryPropertyFlags.HostCachedBit);

    /// <summary>A device-local buffer.</summary>
    public static GpuBuffer CreateDeviceLocal(VulkanDevice device, ulong size, BufferUsageFlags usage) =>
        new(device, size, usage | BufferUsageFlags.TransferDstBit | BufferUsageFlags.TransferSrcBit, MemoryPropertyFlags.DeviceLocalBit, 0);

    /// <summary>A device-local storage buffer holding <paramref name="data"/>.</summary>
    public static GpuBuffer CreateWithData<T>(VulkanDevice device, ReadOnlySpan<T> data, BufferUsageFlags usage) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(data);
        var buffer = CreateDeviceLocal(device, (ulong)bytes.Length, usage);
        try
        {
            if (bytes.Length == 0) return buffer;
            if (buffer.mapped != null && !device.ForceStagingUploads)
            {
                bytes.CopyTo(new Span<byte>(buffer.mapped, bytes.Length));
                return buffer;
            }
            using var staging = CreateHostVisible(device, (ulong)bytes.Length, BufferUsageFlags.TransferSrcBit);
            staging.Write(bytes);
            ulong length = (ulong)bytes.Length;
            device.Submit(cmd =>
            {
                var region = new BufferCopy(0, 0, length);
                device.Api.CmdCopyBuffer(cmd, staging.Handle, buffer.Handle, 1, in region);
            }, "scene upload");
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    public void Write<T>(ReadOnlySpan<T> data, ulong offset = 0) where T : unmanaged
    {
        if (mapped == null) throw new InvalidOperationException("buffer is not host-visible");
        var bytes = MemoryMarshal.AsBytes(data);
        if (offset + (ulong)bytes.Length > Size) throw new ArgumentOutOfRangeException(nameof(data), "write past the end of the buffer");
        bytes.CopyTo(new Span<byte>((byte*)mapped + offset, bytes.Length));
    }

    public void Read<T>(Span<T> destination, ulong offset = 0) where T : unmanaged
    {
        if (mapped == null) throw new InvalidOperationException("buffer is not host-visible");
        var bytes = MemoryMarshal.AsBytes(destination);
        if (offset + (ulong)bytes.Length > Size) throw new ArgumentOutOfRangeException(nameof(destination), "read past the end of the buffer");
        new ReadOnlySpan<byte>((byte*)mapped + offset, bytes.Length).CopyTo(bytes);
    }

    public void Dispose()
    {
        var vk = device.Api;
        if (mapped != null) { vk.UnmapMemory(device.Handle, memory); mapped = null; }
        if (Handle.Handle != 0) { vk.DestroyBuffer(device.Handle, Handle, null); Handle = default; }
        if (memory.Handle != 0) { vk.FreeMemory(device.Handle, memory, null); memory = default; }
    }
}
