using System.Numerics;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;
using Silk.NET.Vulkan;

namespace RenderNet.Vulkan;

/// <summary>
/// The rasteriser: draws any rectangle of a frame of a scene with a Vulkan graphics pipeline, 4× MSAA resolved, in the
/// path tracer's camera conventions. A tile costs its own pixels only: the framebuffer is the tile, and the viewport
/// is placed so that the tile's pixels are the full frame's (see <see cref="RasterGeometry"/> for why tiles are
/// bit-exact). Geometry is prepared once per frame (camera and size) and reused by every tile of it.
/// </summary>
public sealed unsafe class Rasterizer : IDisposable
{
    const Format ColorFormat = Format.R32G32B32A32Sfloat;
    const Format IdFormat = Format.R32Uint;
    readonly VulkanDevice device;
    readonly Scene scene;
    readonly RasterPipeline shaded, blended, ids;
    (SceneCamera Camera, int Width, int Height)? preparedFor;
    int drawnTriangles, blendedStart;

    record struct Push(int TileX, int TileY, int ViewportX, int ViewportY, float ViewportSize, float Ambient, uint LightCount, uint Orthographic,
        Vector4 Background, Vector4 CameraPosition, Vector4 CameraForward);

    const int Bindings = 10; // 0-2 geometry of the frame, 3 material per scene triangle, 4-7 as in scene_shading.glsl, 8-9 shadow maps
    readonly List<GpuBuffer> shading = [];
    readonly int lightCount;
    readonly ShadowMaps? shadows;

    /// <summary>Pixels around the frame inside the viewport: more than RasterGeometry's clip margin, so nothing is clipped by the device.</summary>
    const int ViewportMargin = 8;
    readonly uint maxViewport;

