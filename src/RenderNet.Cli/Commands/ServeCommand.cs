using System.CommandLine;
using RenderNet.Farm;
using RenderNet.Service;

namespace RenderNet.Cli.Commands;

/// <summary>
/// `rendernet serve`: the studio's coordinator as a long-running service (jobs from engines over HTTP/JSON and
/// WebSockets, several at once by priority, surviving restarts); `rendernet serve token` prints its bearer token.
/// </summary>
static class ServeCommand
{
    public static string DefaultStateDirectory =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "rendernet", "service");

    /// <summary>--pool NAME=ADDRESS,ADDRESS…, each address checked; the pools by name.</summary>
    static IReadOnlyDictionary<string, IReadOnlySet<string>> ParsePools(string[] pools)
    {
        var byName = new Dictionary<string, IReadOnlySet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var pool in pools)
        {
            int eq = pool.IndexOf('=');
            string name = eq > 0 ? pool[..eq].Trim() : "";
            if (!NodeTags.ValidKey(name.ToLowerInvariant()))
                throw new ArgumentException($"--pool '{Printable.Clean(pool, 60)}' is not NAME=ADDRESS,ADDRESS (a name is 1-32 of a-z, 0-9, '_' and '-')");
            var members = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var address in pool[(eq + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                members.Add(Nethereum.Util.AddressUtil.Current.IsValidEthereumAddressHexFormat(address) ? address.ToLowerInvariant()
                    : throw new ArgumentException($"--pool {name}: '{Printable.Clean(address, 60)}' is not an address (0x and 40 hex digits)"));
            byName[name] = members;
        }
        return byName;
    }

    public static Command Create()
    {
        var state = new Option<string>("--state") { Description = "State directory: token, job store, scenes, journals", DefaultValueFactory = _ => DefaultStateDirectory };
        var listen = new Option<string>("--listen") { Description = "Where to listen (loopback unless --certificate is given; port 0: any free port)", DefaultValueFactory = _ => "http://127.0.0.1:7878" };
        var certificate = new Option<string?>("--certificate") { Description = "PKCS#12 certificate for https (password in $RENDERNET_SERVICE_CERT_PASSWORD); required off loopback" };
        var nodes = new Option<string[]>("--nodes") { Description = "The render nodes: host:port,host:port,...", CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(), DefaultValueFactory = _ => [] };
        var localNodes = new Option<int>("--local-nodes") { Description = "Start N render nodes on loopback with the service and stop them with it", DefaultValueFactory = _ => 0 };
        var device = new Option<string?>("--device") { Description = "With --local-nodes: the nodes' Vulkan device" };
        var pay = new Option<bool>("--pay") { Description = "With --local-nodes: start a local anvil chain and pay the nodes on it" };
        var price = new Option<ulong>("--price") { Description = "With --pay: the nodes' price per price unit, in the token's smallest unit", DefaultValueFactory = _ => 1_000_000_000_000_000UL };
        var rpc = new Option<string?>("--rpc") { Description = "Pay on this chain (JSON-RPC URL): with --escrow, --token and --payer-keystore" };
        var escrow = new Option<string?>("--escrow") { Description = "With --rpc: the TileEscrow address" };
        var token = new Option<string?>("--token") { Description = "With --rpc: the RenderToken address" };
        var registry = new Option<string?>("--registry") { Description = "With --rpc: find nodes in this NodeRegistry (when no --nodes are given)" };
        var payerKeystore = new Option<string?>("--payer-keystore") { Description = "With --rpc: the payer's keystore (password in $RENDERNET_PAYER_PASSWORD)" };
        var maxPrice = new Option<string?>("--max-price") { Description = "Pay at most this per price unit (token's smallest unit)" };
        var minStake = new Option<string?>("--min-stake") { Description = "With --registry: use only nodes that staked at least this much" };
        var expected = new Option<string?>("--expected-fingerprint") { Description = "Use only nodes with this pipeline fingerprint" };
        var spotCheck = new Option<double>("--spot-check") { Description = "Share of tiles (0 to 1) rendered again on another node and compared bit for bit", DefaultValueFactory = _ => FarmDefaults.SpotCheckRate };
        var budget = new Option<decimal?>("--budget") { Description = "The most the service may spend over all its jobs, in tokens" };
        var maxJobs = new Option<int>("--max-jobs") { Description = "Jobs running at once (the rest wait in priority order)", DefaultValueFactory = _ => 8 };
        var jobsPerNode = new Option<int>("--jobs-per-node") { Description = "Running jobs each node works for at once (0: every job works every node); 2 keeps a coordinator with thousands of nodes and many jobs cheap", DefaultValueFactory = _ => 0 };
        var nodeRefresh = new Option<int>("--node-refresh") { Description = "Seconds between re-allotments of nodes to running jobs (nodes that joined, fair shares under --jobs-per-node); a job that ends hands its nodes on at once either way", DefaultValueFactory = _ => 15 };
        var batchSeconds = new Option<double>("--batch-seconds") { Description = "A node takes as many tiles in one call as it renders in about this long (tiles sized per node); 0: one tile per call", DefaultValueFactory = _ => FarmDefaults.BatchSeconds };
        var explorer = new Option<string?>("--explorer") { Description = "A block explorer's transaction page, {tx} for the hash (the dashboard links redeem transactions there), e.g. https://etherscan.io/tx/{tx}" };
        var acceptNodes = new Option<string?>("--accept-nodes") { Description = "Let nodes join by dialling out (rendernet node --join URL; for nodes behind NAT): 'any' node that proves its key, or these payout addresses (comma-separated)" };
        var pools = new Option<string[]>("--pool") { Description = "A pool of nodes jobs can require or prefer (tag pool=NAME): NAME=ADDRESS,ADDRESS (payout addresses; repeat for more pools)", AllowMultipleArgumentsPerToken = true };
        var exitWithStdin = new Option<bool>("--exit-with-stdin") { Description = "Stop when standard input closes (for a parent process that owns the service)" };

        var command = new Command("serve", "Run the studio's coordinator as a service: engines submit jobs over HTTP/JSON (OpenAPI at /openapi/v1.json) and follow them over WebSockets")
        {
            state, listen, certificate, nodes, localNodes, device, pay, price, rpc, escrow, token, registry, payerKeystore, maxPrice, minStake, expected, spotCheck, budget, maxJobs, jobsPerNode, nodeRefresh, batchSeconds, explorer, acceptNodes, pools, exitWithStdin,
        };
        command.SetAction((parse, cancellation) => UserErrors.Run(async () =>
        {
            double rate = parse.GetValue(spotCheck);
            if (!(rate >= 0 && rate <= 1)) throw new ArgumentException($"--spot-check must be between 0 and 1, got {rate}");
            if (parse.GetValue(budget) is < 0) throw new ArgumentException($"--budget must not be negative, got {parse.GetValue(budget)}");
            int jobs = parse.GetValue(maxJobs);
            if (jobs is < 1 or > 1024) throw new ArgumentException($"--max-jobs must be between 1 and 1024, got {jobs}");
            int perNode = parse.GetValue(jobsPerNode);
            if (perNode is < 0 or > 64) throw new ArgumentException($"--jobs-per-node must be between 0 and 64, got {perNode}");
            double batch = parse.GetValue(batchSeconds);
            if (!(batch >= 0 && batch <= 3600)) throw new ArgumentException($"--batch-seconds must be between 0 and 3600, got {batch}");
            int refresh = parse.GetValue(nodeRefresh);
            if (refresh is < 1 or > 3600) throw new ArgumentException($"--node-refresh must be between 1 and 3600 seconds, got {refresh}");
            string? explorerUrl = parse.GetValue(explorer) is { } template ? ServiceOptions.CheckExplorerTemplate(template) : null;
            if (!Uri.TryCreate(parse.GetValue(listen), UriKind.Absolute, out var listenUri)) throw new ArgumentException($"--listen '{parse.GetValue(listen)}' is not a URL such as http://127.0.0.1:7878");
            ServiceHost.CheckListen(listenUri, parse.GetValue(certificate)); // before any node or chain starts
            var request = new FarmSessionRequest(parse.GetValue(nodes)!, parse.GetValue(localNodes), parse.GetValue(device), parse.GetValue(pay), parse.GetValue(price),
                parse.GetValue(rpc), parse.GetValue(escrow), parse.GetValue(token), parse.GetValue(registry), parse.GetValue(payerKeystore),
                parse.GetValue(maxPrice), parse.GetValue(expected), parse.GetValue(minStake));
            request.Validate();
            var admission = parse.GetValue(acceptNodes) is { } accepted ? NodeAdmission.Parse(accepted) : null;
            request = request with { NodesMayJoin = admission is not null };
            if (!request.Farmed && admission is null)
                throw new ArgumentException("the service needs nodes: give --nodes host:port,..., --local-nodes N, --rpc with --registry, or let nodes join with --accept-nodes");

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            if (parse.GetValue(exitWithStdin))
                _ = Task.Run(() =>
                {
                    // The parent holds our stdin: when it closes (the parent stopped us, or died), stop cleanly.
                    try { while (Console.In.ReadLine() is not null) { } }
                    catch (IOException) { }
                    stop.Cancel();
                });
            using var session = await FarmSession.StartAsync(request, stop.Token);
            if (admission is { Registered: true })
            {
                // Registered strangers: whoever holds at least the stake the registry asks of witnesses (or --min-stake).
                var registry = session.Registry ?? throw new ArgumentException("--accept-nodes registered needs a registry: --rpc … --registry ADDRESS, or --local-nodes N --pay");
                admission = admission with
                {
                    Registry = async node => { var s = await registry.StandingOfAsync(node); return (s.Stake, s.Registered, s.Slashed); },
                    MinStake = request.MinStake is null ? await registry.MinStakeAsync() : request.MinStakeValue,
                };
            }
            var options = new ServiceOptions
            {
                StateDirectory = Path.GetFullPath(parse.GetValue(state)!),
                Listen = listenUri,
                CertificatePath = parse.GetValue(certificate),
                Nodes = session.Addresses,
                Payer = session.Payer,
                Budget = parse.GetValue(budget) is { } b ? new System.Numerics.BigInteger(decimal.Round(b * 1_000_000_000_000_000_000m, 0)) : null,
                Farm = session.Apply(new FarmOptions { SpotCheckRate = rate, Pools = ParsePools(parse.GetValue(pools) ?? []), BatchTarget = TimeSpan.FromSeconds(batch) }, request),
                MaxRunningJobs = jobs,
                JobsPerNode = perNode,
                NodeRefreshInterval = TimeSpan.FromSeconds(refresh),
                ExplorerTransactionUrl = explorerUrl,
                AcceptNodes = admission,
            };
            await using var service = await ServiceHost.StartAsync(options, consoleLogs: true, stop.Token);
            Console.Error.WriteLine($"rendernet: serving {session.Addresses.Count} node(s){(session.Payer is { } p ? $", paying from {p.PayerAddress}" : "")}; state in {options.StateDirectory}; token: rendernet serve token --state {options.StateDirectory}");
            Console.WriteLine($"rendernet serve: listening on {service.Address}");
            try { await Task.Delay(Timeout.Infinite, stop.Token); }
            catch (OperationCanceledException) { }
            Console.Error.WriteLine("rendernet: stopping the service; unfinished jobs resume on the next start");
            return ExitCodes.Success;
        }));

        var tokenState = new Option<string>("--state") { Description = "The service's state directory", DefaultValueFactory = _ => DefaultStateDirectory };
        var loginUrl = new Option<string?>("--url") { Description = "Print a dashboard login link for the service at this address (the token rides in the link's #fragment, which browsers never send)" };
        var show = new Command("token", "Print the service's bearer token (created on its first start), or with --url a dashboard login link") { tokenState, loginUrl };
        show.SetAction((parse, _) => UserErrors.Run(() =>
        {
            var value = ServiceToken.Load(parse.GetValue(tokenState)!).Value;
            if (parse.GetValue(loginUrl) is { } url)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                    throw new ArgumentException($"--url '{url}' is not an http address");
                Console.WriteLine($"{uri.GetLeftPart(UriPartial.Authority)}/#token={Uri.EscapeDataString(value)}");
            }
            else Console.WriteLine(value);
            return Task.FromResult(ExitCodes.Success);
        }));
        command.Subcommands.Add(show);
        return command;
    }
}
