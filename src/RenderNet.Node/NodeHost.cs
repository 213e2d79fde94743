using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RenderNet.Node;

/// <summary>
/// Hosts <see cref="RenderNodeService"/> on Kestrel (HTTP/2, TLS when a certificate is given). On SIGTERM/Ctrl+C the
/// node stops accepting tiles, lets the ones in flight finish within <see cref="NodeOptions.ShutdownTimeout"/>, and
/// aborts the rest, which their callers then re-send to other nodes.
/// </summary>
public sealed class NodeHost : IAsyncDisposable
{
    readonly WebApplication app;
    readonly NodeOptions options;
    readonly NodeState state;
    readonly Lock gate = new();
    readonly StateDirectory? stateDirectory;
    readonly NodeStatusServer? statusServer;
    Task? stopping;

    public string Address { get; }
    public TileRenderer Renderer { get; }
    /// <summary>Where /metrics, /status and the status page are served (<see cref="NodeOptions.StatusListen"/>); null: nowhere.</summary>
    public string? StatusUrl => statusServer?.Url;

    NodeHost(WebApplication app, NodeOptions options, string address, TileRenderer renderer, StateDirectory? stateDirectory, NodeStatusServer? statusServer)
    {
        this.app = app;
        this.statusServer = statusServer;
        this.stateDirectory = stateDirectory;
        this.options = options;
        state = app.Services.GetRequiredService<NodeState>();
        Address = address;
        Renderer = renderer;
    }

