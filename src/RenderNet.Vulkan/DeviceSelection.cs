namespace RenderNet.Vulkan;

/// <summary>
/// Picks the physical device: a selector (index, or case-insensitive name substring) from the command line or the
/// RENDERNET_DEVICE environment variable wins; otherwise the best type (discrete &gt; integrated &gt; virtual &gt; CPU),
/// the first such device on ties. Only devices with a compute queue qualify.
/// </summary>
public static class DeviceSelection
{
    public const string EnvironmentVariable = "RENDERNET_DEVICE";

    public static GpuDeviceInfo Choose(IReadOnlyList<GpuDeviceInfo> devices, string? selector)
    {
        var usable = devices.Where(d => d.HasComputeQueue).ToList();
        if (usable.Count == 0)
            throw new NoVulkanDeviceException(devices.Count == 0
                ? "no Vulkan device found: install a Vulkan driver (on Debian: apt-get install mesa-vulkan-drivers libvulkan1)"
                : "no Vulkan device with a compute queue found");
        if (string.IsNullOrWhiteSpace(selector))
            return usable.OrderByDescending(d => d.Type).ThenBy(d => d.Index).First();

        if (int.TryParse(selector, out int index))
            return usable.FirstOrDefault(d => d.Index == index)
                ?? throw new NoVulkanDeviceException($"no Vulkan device with index {index}; available: {Describe(usable)}");
        return usable.FirstOrDefault(d => d.Name.Contains(selector, StringComparison.OrdinalIgnoreCase))
            ?? throw new NoVulkanDeviceException($"no Vulkan device matches '{selector}'; available: {Describe(usable)}");
    }

    static string Describe(IEnumerable<GpuDeviceInfo> devices) => string.Join(", ", devices.Select(d => $"{d.Index}: {d.Name}"));
}
