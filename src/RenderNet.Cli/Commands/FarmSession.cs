using RenderNet.Farm;
using RenderNet.Payments;
using Spectre.Console;

namespace RenderNet.Cli.Commands;

/// <summary>How a farm job finds and pays its nodes, as the user asked on the command line.</summary>
sealed record FarmSessionRequest(string[] Nodes, int LocalNodes, string? Device, bool Pay, ulong Price,
    string? Rpc, string? Escrow, string? Token, string? Registry, string? PayerKeystore, string? MaxPrice = null, string? ExpectedFingerprint = null,
    string? MinStake = null)
{
    /// <summary>--min-stake as a number (0 when not given).</summary>
    public System.Numerics.BigInteger MinStakeValue => MinStake is null ? 0
        : System.Numerics.BigInteger.TryParse(MinStake, out var m) && m >= 0 ? m
        : throw new ArgumentException($"--min-stake '{MinStake}' is not a non-negative whole number of the token's smallest unit");

    /// <summary>--max-price as a number (null when not given).</summary>
    public System.Numerics.BigInteger? MaxPriceValue => MaxPrice is null ? null
        : System.Numerics.BigInteger.TryParse(MaxPrice, out var p) && p >= 0 ? p
        : throw new ArgumentException($"--max-price '{MaxPrice}' is not a non-negative whole number of the token's smallest unit");

    public bool Farmed => Nodes.Length > 0 || LocalNodes > 0 || Rpc is not null;

    /// <summary>Nodes may join later (a service with --accept-nodes): starting with none is fine.</summary>
    public bool NodesMayJoin { get; init; }

    /// <summary>Checks the combination before any work is spent.</summary>
    public void Validate()
    {
        if (LocalNodes < 0 || LocalNodes > 64) throw new ArgumentException($"--local-nodes must be between 0 and 64, got {LocalNodes}");
        if (Pay && LocalNodes == 0) throw new ArgumentException("--pay runs on a local chain with --local-nodes N; to pay nodes on another chain give --rpc, --escrow, --token and --payer-keystore");
        if (Pay && Rpc is not null) throw new ArgumentException("--pay starts a local chain; --rpc uses an existing one: give one of them");
        if (Rpc is not null && (Escrow is null || Token is null || PayerKeystore is null))
            throw new ArgumentException("--rpc needs --escrow, --token and --payer-keystore");
        _ = MaxPriceValue;
        _ = MinStakeValue;
    }
}

/// <summary>
/// The nodes and the payer of one farm job: a local anvil chain with the contracts (with --pay), or an existing chain
/// (--rpc), local nodes (--local-nodes, registered in the chain's registry when paid), and the addresses to use —
/// given, discovered in the registry, or the local ones. Disposing stops the local nodes, then the chain.
/// </summary>
sealed class FarmSession : IDisposable
{
    LocalNetwork? local;

    public FarmPayer? Payer { get; private set; }
    /// <summary>The coordinator key ($RENDERNET_COORDINATOR_KEY) that unpaid nodes started with --allow serve, if given.</summary>
    public VoucherSigner? CoordinatorSigner { get; } = SecretVariables.Take(SecretVariables.CoordinatorKey) is { } key
        ? new VoucherSigner(WorkSession.UnpaidDomain, PaymentKeys.Normalize(key)) : null;
    public IReadOnlyList<string> Addresses { get; private set; } = [];
    /// <summary>Registry entries of the nodes found there, by endpoint (their price and payout address bind them).</summary>
    public IReadOnlyDictionary<string, RegisteredNode>? Registered { get; private set; }
    /// <summary>The registry the payer's account talks to (discovery, and slashing a convicted node's stake); null without one.</summary>
    public RegistryClient? Registry { get; private set; }
    /// <summary>What the job passes to the farm: price cap, registry entries, coordinator key, unlock at the end, where evidence goes.</summary>
    public FarmOptions Apply(FarmOptions options, FarmSessionRequest r) => options with
    {
        MaxPrice = r.MaxPriceValue, Registered = Registered, CoordinatorSigner = CoordinatorSigner, UnlockWhenDone = r.Rpc is not null,
        Evidence = Registry is null ? null : new RegistryEvidencePresenter(Registry),
        ExpectedFingerprint = r.ExpectedFingerprint ?? options.ExpectedFingerprint,
    };

