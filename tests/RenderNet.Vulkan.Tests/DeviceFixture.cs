using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;

namespace RenderNet.Vulkan.Tests;

/// <summary>
/// One Vulkan device shared by every GPU test (they run one after another in the "device" collection), with the
/// Khronos validation layer on: every render through <see cref="Render"/> also asserts the API was used correctly.
/// </summary>
public sealed class DeviceFixture : IDisposable
{
    public VulkanDevice Device { get; } = VulkanDevice.Open(validation: true);

    public FloatImage Render(Scene scene, FrameSettings frame, int tileSize = 64)
    {
        var image = LocalRender.Render(Device, scene, frame, new TilePlan(frame.Width, frame.Height, tileSize)).Image;
        Assert.Equal(0, Device.ValidationErrors);
        return image;
    }

    public void Dispose() => Device.Dispose();
}

[CollectionDefinition("device")]
public sealed class DeviceCollection : ICollectionFixture<DeviceFixture>;
