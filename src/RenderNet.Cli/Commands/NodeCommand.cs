using System.CommandLine;
using RenderNet.Farm;
using RenderNet.Node;
using RenderNet.Payments;

namespace RenderNet.Cli.Commands;

/// <summary>`rendernet node --listen HOST:PORT`: runs a headless render node until SIGTERM/Ctrl+C.</summary>
static class NodeCommand
{
    public const string ListeningPrefix = LocalNode.ListeningPrefix;
    public const string StatusPrefix = "rendernet node status page at ";
    public const string JoiningPrefix = "rendernet node joining ";

    static IReadOnlyList<string> CheckedGateways(string[] hosts)
    {
        foreach (var host in hosts)
            if (host.Length is 0 or > 255 || host.Contains('/') || Uri.CheckHostName(host.Split(':')[0]) == UriHostNameType.Unknown)
                throw new ArgumentException($"--scene-gateway '{host}' is not a host or host:port");
        return hosts;
    }

    static IReadOnlyList<string> CheckedTags(string[] tags)
    {
        if (tags.Length > NodeTags.MaxDeclared) throw new ArgumentException($"at most {NodeTags.MaxDeclared} --tag options, got {tags.Length}");
        foreach (var tag in tags) if (NodeTags.Problem(tag) is { } problem) throw new ArgumentException(problem);
        return tags.Select(t => t[..t.IndexOf('=')] + "=" + t[(t.IndexOf('=') + 1)..].ToLowerInvariant()).ToList();
    }

