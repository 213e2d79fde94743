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
public sealed class NodeRoster(ServiceOptions options, ServiceNodes nodes)
{
    public IReadOnlyList<string> Addresses => nodes.Current;

    /// <summary>The job kind nodes list for transcodes (renders are "path-trace").</summary>
    public const string Transcode = "transcode", PathTrace = "path-trace";

    /// <param name="calibrate">Have each node measure its speed once (slow the first time: pipelines are built).</param>
    /// <param name="jobKind">The kind of work the nodes are wanted for: it decides which fingerprint must match.</param>
    public async Task<IReadOnlyList<NodeProbe>> ProbeAsync(bool calibrate, CancellationToken cancellation, string jobKind = PathTrace)
    {
        var timeout = calibrate ? options.Farm.ConnectTimeout + TimeSpan.FromSeconds(120) : options.Farm.ConnectTimeout;
        var probes = await Task.WhenAll(Addresses.Select(async address =>
        {
            using var client = nodes.Connector.Connect(address, NodeClient.DefaultMaxReplyBytes);
            try
            {
                var caps = await client.GetCapabilitiesAsync(timeout, cancellation, calibrate);
                return new NodeProbe(address, caps, Problem(caps, jobKind));
            }
            catch (RpcException ex) when (!cancellation.IsCancellationRequested)
            {
                return new NodeProbe(address, null, $"unreachable ({Printable.Clean(ex.Status.Detail)})");
            }
        }));
        // Tiles (segments) must be bit-identical wherever they run: the job uses the pipeline most nodes share.
        string Fingerprint(Capabilities caps) => jobKind == Transcode ? caps.TranscodeFingerprint : caps.PipelineFingerprint;
        var majority = (jobKind == PathTrace ? options.Farm.ExpectedFingerprint : null)
                       ?? probes.Where(p => p.Usable).GroupBy(p => Fingerprint(p.Caps!)).OrderByDescending(g => g.Count()).FirstOrDefault()?.Key;
        return probes.Select(p => p.Usable && Fingerprint(p.Caps!) != majority
            ? p with { Problem = $"another pipeline ({Printable.Short(Fingerprint(p.Caps!))}), its results would not match" } : p).ToList();
    }

    string? Problem(Capabilities caps, string jobKind)
    {
        var payer = options.Payer;
        if (!caps.JobKinds.Contains(jobKind)) return jobKind == Transcode ? "does not transcode" : "does not render frames";
        if (caps.PaymentAddress.Length > 0 && payer is null) return "renders for pay, and this service has no wallet";
        if (caps.PaymentAddress.Length > 0 && (!string.Equals(caps.EscrowAddress, payer!.EscrowAddress, StringComparison.OrdinalIgnoreCase) || (long)caps.ChainId != payer.ChainId))
            return $"is paid on escrow {Printable.Short(caps.EscrowAddress, 42)} (chain {caps.ChainId}), not this wallet's";
        if (caps.PaymentAddress.Length > 0 && options.Farm.MaxPrice is { } max && caps.PricePerTile > max)
            return $"asks {caps.PricePerTile} per price unit, above the service's maximum of {max}";
        return null;
    }

    /// <summary>Who a probed node is across jobs: its payout address, the key it joined with, else its address.</summary>
    public static string IdentityOf(NodeProbe probe) =>
        probe.Caps is { PaymentAddress.Length: > 0 } caps ? caps.PaymentAddress.ToLowerInvariant() : JoinedNodeAddress.PayoutOf(probe.Address) ?? probe.Address;

    /// <param name="work">What the node has done for this service (<see cref="JobManager.NodeWork"/>), if anything.</param>
    /// <param name="record">Its record across jobs, and the policy that reads it.</param>
    public static NodeLine Line(NodeProbe probe, NodeWork? work = null, NodeRecord? record = null, ReputationPolicy? policy = null) => new()
    {
        Identity = IdentityOf(probe),
        Standing = (policy?.StandingOf(record) ?? NodeStanding.Probation).ToString().ToLowerInvariant(),
        Verified = record?.Verified ?? 0,
        TimedOut = record?.TimedOut ?? 0,
        Denied = record?.Denied,
        Joined = JoinedNodeAddress.PayoutOf(probe.Address) is not null,
        Id = probe.Caps is { } c ? Printable.Clean(c.NodeId, 64) : "",
        Address = probe.Address,
        Device = probe.Caps is { } d ? Printable.Clean(d.DeviceName, 120) : "",
        Fingerprint = probe.Caps is { } f ? Printable.Clean(f.PipelineFingerprint, 80) : "",
        Tiles = work?.Tiles ?? 0,
        SpotChecks = work?.SpotChecks ?? 0,
        Failures = work?.Failures ?? 0,
        Convictions = work?.Convictions ?? 0,
        Paid = ServiceMapping.Tokens(work?.Paid ?? 0),
        Price = ServiceMapping.Tokens(probe.Caps?.PricePerTile ?? 0),
        SamplesPerSecond = probe.Caps is { } s && double.IsFinite(s.PathSamplesPerSecond) && s.PathSamplesPerSecond >= 0 ? s.PathSamplesPerSecond : 0,
        Healthy = probe.Usable,
        Problem = probe.Problem,
    };
}