    /// <summary>
    /// Stops the node gracefully: new tiles are refused at once, tiles in flight finish (up to
    /// <see cref="NodeOptions.ShutdownTimeout"/>; later ones are aborted and their callers re-send them elsewhere), then
    /// the server closes its connections without waiting out idle clients. The command calls it on SIGTERM/SIGINT.
    /// </summary>
    public Task DrainAndStopAsync()
    {
        lock (gate) return stopping ??= Drain();

        async Task Drain()
        {
            state.StartDraining();
            var deadline = DateTime.UtcNow + options.ShutdownTimeout;
            while (state.InFlight > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
            // A node going away redeems what it holds: the payer could otherwise unlock and reclaim it meanwhile.
            if (app.Services.GetService<TileLedger>() is { } ledger)
            {
                var redeem = ledger.RedeemAllAsync();
                await Task.WhenAny(redeem, Task.Delay(options.ShutdownTimeout));
            }
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await app.StopAsync(quick.Token);
        }
    }

    public static async Task<NodeHost> StartAsync(NodeOptions options, CancellationToken cancellation = default)
    {
        var endpoint = ParseEndpoint(options.Listen);
        StateDirectory? stateDirectory = null;
        if (options.Payment is { } pay)
        {
            var root = pay.StateDirectory ?? StateDirectory.DefaultFor(RenderNet.Payments.PaymentKeys.AddressOf(pay.NodeKey));
            stateDirectory = StateDirectory.Acquire(Path.Combine(root, await TileLedger.ScopeAsync(pay)));
        }
        SegmentWorker.SweepLeftovers();
        // TLS unless the node only listens on loopback (or the operator says plaintext): a self-signed certificate is
        // made on first start and kept, and its fingerprint travels in the node's address for coordinators to pin.
        bool plaintext = options.Plaintext ?? (options.CertificatePath is null && System.Net.IPAddress.IsLoopback(endpoint.Address));
        X509Certificate2? certificate = plaintext ? null
            : options.CertificatePath is not null ? X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword)
            : NodeCertificate.LoadOrCreate(NodeCertificate.DefaultPath());
        TileRenderer renderer;
        try { renderer = new TileRenderer(options.Device); }
        catch
        {
            stateDirectory?.Dispose();
            throw;
        }
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o => o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false });
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            builder.Logging.AddFilter("Grpc", LogLevel.Warning);
            builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
            builder.Services.AddSingleton<IHostLifetime, SignalFreeLifetime>(); // the command owns signals: see DrainAndStopAsync
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.Limits.MaxRequestBodySize = Math.Max(options.MaxSceneBytes, options.MaxSegmentBytes) + (16 << 20);
                // Streams' own idle and rate limits are in StreamPace (gRPC turns Kestrel's off); these bound the rest.
                k.Limits.MaxConcurrentConnections = 256;
                k.Limits.Http2.MaxStreamsPerConnection = 32;
                k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
                k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
                k.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
                k.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(30);
                k.Listen(endpoint, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    if (certificate is not null) listen.UseHttps(certificate);
                });
            });
            builder.Services.AddGrpc(g =>
            {
                g.MaxReceiveMessageSize = 8 << 20;   // scene chunks are at most 4 MiB; tile requests are tiny
                g.MaxSendMessageSize = null;
            });
            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton(new SceneCache(options.SceneCacheBytes));
            builder.Services.AddSingleton(renderer);
            var (segments, noTranscode) = await SegmentWorker.TryCreateAsync(renderer);
            if (segments is not null) builder.Services.AddSingleton(segments);
            builder.Services.AddSingleton<NodeState>();
            builder.Services.AddSingleton(sp => new NodeMetrics(renderer.Device.Name, renderer.Fingerprint,
                sp.GetRequiredService<NodeState>(), sp.GetRequiredService<SceneCache>(), sp.GetService<TileLedger>()));
            builder.Services.AddSingleton(new UploadGate(perClient: 2, overall: 8));
            if (options.Payment is { } payment)
            {
                var paymentLedger = new TileLedger(payment, options.PricePerTile, stateDirectory!.Path);
                await paymentLedger.CheckEscrowAsync();
                builder.Services.AddSingleton(paymentLedger);
                builder.Services.AddSingleton(new SessionAuthority(new RenderNet.Payments.EscrowDomain(payment.ChainId, payment.EscrowAddress), paymentLedger.Address,
                    paymentLedger.PayerOfAsync, new HashSet<string>()));
            }
            else
            {
                builder.Services.AddSingleton(new SessionAuthority(RenderNet.Payments.WorkSession.UnpaidDomain, RenderNet.Payments.WorkSession.UnpaidDomain.EscrowAddress,
                    null, options.AllowedCoordinators.Select(a => a.ToLowerInvariant()).ToHashSet()));
            }
            var app = builder.Build();
            app.MapGrpcService<RenderNodeService>();
            var state = app.Services.GetRequiredService<NodeState>();
            if (noTranscode is not null) app.Logger.LogWarning("no transcode jobs on this node: {Reason}", noTranscode);
            app.Lifetime.ApplicationStopping.Register(state.StartDraining);
            await app.StartAsync(cancellation);
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var uri = new Uri(bound);
            if (app.Services.GetService<TileLedger>() is { } ledger)
            {
                foreach (var (channel, tx, paid) in await ledger.RedeemStoredAsync())
                    app.Logger.LogInformation("redeemed stored voucher channel={Channel} paid={Paid} tx={Tx}", channel, paid, tx ?? "-");
                _ = ledger.WatchUnlocksAsync(TimeSpan.FromSeconds(1), app.Lifetime.ApplicationStopping);
                if (options.Payment!.RegistryAddress is { } registry)
                {
                    // A wildcard address means nothing to a coordinator elsewhere (it would dial itself): say where to dial.
                    bool wildcard = System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && (ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any));
                    var announced = AddressOf(options.Advertise ?? (wildcard
                        ? throw new ArgumentException($"listening on {uri.Host}, the node cannot announce where to reach it: give --advertise HOST:PORT")
                        : $"{uri.Host}:{uri.Port}"), certificate);
                    await Announce(options, registry, announced);
                }
            }

            NodeStatusServer? statusServer = null;
            if (options.StatusListen is { } statusListen)
            {
                var statusEndpoint = ParseEndpoint(statusListen, "--status-listen");
                var metrics = app.Services.GetRequiredService<NodeMetrics>();
                var cache = app.Services.GetRequiredService<SceneCache>();
                var paidBy = app.Services.GetService<TileLedger>();
                statusServer = await NodeStatusServer.StartAsync(statusEndpoint, metrics, () => new NodeStatusReport(
                    options.NodeId, renderer.Device.Name, renderer.Fingerprint, state.Uptime.TotalSeconds, metrics.TilesDelivered, metrics.SegmentsDelivered,
                    state.InFlight, state.Draining, paidBy?.Address,
                    paidBy?.Earnings().Select(e => new ChannelStatus(e.Channel.ToString(), e.Payer, e.Earned.ToString(), e.Vouchered.ToString(),
                        e.Redeemed.ToString(), e.Pending.ToString(), e.LastRedeemTransaction)).ToList() ?? []), cancellation);
            }
            return new NodeHost(app, options, AddressOf($"{uri.Host}:{uri.Port}", certificate), renderer, stateDirectory, statusServer);
        }
        catch
        {
            renderer.Dispose();
            stateDirectory?.Dispose();
            throw;
        }
    }

    /// <summary>How coordinators address this node: host:port for plain HTTP/2; https://host:port#sha256=FINGERPRINT with TLS.</summary>
    static string AddressOf(string hostPort, X509Certificate2? certificate) =>
        certificate is null ? hostPort : $"https://{hostPort}#sha256={NodeCertificate.Fingerprint(certificate)}";

    /// <summary>Registers (or updates) this node's endpoint and price in the NodeRegistry, where coordinators look for nodes.</summary>
    static async Task Announce(NodeOptions options, string registryAddress, string endpoint)
    {
        var pay = options.Payment!;
        var web3 = new Nethereum.Web3.Web3(new Nethereum.Web3.Accounts.Account(pay.NodeKey, pay.ChainId), pay.RpcUrl);
        var registry = new RenderNet.Payments.RegistryClient(web3, registryAddress, pay.TokenAddress);
        await registry.RegisterOrUpdateAsync(endpoint, options.PricePerTile, pay.Stake);
    }

    static IPEndPoint ParseEndpoint(string listen, string option = "--listen")
    {
        int colon = listen.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(listen[(colon + 1)..], out int port) || port is < 0 or > 65535)
            throw new ArgumentException($"{option} '{listen}' is not host:port");
        string host = listen[..colon].Trim('[', ']');
        var ip = host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var parsed) ? parsed
            : throw new ArgumentException($"{option} '{listen}': '{host}' is not an IP address");
        return new IPEndPoint(ip, port);
    }

    /// <summary>Completes when the host stops (SIGTERM, Ctrl+C or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync() => app.WaitForShutdownAsync();

    public Task StopAsync() => DrainAndStopAsync();

    public async ValueTask DisposeAsync()
    {
        if (statusServer is not null) await statusServer.DisposeAsync();
        await app.DisposeAsync();
        Renderer.Dispose();
        stateDirectory?.Dispose();
    }
}

/// <summary>A host lifetime that installs no signal handlers: whoever hosts the node decides when to drain it.</summary>
sealed class SignalFreeLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
