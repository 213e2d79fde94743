using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Silk.NET.Core;
using Silk.NET.Core.Native;
using Silk.NET.Vulkan;

namespace RenderNet.Vulkan;

/// <summary>Owns the Vulkan loader API and a VkInstance; enumerates physical devices.</summary>
public sealed unsafe class VulkanInstance : IDisposable
{
    public const string ValidationLayer = "VK_LAYER_KHRONOS_validation";
    public const string ValidationEnvironmentVariable = "RENDERNET_VALIDATION";

    internal Vk Api { get; }
    internal Instance Handle { get; private set; }
    public bool ValidationEnabled { get; }
    DebugUtilsMessengerEXT messenger;
    GCHandle self;
    int validationErrors;

    /// <summary>Errors reported by the validation layer so far (each is also printed on stderr).</summary>
    public int ValidationErrors => Volatile.Read(ref validationErrors);
    /// <summary>Set when validation was requested but the layer is not installed.</summary>
    public string? ValidationWarning { get; }

    public VulkanInstance(bool validation = false)
    {
        validation |= Environment.GetEnvironmentVariable(ValidationEnvironmentVariable) is "1" or "true";
        try
        {
            Api = Vk.GetApi();
        }
        catch (Exception ex) when (ex is DllNotFoundException or FileNotFoundException or TypeInitializationException or PlatformNotSupportedException)
        {
            throw new NoVulkanDeviceException("the Vulkan loader (libvulkan.so.1) is not installed: on Debian run apt-get install libvulkan1 mesa-vulkan-drivers");
        }

        var layers = new List<string>();
        if (validation)
        {
            if (AvailableLayers().Contains(ValidationLayer)) layers.Add(ValidationLayer);
            else ValidationWarning = $"validation requested but {ValidationLayer} is not installed (Debian: apt-get install vulkan-validationlayers)";
        }
        ValidationEnabled = layers.Count > 0;

        var appName = SilkMarshal.StringToPtr("RenderNet");
        var layerNames = SilkMarshal.StringArrayToPtr(layers);
        string[] extensions = ValidationEnabled ? ["VK_EXT_debug_utils"] : [];
        var extensionNames = SilkMarshal.StringArrayToPtr(extensions);
        try
        {
            var app = new ApplicationInfo
            {
                SType = StructureType.ApplicationInfo,
                PApplicationName = (byte*)appName,
                PEngineName = (byte*)appName,
                ApiVersion = Vk.Version12,
            };
            var info = new InstanceCreateInfo
            {
                SType = StructureType.InstanceCreateInfo,
                PApplicationInfo = &app,
                EnabledLayerCount = (uint)layers.Count,
                PpEnabledLayerNames = (byte**)layerNames,
                EnabledExtensionCount = (uint)extensions.Length,
                PpEnabledExtensionNames = (byte**)extensionNames,
            };
            var result = Api.CreateInstance(in info, null, out var instance);
            if (result == Result.ErrorIncompatibleDriver)
                throw new NoVulkanDeviceException("no Vulkan driver found: install one (on Debian: apt-get install mesa-vulkan-drivers)");
            result.Check("vkCreateInstance");
            Handle = instance;
            if (ValidationEnabled) CreateMessenger();
        }
        finally
        {
            SilkMarshal.Free(appName);
            SilkMarshal.Free(layerNames);
            SilkMarshal.Free(extensionNames);
        }
    }

