using RenderNet.Payments;

namespace RenderNet.Farm.Tests;

/// <summary>Security review C-2: junk registrations cost a coordinator no connection into its own network.</summary>
public class RegistryDiscoveryTests
{
    [Fact]
    public void C2_a_coordinator_dials_only_staked_entries_outside_its_own_network_best_first()
    {
        // What a public chain's registry could hold: a coordinator dials only staked entries outside its own network.
        RegisteredNode Entry(string endpoint, int stake, int price = 10) => new("0x" + new string('1', 40), endpoint, price, stake);
        var policy = new RegistryDiscovery { MinStake = 100, MaxNodes = 2 };
        var chosen = policy.Choose([
            Entry("127.0.0.1:7000", 1000), Entry("localhost:7000", 1000), Entry("10.1.2.3:7000", 1000), Entry("192.168.1.9:7000", 1000),
            Entry("[::1]:7000", 1000), Entry("169.254.169.254:80", 1000), Entry("0.0.0.0:7000", 1000),
            Entry("198.51.100.1:7000", 50), Entry("198.51.100.2:7000", 500), Entry("https://node.example:7000#sha256=" + new string('a', 64), 900),
            Entry("198.51.100.3:7000", 200, price: 1)]);
        Assert.Equal(["https://node.example:7000#sha256=" + new string('a', 64), "198.51.100.2:7000"], chosen.Select(c => c.Endpoint));
        Assert.True(RegistryDiscovery.For("http://127.0.0.1:8545", 0).Reachable("127.0.0.1:7000")); // a local chain lists local nodes
        Assert.False(RegistryDiscovery.For("https://rpc.example", 0).Reachable("127.0.0.1:7000"));
        Assert.False(RegistryDiscovery.For("http://127.0.0.1:8545", 0).Reachable("joins")); // a node that dials in: nothing to dial
    }
}