    public static async Task<FarmSession> StartAsync(FarmSessionRequest r, CancellationToken cancellation)
    {
        var session = new FarmSession();
        try
        {
            await session.Start(r, cancellation);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    async Task Start(FarmSessionRequest r, CancellationToken cancellation)
    {
        RegistryClient? registryClient = null;
        if (r.Rpc is not null)
        {
            // An existing chain: the payer's key from its keystore, the chain id from the chain itself.
            string payerKey = PaymentKeys.FromKeystore(r.PayerKeystore!, "RENDERNET_PAYER_PASSWORD");
            long chainId = (long)(await new Nethereum.Web3.Web3(r.Rpc).Eth.ChainId.SendRequestAsync()).Value;
            var web3 = new Nethereum.Web3.Web3(new Nethereum.Web3.Accounts.Account(payerKey, chainId), r.Rpc);
            Payer = FarmPayer.Create(web3, payerKey, chainId, r.Escrow!, r.Token!);
            if (r.Registry is not null) registryClient = new RegistryClient(web3, r.Registry, r.Token!);
        }
        if (r.LocalNodes > 0)
        {
            // With --pay: a local chain for this job, stopped when it ends; the nodes register in its registry.
            local = await LocalNetwork.StartAsync(new LocalNetworkOptions
            {
                Nodes = r.LocalNodes, Paid = r.Pay, PricePerTile = r.Price, Device = r.Device,
                Program = NodeCommandLine.ForCurrentProcess(typeof(FarmSession).Assembly.Location),
            }, cancellation);
            if (local.Payment is { } p)
            {
                Payer = local.Payer;
                registryClient = local.Registry;
                Console.Error.WriteLine($"rendernet: local chain {p.RpcUrl}: escrow {p.Escrow}, token {p.Token}, payer {Payer!.PayerAddress}");
            }
        }
        // Paid local nodes announce themselves in the registry; the job finds them there, as it would find any node.
        Registry = registryClient;
        bool discover = registryClient is not null && r.Nodes.Length == 0;
        // Anyone can register anything: skip unstaked entries and endpoints into this machine or its network (unless
        // the chain itself is local), rank by stake, dial the best few.
        string rpcUrl = r.Rpc ?? local?.Payment?.RpcUrl ?? "";
        var entries = discover ? RegistryDiscovery.For(rpcUrl, r.MinStakeValue).Choose(await registryClient!.NodesAsync()) : [];
        var discovered = entries.Select(n => n.Endpoint).ToList();
        if (discover) Registered = entries.GroupBy(n => n.Endpoint).ToDictionary(g => g.Key, g => g.Last());
        if (discover) Console.Error.WriteLine($"rendernet: {discovered.Count} node(s) found in the registry");
        Addresses = r.Nodes.Concat(discover ? discovered : local?.NodeAddresses ?? []).Distinct().ToList();
        if (Addresses.Count == 0 && !r.NodesMayJoin) throw new ArgumentException("no render nodes: give --nodes host:port,... or --local-nodes N");
    }

    /// <summary>The per-node table, and with a payer the receipt, on stderr.</summary>
    public void PrintReport(IReadOnlyList<NodeReport> nodes, string unit)
    {
        bool checks = nodes.Any(n => n.SpotChecks > 0);
        var table = new Table().AddColumns(["Node", "Address", unit, .. checks ? (string[])["Spot checks"] : [], "Work time", "Failures", "Status"]);
        foreach (var n in nodes)
            table.AddRow([Markup.Escape(n.NodeId ?? "-"), Markup.Escape(n.Address), n.Tiles.ToString(), .. checks ? (string[])[n.SpotChecks.ToString()] : [],
                $"{n.RenderTime.TotalSeconds:F2} s", n.Failures.ToString(), Markup.Escape(n.Excluded ?? "ok")]);
        Stderr.Write(table);
        if (Payer is null) return;
        table = new Table().Title("receipt").AddColumns(["Node", unit, .. checks ? (string[])["Spot checks"] : [], "Paid (RNT)", "Redeem transaction"]);
        foreach (var n in nodes)
            table.AddRow([Markup.Escape(n.NodeId ?? n.Address), n.Tiles.ToString(), .. checks ? (string[])[n.SpotChecks.ToString()] : [],
                Nethereum.Web3.Web3.Convert.FromWei(n.Paid).ToString(), n.RedeemTransaction is { Length: > 20 } tx ? $"{tx[..10]}…{tx[^6..]}" : n.RedeemTransaction ?? "-"]);
        Stderr.Write(table);
    }

    public static IAnsiConsole Stderr { get; } = CreateStderr();

    static IAnsiConsole CreateStderr()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        // Redirected, Spectre assumes 80 columns and wraps addresses mid-way; logs are read wider.
        if (Console.IsErrorRedirected) console.Profile.Width = 120;
        return console;
    }

    public void Dispose() => local?.Dispose();
}