    public Rasterizer(VulkanDevice device, Scene scene)
    {
        if (!device.SupportsGraphics) throw new NoVulkanDeviceException($"{device.Info.Name} has no graphics queue: it cannot rasterise");
        this.device = device;
        this.scene = scene;
        device.Api.GetPhysicalDeviceProperties(device.PhysicalDevice, out var properties);
        maxViewport = Math.Min(properties.Limits.MaxViewportDimensions[0], properties.Limits.MaxViewportDimensions[1]);
        try
        {
            uint features = (uint)GpuSceneData.FeaturesOf(scene);
            shaded = new RasterPipeline(device, ShaderLibrary.RasterVertex, ShaderLibrary.RasterFragment, ColorFormat, SampleCountFlags.Count4Bit, Bindings, (uint)sizeof(Push), fragmentFeatures: features);
            blended = new RasterPipeline(device, ShaderLibrary.RasterVertex, ShaderLibrary.RasterFragment, ColorFormat, SampleCountFlags.Count4Bit, Bindings, (uint)sizeof(Push), blend: true, fragmentFeatures: features);
            ids = new RasterPipeline(device, ShaderLibrary.RasterVertex, ShaderLibrary.RasterIdFragment, IdFormat, SampleCountFlags.Count1Bit, Bindings, (uint)sizeof(Push));
            const BufferUsageFlags storage = BufferUsageFlags.StorageBufferBit;
            // Punctual lights as they are, and each emissive material as a point light standing in for its area.
            var allLights = scene.Lights.Concat(EmissiveProxyLights.For(scene, GpuSceneData.LumensPerWatt)).ToList();
            lightCount = allLights.Count;
            var (materials, textures, texels, lights) = GpuSceneData.PackShading(scene, allLights);
            shading.Add(GpuBuffer.CreateWithData<int>(device, scene.MaterialIds.Length > 0 ? scene.MaterialIds : [0], storage));
            shading.Add(GpuBuffer.CreateWithData<uint>(device, materials, storage));
            shading.Add(GpuBuffer.CreateWithData<uint>(device, textures, storage));
            shading.Add(GpuBuffer.CreateWithData<uint>(device, texels, storage));
            shading.Add(GpuBuffer.CreateWithData<float>(device, lights, storage));
            shadows = new ShadowMaps(device, scene, lightCount);
            foreach (var pipeline in new[] { shaded, blended, ids })
            {
                for (int i = 0; i < shading.Count; i++) pipeline.Bind(3 + i, shading[i]);
                pipeline.Bind(8, shadows.Info);
                pipeline.Bind(9, shadows.Depths);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Triangles drawn for the current frame, after clipping.</summary>
    public int DrawnTriangles => drawnTriangles;

    /// <summary>Linear RGBA32F pixels of <paramref name="tile"/>, rows top to bottom.</summary>
    /// <param name="ambient">Scale of the ambient term: the background radiance reflected by each surface's diffuse colour.</param>
    public float[] RenderTile(FrameSettings frame, TileRect tile, float ambient = 1f)
    {
        var pixels = new float[tile.PixelCount * 4];
        Draw(shaded, frame, tile, ambient, MemoryMarshalBytes(pixels));
        return pixels;
    }

    /// <summary>Per pixel of <paramref name="tile"/>: the scene triangle seen through its centre plus one, 0 for none.</summary>
    public uint[] RenderIds(FrameSettings frame, TileRect tile)
    {
        var result = new uint[tile.PixelCount];
        Draw(ids, frame, tile, 0, MemoryMarshalBytes(result));
        return result;
    }

    static Span<byte> MemoryMarshalBytes<T>(T[] array) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(array.AsSpan());

    GpuBuffer? windowBuffer, attributeBuffer, sourceBuffer;

    void Prepare(FrameSettings frame)
    {
        if (preparedFor is { } p && p.Camera == frame.Camera && p.Width == frame.Width && p.Height == frame.Height) return;
        var geometry = RasterGeometry.Build(scene, frame);
        windowBuffer?.Dispose();
        attributeBuffer?.Dispose();
        sourceBuffer?.Dispose();
        windowBuffer = attributeBuffer = sourceBuffer = null;
        const BufferUsageFlags storage = BufferUsageFlags.StorageBufferBit;
        windowBuffer = GpuBuffer.CreateWithData<float>(device, geometry.Window, storage);
        attributeBuffer = GpuBuffer.CreateWithData<float>(device, geometry.Attributes, storage);
        sourceBuffer = GpuBuffer.CreateWithData<int>(device, geometry.SourceTriangles, storage);
        foreach (var pipeline in new[] { shaded, blended, ids })
        {
            pipeline.Bind(0, windowBuffer);
            pipeline.Bind(1, attributeBuffer);
            pipeline.Bind(2, sourceBuffer);
        }
        drawnTriangles = geometry.TriangleCount;
        blendedStart = geometry.BlendedStart;
        preparedFor = (frame.Camera, frame.Width, frame.Height);
    }

    void Draw(RasterPipeline pipeline, FrameSettings frame, TileRect tile, float ambient, Span<byte> destination)
    {
        frame.Validate();
        if (tile.X < 0 || tile.Y < 0 || tile.Width <= 0 || tile.Height <= 0 || tile.X + tile.Width > frame.Width || tile.Y + tile.Height > frame.Height)
            throw new ArgumentOutOfRangeException(nameof(tile), $"tile {tile} is not inside the {frame.Width}x{frame.Height} frame");
        Prepare(frame);
        var vk = device.Api;
        int w = tile.Width, h = tile.Height;
        var target = TargetFor(pipeline, w, h, (ulong)destination.Length);
        {
            var readback = target.Readback;
            var framebuffer = target.Framebuffer;
            var source = target.Result.Handle;
            // The viewport covers the whole frame (plus a margin), placed so the tile's pixels are the frame's: every
            // clipped vertex is inside it, so the device clips nothing, and with a power-of-two size the viewport
            // transform of snapped coordinates is exact. The framebuffer and scissor are the tile alone.
            float viewport = 1;
            while (viewport < Math.Max(frame.Width, frame.Height) + 2 * ViewportMargin) viewport *= 2;
            if (viewport > maxViewport)
                throw new ArgumentException($"the rasteriser draws frames up to {maxViewport / 2 - 2 * ViewportMargin} pixels on {device.Info.Name} (maxViewportDimensions {maxViewport}); {frame.Width}x{frame.Height} is larger");
            var rays = CameraRays.For(frame.Camera, frame.Width, frame.Height);
            var push = new Push(tile.X, tile.Y, -ViewportMargin, -ViewportMargin, viewport, ambient, (uint)lightCount, rays.Orthographic ? 1u : 0u,
                new Vector4(frame.Background, 1), new Vector4(rays.Position, 1), new Vector4(rays.Forward, 0));
            float originX = -tile.X - ViewportMargin, originY = -tile.Y - ViewportMargin;
            // Opaque and masked triangles, then (when shading) the blended ones back to front; ids treat all as opaque.
            var draws = pipeline == shaded
                ? new[] { (Pipeline: shaded, First: 0, Count: blendedStart * 3), (Pipeline: blended, First: blendedStart * 3, Count: (drawnTriangles - blendedStart) * 3) }
                : new[] { (Pipeline: pipeline, First: 0, Count: drawnTriangles * 3) };
            var bg = frame.Background;
            device.Submit(cmd =>
            {
                var clears = stackalloc ClearValue[3];
                clears[0] = pipeline.ColorFormat == IdFormat
                    ? new ClearValue(new ClearColorValue(0u, 0u, 0u, 0u))
                    : new ClearValue(new ClearColorValue(bg.X, bg.Y, bg.Z, 1f));
                clears[1] = new ClearValue(depthStencil: new ClearDepthStencilValue(1f, 0));
                clears[2] = clears[0];
                var begin = new RenderPassBeginInfo
                {
                    SType = StructureType.RenderPassBeginInfo, RenderPass = pipeline.RenderPass, Framebuffer = framebuffer,
                    RenderArea = new Rect2D(new Offset2D(0, 0), new Extent2D((uint)w, (uint)h)), ClearValueCount = pipeline.Resolves ? 3u : 2u, PClearValues = clears,
                };
                vk.CmdBeginRenderPass(cmd, in begin, SubpassContents.Inline);
                foreach (var draw in draws)
                {
                    if (draw.Count == 0) continue;
                    var p = draw.Pipeline;
                    vk.CmdBindPipeline(cmd, PipelineBindPoint.Graphics, p.Pipeline);
                    var set = p.Set;
                    vk.CmdBindDescriptorSets(cmd, PipelineBindPoint.Graphics, p.Layout, 0, 1, &set, 0, null);
                    var vp = new Viewport(originX, originY, viewport, viewport, 0, 1);
                    vk.CmdSetViewport(cmd, 0, 1, in vp);
                    var scissor = new Rect2D(new Offset2D(0, 0), new Extent2D((uint)w, (uint)h));
                    vk.CmdSetScissor(cmd, 0, 1, in scissor);
                    var constants = push; // a lambda cannot take a captured local's address
                    vk.CmdPushConstants(cmd, p.Layout, ShaderStageFlags.VertexBit | ShaderStageFlags.FragmentBit, 0, (uint)sizeof(Push), &constants);
                    vk.CmdDraw(cmd, (uint)draw.Count, 1, (uint)draw.First, 0);
                }
                vk.CmdEndRenderPass(cmd);
                var region = new BufferImageCopy
                {
                    ImageSubresource = new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1),
                    ImageExtent = new Extent3D((uint)w, (uint)h, 1),
                };
                vk.CmdCopyImageToBuffer(cmd, source, ImageLayout.TransferSrcOptimal, readback.Handle, 1, in region);
                var barrier = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = AccessFlags.TransferWriteBit, DstAccessMask = AccessFlags.HostReadBit };
                vk.CmdPipelineBarrier(cmd, PipelineStageFlags.TransferBit, PipelineStageFlags.HostBit, 0, 1, in barrier, 0, null, 0, null);
            }, "raster tile");
            readback.Read(destination);
        }
    }

    readonly Dictionary<(RasterPipeline, int, int), RasterTarget> targets = [];

    /// <summary>The attachments for a tile size, kept for the next tile of that size (a frame has at most four).</summary>
    RasterTarget TargetFor(RasterPipeline pipeline, int width, int height, ulong readbackBytes)
    {
        if (targets.TryGetValue((pipeline, width, height), out var target)) return target;
        if (targets.Count >= 8)
        {
            foreach (var t in targets.Values) t.Dispose();
            targets.Clear();
        }
        return targets[(pipeline, width, height)] = new RasterTarget(device, pipeline, width, height, readbackBytes);
    }

    public void Dispose()
    {
        foreach (var t in targets.Values) t.Dispose();
        targets.Clear();
        shaded?.Dispose();
        blended?.Dispose();
        ids?.Dispose();
        windowBuffer?.Dispose();
        attributeBuffer?.Dispose();
        sourceBuffer?.Dispose();
        foreach (var b in shading) b.Dispose();
        shadows?.Dispose();
    }
}
