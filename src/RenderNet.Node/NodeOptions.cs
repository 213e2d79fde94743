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
    // Hostile nodes from the security review (F-1): each tries to stall or crash the coordinator's job.
    /// <summary>Answers capabilities, then never answers HasScene.</summary>
    HangOnScene,
    /// <summary>Advertises uint.MaxValue tile slots.</summary>
    HugeSlots,
    /// <summary>Reports NaN seconds of work.</summary>
    NaNSeconds,
    /// <summary>Pads each tile reply with 50 MiB of junk.</summary>
    HugeReply,
    /// <summary>Sends transcode replies for rendition 0xFFFFFFFF.</summary>
    BadRendition,
    /// <summary>Announces 2^50 bytes for each rendition.</summary>
    HugeTotalBytes,
    /// <summary>Answers "busy" to every tile, for ever.</summary>
    AlwaysBusy,
    /// <summary>Honest pixels, their hash written in upper-case hex.</summary>
    UpperCaseHash,
    /// <summary>Honest pixels, one pixel-sample more than it took (a node claiming work it did not do).</summary>
    MisreportedSamples,
    /// <summary>Honest tiles, each after an extra second (a slow device: a tile is surely in flight when a test cuts a link).</summary>
    SlowTiles,
    /// <summary>Honest tiles signed with another key than its own (a node passing itself off as another identity).</summary>
    ForeignSignature,
    /// <summary>Sends a batch's last result twice (a node streaming more results than it was asked for).</summary>
    ExtraBatchResult,
}

public sealed record NodeOptions
{
    public const string FaultEnvironmentVariable = "RENDERNET_NODE_FAULT";

    /// <summary>host:port to listen on; port 0 picks a free one (the bound address is printed); null: nowhere (a node that only joins services).</summary>
    public string? Listen { get; init; } = "127.0.0.1:0";
    /// <summary>Coordinator services this node joins by dialling out (<see cref="ServiceLink"/>): for hosts behind NAT.</summary>
    public IReadOnlyList<ServiceJoinTarget> Join { get; init; } = [];
    /// <summary>What the node says of itself (key=value, e.g. vram=24): studios select nodes by them.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>The key an unpaid node proves its identity with when it joins services (a paid node uses its payout key).</summary>
    public string? IdentityKey { get; init; }
    /// <summary>host:port for /metrics, /status and the status page (HTTP/1.1, <see cref="NodeStatusServer"/>); null: none.</summary>
    public string? StatusListen { get; init; }
    public int MaxConcurrentTiles { get; init; } = 2;
    public long MaxSceneBytes { get; init; } = 512L << 20;
    public long SceneCacheBytes { get; init; } = 2L << 30;
    /// <summary>
    /// Hosts (host or host:port) this node fetches scenes from when a coordinator names them as sources
    /// (<see cref="RenderNet.Protocol.SceneSources"/>): https only, plain http only on loopback. Empty: it never fetches,
    /// every scene is sent to it. Only hosts its operator chose, so a coordinator cannot make it fetch from anywhere.
    /// </summary>
    public IReadOnlyList<string> SceneGateways { get; init; } = [];
    /// <summary>Largest transcode segment (input bytes) the node accepts.</summary>
    public long MaxSegmentBytes { get; init; } = 1L << 30;
    public ulong PricePerTile { get; init; }
    public string? Device { get; init; }
    public string NodeId { get; init; } = $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";
    /// <summary>PFX certificate for TLS; when null, a self-signed one (<see cref="NodeCertificate"/>) unless the node speaks plain HTTP/2.</summary>
    public string? CertificatePath { get; init; }
    /// <summary>
    /// Plain HTTP/2 (no TLS). The default only for a node that listens on loopback (workers of one machine); a node other
    /// machines can reach speaks TLS unless told otherwise.
    /// </summary>
    public bool? Plaintext { get; init; }
    public string? CertificatePassword { get; init; }

    // A record prints every property: this one must not print the certificate password.
    public override string ToString() => $"NodeOptions({Listen}, node {NodeId}, {(Payment is null ? "free" : Payment.ToString())})";
    /// <summary>How long a stopping node waits for tiles in flight before aborting them (the caller then re-sends them elsewhere).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public NodeFault Fault { get; init; } = NodeFault.None;
    /// <summary>host:port coordinators should dial (announced in the registry); null: the bound address, unless that is a wildcard.</summary>
    public string? Advertise { get; init; }
    /// <summary>Addresses of the coordinator keys an unpaid node serves; empty: callers on this machine only.</summary>
    public IReadOnlyList<string> AllowedCoordinators { get; init; } = [];
    /// <summary>When set, the node renders only for payers with a funded channel on this escrow.</summary>
    public NodePayment? Payment { get; init; }

    public static NodeFault FaultFromEnvironment() =>
        Enum.TryParse<NodeFault>(Environment.GetEnvironmentVariable(FaultEnvironmentVariable), ignoreCase: true, out var f) ? f : NodeFault.None;
}

/// <summary>
/// How a node gets paid: the chain and escrow it accepts vouchers on, its key (the payee; it signs its redeem
/// transactions), and how many delivered tiles a payer may owe before the node stops working for it.
/// </summary>
public sealed record NodePayment(string RpcUrl, long ChainId, string EscrowAddress, string TokenAddress, string NodeKey, int ExposureBound = NodePayment.DefaultExposureBound)
{
    /// <summary>
    /// Price units' worth a payer may owe, work in flight included: two slots, two delivered pieces whose voucher is on
    /// its way, the unit a payer holds back until its checks are settled, and a few checks of this node's that
    /// disagreed and await a verdict (a payer holds those only while this bound leaves room: FarmPayments.CanHold).
    /// </summary>
    public const int DefaultExposureBound = 8;

    /// <summary>Where accepted vouchers and the ledger are kept (redeemed at the next start after a crash); null: <see cref="Node.StateDirectory.DefaultFor"/>.</summary>
    public string? StateDirectory { get; init; }
    /// <summary>The largest piece of work (in price units, <see cref="Protocol.WorkUnits"/>) the node takes on one request.</summary>
    public long MaxUnitsPerPiece { get; init; } = 4096;
    /// <summary>Shortest escrow unlock delay the node accepts: its window to redeem after a payer asks for the deposit back.</summary>
    public TimeSpan MinUnlockDelay { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Redeem as soon as a channel's unredeemed amount reaches this many tiles' worth (0: only at job end).</summary>
    public int RedeemThresholdTiles { get; init; } = 100;
    /// <summary>When set, the node announces its endpoint and price in this NodeRegistry on start.</summary>
    public string? RegistryAddress { get; init; }
    /// <summary>Tokens staked when the node first registers (the node's own, in the token's smallest unit).</summary>
    public System.Numerics.BigInteger Stake { get; init; }

    // Never the key, nor the RPC URL (providers put API keys in it).
    public override string ToString() => $"NodePayment(chain {ChainId}, escrow {EscrowAddress})";
}
