using System.Numerics;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;
using Silk.NET.Core.Native;
using Silk.NET.Vulkan;

namespace RenderNet.Vulkan;

/// <summary>
/// The rasteriser's shadow maps: one depth map per directional or spot light, drawn once per scene (they do not depend
/// on the camera, so every tile of every frame shares them). Depths are written by fragment-shader atomicMin into a
/// storage buffer — no depth attachment or sampler, order-independent, and read back in the fragment shader with a
/// fixed 3×3 percentage-closer filter. <see cref="Info"/> holds per light (in light-buffer order) 20 words: the
/// light's view-projection (16 floats), the map's offset and size, its kind (0 none, 1 orthographic, 2 perspective)
/// and the texel size for the normal-offset bias. Owns its buffers and the pass that fills them.
/// </summary>
sealed unsafe class ShadowMaps : IDisposable
{
    public const int MapSize = 2048;
    public const int InfoWords = 20;
    readonly List<IDisposable> owned = [];

    public GpuBuffer Info { get; }
    public GpuBuffer Depths { get; }
    public int Maps { get; }

    record struct Push(Matrix4x4 ViewProjection, uint MapOffset, uint MapSize);

    public ShadowMaps(VulkanDevice device, Scene scene, int lightCount)
    {
        var projections = device.SupportsFragmentAtomics && scene.TriangleCount > 0 ? ShadowProjection.For(scene, MapSize) : [];
        Maps = projections.Count;
        var info = new uint[Math.Max(1, lightCount) * InfoWords];
        for (int m = 0; m < projections.Count; m++)
        {
            var p = projections[m];
            var words = info.AsSpan(p.Light * InfoWords, InfoWords);
            var v = p.ViewProjection; // uploaded row by row: GLSL reads it as the transpose, so M * v there is v * M here
            float[] entries = [v.M11, v.M12, v.M13, v.M14, v.M21, v.M22, v.M23, v.M24, v.M31, v.M32, v.M33, v.M34, v.M41, v.M42, v.M43, v.M44];
            for (int k = 0; k < 16; k++) words[k] = BitConverter.SingleToUInt32Bits(entries[k]);
            words[16] = (uint)(m * MapSize * MapSize);
            words[17] = MapSize;
            words[18] = p.Orthographic ? 1u : 2u;
            words[19] = BitConverter.SingleToUInt32Bits(p.TexelSize);
        }
        const BufferUsageFlags storage = BufferUsageFlags.StorageBufferBit;
        try
        {
            Info = Own(GpuBuffer.CreateWithData<uint>(device, info, storage));
            var cleared = new uint[Math.Max(1, Maps * MapSize * MapSize)];
            Array.Fill(cleared, uint.MaxValue);
            Depths = Own(GpuBuffer.CreateWithData<uint>(device, cleared, storage));
            if (Maps > 0) Draw(device, scene, projections);
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

    void Draw(VulkanDevice device, Scene scene, IReadOnlyList<ShadowProjection> projections)
    {
        var vk = device.Api;
        var d = device.Handle;
        var corners = scene.Positions.Select(p => new Vector4(p, 1)).ToArray();
        using var positions = GpuBuffer.CreateWithData<Vector4>(device, corners, BufferUsageFlags.StorageBufferBit);
        RenderPass pass = default;
        ShaderModule vertex = default, fragment = default;
        DescriptorSetLayout setLayout = default;
        PipelineLayout layout = default;
        Pipeline pipeline = default;
        DescriptorPool pool = default;
        Framebuffer framebuffer = default;
        var entry = SilkMarshal.StringToPtr("main");
        try
        {
            // A pass without attachments: fragments only write the storage buffer.
            var subpass = new SubpassDescription { PipelineBindPoint = PipelineBindPoint.Graphics };
            var passInfo = new RenderPassCreateInfo { SType = StructureType.RenderPassCreateInfo, SubpassCount = 1, PSubpasses = &subpass };
            vk.CreateRenderPass(d, in passInfo, null, out pass).Check("vkCreateRenderPass (shadows)");
            vertex = Module(device, ShaderLibrary.Load(ShaderLibrary.ShadowVertex));
            fragment = Module(device, ShaderLibrary.Load(ShaderLibrary.ShadowFragment));
            var bindings = stackalloc DescriptorSetLayoutBinding[]
            {
                new(0, DescriptorType.StorageBuffer, 1, ShaderStageFlags.VertexBit),
                new(1, DescriptorType.StorageBuffer, 1, ShaderStageFlags.FragmentBit),
            };
            var setInfo = new DescriptorSetLayoutCreateInfo { SType = StructureType.DescriptorSetLayoutCreateInfo, BindingCount = 2, PBindings = bindings };
            vk.CreateDescriptorSetLayout(d, in setInfo, null, out setLayout).Check("vkCreateDescriptorSetLayout (shadows)");
            var range = new PushConstantRange(ShaderStageFlags.VertexBit | ShaderStageFlags.FragmentBit, 0, (uint)sizeof(Push));
            var sl = setLayout;
            var layoutInfo = new PipelineLayoutCreateInfo { SType = StructureType.PipelineLayoutCreateInfo, SetLayoutCount = 1, PSetLayouts = &sl, PushConstantRangeCount = 1, PPushConstantRanges = &range };
            vk.CreatePipelineLayout(d, in layoutInfo, null, out layout).Check("vkCreatePipelineLayout (shadows)");

            var stages = stackalloc PipelineShaderStageCreateInfo[2];
            stages[0] = new PipelineShaderStageCreateInfo { SType = StructureType.PipelineShaderStageCreateInfo, Stage = ShaderStageFlags.VertexBit, Module = vertex, PName = (byte*)entry };
            stages[1] = new PipelineShaderStageCreateInfo { SType = StructureType.PipelineShaderStageCreateInfo, Stage = ShaderStageFlags.FragmentBit, Module = fragment, PName = (byte*)entry };
            var vertexInput = new PipelineVertexInputStateCreateInfo { SType = StructureType.PipelineVertexInputStateCreateInfo };
            var assembly = new PipelineInputAssemblyStateCreateInfo { SType = StructureType.PipelineInputAssemblyStateCreateInfo, Topology = PrimitiveTopology.TriangleList };
            var viewport = new Viewport(0, 0, MapSize, MapSize, 0, 1);
            var scissor = new Rect2D(new Offset2D(0, 0), new Extent2D(MapSize, MapSize));
            var viewportState = new PipelineViewportStateCreateInfo { SType = StructureType.PipelineViewportStateCreateInfo, ViewportCount = 1, PViewports = &viewport, ScissorCount = 1, PScissors = &scissor };
            var raster = new PipelineRasterizationStateCreateInfo { SType = StructureType.PipelineRasterizationStateCreateInfo, PolygonMode = PolygonMode.Fill, CullMode = CullModeFlags.None, LineWidth = 1 };
            var multisample = new PipelineMultisampleStateCreateInfo { SType = StructureType.PipelineMultisampleStateCreateInfo, RasterizationSamples = SampleCountFlags.Count1Bit };
            var blend = new PipelineColorBlendStateCreateInfo { SType = StructureType.PipelineColorBlendStateCreateInfo };
            var pipelineInfo = new GraphicsPipelineCreateInfo
            {
                SType = StructureType.GraphicsPipelineCreateInfo, StageCount = 2, PStages = stages, PVertexInputState = &vertexInput, PInputAssemblyState = &assembly,
                PViewportState = &viewportState, PRasterizationState = &raster, PMultisampleState = &multisample, PColorBlendState = &blend, Layout = layout, RenderPass = pass,
            };
            vk.CreateGraphicsPipelines(d, default, 1, in pipelineInfo, null, out pipeline).Check("vkCreateGraphicsPipelines (shadows)");

            var size = new DescriptorPoolSize(DescriptorType.StorageBuffer, 2);
            var poolInfo = new DescriptorPoolCreateInfo { SType = StructureType.DescriptorPoolCreateInfo, MaxSets = 1, PoolSizeCount = 1, PPoolSizes = &size };
            vk.CreateDescriptorPool(d, in poolInfo, null, out pool).Check("vkCreateDescriptorPool (shadows)");
            var alloc = new DescriptorSetAllocateInfo { SType = StructureType.DescriptorSetAllocateInfo, DescriptorPool = pool, DescriptorSetCount = 1, PSetLayouts = &sl };
            vk.AllocateDescriptorSets(d, in alloc, out var set).Check("vkAllocateDescriptorSets (shadows)");
            var infos = stackalloc DescriptorBufferInfo[] { new(positions.Handle, 0, Vk.WholeSize), new(Depths.Handle, 0, Vk.WholeSize) };
            var writes = stackalloc WriteDescriptorSet[2];
            for (int i = 0; i < 2; i++)
                writes[i] = new WriteDescriptorSet { SType = StructureType.WriteDescriptorSet, DstSet = set, DstBinding = (uint)i, DescriptorCount = 1, DescriptorType = DescriptorType.StorageBuffer, PBufferInfo = &infos[i] };
            vk.UpdateDescriptorSets(d, 2, writes, 0, null);

            var fbInfo = new FramebufferCreateInfo { SType = StructureType.FramebufferCreateInfo, RenderPass = pass, Width = MapSize, Height = MapSize, Layers = 1 };
            vk.CreateFramebuffer(d, in fbInfo, null, out framebuffer).Check("vkCreateFramebuffer (shadows)");

            uint vertices = (uint)scene.Positions.Length;
            var (p, pl, l, fb) = (pass, pipeline, layout, framebuffer);
            device.Submit(cmd =>
            {
                for (int m = 0; m < projections.Count; m++)
                {
                    var begin = new RenderPassBeginInfo { SType = StructureType.RenderPassBeginInfo, RenderPass = p, Framebuffer = fb, RenderArea = new Rect2D(new Offset2D(0, 0), new Extent2D(MapSize, MapSize)) };
                    vk.CmdBeginRenderPass(cmd, in begin, SubpassContents.Inline);
                    vk.CmdBindPipeline(cmd, PipelineBindPoint.Graphics, pl);
                    var s = set;
                    vk.CmdBindDescriptorSets(cmd, PipelineBindPoint.Graphics, l, 0, 1, &s, 0, null);
                    var push = new Push(projections[m].ViewProjection, (uint)(m * MapSize * MapSize), MapSize);
                    vk.CmdPushConstants(cmd, l, ShaderStageFlags.VertexBit | ShaderStageFlags.FragmentBit, 0, (uint)sizeof(Push), &push);
                    vk.CmdDraw(cmd, vertices, 1, 0, 0);
                    vk.CmdEndRenderPass(cmd);
                }
                // Later passes (other submissions) read the maps in their fragment shaders.
                var barrier = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = AccessFlags.ShaderWriteBit, DstAccessMask = AccessFlags.ShaderReadBit };
                vk.CmdPipelineBarrier(cmd, PipelineStageFlags.FragmentShaderBit, PipelineStageFlags.AllCommandsBit, 0, 1, in barrier, 0, null, 0, null);
            }, "shadow maps");
        }
        finally
        {
            SilkMarshal.Free(entry);
            if (framebuffer.Handle != 0) vk.DestroyFramebuffer(d, framebuffer, null);
            if (pool.Handle != 0) vk.DestroyDescriptorPool(d, pool, null);
            if (pipeline.Handle != 0) vk.DestroyPipeline(d, pipeline, null);
            if (layout.Handle != 0) vk.DestroyPipelineLayout(d, layout, null);
            if (setLayout.Handle != 0) vk.DestroyDescriptorSetLayout(d, setLayout, null);
            if (fragment.Handle != 0) vk.DestroyShaderModule(d, fragment, null);
            if (vertex.Handle != 0) vk.DestroyShaderModule(d, vertex, null);
            if (pass.Handle != 0) vk.DestroyRenderPass(d, pass, null);
        }
    }

    static ShaderModule Module(VulkanDevice device, byte[] spirv)
    {
        fixed (byte* code = spirv)
        {
            var info = new ShaderModuleCreateInfo { SType = StructureType.ShaderModuleCreateInfo, CodeSize = (nuint)spirv.Length, PCode = (uint*)code };
            device.Api.CreateShaderModule(device.Handle, in info, null, out var module).Check("vkCreateShaderModule");
            return module;
        }
    }

    public void Dispose()
    {
        for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
        owned.Clear();
    }
}
