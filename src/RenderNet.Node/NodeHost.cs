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
    readonly IReadOnlyList<ServiceLink> links;
    readonly CancellationTokenSource linksStop = new();
    readonly List<Task> linkTasks = [];
    readonly DirectoryInfo? linkDirectory;
    Task? stopping;

    public string Address { get; }
    public TileRenderer Renderer { get; }
    /// <summary>Where /metrics, /status and the status page are served (<see cref="NodeOptions.StatusListen"/>); null: nowhere.</summary>
    public string? StatusUrl => statusServer?.Url;

    /// <summary>The services this node joined (<see cref="NodeOptions.Join"/>), each kept connected until the node stops.</summary>
    public IReadOnlyList<ServiceLink> Links => links;

    NodeHost(WebApplication app, NodeOptions options, string address, TileRenderer renderer, StateDirectory? stateDirectory, NodeStatusServer? statusServer,
        IReadOnlyList<ServiceLink> links, DirectoryInfo? linkDirectory)
    {
        this.links = links;
        this.linkDirectory = linkDirectory;
        foreach (var link in links) linkTasks.Add(Task.Run(() => link.RunAsync(linksStop.Token)));
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
            // Tiles in flight answered through the links too: only now are they closed.
            await linksStop.CancelAsync();
            await Task.WhenAll(linkTasks);
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
        if (options.Listen is null && options.Join.Count == 0) throw new ArgumentException("a node listens (--listen HOST:PORT), joins services (--join URL), or both");
        var endpoint = options.Listen is null ? null : ParseEndpoint(options.Listen);
        string? joinKey = options.Join.Count == 0 ? null : options.Payment?.NodeKey ?? options.IdentityKey
            ?? throw new ArgumentException("a node joining a service proves its identity with its key: $RENDERNET_NODE_KEY or --keystore FILE");
        StateDirectory? stateDirectory = null;
        if (options.Payment is { } pay)
        {
            var root = pay.StateDirectory ?? StateDirectory.DefaultFor(RenderNet.Payments.PaymentKeys.AddressOf(pay.NodeKey));
            stateDirectory = StateDirectory.Acquire(Path.Combine(root, await TileLedger.ScopeAsync(pay)));
        }
        SegmentWorker.SweepLeftovers();
        // TLS unless the node only listens on loopback (or the operator says plaintext): a self-signed certificate is
        // made on first start and kept, and its fingerprint travels in the node's address for coordinators to pin.
        bool plaintext = endpoint is null || (options.Plaintext ?? (options.CertificatePath is null && System.Net.IPAddress.IsLoopback(endpoint.Address)));
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
        // Joined services reach the node's gRPC through this socket only (ServiceLink bridges each link to it); its
        // directory is private to the node's user.
        var linkDirectory = options.Join.Count > 0 ? Directory.CreateTempSubdirectory("rendernet-link-") : null;
        string? linkSocket = linkDirectory is null ? null : Path.Combine(linkDirectory.FullName, "node.sock");
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
                if (endpoint is not null)
                    k.Listen(endpoint, listen =>
                    {
                        listen.Protocols = HttpProtocols.Http2;
                        if (certificate is not null) listen.UseHttps(certificate);
                    });
                if (linkSocket is not null) k.ListenUnixSocket(linkSocket, listen => listen.Protocols = HttpProtocols.Http2);
            });
            builder.Services.AddGrpc(g =>
            {
                g.MaxReceiveMessageSize = 8 << 20;   // scene chunks are at most 4 MiB; tile requests are tiny
                g.MaxSendMessageSize = null;
            });
            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton(new SceneCache(options.SceneCacheBytes));
            builder.Services.AddSingleton<SceneFetcher>();
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
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.FirstOrDefault(a => !a.Contains("unix:"));
            var uri = bound is null ? null : new Uri(bound);
            if (app.Services.GetService<TileLedger>() is { } ledger)
            {
                foreach (var (channel, tx, paid) in await ledger.RedeemStoredAsync())
                    app.Logger.LogInformation("redeemed stored voucher channel={Channel} paid={Paid} tx={Tx}", channel, paid, tx ?? "-");
                _ = ledger.WatchUnlocksAsync(TimeSpan.FromSeconds(1), app.Lifetime.ApplicationStopping);
                if (options.Payment!.RegistryAddress is { } registry)
                {
                    // A wildcard address means nothing to a coordinator elsewhere (it would dial itself): say where to dial.
                    bool wildcard = uri is null || System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && (ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any));
                    var announced = options.Advertise is null && uri is null ? RenderNet.Protocol.JoinMessages.RegisteredEndpoint
                        : AddressOf(options.Advertise ?? (wildcard
                            ? throw new ArgumentException($"listening on {uri!.Host}, the node cannot announce where to reach it: give --advertise HOST:PORT")
                            : $"{uri!.Host}:{uri.Port}"), certificate);
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
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("rendernet.node.link");
            var links = options.Join.Select(target => new ServiceLink(target, joinKey!, options.NodeId, linkSocket!, logger)).ToList();
            string address = uri is null ? $"(listening nowhere; joining {string.Join(", ", options.Join.Select(j => j.Url))})" : AddressOf($"{uri.Host}:{uri.Port}", certificate);
            return new NodeHost(app, options, address, renderer, stateDirectory, statusServer, links, linkDirectory);
        }
        catch
        {
            renderer.Dispose();
            stateDirectory?.Dispose();
            linkDirectory?.Delete(recursive: true);
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
        await linksStop.CancelAsync();
        await Task.WhenAll(linkTasks);
        if (statusServer is not null) await statusServer.DisposeAsync();
        await app.DisposeAsync();
        Renderer.Dispose();
        stateDirectory?.Dispose();
        try { linkDirectory?.Delete(recursive: true); }
        catch (IOException) { } // a leftover socket in a private temp directory harms no one
    }
}

/// <summary>A host lifetime that installs no signal handlers: whoever hosts the node decides when to drain it.</summary>
sealed class SignalFreeLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
