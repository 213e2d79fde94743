using Grpc.Core;
using RenderNet.Client.Wire;
using RenderNet.Farm;
using RenderNet.Protocol;

namespace RenderNet.Service;

/// <summary>A node as last probed: its capabilities, or why it cannot be used.</summary>
public sealed record NodeProbe(string Address, Capabilities? Caps, string? Problem)
{
    public bool Usable => Caps is not null && Problem is null;
}

/// <summary>
/// The service's nodes and their health: asks each for its capabilities (with a deadline), and says which can take
/// a render job for this service — reachable, offering frames, payable by its wallet, on the pipeline most share.
/// </summary>
public sealed class NodeRoster(ServiceOptions options)
{
    public IReadOnlyList<string> Addresses => options.Nodes;

    /// <param name="calibrate">Have each node measure its speed once (slow the first time: pipelines are built).</param>
    public async Task<IReadOnlyList<NodeProbe>> ProbeAsync(bool calibrate, CancellationToken cancellation)
    {
        var timeout = calibrate ? options.Farm.ConnectTimeout + TimeSpan.FromSeconds(120) : options.Farm.ConnectTimeout;
        var probes = await Task.WhenAll(options.Nodes.Select(async address =>
        {
            using var client = new NodeClient(address);
            try
            {
                var caps = await client.GetCapabilitiesAsync(timeout, cancellation, calibrate);
                return new NodeProbe(address, caps, Problem(caps));
            }
            catch (RpcException ex) when (!cancellation.IsCancellationRequested)
            {
                return new NodeProbe(address, null, $"unreachable ({Printable.Clean(ex.Status.Detail)})");
            }
        }));
        // Tiles must be bit-identical wherever they render: the job uses the pipeline most nodes share.
        var majority = options.Farm.ExpectedFingerprint ?? probes.Where(p => p.Usable).GroupBy(p => p.Caps!.PipelineFingerprint)
            .OrderByDescending(g => g.Count()).FirstOrDefault()?.Key;
        return probes.Select(p => p.Usable && p.Caps!.PipelineFingerprint != majority
            ? p with { Problem = $"another pipeline ({Printable.Short(p.Caps.PipelineFingerprint)}), its tiles would not match" } : p).ToList();
    }

    string? Problem(Capabilities caps)
    {
        var payer = options.Payer;
        if (!caps.JobKinds.Contains("path-trace")) return "does not render frames";
        if (caps.PaymentAddress.Length > 0 && payer is null) return "renders for pay, and this service has no wallet";
        if (caps.PaymentAddress.Length > 0 && (!string.Equals(caps.EscrowAddress, payer!.EscrowAddress, StringComparison.OrdinalIgnoreCase) || (long)caps.ChainId != payer.ChainId))
            return $"is paid on escrow {Printable.Short(caps.EscrowAddress, 42)} (chain {caps.ChainId}), not this wallet's";
        if (caps.PaymentAddress.Length > 0 && options.Farm.MaxPrice is { } max && caps.PricePerTile > max)
            return $"asks {caps.PricePerTile} per price unit, above the service's maximum of {max}";
        return null;
    }

    public static NodeLine Line(NodeProbe probe) => new()
    {
        Id = probe.Caps is { } c ? Printable.Clean(c.NodeId, 64) : "",
        Address = probe.Address,
        Device = probe.Caps is { } d ? Printable.Clean(d.DeviceName, 120) : "",
        Price = ServiceMapping.Tokens(probe.Caps?.PricePerTile ?? 0),
        SamplesPerSecond = probe.Caps is { } s && double.IsFinite(s.PathSamplesPerSecond) && s.PathSamplesPerSecond >= 0 ? s.PathSamplesPerSecond : 0,
        Healthy = probe.Usable,
        Problem = probe.Problem,
    };
}
