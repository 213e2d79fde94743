namespace RenderNet.Payments.Tests;

[Collection("chain")]
public class RegistryTests(ChainFixture f)
{
    [Fact]
    public async Task Nodes_register_update_and_unbond_their_stake_only_after_the_delay()
    {
        string nodeKey = f.Chain.DevKeys[4];
        string nodeAddress = ChainFixture.AddressOf(nodeKey);
        await new TokenClient(f.Chain.Web3For(f.PayerKey), f.Contracts.Token).TransferAsync(nodeAddress, 5000);
        var registry = new RegistryClient(f.Chain.Web3For(nodeKey), f.Contracts.Registry, f.Contracts.Token);
        var token = new TokenClient(f.Chain.Web3For(nodeKey), f.Contracts.Token);

        Assert.False(await registry.IsRegisteredAsync());
        await registry.RegisterOrUpdateAsync("127.0.0.1:7000", 25, 1000);
        Assert.True(await registry.IsRegisteredAsync());
        Assert.Equal(4000, await token.BalanceOfAsync(nodeAddress));
        Assert.Contains("AlreadyRegistered", (await Assert.ThrowsAsync<PaymentException>(() => registry.RegisterAsync("x:1", 1, 0))).Message);
        await registry.RegisterOrUpdateAsync("127.0.0.1:7001", 30, 1000); // a node announcing itself again updates, staking nothing more
        var listed = (await registry.NodesAsync()).Single(n => string.Equals(n.Address, nodeAddress, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(("127.0.0.1:7001", 30, 1000), (listed.Endpoint, (int)listed.PricePerTile, (int)listed.Stake));

        await registry.StartUnbondingAsync(600);
        Assert.Contains("UnbondingNotDue", (await Assert.ThrowsAsync<PaymentException>(registry.WithdrawAsync)).Message);
        await f.Chain.AdvanceTimeAsync(7201);
        await registry.WithdrawAsync();
        Assert.Equal(4600, await token.BalanceOfAsync(nodeAddress));
        Assert.Equal(400, (int)(await registry.NodesAsync()).Single(n => string.Equals(n.Address, nodeAddress, StringComparison.OrdinalIgnoreCase)).Stake);
    }
}

/// <summary>Security review C-2: entries are bounded, read in pages, and can leave the list.</summary>
[Collection("chain")]
public class RegistryHygieneTests(ChainFixture f)
{
    [Fact]
    public async Task C2_entries_are_bounded_paged_and_deregistrable()
    {
        string nodeKey = f.Chain.DevKeys[7];
        var registry = new RegistryClient(f.Chain.Web3For(nodeKey), f.Contracts.Registry, f.Contracts.Token);
        Assert.Contains("EndpointTooLong", (await Assert.ThrowsAsync<PaymentException>(() => registry.RegisterAsync("h:" + new string('9', 300), 1, 0))).Message);
        await registry.RegisterAsync("203.0.113.7:7000", 10, 0);
        string me = ChainFixture.AddressOf(nodeKey);
        Assert.Contains(await registry.NodesAsync(), n => string.Equals(n.Address, me, StringComparison.OrdinalIgnoreCase));
        await registry.DeregisterAsync();
        Assert.DoesNotContain(await registry.NodesAsync(), n => string.Equals(n.Address, me, StringComparison.OrdinalIgnoreCase));
        Assert.Contains("NotRegistered", (await Assert.ThrowsAsync<PaymentException>(registry.DeregisterAsync)).Message);

    }
}
