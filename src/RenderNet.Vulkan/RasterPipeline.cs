using Silk.NET.Core.Native;
using Silk.NET.Vulkan;

namespace RenderNet.Vulkan;

/// <summary>
/// A render pass and graphics pipeline of the rasteriser for one colour format and sample count: colour + depth
/// (MSAA when samples > 1, resolved into a single-sample colour image at the end of the pass), no vertex inputs (the
/// vertex shader reads a storage buffer), no culling, depth test LESS, viewport and scissor dynamic. Owns its render
/// pass, pipeline, layouts and descriptor pool and set (bindings 0..n-1: storage buffers for both stages).
/// </summary>
sealed unsafe class RasterPipeline : IDisposable
{
    public const Format DepthFormat = Format.D32Sfloat;
    readonly VulkanDevice device;
    readonly bool blend;
    readonly uint? fragmentFeatures;
    ShaderModule vertexModule, fragmentModule;
    DescriptorSetLayout setLayout;
    DescriptorPool pool;

    public RenderPass RenderPass { get; private set; }
    public PipelineLayout Layout { get; private set; }
    public Pipeline Pipeline { get; private set; }
    public DescriptorSet Set { get; private set; }
    public Format ColorFormat { get; }
    public SampleCountFlags Samples { get; }
    public bool Resolves => Samples != SampleCountFlags.Count1Bit;

