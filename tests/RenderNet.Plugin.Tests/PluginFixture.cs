using System.Numerics;
using RenderNet.Farm;
using RenderNet.Payments;

namespace RenderNet.Plugin.Tests;

/// <summary>
/// One local network for the tests of a class: 3 `rendernet node` processes paid per tile on a local anvil chain.
/// Each test connects its own <see cref="RenderFarm"/> to it (with its own budget), as a studio would.
/// </summary>
public sealed class PluginFixture : IAsyncLifetime
{
    public const decimal Price = 0.001m;
    public LocalNetwork Network { get; private set; } = null!;
    public ChainSettings Chain => new(Network.Payment!.RpcUrl, Network.Payment.Escrow, Network.Payment.Token, Network.Payment.Registry);

    public async Task InitializeAsync()
    {
        Network = await LocalNetwork.StartAsync(new LocalNetworkOptions { Nodes = 3, Paid = true, PricePerTile = RenderFarm.ToWei(Price) });
    }

    public Task DisposeAsync()
    {
        Network.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A studio's farm on the local nodes; no spot checks unless asked, so costs are exactly tiles × price.</summary>
    public Task<RenderFarm> ConnectAsync(decimal? budget = null, double spotCheckRate = 0) => RenderFarm.ConnectAsync(new RenderFarmOptions
    {
        Nodes = Network.NodeAddresses, Chain = Chain, Wallet = RenderWallet.FromPrivateKey(Network.DevPayerKey!), Budget = budget,
        SpotCheckRate = spotCheckRate,
    });

    /// <summary>Which local node (0-based) listens at an address.</summary>
    public int IndexOf(string address)
    {
        var addresses = Network.NodeAddresses;
        for (int i = 0; i < addresses.Count; i++) if (addresses[i] == address) return i;
        throw new ArgumentException($"{address} is not a node of the local network");
    }

    /// <summary>Tokens each node's payee address holds on chain (after the nodes redeemed).</summary>
    public async Task<decimal[]> NodeBalancesAsync()
    {
        var token = new TokenClient(new Nethereum.Web3.Web3(Network.Payment!.RpcUrl), Network.Payment.Token);
        var balances = new List<decimal>();
        foreach (var key in Network.Payment.NodeKeys) balances.Add(RenderFarm.ToTokens(await token.BalanceOfAsync(PaymentKeys.AddressOf(key))));
        return balances.ToArray();
    }
}
