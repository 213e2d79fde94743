using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using RenderNet.Protocol;

namespace RenderNet.Farm;

/// <summary>A connection to one render node: a gRPC channel and the calls the coordinator makes on it.</summary>
public sealed class NodeClient : INodeConnection
{
    const int ChunkBytes = 1 << 20;
    /// <summary>Replies of calls outside a job (capabilities, health, calibration) are small.</summary>
    public const int DefaultMaxReplyBytes = 4 << 20;
    readonly GrpcChannel channel;
    readonly RenderNode.RenderNodeClient client;

    /// <summary>The token of the work session opened with <see cref="OpenSessionAsync"/>, sent with every call.</summary>
    string? session;

    Metadata? Headers() => session is null ? null : new Metadata { { NodeRefusal.SessionHeader, session } };

    /// <summary>host:port (plain HTTP/2) or an http:// or https:// URL.</summary>
    public string Address { get; }

    /// <param name="handler">Transport override, e.g. to trust a node's self-signed TLS certificate.</param>
    /// <param name="maxReplyBytes">Largest reply accepted from this node: gRPC refuses a bigger one before buffering it.</param>
    public NodeClient(string address, HttpMessageHandler? handler = null, int maxReplyBytes = DefaultMaxReplyBytes)
    {
        Address = address;
        // A joined node is reached only through its link (the handler); the URI names no host anyone could dial.
        var (uri, pinned) = JoinedNodeAddress.PayoutOf(address) is null ? Parse(address)
            : handler is not null ? ("http://joined-node.invalid", null)
            : throw new ArgumentException($"node {Printable.Clean(address, 60)} joined a service and can be reached only through that service");
        channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = maxReplyBytes,
            MaxSendMessageSize = 16 << 20,
            HttpHandler = handler ?? (pinned is null ? null : PinnedHandler(pinned)),
        });
        client = new RenderNode.RenderNodeClient(channel);
    }

    /// <summary>
    /// A node's address: host:port (plain HTTP/2, for nodes on this machine), an http:// or https:// URL, and for a node's
    /// self-signed certificate https://host:port#sha256=FINGERPRINT — the fingerprint is pinned, nothing else is trusted.
    /// </summary>
    static (string Uri, string? Pinned) Parse(string address)
    {
        int hash = address.IndexOf("#sha256=", StringComparison.OrdinalIgnoreCase);
        string? pinned = hash >= 0 ? address[(hash + 8)..].ToLowerInvariant() : null;
        var bare = hash >= 0 ? address[..hash] : address;
        if (pinned is not null && (pinned.Length != 64 || !pinned.All(Uri.IsHexDigit) || !bare.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
            throw new ArgumentException($"node address '{Printable.Clean(address, 120)}': a pinned certificate is https://host:port#sha256= and 64 hex digits");
        return (bare.Contains("://") ? bare : "http://" + bare, pinned);
    }

    /// <summary>TLS that accepts exactly one certificate, by the SHA-256 of its DER encoding (names and CAs do not matter).</summary>
    static SocketsHttpHandler PinnedHandler(string fingerprint) => new()
    {
        EnableMultipleHttp2Connections = true,
        SslOptions = new System.Net.Security.SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null
                && Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(certificate.GetRawCertData())) == fingerprint,
        },
    };

    /// <param name="calibrate">Have the node measure its speed first, when it has not yet (takes a moment, once).</param>
    public async Task<Capabilities> GetCapabilitiesAsync(TimeSpan timeout, CancellationToken cancellation, bool calibrate = false)
    {
        var caps = await client.GetCapabilitiesAsync(new CapabilitiesRequest { ProtocolVersion = ProtocolVersion.Current, Calibrate = calibrate },
            deadline: DateTime.UtcNow + timeout, cancellationToken: cancellation);
        if (caps.ProtocolVersion != ProtocolVersion.Current)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ProtocolVersion.Mismatch(caps.ProtocolVersion, "this coordinator")));
        return caps;
    }

    /// <summary>
    /// Opens a work session: the node's challenge is signed by <paramref name="sign"/> (the payer's key on a paid node,
    /// a trusted coordinator key on an unpaid one) and the granted token goes with every later call.
    /// </summary>
    /// <param name="expectedNode">The address the session must name: the node's payout address (zero address when unpaid).
    /// A node that asks for a signature over any other address is refused.</param>
    public async Task OpenSessionAsync(System.Numerics.BigInteger channel, string expectedNode, Func<RenderNet.Payments.WorkSession, string> sign, TimeSpan lifetime,
        CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var challenge = await client.OpenSessionAsync(new SessionRequest { ProtocolVersion = ProtocolVersion.Current, Channel = channel.ToString() },
            deadline: deadline, cancellationToken: cancellation);
        if (!string.Equals(challenge.NodeAddress, expectedNode, StringComparison.OrdinalIgnoreCase) || challenge.Nonce.Length != 32)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"the node asks to sign a session for {Printable.Short(challenge.NodeAddress, 42)}, not for {expectedNode}"));
        ulong expires = Math.Min(challenge.MaxExpiresUnix, (ulong)DateTimeOffset.UtcNow.Add(lifetime).ToUnixTimeSeconds());
        var nonce = challenge.Nonce.ToByteArray();
        var signature = sign(new RenderNet.Payments.WorkSession(expectedNode, channel, nonce, expires));
        var grant = await client.ConfirmSessionAsync(new SessionProof
        {
            ProtocolVersion = ProtocolVersion.Current, Channel = channel.ToString(), Nonce = challenge.Nonce, ExpiresUnix = expires, Signature = signature,
        }, deadline: deadline, cancellationToken: cancellation);
        session = grant.Token;
    }

    public Task<HealthReply> HealthAsync(TimeSpan timeout, CancellationToken cancellation) =>
        client.HealthAsync(new HealthRequest(), deadline: DateTime.UtcNow + timeout, cancellationToken: cancellation).ResponseAsync;

    /// <summary>Sends the scene unless the node has it cached already; returns whether it was sent.</summary>
    /// <remarks>Both calls share <paramref name="deadline"/>: a node that never answers, or reads slowly, cannot hold a job.</remarks>
    public async Task<bool> EnsureSceneAsync(string sha256, ReadOnlyMemory<byte> glb, DateTime deadline, CancellationToken cancellation, IReadOnlyList<string>? sources = null)
    {
        var status = await client.HasSceneAsync(new SceneRef { ProtocolVersion = ProtocolVersion.Current, Sha256 = sha256, Sources = { (sources ?? []).Take(SceneSources.MaxCount) } },
            deadline: deadline, cancellationToken: cancellation, headers: Headers());
        if (status.Cached) return false;
        using var call = client.UploadScene(deadline: deadline, cancellationToken: cancellation, headers: Headers());
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
        client.RenderTileAsync(request, deadline: deadline, cancellationToken: cancellation, headers: Headers()).ResponseAsync;

    public async IAsyncEnumerable<TileResult> RenderTilesAsync(TileBatch batch, DateTime deadline, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        using var call = client.RenderTiles(batch, deadline: deadline, cancellationToken: cancellation, headers: Headers());
        int received = 0;
        while (await call.ResponseStream.MoveNext(cancellation))
        {
            // A stranger's stream: never more results than tiles asked for.
            if (++received > batch.Tiles.Count) throw new InvalidDataException($"the node sent more than the {batch.Tiles.Count} results of its batch");
            yield return call.ResponseStream.Current;
        }
        if (received < batch.Tiles.Count) throw new InvalidDataException($"the node ended a batch of {batch.Tiles.Count} tiles after {received}");
    }

    /// <summary>Opens a segment transcode: write the header and the segment's bytes, then read the renditions.</summary>
    public AsyncDuplexStreamingCall<SegmentUpload, SegmentOutput> TranscodeSegment(DateTime deadline, CancellationToken cancellation) =>
        client.TranscodeSegment(deadline: deadline, cancellationToken: cancellation, headers: Headers());

    public Task<VoucherReceipt> SubmitVoucherAsync(RenderNet.Payments.Voucher voucher, CancellationToken cancellation) =>
        client.SubmitVoucherAsync(new SignedVoucher
        {
            ProtocolVersion = ProtocolVersion.Current, Channel = voucher.Channel.ToString(), CumulativeAmount = voucher.CumulativeAmount.ToString(),
            Tiles = voucher.Tiles.ToString(), Signature = voucher.Signature,
        }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellation, headers: Headers()).ResponseAsync;

    public Task<RedeemReply> RedeemAsync(System.Numerics.BigInteger channel, CancellationToken cancellation) =>
        client.RedeemVouchersAsync(new RedeemRequest { ProtocolVersion = ProtocolVersion.Current, Channel = channel.ToString() },
            deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: cancellation, headers: Headers()).ResponseAsync;

    public void Dispose() => channel.Dispose();
}
