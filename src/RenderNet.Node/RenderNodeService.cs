using System.Diagnostics;
using System.Numerics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using RenderNet.Core.Scenes;
using RenderNet.Payments;
using RenderNet.Protocol;
using RenderNet.Vulkan;

namespace RenderNet.Node;

/// <summary>The gRPC face of a render node: capabilities, content-addressed scene upload, tile rendering, health.</summary>
public sealed class RenderNodeService(NodeOptions options, SceneCache cache, TileRenderer renderer, NodeState state, UploadGate uploads, SessionAuthority sessions,
    NodeMetrics metrics, SceneFetcher fetcher, ILogger<RenderNodeService> log,
    TileLedger? ledger = null, SegmentWorker? segments = null)
    : RenderNode.RenderNodeBase
{
    const int MaxChunkBytes = 4 << 20;

    /// <summary>The version this node speaks (an older one when simulating an outdated node).</summary>
    uint Spoken => options.Fault == NodeFault.OldProtocol ? ProtocolVersion.Current - 1 : ProtocolVersion.Current;

    void CheckVersion(uint version)
    {
        if (version != Spoken)
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"protocol version {version} is not supported by this node (it speaks version {Spoken})"));
    }

    public override async Task<Capabilities> GetCapabilities(CapabilitiesRequest request, ServerCallContext context)
    {
        CheckVersion(request.ProtocolVersion);
        if (request.Calibrate) await renderer.CalibrateAsync(context.CancellationToken);
        var d = renderer.Device;
        var caps = new Capabilities
        {
            ProtocolVersion = Spoken,
            NodeId = options.NodeId,
            Tags = { options.Tags },
            DeviceName = d.Name,
            DeviceType = d.Type.ToString().ToLowerInvariant(),
            Driver = $"{d.DriverName} {d.DriverInfo}".Trim(),
            VulkanApiVersion = d.ApiVersion,
            PipelineFingerprint = options.Fault == NodeFault.OtherFingerprint ? "0000" + renderer.Fingerprint[4..] : renderer.Fingerprint,
            MaxConcurrentTiles = options.Fault == NodeFault.HugeSlots ? uint.MaxValue : (uint)options.MaxConcurrentTiles,
            MaxTilesPerBatch = TileBatches.MaxTiles,
            PricePerTile = options.PricePerTile,
            MaxSceneBytes = (ulong)Math.Min(options.MaxSceneBytes, cache.CapacityBytes),
            PathSamplesPerSecond = renderer.PathSamplesPerSecond,
            RasterPixelsPerSecond = renderer.RasterPixelsPerSecond,
            CpuCores = (uint)Environment.ProcessorCount,
        };
        caps.JobKinds.Add("path-trace");
        if (segments is not null)
        {
            caps.JobKinds.Add("transcode");
            caps.TranscodeFingerprint = options.Fault == NodeFault.OtherFingerprint ? "0000" + segments.Fingerprint[4..] : segments.Fingerprint;
            caps.MaxSegmentBytes = (ulong)options.MaxSegmentBytes;
        }
        if (ledger is not null && options.Payment is { } pay)
        {
            caps.PaymentAddress = ledger.Address;
            caps.EscrowAddress = pay.EscrowAddress;
            caps.ChainId = (ulong)pay.ChainId;
            caps.RegistryAddress = pay.RegistryAddress ?? "";
            caps.ExposureBoundUnits = (uint)Math.Max(0, pay.ExposureBound);
        }
        return caps;
    }

    /// <summary>
    /// Lets a request through only from whom this node works for: on a paid node, a session signed by the channel's
    /// payer (any of this node's channels for scene calls, which name none); on an unpaid node, a session of an --allow
    /// key, or — with no --allow list — callers on this machine and the services it joined only.
    /// </summary>
    void Authorize(ServerCallContext context, BigInteger? channel)
    {
        string? token = context.RequestHeaders.GetValue(NodeRefusal.SessionHeader);
        if (!sessions.Paid && options.AllowedCoordinators.Count == 0)
        {
            // A connection with no IP address came through the link socket: from a service this node chose to join
            // (and authenticated, ServiceLink), which is as trusted as a caller on this machine.
            var remote = context.GetHttpContext().Connection.RemoteIpAddress;
            bool joined = remote is null && options.Join.Count > 0;
            if (!joined && (remote is null || !System.Net.IPAddress.IsLoopback(remote)))
                throw new RpcException(new Status(StatusCode.PermissionDenied,
                    "this node serves only callers on its own machine: start it with --allow ADDRESS to serve a coordinator's key"));
            return;
        }
        try
        {
            if (channel is { } c) sessions.Authorize(token, sessions.Paid ? c : BigInteger.Zero);
            else sessions.AuthorizeAny(token);
        }
        catch (SessionRefusedException ex)
        {
            throw NodeRefusal.Create(StatusCode.Unauthenticated, RefusalKind.SessionRequired, ex.Message);
        }
    }

    public override Task<SessionChallenge> OpenSession(SessionRequest request, ServerCallContext context)
    {
        CheckVersion(request.ProtocolVersion);
        if (!BigInteger.TryParse(request.Channel, out var channel) || channel.Sign < 0 || (sessions.Paid ? channel.IsZero : !channel.IsZero))
            throw new RpcException(new Status(StatusCode.InvalidArgument, sessions.Paid ? "name the payment channel the session is for" : "an unpaid node's sessions are for channel 0"));
        var (nonce, maxExpires) = sessions.Challenge(channel);
        return Task.FromResult(new SessionChallenge { Nonce = Google.Protobuf.ByteString.CopyFrom(nonce), NodeAddress = sessions.NodeAddress, MaxExpiresUnix = maxExpires });
    }

    public override async Task<SessionGrant> ConfirmSession(SessionProof request, ServerCallContext context)
    {
        CheckVersion(request.ProtocolVersion);
        if (!BigInteger.TryParse(request.Channel, out var channel) || channel.Sign < 0)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "channel must be a decimal integer"));
        try
        {
            var (token, expires) = await sessions.ConfirmAsync(channel, request.Nonce.ToByteArray(), request.ExpiresUnix, request.Signature);
            return new SessionGrant { Token = token, ExpiresUnix = expires };
        }
        catch (SessionRefusedException ex) { throw new RpcException(new Status(StatusCode.PermissionDenied, ex.Message, ex)); }
        catch (PaymentException ex) { throw new RpcException(new Status(StatusCode.Unavailable, $"the chain cannot be read: {ex.Message}", ex)); }
    }

    public override async Task<SceneStatus> HasScene(SceneRef request, ServerCallContext context)
    {
        CheckVersion(request.ProtocolVersion);
        Authorize(context, channel: null);
        if (options.Fault == NodeFault.HangOnScene) await Task.Delay(Timeout.Infinite, context.CancellationToken);
        bool cached = cache.Contains(request.Sha256);
        metrics.SceneLookup(cached);
        // Not here yet: fetched from a source the coordinator names, where this node's operator allows its host.
        if (!cached && request.Sources.Count > 0 && fetcher.Enabled && !state.Draining && request.Sha256.Length == 64 && request.Sha256.All(Uri.IsHexDigit))
        {
            string sha = request.Sha256.ToLowerInvariant();
            long limit = Math.Min(options.MaxSceneBytes, cache.CapacityBytes);
            if (await fetcher.FetchAsync(request.Sources, sha, limit, context.CancellationToken) is { } bytes && cache.Add(sha, bytes))
            {
                log.LogInformation("scene {Scene} fetched and cached ({Bytes} bytes)", sha, bytes.Length);
                metrics.SceneUploaded(bytes.Length);
                cached = true;
            }
        }
        return new SceneStatus { Cached = cached };
    }

    public override async Task<SceneUploaded> UploadScene(IAsyncStreamReader<SceneChunk> requestStream, ServerCallContext context)
    {
        Authorize(context, channel: null);
        if (state.Draining)
            throw new RpcException(new Status(StatusCode.Unavailable, "the node is shutting down"));
        using var slot = uploads.TryEnter(UploadGate.ClientOf(context.Peer))
            ?? throw NodeRefusal.Create(StatusCode.ResourceExhausted, RefusalKind.Busy, "too many uploads in progress; try again shortly");
        var pace = StreamPace.Default();
        // The buffer grows with the bytes that actually arrive: a client announcing 512 MiB and sending nothing costs nothing.
        MemoryStream? buffer = null;
        string? hash = null;
        long announced = 0;
        long limit = Math.Min(options.MaxSceneBytes, cache.CapacityBytes);
        while (await pace.MoveNextAsync(requestStream, context.CancellationToken))
        {
            var chunk = requestStream.Current;
            CheckVersion(chunk.ProtocolVersion);
            if (buffer is null)
            {
                if (string.IsNullOrEmpty(chunk.Sha256) || chunk.TotalBytes == 0)
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "the first scene chunk must carry the scene's sha256 and total size"));
                if (chunk.TotalBytes > (ulong)limit)
                    throw new RpcException(new Status(StatusCode.ResourceExhausted,
                        $"scene of {chunk.TotalBytes:N0} bytes exceeds this node's limit of {limit:N0} bytes"));
                if (!cache.HasRoomFor((long)chunk.TotalBytes))
                    throw NodeRefusal.Create(StatusCode.ResourceExhausted, RefusalKind.Busy, "the scene cache is full of scenes in use; try again later");
                hash = chunk.Sha256.ToLowerInvariant();
                announced = (long)chunk.TotalBytes;
                buffer = new MemoryStream();
            }
            if ((long)chunk.Offset != buffer.Length || chunk.Data.Length > MaxChunkBytes || buffer.Length + chunk.Data.Length > announced)
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"scene chunk at offset {chunk.Offset} does not follow {buffer.Length:N0} bytes received"));
            buffer.Write(chunk.Data.Span);
            pace.Received(chunk.Data.Length);
        }
        if (buffer is null || hash is null)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "no scene data was sent"));
        if (buffer.Length != announced)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"scene upload ended after {buffer.Length:N0} of {announced:N0} bytes"));
        var bytes = buffer.ToArray();
        string actual = SceneCache.Hash(bytes);
        if (actual != hash)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"scene bytes hash to {actual}, not the announced {hash}"));
        if (!cache.Add(hash, bytes))
            throw NodeRefusal.Create(StatusCode.ResourceExhausted, RefusalKind.Busy, "the scene cache is full of scenes in use; try again later");
        log.LogInformation("scene {Scene} cached ({Bytes} bytes)", hash, bytes.Length);
        metrics.SceneUploaded(bytes.Length);
        return new SceneUploaded { Sha256 = hash, Bytes = (ulong)bytes.Length };
    }

    /// <summary>Authorises a work request naming <paramref name="paymentChannel"/> (see <see cref="Authorize"/>).</summary>
    void AuthorizeWork(ServerCallContext context, string paymentChannel)
    {
        if (ledger is null) Authorize(context, BigInteger.Zero);
        else if (BigInteger.TryParse(paymentChannel, out var id) && id.Sign > 0) Authorize(context, id);
        // else: ReserveAsync refuses it, saying how to pay
    }

    /// <summary>
    /// <see cref="ReserveAsync"/>, counting a refusal for want of payment in the failure metrics; with a
    /// <paramref name="grace"/>, a refusal only for a payment still on its way is retried until it passes.
    /// </summary>
    async Task<BigInteger?> Reserved(ServerCallContext context, string paymentChannel, long units, bool segment, TimeSpan grace = default)
    {
        var until = DateTime.UtcNow + grace;
        while (true)
        {
            try { return await ReserveAsync(context, paymentChannel, units); }
            catch (RpcException ex) when (NodeRefusal.Of(ex) == RefusalKind.AwaitingPayment && DateTime.UtcNow < until)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), context.CancellationToken);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
            {
                metrics.Failed(segment, WorkFailure.PaymentRequired);
                throw;
            }
        }
    }

    /// <summary>Reserves a piece of work on the payer's channel; refusals carry their typed kind.</summary>
    async Task<BigInteger?> ReserveAsync(ServerCallContext context, string paymentChannel, long units)
    {
        if (ledger is null)
        {
            Authorize(context, BigInteger.Zero);
            return null;
        }
        if (!BigInteger.TryParse(paymentChannel, out var id) || id.Sign <= 0)
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"this node works for pay: open a channel to {ledger.Address} on escrow {options.Payment!.EscrowAddress} and name it in the request"));
        Authorize(context, id);
        try { await ledger.ReserveAsync(id, units); }
        catch (PaymentRequiredException ex) when (ex.Reason == PaymentRefusal.AwaitingPayment)
        {
            throw NodeRefusal.Create(StatusCode.FailedPrecondition, RefusalKind.AwaitingPayment, ex.Message);
        }
        catch (PaymentRequiredException ex) { throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message, ex)); }
        catch (PaymentException ex) { throw new RpcException(new Status(StatusCode.Unavailable, $"the chain cannot be read: {ex.Message}", ex)); }
        return id;
    }

    public override async Task<TileResult> RenderTile(TileRequest request, ServerCallContext context)
    {
        var (frame, tile) = CheckTileRequest(request, context);
        long units = WorkUnits.ForTile(frame, tile);
        var channel = await Reserved(context, request.PaymentChannel, units, segment: false);
        if (options.Fault == NodeFault.AlwaysBusy || !state.TryEnter(options.MaxConcurrentTiles))
        {
            if (channel is { } c) ledger!.Release(c, units, delivered: false);
            metrics.Failed(segment: false, WorkFailure.Busy);
            throw NodeRefusal.Create(StatusCode.ResourceExhausted, RefusalKind.Busy, $"node busy: {options.MaxConcurrentTiles} tiles in flight");
        }
        try { return await RenderReservedAsync(request, frame, tile, channel, units, context); }
        finally { state.Leave(); }
    }

    /// <summary>
    /// Several tiles of one frame in one call, in one slot: each is checked, paid for and rendered as <see cref="RenderTile"/>
    /// does it, and sent as it is done, so the caller pays per tile and the node starts the next tile without waiting
    /// for the caller's next request.
    /// </summary>
    public override async Task RenderTiles(TileBatch request, IServerStreamWriter<TileResult> responseStream, ServerCallContext context)
    {
        var tiles = request.Tiles;
        if (tiles.Count is 0 || tiles.Count > TileBatches.MaxTiles)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"a batch of {tiles.Count} tiles: this node takes 1 to {TileBatches.MaxTiles}"));
        var first = tiles[0];
        if (tiles.Any(t => t.SceneSha256 != first.SceneSha256 || t.PaymentChannel != first.PaymentChannel || t.JobId != first.JobId))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "every tile of a batch must be of one job, scene and payment channel"));
        // Every tile is checked before any is rendered: a bad one anywhere refuses the whole batch at once.
        var checkedTiles = tiles.Select(t => (Request: t, Parsed: CheckTileRequest(t, context))).ToList();
        if (options.Fault == NodeFault.AlwaysBusy || !state.TryEnter(options.MaxConcurrentTiles))
        {
            metrics.Failed(segment: false, WorkFailure.Busy);
            throw NodeRefusal.Create(StatusCode.ResourceExhausted, RefusalKind.Busy, $"node busy: {options.MaxConcurrentTiles} tiles in flight");
        }
        try
        {
            bool firstTile = true;
            foreach (var (tileRequest, (frame, tile)) in checkedTiles)
            {
                long units = WorkUnits.ForTile(frame, tile);
                // Paid per tile: the payer's channel must cover each one as it starts, as for single tiles. After the
                // first, the voucher for the tile just sent may still be on its way: it is given a moment to arrive.
                var channel = await Reserved(context, tileRequest.PaymentChannel, units, segment: false, firstTile ? TimeSpan.Zero : BatchPaymentGrace);
                firstTile = false;
                var result = await RenderReservedAsync(tileRequest, frame, tile, channel, units, context);
                await responseStream.WriteAsync(result, context.CancellationToken);
            }
            if (options.Fault == NodeFault.ExtraBatchResult && checkedTiles.Count > 0)
                await responseStream.WriteAsync(await RenderReservedAsync(checkedTiles[^1].Request, checkedTiles[^1].Parsed.Frame, checkedTiles[^1].Parsed.Tile, null, 0, context),
                    context.CancellationToken);
        }
        finally { state.Leave(); }
    }

    /// <summary>How long a batch's next tile waits for the payer's voucher for the tiles before it (the exposure bound still holds).</summary>
    static readonly TimeSpan BatchPaymentGrace = TimeSpan.FromSeconds(5);

    /// <summary>What every tile request must pass before it is paid for or rendered: version, state, caller, scene, frame.</summary>
    (Core.Rendering.FrameSettings Frame, Core.Tiles.TileRect Tile) CheckTileRequest(TileRequest request, ServerCallContext context)
    {
        CheckVersion(request.ProtocolVersion);
        if (state.Draining)
            throw new RpcException(new Status(StatusCode.Unavailable, "the node is shutting down"));
        AuthorizeWork(context, request.PaymentChannel); // before anything else: a stranger learns nothing, not even which scenes are here
        if (!cache.Contains(request.SceneSha256))
            throw new RpcException(new Status(StatusCode.NotFound, $"scene {Loggable(request.SceneSha256)} is not cached on this node; upload it first"));
        try
        {
            return FrameMessages.FromRequest(request);
        }
        catch (Exception ex) when (ex is ArgumentException or OverflowException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message, ex));
        }
    }

    /// <summary>Renders a tile whose payment is reserved (<paramref name="channel"/>) in a slot the caller holds; releases the payment either way.</summary>
    async Task<TileResult> RenderReservedAsync(TileRequest request, Core.Rendering.FrameSettings frame, Core.Tiles.TileRect tile, BigInteger? channel, long units,
        ServerCallContext context)
    {
        var watch = Stopwatch.StartNew();
        string outcome = "error";
        var failure = WorkFailure.Error;
        try
        {
            if (options.Fault == NodeFault.Hang || (options.Fault == NodeFault.HangAfterFirstTile && state.Rendered >= 1))
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            if (options.Fault == NodeFault.SlowTiles) await Task.Delay(TimeSpan.FromSeconds(1), context.CancellationToken);
            var (pixels, seconds, samples) = await renderer.RenderAsync(request.SceneSha256, () => cache.TryGet(request.SceneSha256), frame, tile, context.CancellationToken);
            // A caller that gave up while the last pass ran does not owe the tile (it will never read it).
            context.CancellationToken.ThrowIfCancellationRequested();
            if (options.Fault == NodeFault.PlausibleLie)
                for (int i = 0; i < pixels.Length; i += 4) pixels[i] = pixels[i] * 0.5f + 0.25f; // a tinted tile, correctly hashed
            var result = new TileResult
            {
                Width = (uint)tile.Width,
                Height = (uint)tile.Height,
                PixelsSha256 = TilePixels.Sha256(pixels),
                PixelsZlib = TilePixels.Compress(pixels),
                RenderSeconds = seconds,
                PipelineFingerprint = renderer.Fingerprint,
                PixelSamples = (ulong)samples,
            };
            ApplyFault(result);
            result.Signature = SignResult(request, result);
            state.TileRendered();
            outcome = "ok";
            metrics.TileDelivered(frame.Mode == Core.Rendering.RenderMode.Raster, seconds, samples);
            if (channel is { } c) { ledger!.Release(c, units, delivered: true); channel = null; }
            return result;
        }
        catch (OperationCanceledException)
        {
            outcome = "cancelled";
            failure = WorkFailure.Cancelled;
            throw new RpcException(new Status(StatusCode.Cancelled, "the tile was cancelled by the caller or its deadline passed"));
        }
        catch (SceneException ex)
        {
            failure = WorkFailure.InvalidScene;
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message, ex));
        }
        catch (SceneNotCachedException ex)
        {
            failure = WorkFailure.SceneNotCached;
            throw new RpcException(new Status(StatusCode.NotFound, ex.Message, ex));
        }
        catch (VulkanException ex)
        {
            failure = WorkFailure.Device;
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message, ex));
        }
        finally
        {
            if (channel is { } c) ledger!.Release(c, units, delivered: false);
            if (outcome != "ok") metrics.Failed(segment: false, failure);
            // One structured line per tile.
            log.LogInformation("tile {Job} #{Index} {Tile} spp={Spp} scene={Scene} outcome={Outcome} seconds={Seconds:F3}",
                Loggable(request.JobId), request.TileIndex, tile.ToString(), request.SamplesPerPixel, request.SceneSha256[..Math.Min(12, request.SceneSha256.Length)], outcome, watch.Elapsed.TotalSeconds);
        }
    }

    public override async Task TranscodeSegment(IAsyncStreamReader<SegmentUpload> requestStream, IServerStreamWriter<SegmentOutput> responseStream, ServerCallContext context)
    {
        var cancellation = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellation))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "no segment was sent"));
        var first = requestStream.Current;
        CheckVersion(first.ProtocolVersion);
        if (segments is null)
            throw new RpcException(new Status(StatusCode.Unimplemented, "this node does not transcode (ffmpeg is not installed on it)"));
        if (state.Draining)
            throw new RpcException(new Status(StatusCode.Unavailable, "the node is shutting down"));
        var header = first.Header ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "the first segment message must carry the header"));
        AuthorizeWork(context, header.PaymentChannel);
        Core.Media.SegmentSpec spec;
        try { spec = SegmentMessages.FromHeader(header); }
        catch (ArgumentException ex) { throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message, ex)); }
        if ((long)header.InputBytes > options.MaxSegmentBytes)
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"a segment of {header.InputBytes:N0} bytes exceeds this node's limit of {options.MaxSegmentBytes:N0} bytes"));
        long units = spec.PriceUnits;
        using var upload = uploads.TryEnter(UploadGate.ClientOf(context.Peer))
            ?? throw NodeRefusal.Create(StatusCode.ResourceExhausted, RefusalKind.Busy, "too many uploads in progress; try again shortly");
        var channel = await Reserved(context, header.PaymentChannel, units, segment: true);
        var watch = Stopwatch.StartNew();
        string outcome = "error";
        var failure = WorkFailure.Error;
        bool entered = false;
        var work = Directory.CreateTempSubdirectory(SegmentWorker.TempPrefix);
        try
        {
            var input = Path.Combine(work.FullName, "input.mkv");
            await SegmentWorker.ReceiveAsync(first, requestStream, header, input, cancellation);
            upload.Dispose();
            // A slot is taken only once the segment is here: a slow upload cannot hold the node's work slots.
            if (!(entered = state.TryEnter(options.MaxConcurrentTiles)))
            {
                failure = WorkFailure.Busy;
                throw NodeRefusal.Create(StatusCode.ResourceExhausted, RefusalKind.Busy, $"node busy: {options.MaxConcurrentTiles} tiles in flight");
            }
            if (options.Fault == NodeFault.Hang)
                await Task.Delay(Timeout.Infinite, cancellation);
            // Owed from the first output byte: a payer that takes some renditions and cancels still pays for the segment.
            await segments.TranscodeAsync(spec, input, work.FullName, responseStream, options.Fault, cancellation, onFirstOutput: () =>
            {
                if (channel is { } c) { ledger!.Release(c, units, delivered: true); channel = null; }
            }, sign: (content, fingerprint) => Sign(ResultClaims.ForSegment(header, content, fingerprint)));
            state.TileRendered();
            outcome = "ok";
            metrics.SegmentDelivered(watch.Elapsed.TotalSeconds);
        }
        catch (OperationCanceledException)
        {
            outcome = "cancelled";
            failure = WorkFailure.Cancelled;
            throw new RpcException(new Status(StatusCode.Cancelled, "the segment was cancelled by the caller or its deadline passed"));
        }
        finally
        {
            if (channel is { } c) ledger!.Release(c, units, delivered: false);
            if (outcome != "ok") metrics.Failed(segment: true, failure);
            if (entered) state.Leave();
            try { work.Delete(recursive: true); } catch (IOException) { }
            log.LogInformation("segment {Job} #{Index} frames={Frames} renditions={Renditions} outcome={Outcome} seconds={Seconds:F3}",
                Loggable(header.JobId), header.SegmentIndex, header.Frames, header.Renditions.Count, outcome, watch.Elapsed.TotalSeconds);
        }
    }

    /// <summary>A caller-chosen string as it may appear in a log line: bounded, without control characters.</summary>
    static string Loggable(string text)
    {
        var cut = text.Length > 64 ? text[..64] + "…" : text;
        return string.Concat(cut.Select(ch => char.IsControl(ch) ? '?' : ch));
    }

    /// <summary>The node's signature over what it delivers (<see cref="ResultClaims"/>), or "" for a node without a key.</summary>
    string SignResult(TileRequest request, TileResult result)
    {
        return Sign(ResultClaims.ForTile(request, ResultClaims.TileContent(result.PixelsSha256, result.PixelSamples), result.PipelineFingerprint));
    }

    /// <summary>The node's signature over a claim (<see cref="ResultClaims"/>) under its registry's domain, or "" for a node without a key.</summary>
    string Sign((byte[] Job, byte[] Spec, byte[] Unit, byte[] Content, byte[] Pipeline) claim)
    {
        if ((options.Payment?.NodeKey ?? options.IdentityKey) is not { } key) return "";
        if (options.Fault == NodeFault.ForeignSignature) key = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var (job, spec, unit, content, pipeline) = claim;
        var domain = options.Payment is { RegistryAddress: { } registry } pay ? new RenderNet.Payments.RegistryDomain(pay.ChainId, registry) : RenderNet.Payments.RegistryDomain.None;
        return new RenderNet.Payments.WorkResult(job, spec, unit, content, pipeline).Sign(key, domain);
    }

    void ApplyFault(TileResult result)
    {
        switch (options.Fault)
        {
            case NodeFault.WrongSize: result.Width += 1; break;
            case NodeFault.BadHash: result.PixelsSha256 = new string('0', 64); break;
            case NodeFault.NaNSeconds: result.RenderSeconds = double.NaN; break;
            case NodeFault.MisreportedSamples: result.PixelSamples += 1; break;
            case NodeFault.UpperCaseHash: result.PixelsSha256 = result.PixelsSha256.ToUpperInvariant(); break;
            case NodeFault.HugeReply: result.PixelsZlib = Google.Protobuf.ByteString.CopyFrom([.. result.PixelsZlib.Span, .. new byte[50 << 20]]); break;
            case NodeFault.CorruptPixels:
                var bytes = result.PixelsZlib.ToByteArray();
                for (int i = bytes.Length / 3; i < bytes.Length; i += 7) bytes[i] ^= 0x5A;
                result.PixelsZlib = Google.Protobuf.ByteString.CopyFrom(bytes);
                break;
        }
    }

    public override async Task<VoucherReceipt> SubmitVoucher(SignedVoucher request, ServerCallContext context)
    {
        CheckVersion(request.ProtocolVersion);
        if (ledger is null) throw new RpcException(new Status(StatusCode.FailedPrecondition, "this node renders for free: it takes no vouchers"));
        if (!BigInteger.TryParse(request.Channel, out var channel) || !BigInteger.TryParse(request.CumulativeAmount, out var amount) || !BigInteger.TryParse(request.Tiles, out var tiles))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "voucher fields must be decimal integers"));
        Authorize(context, channel); // checking a voucher costs the node a chain call: only the channel's payer may ask
        try
        {
            var (total, owed) = await ledger.AcceptAsync(new Voucher(channel, amount, tiles, request.Signature));
            log.LogInformation("voucher channel={Channel} total={Total} tiles={Tiles} owed={Owed}", channel, total, tiles, owed);
            var unpaidUnits = ledger.Price.IsZero ? 0 : BigInteger.Min(uint.MaxValue, (owed + ledger.Price - 1) / ledger.Price);
            return new VoucherReceipt { AcceptedTotal = total.ToString(), UnpaidTiles = (uint)unpaidUnits };
        }
        catch (VoucherRejectedException ex) { throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message, ex)); }
        catch (PaymentException ex) { throw new RpcException(new Status(StatusCode.Unavailable, ex.Message, ex)); }
    }

    public override async Task<RedeemReply> RedeemVouchers(RedeemRequest request, ServerCallContext context)
    {
        CheckVersion(request.ProtocolVersion);
        if (ledger is null) throw new RpcException(new Status(StatusCode.FailedPrecondition, "this node renders for free: it holds no vouchers"));
        if (!BigInteger.TryParse(request.Channel, out var channel))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "channel must be a decimal integer"));
        Authorize(context, channel); // a redeem costs the node gas: only the channel's payer may ask for one
        try
        {
            var (tx, paid) = await ledger.RedeemAsync(channel);
            log.LogInformation("redeemed channel={Channel} paid={Paid} tx={Tx}", channel, paid, tx ?? "-");
            return new RedeemReply { TransactionHash = tx ?? "", Amount = paid.ToString() };
        }
        catch (PaymentException ex) { throw new RpcException(new Status(StatusCode.Unavailable, ex.Message, ex)); }
    }

    public override Task<HealthReply> Health(HealthRequest request, ServerCallContext context) => Task.FromResult(new HealthReply
    {
        Serving = !state.Draining,
        Draining = state.Draining,
        TilesInFlight = (uint)state.InFlight,
        TilesRendered = (ulong)state.Rendered,
        CachedScenes = (uint)cache.Count,
        CachedBytes = (ulong)cache.Bytes,
        UptimeSeconds = state.Uptime.TotalSeconds,
    });
}
