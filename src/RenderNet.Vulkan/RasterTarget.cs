using Silk.NET.Vulkan;

namespace RenderNet.Vulkan;

/// <summary>
/// What one tile size draws into for one <see cref="RasterPipeline"/>: colour and depth attachments (multisampled when
/// the pipeline is), the single-sample image it resolves to, the framebuffer over them, and a host-visible buffer the
/// result is copied to. Owns all of it; reused for every tile of that size.
/// </summary>
sealed unsafe class RasterTarget : IDisposable
{
    readonly VulkanDevice device;
    readonly List<IDisposable> owned = [];
    Framebuffer framebuffer;

    public int Width { get; }
    public int Height { get; }
    public Framebuffer Framebuffer => framebuffer;
    /// <summary>The image holding the finished tile (the resolve target, or the colour image without MSAA).</summary>
    public GpuImage Result { get; }
    public GpuBuffer Readback { get; }

    public RasterTarget(VulkanDevice device, RasterPipeline pipeline, int width, int height, ulong readbackBytes)
    {
        this.device = device;
        Width = width;
        Height = height;
        try
        {
            var color = Own(new GpuImage(device, width, height, pipeline.ColorFormat, pipeline.Samples,
                ImageUsageFlags.ColorAttachmentBit | (pipeline.Resolves ? ImageUsageFlags.TransientAttachmentBit : ImageUsageFlags.TransferSrcBit), ImageAspectFlags.ColorBit));
            var depth = Own(new GpuImage(device, width, height, RasterPipeline.DepthFormat, pipeline.Samples, ImageUsageFlags.DepthStencilAttachmentBit, ImageAspectFlags.DepthBit));
            var resolved = pipeline.Resolves
                ? Own(new GpuImage(device, width, height, pipeline.ColorFormat, SampleCountFlags.Count1Bit, ImageUsageFlags.ColorAttachmentBit | ImageUsageFlags.TransferSrcBit, ImageAspectFlags.ColorBit))
                : null;
            Result = resolved ?? color;
            Readback = Own(GpuBuffer.CreateHostVisible(device, readbackBytes, BufferUsageFlags.TransferDstBit));
            var views = resolved is not null ? stackalloc ImageView[] { color.View, depth.View, resolved.View } : stackalloc ImageView[] { color.View, depth.View };
            fixed (ImageView* v = views)
            {
                var info = new FramebufferCreateInfo
                {
                    SType = StructureType.FramebufferCreateInfo, RenderPass = pipeline.RenderPass, AttachmentCount = (uint)views.Length, PAttachments = v,
                    Width = (uint)width, Height = (uint)height, Layers = 1,
                };
                device.Api.CreateFramebuffer(device.Handle, in info, null, out framebuffer).Check("vkCreateFramebuffer");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    T Own<T>(T item) where T : IDisposable
    {
        owned.Add(item);
        return item;
    }

    public void Dispose()
    {
        if (framebuffer.Handle != 0) { device.Api.DestroyFramebuffer(device.Handle, framebuffer, null); framebuffer = default; }
        for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
        owned.Clear();
    }
}
