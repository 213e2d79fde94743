namespace RenderNet.Node;

/// <summary>
/// Faults a node can be told to simulate (environment variable RENDERNET_NODE_FAULT), so the coordinator's handling
/// of hung, lying and mismatched nodes can be tested against real processes.
/// </summary>
public enum NodeFault { None, Hang, CorruptPixels, WrongSize, BadHash, OtherFingerprint, OldProtocol }

public sealed record NodeOptions
{
    public const string FaultEnvironmentVariable = "RENDERNET_NODE_FAULT";

    /// <summary>host:port to listen on; port 0 picks a free one (the bound address is printed).</summary>
    public string Listen { get; init; } = "127.0.0.1:0";
    public int MaxConcurrentTiles { get; init; } = 2;
    public long MaxSceneBytes { get; init; } = 512L << 20;
    public long SceneCacheBytes { get; init; } = 2L << 30;
    public ulong PricePerTile { get; init; }
    public string? Device { get; init; }
    public string NodeId { get; init; } = $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";
    /// <summary>PFX certificate for TLS; plain HTTP/2 when null.</summary>
    public string? CertificatePath { get; init; }
    public string? CertificatePassword { get; init; }
    /// <summary>How long a stopping node waits for tiles in flight before aborting them (the caller then re-sends them elsewhere).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public NodeFault Fault { get; init; } = NodeFault.None;

    public static NodeFault FaultFromEnvironment() =>
        Enum.TryParse<NodeFault>(Environment.GetEnvironmentVariable(FaultEnvironmentVariable), ignoreCase: true, out var f) ? f : NodeFault.None;
}