    // VK_EXT_debug_utils is loaded by hand: its Silk.NET extension package is not available to us.
    void CreateMessenger()
    {
        self = GCHandle.Alloc(this);
        var info = new DebugUtilsMessengerCreateInfoEXT
        {
            SType = StructureType.DebugUtilsMessengerCreateInfoExt,
            MessageSeverity = DebugUtilsMessageSeverityFlagsEXT.WarningBitExt | DebugUtilsMessageSeverityFlagsEXT.ErrorBitExt,
            MessageType = DebugUtilsMessageTypeFlagsEXT.GeneralBitExt | DebugUtilsMessageTypeFlagsEXT.ValidationBitExt | DebugUtilsMessageTypeFlagsEXT.PerformanceBitExt,
            PfnUserCallback = new PfnDebugUtilsMessengerCallbackEXT(&OnValidationMessage),
            PUserData = (void*)GCHandle.ToIntPtr(self),
        };
        var create = (delegate* unmanaged[Cdecl]<Instance, DebugUtilsMessengerCreateInfoEXT*, AllocationCallbacks*, DebugUtilsMessengerEXT*, Result>)
            Api.GetInstanceProcAddr(Handle, "vkCreateDebugUtilsMessengerEXT").Handle;
        if (create == null) return;
        DebugUtilsMessengerEXT m;
        create(Handle, &info, null, &m).Check("vkCreateDebugUtilsMessengerEXT");
        messenger = m;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static Bool32 OnValidationMessage(DebugUtilsMessageSeverityFlagsEXT severity, DebugUtilsMessageTypeFlagsEXT types, DebugUtilsMessengerCallbackDataEXT* data, void* user)
    {
        var instance = (VulkanInstance?)GCHandle.FromIntPtr((nint)user).Target;
        bool error = (severity & DebugUtilsMessageSeverityFlagsEXT.ErrorBitExt) != 0;
        if (error && instance is not null) Interlocked.Increment(ref instance.validationErrors);
        string message = SilkMarshal.PtrToString((nint)data->PMessage) ?? "";
        Console.Error.WriteLine($"rendernet: vulkan validation {(error ? "error" : "warning")}: {message}");
        return false;
    }

    HashSet<string> AvailableLayers()
    {
        uint count = 0;
        Api.EnumerateInstanceLayerProperties(ref count, null);
        var props = new LayerProperties[count];
        fixed (LayerProperties* p = props) Api.EnumerateInstanceLayerProperties(ref count, p);
        var names = new HashSet<string>();
        foreach (var layer in props) names.Add(SilkMarshal.PtrToString((nint)layer.LayerName)!);
        return names;
    }

    internal PhysicalDevice[] PhysicalDevices()
    {
        uint count = 0;
        Api.EnumeratePhysicalDevices(Handle, ref count, null).Check("vkEnumeratePhysicalDevices");
        var devices = new PhysicalDevice[count];
        fixed (PhysicalDevice* p = devices) Api.EnumeratePhysicalDevices(Handle, ref count, p).Check("vkEnumeratePhysicalDevices");
        return devices;
    }

    public IReadOnlyList<GpuDeviceInfo> Devices()
    {
        var result = new List<GpuDeviceInfo>();
        var physical = PhysicalDevices();
        for (int i = 0; i < physical.Length; i++) result.Add(Describe(i, physical[i]));
        return result;
    }

    internal GpuDeviceInfo Describe(int index, PhysicalDevice device)
    {
        var driver = new PhysicalDeviceDriverProperties { SType = StructureType.PhysicalDeviceDriverProperties };
        var props2 = new PhysicalDeviceProperties2 { SType = StructureType.PhysicalDeviceProperties2, PNext = &driver };
        Api.GetPhysicalDeviceProperties(device, out var props);
        bool hasDriverProps = props.ApiVersion >= Vk.Version12;
        if (hasDriverProps) Api.GetPhysicalDeviceProperties2(device, &props2);

        uint familyCount = 0;
        Api.GetPhysicalDeviceQueueFamilyProperties(device, ref familyCount, null);
        var families = new QueueFamilyProperties[familyCount];
        fixed (QueueFamilyProperties* f = families) Api.GetPhysicalDeviceQueueFamilyProperties(device, ref familyCount, f);

        var type = props.DeviceType switch
        {
            PhysicalDeviceType.DiscreteGpu => GpuDeviceType.Discrete,
            PhysicalDeviceType.IntegratedGpu => GpuDeviceType.Integrated,
            PhysicalDeviceType.VirtualGpu => GpuDeviceType.Virtual,
            PhysicalDeviceType.Cpu => GpuDeviceType.Cpu,
            _ => GpuDeviceType.Other,
        };
        uint v = props.ApiVersion;
        return new GpuDeviceInfo(
            index,
            SilkMarshal.PtrToString((nint)props.DeviceName) ?? "(unnamed)",
            type,
            hasDriverProps ? SilkMarshal.PtrToString((nint)driver.DriverName) ?? "" : "",
            hasDriverProps ? SilkMarshal.PtrToString((nint)driver.DriverInfo) ?? "" : $"driver version {props.DriverVersion}",
            $"{v >> 22}.{(v >> 12) & 0x3FF}.{v & 0xFFF}",
            props.VendorID, props.DeviceID, props.Limits.MaxStorageBufferRange,
            families.Any(f => (f.QueueFlags & QueueFlags.ComputeBit) != 0));
    }

    public void Dispose()
    {
        if (messenger.Handle != 0)
        {
            var destroy = (delegate* unmanaged[Cdecl]<Instance, DebugUtilsMessengerEXT, AllocationCallbacks*, void>)
                Api.GetInstanceProcAddr(Handle, "vkDestroyDebugUtilsMessengerEXT").Handle;
            if (destroy != null) destroy(Handle, messenger, null);
            messenger = default;
        }
        if (self.IsAllocated) self.Free();
        if (Handle.Handle != 0)
        {
            Api.DestroyInstance(Handle, null);
            Handle = default;
        }
        Api.Dispose();
    }
}
