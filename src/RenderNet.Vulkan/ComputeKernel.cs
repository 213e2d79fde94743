using Silk.NET.Core.Native;
using Silk.NET.Vulkan;

namespace RenderNet.Vulkan;

/// <summary>
/// A compute pipeline from one SPIR-V module with a single descriptor set (bindings 0..n-1 of the given types),
/// one push-constant range, and its own descriptor pool and set. Owns every handle it creates.
/// </summary>
public sealed unsafe class ComputeKernel : IDisposable
{
    readonly VulkanDevice device;
    readonly DescriptorType[] bindings;
    ShaderModule module;
    DescriptorSetLayout setLayout;
    PipelineLayout layout;
    Pipeline pipeline;
    DescriptorPool pool;
    DescriptorSet set;
    public uint PushConstantSize { get; }

    /// <param name="specialization">Values of the shader's 32-bit specialization constants 0, 1, …: the driver compiles
    /// the code they switch off out of the pipeline.</param>
    public ComputeKernel(VulkanDevice device, byte[] spirv, DescriptorType[] bindings, uint pushConstantSize, uint[]? specialization = null)
    {
        this.device = device;
        this.bindings = bindings;
        PushConstantSize = pushConstantSize;
        var vk = device.Api;
        try
        {
            fixed (byte* code = spirv)
            {
                var moduleInfo = new ShaderModuleCreateInfo { SType = StructureType.ShaderModuleCreateInfo, CodeSize = (nuint)spirv.Length, PCode = (uint*)code };
                vk.CreateShaderModule(device.Handle, in moduleInfo, null, out module).Check("vkCreateShaderModule");
            }

            var layoutBindings = new DescriptorSetLayoutBinding[bindings.Length];
            for (int i = 0; i < bindings.Length; i++)
                layoutBindings[i] = new DescriptorSetLayoutBinding((uint)i, bindings[i], 1, ShaderStageFlags.ComputeBit);
            fixed (DescriptorSetLayoutBinding* b = layoutBindings)
            {
                var setInfo = new DescriptorSetLayoutCreateInfo { SType = StructureType.DescriptorSetLayoutCreateInfo, BindingCount = (uint)bindings.Length, PBindings = b };
                vk.CreateDescriptorSetLayout(device.Handle, in setInfo, null, out setLayout).Check("vkCreateDescriptorSetLayout");
            }

            var range = new PushConstantRange(ShaderStageFlags.ComputeBit, 0, pushConstantSize);
            var sl = setLayout;
            var layoutInfo = new PipelineLayoutCreateInfo
            {
                SType = StructureType.PipelineLayoutCreateInfo,
                SetLayoutCount = 1,
                PSetLayouts = &sl,
                PushConstantRangeCount = pushConstantSize > 0 ? 1u : 0u,
                PPushConstantRanges = &range,
            };
            vk.CreatePipelineLayout(device.Handle, in layoutInfo, null, out layout).Check("vkCreatePipelineLayout");

            var entry = SilkMarshal.StringToPtr("main");
            specialization ??= [];
            var entries = new SpecializationMapEntry[specialization.Length];
            for (int i = 0; i < entries.Length; i++) entries[i] = new SpecializationMapEntry((uint)i, (uint)(4 * i), 4);
            fixed (uint* values = specialization)
            fixed (SpecializationMapEntry* map = entries)
            try
            {
                var specializationInfo = new SpecializationInfo
                {
                    MapEntryCount = (uint)entries.Length, PMapEntries = map, DataSize = (nuint)(4 * specialization.Length), PData = values,
                };
                var pipelineInfo = new ComputePipelineCreateInfo
                {
                    SType = StructureType.ComputePipelineCreateInfo,
                    Stage = new PipelineShaderStageCreateInfo
                    {
                        SType = StructureType.PipelineShaderStageCreateInfo,
                        Stage = ShaderStageFlags.ComputeBit,
                        Module = module,
                        PName = (byte*)entry,
                        PSpecializationInfo = entries.Length > 0 ? &specializationInfo : null,
                    },
                    Layout = layout,
                };
                vk.CreateComputePipelines(device.Handle, default, 1, in pipelineInfo, null, out pipeline).Check("vkCreateComputePipelines");
            }
            finally
            {
                SilkMarshal.Free(entry);
            }

            var sizes = bindings.GroupBy(t => t).Select(g => new DescriptorPoolSize(g.Key, (uint)g.Count())).ToArray();
            fixed (DescriptorPoolSize* s = sizes)
            {
                var poolInfo = new DescriptorPoolCreateInfo { SType = StructureType.DescriptorPoolCreateInfo, MaxSets = 1, PoolSizeCount = (uint)sizes.Length, PPoolSizes = s };
                vk.CreateDescriptorPool(device.Handle, in poolInfo, null, out pool).Check("vkCreateDescriptorPool");
            }
            var allocInfo = new DescriptorSetAllocateInfo { SType = StructureType.DescriptorSetAllocateInfo, DescriptorPool = pool, DescriptorSetCount = 1, PSetLayouts = &sl };
            vk.AllocateDescriptorSets(device.Handle, in allocInfo, out set).Check("vkAllocateDescriptorSets");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Points binding <paramref name="binding"/> at the whole of <paramref name="buffer"/>.</summary>
    public void Bind(int binding, GpuBuffer buffer)
    {
        var info = new DescriptorBufferInfo(buffer.Handle, 0, Vk.WholeSize);
        var write = new WriteDescriptorSet
        {
            SType = StructureType.WriteDescriptorSet,
            DstSet = set,
            DstBinding = (uint)binding,
            DescriptorCount = 1,
            DescriptorType = bindings[binding],
            PBufferInfo = &info,
        };
        device.Api.UpdateDescriptorSets(device.Handle, 1, in write, 0, null);
    }

    /// <summary>Records pipeline bind, push constants and a dispatch of groupsX×groupsY×1 workgroups.</summary>
    public void RecordDispatch<T>(CommandBuffer cmd, in T pushConstants, uint groupsX, uint groupsY) where T : unmanaged
    {
        var vk = device.Api;
        vk.CmdBindPipeline(cmd, PipelineBindPoint.Compute, pipeline);
        var s = set;
        vk.CmdBindDescriptorSets(cmd, PipelineBindPoint.Compute, layout, 0, 1, &s, 0, null);
        fixed (T* p = &pushConstants)
            vk.CmdPushConstants(cmd, layout, ShaderStageFlags.ComputeBit, 0, (uint)sizeof(T), p);
        vk.CmdDispatch(cmd, groupsX, groupsY, 1);
    }

    public void Dispose()
    {
        var vk = device.Api;
        var d = device.Handle;
        if (pool.Handle != 0) { vk.DestroyDescriptorPool(d, pool, null); pool = default; }
        if (pipeline.Handle != 0) { vk.DestroyPipeline(d, pipeline, null); pipeline = default; }
        if (layout.Handle != 0) { vk.DestroyPipelineLayout(d, layout, null); layout = default; }
        if (setLayout.Handle != 0) { vk.DestroyDescriptorSetLayout(d, setLayout, null); setLayout = default; }
        if (module.Handle != 0) { vk.DestroyShaderModule(d, module, null); module = default; }
    }
}