    /// <param name="blend">"Over" blending with straight alpha and no depth writes (for alpha mode Blend), else opaque.</param>
    /// <param name="fragmentFeatures">The fragment shader's specialization constant 0 (scene_shading.glsl's SCENE_FEATURES:
    /// the material features the scene uses, so the rest is compiled out); null leaves the shader's default.</param>
    public RasterPipeline(VulkanDevice device, string vertexShader, string fragmentShader, Format colorFormat, SampleCountFlags samples, int bindings, uint pushConstantSize,
        bool blend = false, uint? fragmentFeatures = null)
    {
        this.blend = blend;
        this.fragmentFeatures = fragmentFeatures;
        this.device = device;
        ColorFormat = colorFormat;
        Samples = samples;
        var vk = device.Api;
        try
        {
            CreateRenderPass();
            vertexModule = CreateModule(ShaderLibrary.Load(vertexShader));
            fragmentModule = CreateModule(ShaderLibrary.Load(fragmentShader));

            var layoutBindings = new DescriptorSetLayoutBinding[bindings];
            for (int i = 0; i < bindings; i++)
                layoutBindings[i] = new DescriptorSetLayoutBinding((uint)i, DescriptorType.StorageBuffer, 1, ShaderStageFlags.VertexBit | ShaderStageFlags.FragmentBit);
            fixed (DescriptorSetLayoutBinding* b = layoutBindings)
            {
                var info = new DescriptorSetLayoutCreateInfo { SType = StructureType.DescriptorSetLayoutCreateInfo, BindingCount = (uint)bindings, PBindings = b };
                vk.CreateDescriptorSetLayout(device.Handle, in info, null, out setLayout).Check("vkCreateDescriptorSetLayout");
            }
            var range = new PushConstantRange(ShaderStageFlags.VertexBit | ShaderStageFlags.FragmentBit, 0, pushConstantSize);
            var sl = setLayout;
            var layoutInfo = new PipelineLayoutCreateInfo
            {
                SType = StructureType.PipelineLayoutCreateInfo, SetLayoutCount = 1, PSetLayouts = &sl, PushConstantRangeCount = 1, PPushConstantRanges = &range,
            };
            vk.CreatePipelineLayout(device.Handle, in layoutInfo, null, out var layout).Check("vkCreatePipelineLayout");
            Layout = layout;
            CreatePipeline();

            var size = new DescriptorPoolSize(DescriptorType.StorageBuffer, (uint)bindings);
            var poolInfo = new DescriptorPoolCreateInfo { SType = StructureType.DescriptorPoolCreateInfo, MaxSets = 1, PoolSizeCount = 1, PPoolSizes = &size };
            vk.CreateDescriptorPool(device.Handle, in poolInfo, null, out pool).Check("vkCreateDescriptorPool");
            var allocInfo = new DescriptorSetAllocateInfo { SType = StructureType.DescriptorSetAllocateInfo, DescriptorPool = pool, DescriptorSetCount = 1, PSetLayouts = &sl };
            vk.AllocateDescriptorSets(device.Handle, in allocInfo, out var set).Check("vkAllocateDescriptorSets");
            Set = set;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    ShaderModule CreateModule(byte[] spirv)
    {
        fixed (byte* code = spirv)
        {
            var info = new ShaderModuleCreateInfo { SType = StructureType.ShaderModuleCreateInfo, CodeSize = (nuint)spirv.Length, PCode = (uint*)code };
            device.Api.CreateShaderModule(device.Handle, in info, null, out var module).Check("vkCreateShaderModule");
            return module;
        }
    }

    void CreateRenderPass()
    {
        // The images the pass leaves behind are copied to buffers next: final layout transfer-source.
        var color = new AttachmentDescription
        {
            Format = ColorFormat, Samples = Samples, LoadOp = AttachmentLoadOp.Clear,
            StoreOp = Resolves ? AttachmentStoreOp.DontCare : AttachmentStoreOp.Store,
            StencilLoadOp = AttachmentLoadOp.DontCare, StencilStoreOp = AttachmentStoreOp.DontCare,
            InitialLayout = ImageLayout.Undefined, FinalLayout = Resolves ? ImageLayout.ColorAttachmentOptimal : ImageLayout.TransferSrcOptimal,
        };
        var depth = new AttachmentDescription
        {
            Format = DepthFormat, Samples = Samples, LoadOp = AttachmentLoadOp.Clear, StoreOp = AttachmentStoreOp.DontCare,
            StencilLoadOp = AttachmentLoadOp.DontCare, StencilStoreOp = AttachmentStoreOp.DontCare,
            InitialLayout = ImageLayout.Undefined, FinalLayout = ImageLayout.DepthStencilAttachmentOptimal,
        };
        var resolve = new AttachmentDescription
        {
            Format = ColorFormat, Samples = SampleCountFlags.Count1Bit, LoadOp = AttachmentLoadOp.DontCare, StoreOp = AttachmentStoreOp.Store,
            StencilLoadOp = AttachmentLoadOp.DontCare, StencilStoreOp = AttachmentStoreOp.DontCare,
            InitialLayout = ImageLayout.Undefined, FinalLayout = ImageLayout.TransferSrcOptimal,
        };
        var attachments = Resolves ? stackalloc AttachmentDescription[] { color, depth, resolve } : stackalloc AttachmentDescription[] { color, depth };
        var colorRef = new AttachmentReference(0, ImageLayout.ColorAttachmentOptimal);
        var depthRef = new AttachmentReference(1, ImageLayout.DepthStencilAttachmentOptimal);
        var resolveRef = new AttachmentReference(2, ImageLayout.ColorAttachmentOptimal);
        var subpass = new SubpassDescription
        {
            PipelineBindPoint = PipelineBindPoint.Graphics, ColorAttachmentCount = 1, PColorAttachments = &colorRef,
            PDepthStencilAttachment = &depthRef, PResolveAttachments = Resolves ? &resolveRef : null,
        };
        // The copy after the pass waits for the colour writes (and the resolve).
        var dependency = new SubpassDependency
        {
            SrcSubpass = 0, DstSubpass = Vk.SubpassExternal,
            SrcStageMask = PipelineStageFlags.ColorAttachmentOutputBit, DstStageMask = PipelineStageFlags.TransferBit,
            SrcAccessMask = AccessFlags.ColorAttachmentWriteBit, DstAccessMask = AccessFlags.TransferReadBit,
        };
        fixed (AttachmentDescription* a = attachments)
        {
            var info = new RenderPassCreateInfo
            {
                SType = StructureType.RenderPassCreateInfo, AttachmentCount = (uint)attachments.Length, PAttachments = a,
                SubpassCount = 1, PSubpasses = &subpass, DependencyCount = 1, PDependencies = &dependency,
            };
            device.Api.CreateRenderPass(device.Handle, in info, null, out var pass).Check("vkCreateRenderPass");
            RenderPass = pass;
        }
    }

    void CreatePipeline()
    {
        var entry = SilkMarshal.StringToPtr("main");
        try
        {
            uint features = fragmentFeatures ?? 0;
            var mapEntry = new SpecializationMapEntry(0, 0, 4);
            var specialization = new SpecializationInfo { MapEntryCount = 1, PMapEntries = &mapEntry, DataSize = 4, PData = &features };
            var stages = stackalloc PipelineShaderStageCreateInfo[2];
            stages[0] = new PipelineShaderStageCreateInfo { SType = StructureType.PipelineShaderStageCreateInfo, Stage = ShaderStageFlags.VertexBit, Module = vertexModule, PName = (byte*)entry };
            stages[1] = new PipelineShaderStageCreateInfo
            {
                SType = StructureType.PipelineShaderStageCreateInfo, Stage = ShaderStageFlags.FragmentBit, Module = fragmentModule, PName = (byte*)entry,
                PSpecializationInfo = fragmentFeatures is null ? null : &specialization,
            };
            var vertexInput = new PipelineVertexInputStateCreateInfo { SType = StructureType.PipelineVertexInputStateCreateInfo };
            var assembly = new PipelineInputAssemblyStateCreateInfo { SType = StructureType.PipelineInputAssemblyStateCreateInfo, Topology = PrimitiveTopology.TriangleList };
            var viewport = new PipelineViewportStateCreateInfo { SType = StructureType.PipelineViewportStateCreateInfo, ViewportCount = 1, ScissorCount = 1 };
            var raster = new PipelineRasterizationStateCreateInfo
            {
                SType = StructureType.PipelineRasterizationStateCreateInfo, PolygonMode = PolygonMode.Fill, CullMode = CullModeFlags.None,
                FrontFace = FrontFace.CounterClockwise, LineWidth = 1,
            };
            var multisample = new PipelineMultisampleStateCreateInfo { SType = StructureType.PipelineMultisampleStateCreateInfo, RasterizationSamples = Samples };
            var depthStencil = new PipelineDepthStencilStateCreateInfo
            {
                SType = StructureType.PipelineDepthStencilStateCreateInfo, DepthTestEnable = true, DepthWriteEnable = !blend, DepthCompareOp = CompareOp.Less,
            };
            var blendAttachment = new PipelineColorBlendAttachmentState
            {
                ColorWriteMask = ColorComponentFlags.RBit | ColorComponentFlags.GBit | ColorComponentFlags.BBit | ColorComponentFlags.ABit,
                BlendEnable = blend,
                SrcColorBlendFactor = BlendFactor.SrcAlpha, DstColorBlendFactor = BlendFactor.OneMinusSrcAlpha, ColorBlendOp = BlendOp.Add,
                SrcAlphaBlendFactor = BlendFactor.One, DstAlphaBlendFactor = BlendFactor.OneMinusSrcAlpha, AlphaBlendOp = BlendOp.Add,
            };
            var blendState = new PipelineColorBlendStateCreateInfo { SType = StructureType.PipelineColorBlendStateCreateInfo, AttachmentCount = 1, PAttachments = &blendAttachment };
            var dynamicStates = stackalloc DynamicState[] { DynamicState.Viewport, DynamicState.Scissor };
            var dynamic = new PipelineDynamicStateCreateInfo { SType = StructureType.PipelineDynamicStateCreateInfo, DynamicStateCount = 2, PDynamicStates = dynamicStates };
            var info = new GraphicsPipelineCreateInfo
            {
                SType = StructureType.GraphicsPipelineCreateInfo, StageCount = 2, PStages = stages, PVertexInputState = &vertexInput,
                PInputAssemblyState = &assembly, PViewportState = &viewport, PRasterizationState = &raster, PMultisampleState = &multisample,
                PDepthStencilState = &depthStencil, PColorBlendState = &blendState, PDynamicState = &dynamic, Layout = Layout, RenderPass = RenderPass, Subpass = 0,
            };
            device.Api.CreateGraphicsPipelines(device.Handle, default, 1, in info, null, out var pipeline).Check("vkCreateGraphicsPipelines");
            Pipeline = pipeline;
        }
        finally
        {
            SilkMarshal.Free(entry);
        }
    }

    public void Bind(int binding, GpuBuffer buffer)
    {
        var info = new DescriptorBufferInfo(buffer.Handle, 0, Vk.WholeSize);
        var write = new WriteDescriptorSet
        {
            SType = StructureType.WriteDescriptorSet, DstSet = Set, DstBinding = (uint)binding, DescriptorCount = 1,
            DescriptorType = DescriptorType.StorageBuffer, PBufferInfo = &info,
        };
        device.Api.UpdateDescriptorSets(device.Handle, 1, in write, 0, null);
    }

    public void Dispose()
    {
        var vk = device.Api;
        var d = device.Handle;
        if (pool.Handle != 0) { vk.DestroyDescriptorPool(d, pool, null); pool = default; }
        if (Pipeline.Handle != 0) { vk.DestroyPipeline(d, Pipeline, null); Pipeline = default; }
        if (Layout.Handle != 0) { vk.DestroyPipelineLayout(d, Layout, null); Layout = default; }
        if (setLayout.Handle != 0) { vk.DestroyDescriptorSetLayout(d, setLayout, null); setLayout = default; }
        if (fragmentModule.Handle != 0) { vk.DestroyShaderModule(d, fragmentModule, null); fragmentModule = default; }
        if (vertexModule.Handle != 0) { vk.DestroyShaderModule(d, vertexModule, null); vertexModule = default; }
        if (RenderPass.Handle != 0) { vk.DestroyRenderPass(d, RenderPass, null); RenderPass = default; }
    }
}
