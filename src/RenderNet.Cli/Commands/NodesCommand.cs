using System.CommandLine;
using System.Text.Json;
using Grpc.Core;
using RenderNet.Farm;
using Spectre.Console;

namespace RenderNet.Cli.Commands;

/// <summary>`rendernet nodes host:port,...`: each node's capabilities and health.</summary>
static class NodesCommand
{
    public static Command Create()
    {
        var addresses = new Argument<string[]>("nodes") { Description = "host:port,host:port,...", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("nodes", "Show render nodes' capabilities and health") { addresses, json };
        command.SetAction((parse, cancellation) => UserErrors.Run(async () =>
        {
            var list = parse.GetValue(addresses)!.SelectMany(a => a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToList();
            var rows = await Task.WhenAll(list.Select(async address =>
            {
                using var client = new NodeClient(address);
                try
                {
                    var caps = await client.GetCapabilitiesAsync(TimeSpan.FromSeconds(5), cancellation);
                    var health = await client.HealthAsync(TimeSpan.FromSeconds(5), cancellation);
                    return (address, caps, health, error: (string?)null);
                }
                catch (RpcException ex)
                {
                    return (address, caps: (RenderNet.Protocol.Capabilities?)null, health: (RenderNet.Protocol.HealthReply?)null, error: (string?)$"{ex.StatusCode}: {ex.Status.Detail}");
                }
            }));
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows.Select(x => new
                {
                    address = x.address, error = x.error, node_id = x.caps?.NodeId, device = x.caps?.DeviceName, device_type = x.caps?.DeviceType,
                    driver = x.caps?.Driver, vulkan = x.caps?.VulkanApiVersion, fingerprint = x.caps?.PipelineFingerprint,
                    protocol_version = x.caps?.ProtocolVersion, job_kinds = x.caps?.JobKinds.ToArray(), max_concurrent_tiles = x.caps?.MaxConcurrentTiles,
                    price_per_tile = x.caps?.PricePerTile, max_scene_bytes = x.caps?.MaxSceneBytes,
                    serving = x.health?.Serving, tiles_in_flight = x.health?.TilesInFlight, tiles_rendered = x.health?.TilesRendered,
                    cached_scenes = x.health?.CachedScenes, uptime_s = x.health?.UptimeSeconds,
                }), new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                var table = new Table().AddColumns("Node", "Id", "Device", "Driver", "Vulkan", "Fingerprint", "Slots", "Price", "Health");
                foreach (var x in rows)
                    // Everything a node says is cleaned of control characters (terminal escapes) and bounded before printing.
                    table.AddRow(Markup.Escape(x.address), Markup.Escape(x.caps is null ? "-" : Printable.Clean(x.caps.NodeId, 64)),
                        Markup.Escape(x.caps is null ? "-" : Printable.Clean($"{x.caps.DeviceName} ({x.caps.DeviceType})", 80)),
                        Markup.Escape(x.caps is null ? "-" : Printable.Clean(x.caps.Driver, 64)), Markup.Escape(x.caps is null ? "-" : Printable.Clean(x.caps.VulkanApiVersion, 16)),
                        Markup.Escape(x.caps is null ? "-" : Printable.Short(x.caps.PipelineFingerprint)),
                        x.caps?.MaxConcurrentTiles.ToString() ?? "-", x.caps?.PricePerTile.ToString() ?? "-",
                        Markup.Escape(x.error is not null ? Printable.Clean(x.error) : x.health!.Serving ? $"serving, {x.health.TilesInFlight} in flight, {x.health.TilesRendered} rendered" : "draining"));
                AnsiConsole.Write(table);
            }
            return rows.Any(x => x.error is not null) ? ExitCodes.DeviceError : ExitCodes.Success;
        }));
        return command;
    }
}
