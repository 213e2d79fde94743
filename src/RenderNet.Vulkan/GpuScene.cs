using RenderNet.Core.Acceleration;
using RenderNet.Core.Scenes;
using Silk.NET.Vulkan;

namespace RenderNet.Vulkan;

/// <summary>A scene resident on the device: the packed buffers of <see cref="GpuSceneData"/>, uploaded once.</summary>
public sealed class GpuScene : IDisposable
{
    readonly GpuBuffer[] buffers;

    public GpuSceneData Data { get; }
    internal IReadOnlyList<GpuBuffer> Buffers => buffers;

    public GpuScene(VulkanDevice device, Scene scene, Bvh bvh) : this(device, GpuSceneData.Pack(scene, bvh)) { }

    public GpuScene(VulkanDevice device, GpuSceneData data)
    {
        Data = data;
        ulong limit = device.Info.MaxStorageBufferRange;
        foreach (var (name, bytes) in data.BufferSizes())
            if ((ulong)bytes > limit)
                throw new SceneTooLargeException(
                    $"the scene's {name} need {bytes / (1024.0 * 1024):F1} MiB, but {device.Info.Name} allows at most " +
                    $"{limit / (1024.0 * 1024):F0} MiB per storage buffer ({data.TriangleCount:N0} triangles); reduce the scene or use a device with a larger maxStorageBufferRange");
        var list = new List<GpuBuffer>();
        try
        {
            const BufferUsageFlags usage = BufferUsageFlags.StorageBufferBit;
            list.Add(GpuBuffer.CreateWithData<uint>(device, data.TriVerts, usage));
            list.Add(GpuBuffer.CreateWithData<uint>(device, data.TriShading, usage));
            list.Add(GpuBuffer.CreateWithData<uint>(device, data.Nodes, usage));
            list.Add(GpuBuffer.CreateWithData<uint>(device, data.Materials, usage));
            list.Add(GpuBuffer.CreateWithData<uint>(device, data.Textures, usage));
            list.Add(GpuBuffer.CreateWithData<uint>(device, data.Texels, usage));
            list.Add(GpuBuffer.CreateWithData<float>(device, data.Lights, usage));
            list.Add(GpuBuffer.CreateWithData<uint>(device, data.LightTreeNodes, usage));
        }
        catch
        {
            foreach (var b in list) b.Dispose();
            throw;
        }
        buffers = list.ToArray();
    }

    public void Dispose()
    {
        foreach (var b in buffers) b.Dispose();
    }
}
