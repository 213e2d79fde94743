using System.CommandLine;
using System.Text.Json;
using Grpc.Core;
using RenderNet.Farm;
using Spectre.Console;

namespace RenderNet.Cli.Commands;

/// <summary>`rendernet nodes host:port,...`: each node's capabilities and health; `rendernet nodes --service URL`: a service's nodes and their records.</summary>
static class NodesCommand
{
    public static Command Create()
    {
        var addresses = new Argument<string[]>("nodes") { Description = "host:port,host:port,...", Arity = ArgumentArity.ZeroOrMore };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var service = new Option<Uri?>("--service")
        {
            CustomParser = ServiceRender.ParseAddress,
            Description = "Show this coordinator service's nodes (joined ones included) with their standing and record across its jobs; token in $RENDERNET_SERVICE_TOKEN (default: the local service's)",
        };
        var command = new Command("nodes", "Show render nodes' capabilities and health, or a service's nodes and their records") { addresses, json, service };
        command.SetAction((parse, cancellation) => UserErrors.Run(async () =>
        {
            if (parse.GetValue(service) is { } url) return await ServiceNodesAsync(url, parse.GetValue(json), cancellation);
            if ((parse.GetValue(addresses) ?? []).Length == 0) throw new ArgumentException("give node addresses (host:port,...) or --service URL");
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

    /// <summary>A service's view of its nodes (<c>GET /v1/nodes</c>): health, standing, and what each did across the service's jobs.</summary>
    static async Task<int> ServiceNodesAsync(Uri url, bool json, CancellationToken cancellation)
    {
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ServiceRender.Token());
        string body;
        try { body = await http.GetStringAsync("v1/nodes", cancellation); }
        catch (HttpRequestException ex) { throw new ArgumentException($"the service at {url} did not answer: {ex.Message}", ex); }
        if (json)
        {
            Console.WriteLine(body);
            return ExitCodes.Success;
        }
        var nodes = JsonSerializer.Deserialize<List<RenderNet.Client.Wire.NodeLine>>(body, new JsonSerializerOptions(JsonSerializerDefaults.Web)) ?? [];
        var table = new Table().AddColumns("Node", "Identity", "Standing", "Health", "Device", "Tiles", "Verified", "Failures", "Timeouts", "Convictions", "Paid");
        foreach (var n in nodes)
            table.AddRow(Markup.Escape(Printable.Clean(n.Id, 64)), Markup.Escape(Printable.Clean(n.Identity, 80)),
                Markup.Escape(n.Standing + (n.Joined ? " (joined)" : "")),
                Markup.Escape(n.Healthy ? "healthy" : Printable.Clean(n.Problem ?? "unreachable", 120)), Markup.Escape(Printable.Clean(n.Device, 60)),
                n.Tiles.ToString(), n.Verified.ToString(), n.Failures.ToString(), n.TimedOut.ToString(), n.Convictions.ToString(), Markup.Escape(n.Paid));
        AnsiConsole.Write(table);
        // Reasons on lines of their own: a table cell would wrap them out of recognition in a narrow terminal.
        foreach (var n in nodes.Where(n => n.Denied is not null))
            Console.WriteLine($"{Printable.Clean(n.Identity, 80)} is denied: {Printable.Clean(n.Denied!, 200)}");
        return ExitCodes.Success;
    }

}
