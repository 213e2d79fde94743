using Silk.NET.Vulkan;

namespace RenderNet.Vulkan;

/// <summary>A 2D image with its own memory and one view over all of it. Owns all three.</summary>
public sealed unsafe class GpuImage : IDisposable
{
    readonly VulkanDevice device;
    DeviceMemory memory;

    internal Image Handle { get; private set; }
    internal ImageView View { get; private set; }
    public int Width { get; }
    public int Height { get; }
    public Format Format { get; }
    public SampleCountFlags Samples { get; }

    internal GpuImage(VulkanDevice device, int width, int height, Format format, SampleCountFlags samples, ImageUsageFlags usage, ImageAspectFlags aspect)
    {
        this.device = device;
        Width = width;
        Height = height;
        Format = format;
        Samples = samples;
        var vk = device.Api;
        try
        {
            var info = new ImageCreateInfo
            {
                SType = StructureType.ImageCreateInfo,
                ImageType = ImageType.Type2D,
                Format = format,
                Extent = new Extent3D((uint)width, (uint)height, 1),
                MipLevels = 1,
                ArrayLayers = 1,
                Samples = samples,
                Tiling = ImageTiling.Optimal,
                Usage = usage,
                SharingMode = SharingMode.Exclusive,
                InitialLayout = ImageLayout.Undefined,
            };
            vk.CreateImage(device.Handle, in info, null, out var image).Check("vkCreateImage");
            Handle = image;
            vk.GetImageMemoryRequirements(device.Handle, image, out var req);
            var alloc = new MemoryAllocateInfo
            {
                SType = StructureType.MemoryAllocateInfo,
                AllocationSize = req.Size,
                MemoryTypeIndex = device.FindMemoryType(req.MemoryTypeBits, MemoryPropertyFlags.DeviceLocalBit),
            };
            var result = vk.AllocateMemory(device.Handle, in alloc, null, out memory);
            if (result is Result.ErrorOutOfDeviceMemory or Result.ErrorOutOfHostMemory)
                throw new SceneTooLargeException($"out of memory allocating a {width}x{height} {format} image on {device.Info.Name}");
            result.Check("vkAllocateMemory");
            vk.BindImageMemory(device.Handle, image, memory, 0).Check("vkBindImageMemory");
            var viewInfo = new ImageViewCreateInfo
            {
                SType = StructureType.ImageViewCreateInfo,
                Image = image,
                ViewType = ImageViewType.Type2D,
                Format = format,
                SubresourceRange = new ImageSubresourceRange(aspect, 0, 1, 0, 1),
            };
            vk.CreateImageView(device.Handle, in viewInfo, null, out var view).Check("vkCreateImageView");
            View = view;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        var vk = device.Api;
        if (View.Handle != 0) { vk.DestroyImageView(device.Handle, View, null); View = default; }
        if (Handle.Handle != 0) { vk.DestroyImage(device.Handle, Handle, null); Handle = default; }
        if (memory.Handle != 0) { vk.FreeMemory(device.Handle, memory, null); memory = default; }
    }
}
