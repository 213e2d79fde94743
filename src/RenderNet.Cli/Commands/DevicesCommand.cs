using System.CommandLine;
using System.Text.Json;
using RenderNet.Vulkan;
using Spectre.Console;

namespace RenderNet.Cli.Commands;

/// <summary>`rendernet devices`: lists Vulkan devices with type, driver and API version, marking the one a render would use.</summary>
static class DevicesCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("devices", "List Vulkan devices") { json };
        command.SetAction((parse, _) => UserErrors.Run(() =>
        {
            using var instance = new VulkanInstance();
            var devices = instance.Devices();
            int? chosen = null;
            try { chosen = DeviceSelection.Choose(devices, Environment.GetEnvironmentVariable(DeviceSelection.EnvironmentVariable)).Index; }
            catch (NoVulkanDeviceException) { }
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(devices.Select(d => new
                {
                    index = d.Index, name = d.Name, type = d.Type.ToString().ToLowerInvariant(), driver = d.DriverName,
                    driver_info = d.DriverInfo, api_version = d.ApiVersion, vendor_id = d.VendorId, device_id = d.DeviceId,
                    max_storage_buffer_range = d.MaxStorageBufferRange, selected = d.Index == chosen,
                }), new JsonSerializerOptions { WriteIndented = true }));
                return Task.FromResult(ExitCodes.Success);
            }
            if (devices.Count == 0)
                throw new NoVulkanDeviceException("no Vulkan device found: install a Vulkan driver (on Debian: apt-get install mesa-vulkan-drivers)");
            var table = new Table().AddColumns("", "#", "Name", "Type", "Driver", "Vulkan");
            foreach (var d in devices)
                table.AddRow(d.Index == chosen ? "*" : "", d.Index.ToString(), Markup.Escape(d.Name), d.Type.ToString(),
                    Markup.Escape($"{d.DriverName} {d.DriverInfo}".Trim()), d.ApiVersion);
            AnsiConsole.Write(table);
            return Task.FromResult(ExitCodes.Success);
        }));
        return command;
    }
}
