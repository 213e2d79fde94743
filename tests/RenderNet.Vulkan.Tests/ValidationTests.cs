using Silk.NET.Vulkan;

namespace RenderNet.Vulkan.Tests;

[Collection("device")]
public class ValidationTests(DeviceFixture gpu)
{
    [Fact]
    public void The_validation_layer_is_active_in_the_tests()
    {
        Assert.True(gpu.Device.ValidationEnabled, gpu.Device.ValidationWarning ?? "validation layer not enabled");
    }

    [Fact]
    public void Validation_errors_are_caught_and_counted()
    {
        // A deliberately invalid call (a buffer with no usage flags) on a separate device must be reported.
        using var device = VulkanDevice.Open(validation: true);
        Assert.Equal(0, device.ValidationErrors);
        GpuBuffer.CreateHostVisible(device, 16, 0).Dispose();
        Assert.True(device.ValidationErrors > 0);
    }
}
