using System.Runtime.InteropServices;
using RenderNet.Core.Denoising;
using RenderNet.Core.Imaging;
using Silk.NET.Vulkan;

namespace RenderNet.Vulkan;

/// <summary>
/// The denoiser's five filter passes on the Vulkan device (shaders/denoise_atrous.comp), in one submission, ping-ponging
/// between two buffers. Integer arithmetic only: the result equals <see cref="CpuDenoiser"/>'s bit for bit.
/// </summary>
public sealed unsafe class VulkanDenoiser(VulkanDevice device) : IFrameDenoiser
{
    [StructLayout(LayoutKind.Sequential)]
    struct PushConstants { public uint Width, Height, Pass, Pad; }

    /// <summary>True when a frame of this size fits the device's storage buffers (16 bytes per pixel).</summary>
    public bool Fits(int width, int height) => (ulong)width * (ulong)height * 16 <= device.Info.MaxStorageBufferRange;

    public FloatImage Denoise(RenderedFrame frame, CancellationToken cancellation = default)
    {
        var input = DenoiseInput.Prepare(frame);
        cancellation.ThrowIfCancellationRequested();
        return input.Finish(Filter(input));
    }

    /// <exception cref="SceneTooLargeException">The frame does not fit one storage buffer of the device.</exception>
    public uint[] Filter(DenoiseInput input)
    {
        if (!Fits(input.Width, input.Height))
            throw new SceneTooLargeException(
                $"a {input.Width}x{input.Height} frame needs {(ulong)input.Width * (ulong)input.Height * 16 / (1024.0 * 1024):F0} MiB per storage buffer to denoise; this device allows {device.Info.MaxStorageBufferRange / (1024.0 * 1024):F0} MiB");
        ulong bytes = (ulong)input.Colour.Length * sizeof(uint);
        var storage = BufferUsageFlags.StorageBufferBit;
        using var a = GpuBuffer.CreateWithData<uint>(device, input.Colour, storage);
        using var b = GpuBuffer.CreateDeviceLocal(device, bytes, storage);
        using var features = GpuBuffer.CreateWithData<int>(device, input.Features, storage);
        using var tables = GpuBuffer.CreateWithData<uint>(device, [.. AtrousFilter.NormalWeights, .. AtrousFilter.ColourWeights], storage);
        using var readback = GpuBuffer.CreateHostVisible(device, bytes, BufferUsageFlags.TransferDstBit);
        var types = new[] { DescriptorType.StorageBuffer, DescriptorType.StorageBuffer, DescriptorType.StorageBuffer, DescriptorType.StorageBuffer };
        var spirv = ShaderLibrary.Load(ShaderLibrary.DenoiseAtrous);
        using var forward = new ComputeKernel(device, spirv, types, (uint)sizeof(PushConstants));
        using var backward = new ComputeKernel(device, spirv, types, (uint)sizeof(PushConstants));
        forward.Bind(0, a); forward.Bind(1, b);
        backward.Bind(0, b); backward.Bind(1, a);
        foreach (var k in (ReadOnlySpan<ComputeKernel>)[forward, backward]) { k.Bind(2, features); k.Bind(3, tables); }

        var vk = device.Api;
        uint groupsX = ((uint)input.Width + 7) / 8, groupsY = ((uint)input.Height + 7) / 8;
        var last = AtrousFilter.Passes % 2 == 1 ? b : a;
        device.Submit(cmd =>
        {
            for (int pass = 0; pass < AtrousFilter.Passes; pass++)
            {
                var push = new PushConstants { Width = (uint)input.Width, Height = (uint)input.Height, Pass = (uint)pass };
                (pass % 2 == 0 ? forward : backward).RecordDispatch(cmd, push, groupsX, groupsY);
                Barrier(cmd, AccessFlags.ShaderWriteBit, AccessFlags.ShaderReadBit | AccessFlags.TransferReadBit,
                    PipelineStageFlags.ComputeShaderBit, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit);
            }
            var region = new BufferCopy(0, 0, bytes);
            vk.CmdCopyBuffer(cmd, last.Handle, readback.Handle, 1, in region);
            Barrier(cmd, AccessFlags.TransferWriteBit, AccessFlags.HostReadBit, PipelineStageFlags.TransferBit, PipelineStageFlags.HostBit);
        }, "denoising");
        var result = new uint[input.Colour.Length];
        readback.Read<uint>(result);
        return result;
    }

    void Barrier(CommandBuffer cmd, AccessFlags src, AccessFlags dst, PipelineStageFlags srcStage, PipelineStageFlags dstStage)
    {
        var barrier = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = src, DstAccessMask = dst };
        device.Api.CmdPipelineBarrier(cmd, srcStage, dstStage, 0, 1, in barrier, 0, null, 0, null);
    }
}
