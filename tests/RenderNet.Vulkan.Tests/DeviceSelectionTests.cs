namespace RenderNet.Vulkan.Tests;

public class DeviceSelectionTests
{
    static GpuDeviceInfo D(int index, string name, GpuDeviceType type, bool compute = true) =>
        new(index, name, type, "drv", "", "1.3.0", 0, 0, 1 << 27, compute);

    static readonly GpuDeviceInfo[] Devices =
    [
        D(0, "llvmpipe", GpuDeviceType.Cpu),
        D(1, "Intel UHD 770", GpuDeviceType.Integrated),
        D(2, "NVIDIA GeForce RTX 4090", GpuDeviceType.Discrete),
        D(3, "Virtio GPU", GpuDeviceType.Virtual),
    ];

    [Fact]
    public void Prefers_discrete_then_integrated_then_virtual_then_cpu()
    {
        Assert.Equal(2, DeviceSelection.Choose(Devices, null).Index);
        Assert.Equal(1, DeviceSelection.Choose(Devices.Where(d => d.Index != 2).ToList(), null).Index);
        Assert.Equal(3, DeviceSelection.Choose([Devices[0], Devices[3]], null).Index);
        Assert.Equal(0, DeviceSelection.Choose([Devices[0]], "").Index);
    }

    [Fact]
    public void Selector_by_index_or_name_substring_overrides_the_ranking()
    {
        Assert.Equal(0, DeviceSelection.Choose(Devices, "0").Index);
        Assert.Equal(1, DeviceSelection.Choose(Devices, "intel").Index);
        Assert.Equal(2, DeviceSelection.Choose(Devices, "RTX").Index);
    }

    [Fact]
    public void Unknown_selectors_list_what_exists()
    {
        var ex = Assert.Throws<NoVulkanDeviceException>(() => DeviceSelection.Choose(Devices, "7"));
        Assert.Contains("index 7", ex.Message);
        Assert.Contains("2: NVIDIA GeForce RTX 4090", ex.Message);
        ex = Assert.Throws<NoVulkanDeviceException>(() => DeviceSelection.Choose(Devices, "radeon"));
        Assert.Contains("'radeon'", ex.Message);
    }

    [Fact]
    public void Devices_without_compute_are_never_chosen()
    {
        var list = new[] { D(0, "display only", GpuDeviceType.Discrete, compute: false), D(1, "llvmpipe", GpuDeviceType.Cpu) };
        Assert.Equal(1, DeviceSelection.Choose(list, null).Index);
        Assert.Throws<NoVulkanDeviceException>(() => DeviceSelection.Choose([], null));
    }
}
