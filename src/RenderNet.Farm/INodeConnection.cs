using Grpc.Core;
using RenderNet.Protocol;

namespace RenderNet.Farm;

/// <summary>
/// The calls a coordinator makes on one render node. <see cref="NodeClient"/> makes them over gRPC; tests put in-process
/// fakes behind it so scheduling, deadlines and verification run without processes. Failures are
/// <see cref="RpcException"/>s, as from a real node.
/// </summary>
public interface INodeConnection : IDisposable
{
    /// <summary>host:port, an http(s):// URL, or a fake's name: the node's identity within a job.</summary>
    string Address { get; }

    Task<Capabilities> GetCapabilitiesAsync(TimeSpan timeout, CancellationToken cancellation, bool calibrate = false);

    Task OpenSessionAsync(System.Numerics.BigInteger channel, string expectedNode, Func<RenderNet.Payments.WorkSession, string> sign, TimeSpan lifetime,
        CancellationToken cancellation);

    Task<HealthReply> HealthAsync(TimeSpan timeout, CancellationToken cancellation);

    /// <summary>Sends the scene unless the node has it cached already (or fetches it from one of <paramref name="sources"/>); returns whether it was sent.</summary>
    /// <param name="sources">URLs the node may fetch the scene from instead (<see cref="SceneSources"/>, resolved).</param>
    Task<bool> EnsureSceneAsync(string sha256, ReadOnlyMemory<byte> glb, DateTime deadline, CancellationToken cancellation, IReadOnlyList<string>? sources = null);

    Task<TileResult> RenderTileAsync(TileRequest request, DateTime deadline, CancellationToken cancellation);

    /// <summary>
    /// Several tiles of one frame in one call, their results in the order asked as the node finishes each; fewer
    /// results than tiles end in an exception. A connection without a batch call runs them one by one.
    /// </summary>
    async IAsyncEnumerable<TileResult> RenderTilesAsync(TileBatch batch, DateTime deadline, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        foreach (var request in batch.Tiles) yield return await RenderTileAsync(request, deadline, cancellation);
    }

    /// <summary>Opens a segment transcode: write the header and the segment's bytes, then read the renditions.</summary>
    AsyncDuplexStreamingCall<SegmentUpload, SegmentOutput> TranscodeSegment(DateTime deadline, CancellationToken cancellation);

    Task<VoucherReceipt> SubmitVoucherAsync(RenderNet.Payments.Voucher voucher, CancellationToken cancellation);

    Task<RedeemReply> RedeemAsync(System.Numerics.BigInteger channel, CancellationToken cancellation);
}

/// <summary>Opens the connection to a node for a job.</summary>
public interface INodeConnector
{
    /// <param name="maxReplyBytes">Largest reply accepted from the node (the workload's largest result).</param>
    INodeConnection Connect(string address, int maxReplyBytes);
}

/// <summary>Real nodes, over gRPC (the default).</summary>
public sealed class GrpcNodeConnector : INodeConnector
{
    public static GrpcNodeConnector Instance { get; } = new();

    public INodeConnection Connect(string address, int maxReplyBytes) => new NodeClient(address, maxReplyBytes: maxReplyBytes);
}
