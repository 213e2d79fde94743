using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using RenderNet.Protocol;

namespace RenderNet.Farm;

/// <summary>A connection to one render node: a gRPC channel and the calls the coordinator makes on it.</summary>
public sealed class NodeClient : IDisposable
{
    const int ChunkBytes = 1 << 20;
    /// <summary>Replies of calls outside a job (capabilities, health, calibration) are small.</summary>
    public const int DefaultMaxReplyBytes = 4 << 20;
    readonly GrpcChannel channel;
    readonly RenderNode.RenderNodeClient client;

    /// <summary>host:port (plain HTTP/2) or an http:// or https:// URL.</summary>
    public string Address { get; }

    /// <param name="handler">Transport override, e.g. to trust a node's self-signed TLS certificate.</param>
    /// <param name="maxReplyBytes">Largest reply accepted from this node: gRPC refuses a bigger one before buffering it.</param>
    public NodeClient(string address, HttpMessageHandler? handler = null, int maxReplyBytes = DefaultMaxReplyBytes)
    {
        Address = address;
        var uri = address.Contains("://") ? address : "http://" + address;
        channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = maxReplyBytes,
            MaxSendMessageSize = 16 << 20,
            HttpHandler = handler,
        });
        client = new RenderNode.RenderNodeClient(channel);
    }

    /// <param name="calibrate">Have the node measure its speed first, when it has not yet (takes a moment, once).</param>
    public async Task<Capabilities> GetCapabilitiesAsync(TimeSpan timeout, CancellationToken cancellation, bool calibrate = false)
    {
        var caps = await client.GetCapabilitiesAsync(new CapabilitiesRequest { ProtocolVersion = ProtocolVersion.Current, Calibrate = calibrate },
            deadline: DateTime.UtcNow + timeout, cancellationToken: cancellation);
        if (caps.ProtocolVersion != ProtocolVersion.Current)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ProtocolVersion.Mismatch(caps.ProtocolVersion, "this coordinator")));
        return caps;
    }

    public Task<HealthReply> HealthAsync(TimeSpan timeout, CancellationToken cancellation) =>
        client.HealthAsync(new HealthRequest(), deadline: DateTime.UtcNow + timeout, cancellationToken: cancellation).ResponseAsync;

    /// <summary>Sends the scene unless the node has it cached already; returns whether it was sent.</summary>
    /// <remarks>Both calls share <paramref name="deadline"/>: a node that never answers, or reads slowly, cannot hold a job.</remarks>
    public async Task<bool> EnsureSceneAsync(string sha256, ReadOnlyMemory<byte> glb, DateTime deadline, CancellationToken cancellation)
    {
        var status = await client.HasSceneAsync(new SceneRef { ProtocolVersion = ProtocolVersion.Current, Sha256 = sha256 }, deadline: deadline, cancellationToken: cancellation);
        if (status.Cached) return false;
        using var call = client.UploadScene(deadline: deadline, cancellationToken: cancellation);
        for (int offset = 0; offset < glb.Length || offset == 0; offset += ChunkBytes)
        {
            int length = Math.Min(ChunkBytes, glb.Length - offset);
            await call.RequestStream.WriteAsync(new SceneChunk
            {
                ProtocolVersion = ProtocolVersion.Current,
                Sha256 = sha256,
                TotalBytes = (ulong)glb.Length,
                Offset = (ulong)offset,
                Data = ByteString.CopyFrom(glb.Span.Slice(offset, length)),
            }, cancellation);
            if (glb.Length == 0) break;
        }
        await call.RequestStream.CompleteAsync();
        await call.ResponseAsync;
        return true;
    }

    public Task<TileResult> RenderTileAsync(TileRequest request, DateTime deadline, CancellationToken cancellation) =>
        client.RenderTileAsync(request, deadline: deadline, cancellationToken: cancellation).ResponseAsync;

    /// <summary>Opens a segment transcode: write the header and the segment's bytes, then read the renditions.</summary>
    public AsyncDuplexStreamingCall<SegmentUpload, SegmentOutput> TranscodeSegment(DateTime deadline, CancellationToken cancellation) =>
        client.TranscodeSegment(deadline: deadline, cancellationToken: cancellation);

    public Task<VoucherReceipt> SubmitVoucherAsync(RenderNet.Payments.Voucher voucher, CancellationToken cancellation) =>
        client.SubmitVoucherAsync(new SignedVoucher
        {
            ProtocolVersion = ProtocolVersion.Current, Channel = voucher.Channel.ToString(), CumulativeAmount = voucher.CumulativeAmount.ToString(),
            Tiles = voucher.Tiles.ToString(), Signature = voucher.Signature,
        }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellation).ResponseAsync;

    public Task<RedeemReply> RedeemAsync(System.Numerics.BigInteger channel, CancellationToken cancellation) =>
        client.RedeemVouchersAsync(new RedeemRequest { ProtocolVersion = ProtocolVersion.Current, Channel = channel.ToString() },
            deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: cancellation).ResponseAsync;

    public void Dispose() => channel.Dispose();
}
