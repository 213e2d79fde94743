using System.Numerics;
using RenderNet.Payments;

namespace RenderNet.Farm;

/// <summary>What a local network is made of: how many nodes, whether they render for pay, and how to start them.</summary>
public sealed record LocalNetworkOptions
{
    public int Nodes { get; init; } = 4;
    /// <summary>Start a local anvil chain with the contracts and have the nodes render for pay on it.</summary>
    public bool Paid { get; init; }
    /// <summary>What a paid node asks per tile, in the token's smallest unit.</summary>
    public BigInteger PricePerTile { get; init; } = BigInteger.Pow(10, 15);
    /// <summary>The nodes' Vulkan device selector (null: each picks the best).</summary>
    public string? Device { get; init; }
    /// <summary>The `rendernet` program that runs the nodes (null: <see cref="NodeCommandLine.Locate"/>).</summary>
    public NodeCommandLine? Program { get; init; }
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>What paid local nodes need to know.</summary>
public sealed record LocalPayment(string RpcUrl, long ChainId, string Escrow, string Token, string Registry, BigInteger PricePerTile, IReadOnlyList<string> NodeKeys)
{
    public override string ToString() => $"LocalPayment({RpcUrl}, escrow {Escrow})"; // never the keys
}

/// <summary>A local render node could not be started.</summary>
public sealed class LocalNodeException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A render network on this machine, for one session: N `rendernet node` workers on free loopback ports and, when
/// paid, a local anvil chain with the contracts deployed, the payer (dev account 0) and each node paid to dev account
/// i + 1 and registered in the registry. Disposing stops the nodes (they drain), then the chain.
/// </summary>
public sealed class LocalNetwork : IDisposable
{
    IReadOnlyList<LocalNode> nodes = [];
    AnvilChain? chain;

    /// <summary>The paid nodes' state directories (a temporary directory, removed with the network).</summary>
    string? nodeStates;

    LocalNetwork() { }

    public IReadOnlyList<LocalNode> Nodes => nodes;
    public IReadOnlyList<string> NodeAddresses => nodes.Select(n => n.Address).ToList();
    /// <summary>The chain and contracts when paid.</summary>
    public LocalPayment? Payment { get; private set; }
    /// <summary>Pays the nodes (dev account 0), when paid.</summary>
    public FarmPayer? Payer { get; private set; }
    public RegistryClient? Registry { get; private set; }
    /// <summary>The payer's key on the local chain: anvil's well-known development account 0 (worthless anywhere else).</summary>
    public string? DevPayerKey => chain?.DevKeys[0];

    /// <summary>Starts the chain (when paid) and the nodes; cancelling stops what was started and throws.</summary>
    public static async Task<LocalNetwork> StartAsync(LocalNetworkOptions options, CancellationToken cancellation = default)
    {
        if (options.Nodes < 1 || options.Nodes > 64) throw new ArgumentException($"a local network has 1 to 64 nodes, not {options.Nodes}");
        var network = new LocalNetwork();
        try
        {
            if (options.Paid) await network.StartChainAsync(options);
            cancellation.ThrowIfCancellationRequested();
            // Node processes take a second or two to listen: wait off the caller's thread (a game's main thread).
            await Task.Run(() => network.StartNodes(options, cancellation), cancellation);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    async Task StartChainAsync(LocalNetworkOptions options)
    {
        chain = AnvilChain.Start();
        if (chain.DevKeys.Count < options.Nodes + 1)
            throw new ArgumentException($"the local chain has {chain.DevKeys.Count} dev accounts: at most {chain.DevKeys.Count - 1} paid local nodes");
        var web3 = chain.Web3For(chain.DevKeys[0]);
        var contracts = await PaymentContracts.DeployAsync(web3, BigInteger.Pow(10, 27), 3600, 3600);
        Payer = FarmPayer.Create(web3, chain.DevKeys[0], chain.ChainId, contracts.Escrow, contracts.Token);
        Payment = new LocalPayment(chain.RpcUrl, chain.ChainId, contracts.Escrow, contracts.Token, contracts.Registry, options.PricePerTile,
            chain.DevKeys.Skip(1).Take(options.Nodes).ToList());
        Registry = new RegistryClient(web3, contracts.Registry, contracts.Token);
        // Each node stakes the registry's minimum from tokens the payer hands it, so its results can witness against a
        // liar (and its own stake answers for its lies).
        var token = new TokenClient(web3, contracts.Token);
        foreach (var key in Payment.NodeKeys) await token.TransferAsync(PaymentKeys.AddressOf(key), PaymentContracts.DefaultMinStake);
    }

    void StartNodes(LocalNetworkOptions options, CancellationToken cancellation)
    {
        var payment = Payment;
        // Paid nodes of a throwaway chain keep their vouchers beside it, not in the user's data directory, where the
        // same dev key, chain id and escrow address (anvil deploys deterministically) would make two local networks'
        // nodes fight over one state directory.
        if (payment is not null) nodeStates = Directory.CreateTempSubdirectory("rendernet-local-nodes-").FullName;
        try
        {
            nodes = LocalNode.StartMany(options.Nodes, options.Program ?? NodeCommandLine.Locate(), i =>
            {
                var args = new List<string> { "--node-id", $"local-{i + 1}" };
                if (options.Device is not null) args.AddRange(["--device", options.Device]);
                if (payment is not null)
                    args.AddRange(["--rpc", payment.RpcUrl, "--chain-id", payment.ChainId.ToString(), "--escrow", payment.Escrow, "--token", payment.Token,
                        "--price", payment.PricePerTile.ToString(), "--registry", payment.Registry, "--stake", PaymentContracts.DefaultMinStake.ToString(),
                        "--state", Path.Combine(nodeStates!, $"node-{i + 1}")]);
                return args;
                // Node keys go in the environment, never on the command line where a process listing would show them.
            }, options.StartTimeout, i => payment is null ? null : new Dictionary<string, string> { [SecretVariables.NodeKey] = payment.NodeKeys[i] }, cancellation);
        }
        catch (InvalidOperationException ex)
        {
            throw new LocalNodeException(ex.Message, ex);
        }
    }

    public void Dispose()
    {
        LocalNode.StopAll(nodes);
        nodes = [];
        chain?.Dispose();
        chain = null;
        if (nodeStates is not null)
        {
            try { Directory.Delete(nodeStates, recursive: true); }
            catch (IOException) { } // a node still closing its files: the temp directory is the system's to clean
            nodeStates = null;
        }
    }
}
