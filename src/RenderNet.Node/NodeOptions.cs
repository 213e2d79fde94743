namespace RenderNet.Node;

/// <summary>
/// Faults a node can be told to simulate (environment variable RENDERNET_NODE_FAULT), so the coordinator's handling
/// of hung, lying and mismatched nodes can be tested against real processes.
/// </summary>
public enum NodeFault
{
    None, Hang, CorruptPixels, WrongSize, BadHash, OtherFingerprint, OldProtocol,
    /// <summary>Well-formed tiles with wrong pixels (a cheat that passes every per-tile check; only spot checks catch it).</summary>
    PlausibleLie,
    /// <summary>Renders its first tile, then hangs on every later one (a node that dies half-way, still connected).</summary>
    HangAfterFirstTile,
}

public sealed record NodeOptions
{
    public const string FaultEnvironmentVariable = "RENDERNET_NODE_FAULT";

    /// <summary>host:port to listen on; port 0 picks a free one (the bound address is printed).</summary>
    public string Listen { get; init; } = "127.0.0.1:0";
    public int MaxConcurrentTiles { get; init; } = 2;
    public long MaxSceneBytes { get; init; } = 512L << 20;
    public long SceneCacheBytes { get; init; } = 2L << 30;
    /// <summary>Largest transcode segment (input bytes) the node accepts.</summary>
    public long MaxSegmentBytes { get; init; } = 1L << 30;
    public ulong PricePerTile { get; init; }
    public string? Device { get; init; }
    public string NodeId { get; init; } = $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";
    /// <summary>PFX certificate for TLS; plain HTTP/2 when null.</summary>
    public string? CertificatePath { get; init; }
    public string? CertificatePassword { get; init; }
    /// <summary>How long a stopping node waits for tiles in flight before aborting them (the caller then re-sends them elsewhere).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public NodeFault Fault { get; init; } = NodeFault.None;
    /// <summary>When set, the node renders only for payers with a funded channel on this escrow.</summary>
    public NodePayment? Payment { get; init; }

    public static NodeFault FaultFromEnvironment() =>
        Enum.TryParse<NodeFault>(Environment.GetEnvironmentVariable(FaultEnvironmentVariable), ignoreCase: true, out var f) ? f : NodeFault.None;
}

/// <summary>
/// How a node gets paid: the chain and escrow it accepts vouchers on, its key (the payee; it signs its redeem
/// transactions), and how many delivered tiles a payer may owe before the node stops working for it.
/// </summary>
public sealed record NodePayment(string RpcUrl, long ChainId, string EscrowAddress, string TokenAddress, string NodeKey, int ExposureBound = 2)
{
    /// <summary>Where accepted vouchers are kept (redeemed at the next start after a crash); null keeps them in memory only.</summary>
    public string? StateDirectory { get; init; }
    /// <summary>Redeem as soon as a channel's unredeemed amount reaches this many tiles' worth (0: only at job end).</summary>
    public int RedeemThresholdTiles { get; init; } = 100;
    /// <summary>When set, the node announces its endpoint and price in this NodeRegistry on start.</summary>
    public string? RegistryAddress { get; init; }
    /// <summary>Tokens staked when the node first registers (the node's own, in the token's smallest unit).</summary>
    public System.Numerics.BigInteger Stake { get; init; }

    public override string ToString() => $"NodePayment({RpcUrl}, chain {ChainId}, escrow {EscrowAddress})"; // never the key
}