    public static Command Create()
    {
        var listen = new Option<string?>("--listen") { Description = "host:port to serve gRPC on (port 0 picks a free one); default 127.0.0.1:0, or nowhere with --join" };
        var join = new Option<string[]>("--join") { Description = "Join a coordinator service by dialling out (for nodes behind NAT): its URL, https://host:port#sha256=FINGERPRINT to pin its certificate; repeat for several services. The node's key ($RENDERNET_NODE_KEY or --keystore) proves who it is", AllowMultipleArgumentsPerToken = true };
        var tags = new Option<string[]>("--tag") { Description = "What this node says of itself, key=value (e.g. vram=24, region=eu; repeat): studios select nodes by tags (the gpu tag is derived from the device unless given)", AllowMultipleArgumentsPerToken = true };
        var maxTiles = new Option<int>("--max-tiles") { Description = "Tiles accepted at once (more are refused as busy)", DefaultValueFactory = _ => 2 };
        var gateways = new Option<string[]>("--scene-gateway") { Description = "A host (or host:port) this node may fetch scenes from when a coordinator names it as a scene source (https; repeat): scenes then come from that CDN or gateway rather than the coordinator's uplink", AllowMultipleArgumentsPerToken = true };
        var maxScene = new Option<int>("--max-scene-mb") { Description = "Largest scene accepted, in MiB", DefaultValueFactory = _ => 512 };
        var cache = new Option<int>("--cache-mb") { Description = "Scene cache size, in MiB (least recently used scenes are evicted)", DefaultValueFactory = _ => 2048 };
        var price = new Option<ulong>("--price") { Description = "Price per tile, in the token's smallest unit", DefaultValueFactory = _ => 0UL };
        var device = new Option<string?>("--device") { Description = "Vulkan device index or name substring" };
        var cert = new Option<string?>("--cert") { Description = "PFX certificate for TLS (password from $RENDERNET_CERT_PASSWORD); default: a self-signed one kept in ~/.local/share/rendernet, pinned by coordinators through the printed address" };
        var tls = new Option<bool?>("--tls") { Description = "TLS on (true) or off (false); default: on unless the node listens on loopback only" };
        var allow = new Option<string[]>("--allow") { Description = "Unpaid node: serve coordinators holding these keys (addresses, comma-separated); without it, only callers on this machine", AllowMultipleArgumentsPerToken = true };
        var advertise = new Option<string?>("--advertise") { Description = "host:port to announce in the registry (needed when --listen is 0.0.0.0 or [::])" };
        var nodeId = new Option<string?>("--node-id") { Description = "Name reported to coordinators (default: host name + random suffix)" };
        var drain = new Option<int>("--drain-seconds") { Description = "On SIGTERM, how long tiles in flight may finish before they are handed back", DefaultValueFactory = _ => 25 };
        var rpc = new Option<string?>("--rpc") { Description = "Render for pay: JSON-RPC URL of the chain holding the escrow" };
        var escrow = new Option<string?>("--escrow") { Description = "Render for pay: TileEscrow address vouchers must be for" };
        var tokenAddress = new Option<string?>("--token") { Description = "Render for pay: RenderToken address" };
        var chainId = new Option<long>("--chain-id") { Description = "Render for pay: chain id", DefaultValueFactory = _ => 31337 };
        var keystore = new Option<string?>("--keystore") { Description = "Render for pay: the node's keystore (password in $RENDERNET_KEYSTORE_PASSWORD); default: the key in $RENDERNET_NODE_KEY" };
        var state = new Option<string?>("--state") { Description = "Render for pay: directory for accepted vouchers and what payers owe, so a restarted node forgets nothing (default: ~/.local/share/rendernet/node-ADDRESS; one process per directory)" };
        var threshold = new Option<int>("--redeem-threshold") { Description = "Render for pay: redeem once a channel owes this many tiles' worth (0: only when asked at job end)", DefaultValueFactory = _ => 100 };
        var registry = new Option<string?>("--registry") { Description = "Render for pay: announce this node (endpoint, price) in this NodeRegistry on start" };
        var stake = new Option<string>("--stake") { Description = "Render for pay: tokens (smallest unit) to stake when registering with --registry", DefaultValueFactory = _ => "0" };
        var exposure = new Option<int>("--exposure-bound") { Description = "Render for pay: price units' worth a payer may owe, work in flight included, before the node stops working for it", DefaultValueFactory = _ => NodePayment.DefaultExposureBound };
        var maxPiece = new Option<long>("--max-piece-units") { Description = "Render for pay: the largest piece of work (price units: 2^22 pixel-samples, 2^20 raster pixels, one output megapixel) one request may ask for", DefaultValueFactory = _ => 4096 };
        var statusListen = new Option<string?>("--status-listen") { Description = "host:port to serve /metrics (Prometheus), /status (JSON) and a status page on, over HTTP/1.1 (e.g. 127.0.0.1:9464; these show earnings: keep it off public interfaces)" };
        var exitWithStdin = new Option<bool>("--exit-on-stdin-close") { Description = "Stop when standard input closes (set by --local-nodes, so workers never outlive their coordinator)" };
        var command = new Command("node", "Run a headless render node (gRPC over HTTP/2)") { listen, join, tags, gateways, maxTiles, maxScene, cache, price, device, cert, tls, nodeId, allow, advertise, drain, rpc, escrow, tokenAddress, chainId, keystore, exposure, maxPiece, state, threshold, registry, stake, statusListen, exitWithStdin };
        command.Subcommands.Add(NodeStatusCommand.Create());
        command.SetAction((parse, cancellation) => UserErrors.Run(async () =>
        {
            int max = parse.GetValue(maxTiles);
            if (max < 1) throw new ArgumentException($"--max-tiles must be at least 1, got {max}");
            var joins = (parse.GetValue(join) ?? []).Select(ServiceJoinTarget.Parse).ToList();
            var options = new NodeOptions
            {
                Listen = parse.GetValue(listen) ?? (joins.Count > 0 ? null : "127.0.0.1:0"),
                Join = joins,
                Tags = CheckedTags(parse.GetValue(tags) ?? []),
                SceneGateways = CheckedGateways(parse.GetValue(gateways) ?? []),
                StatusListen = parse.GetValue(statusListen),
                MaxConcurrentTiles = max,
                MaxSceneBytes = (long)parse.GetValue(maxScene) << 20,
                SceneCacheBytes = (long)parse.GetValue(cache) << 20,
                PricePerTile = parse.GetValue(price),
                Device = parse.GetValue(device),
                CertificatePath = parse.GetValue(cert),
                Plaintext = parse.GetValue(tls) is { } on ? !on : null,
                CertificatePassword = SecretVariables.Take(SecretVariables.CertificatePassword),
                ShutdownTimeout = TimeSpan.FromSeconds(parse.GetValue(drain)),
                Fault = NodeOptions.FaultFromEnvironment(),
            };
            if (parse.GetValue(nodeId) is { } id) options = options with { NodeId = id };
            var allowed = (parse.GetValue(allow) ?? []).SelectMany(a => a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            foreach (var address in allowed)
                if (!Nethereum.Util.AddressUtil.Current.IsValidEthereumAddressHexFormat(address))
                    throw new ArgumentException($"--allow '{address}' is not an address (0x and 40 hex digits)");
            options = options with { AllowedCoordinators = allowed, Advertise = parse.GetValue(advertise) };
            string? nodeKey = parse.GetValue(keystore) is { } file
                ? PaymentKeys.FromKeystore(file, SecretVariables.KeystorePassword)
                : SecretVariables.Take(SecretVariables.NodeKey) is { } hex ? PaymentKeys.Normalize(hex) : null;
            options = options with { IdentityKey = nodeKey };
            if (parse.GetValue(escrow) is { } escrowAddress)
            {
                string key = nodeKey ?? throw new ArgumentException("a paid node needs its key: --keystore FILE (password in $RENDERNET_KEYSTORE_PASSWORD) or $RENDERNET_NODE_KEY");
                options = options with
                {
                    Payment = new NodePayment(parse.GetValue(rpc) ?? throw new ArgumentException("--escrow needs --rpc"), parse.GetValue(chainId), escrowAddress,
                        parse.GetValue(tokenAddress) ?? throw new ArgumentException("--escrow needs --token"), key, parse.GetValue(exposure))
                    {
                        StateDirectory = parse.GetValue(state),
                        MaxUnitsPerPiece = parse.GetValue(maxPiece) >= 1 ? parse.GetValue(maxPiece) : throw new ArgumentException("--max-piece-units must be at least 1"),
                        RedeemThresholdTiles = parse.GetValue(threshold),
                        RegistryAddress = parse.GetValue(registry),
                        Stake = System.Numerics.BigInteger.TryParse(parse.GetValue(stake), out var staked) && staked >= 0 ? staked
                            : throw new ArgumentException($"--stake '{parse.GetValue(stake)}' is not a non-negative whole number"),
                    },
                };
            }
            await using var host = await NodeHost.StartAsync(options, cancellation);
            // System.CommandLine turns SIGTERM/SIGINT into this token and waits for the action: drain, then return.
            using var onSignal = cancellation.Register(() => _ = host.DrainAndStopAsync());
            if (options.Listen is not null) Console.WriteLine($"{ListeningPrefix}{host.Address} ({host.Renderer.Device.Name}, node {options.NodeId})");
            if (joins.Count > 0)
                Console.WriteLine($"{JoiningPrefix}{string.Join(", ", joins.Select(j => j.Url))} as {PaymentKeys.AddressOf(nodeKey!)} ({host.Renderer.Device.Name}, node {options.NodeId})");
            if (host.StatusUrl is { } statusUrl) Console.WriteLine($"{StatusPrefix}{statusUrl}/ (metrics at {statusUrl}/metrics)");
            if (parse.GetValue(exitWithStdin))
            {
                // A coordinator killed with SIGKILL cannot stop its workers; the closed pipe tells them instead.
                _ = Task.Run(async () =>
                {
                    var buffer = new byte[256];
                    using var stdin = Console.OpenStandardInput();
                    while (await stdin.ReadAsync(buffer) > 0) { }
                    await host.StopAsync();
                });
            }
            await host.WaitForShutdownAsync();
            return ExitCodes.Success;
        }));
        return command;
    }
}
