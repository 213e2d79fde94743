using RenderNet.Payments;

namespace RenderNet.Farm.Tests;

/// <summary>
/// Security review N-3: a node other machines can reach speaks TLS with a certificate coordinators pin, and its
/// registry entry — signed by its payout key — carries the fingerprint, so a man in the middle can neither read the
/// traffic nor stand in for the node (and redirect its deposits).
/// </summary>
[Collection("farm")]
public class TransportTests
{
    [Fact]
    public async Task N3_a_tls_node_is_reached_through_its_pinned_certificate_and_an_impostor_certificate_is_refused()
    {
        using var node = new NodeProcess(null, "--tls", "true");
        Assert.Matches("^https://127\\.0\\.0\\.1:\\d+#sha256=[0-9a-f]{64}$", node.Address);
        var frame = Jobs.Frame(32, 24, 1);
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast).RunAsync([node.Address]);
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));

        // The same endpoint pinned to another certificate (what a man in the middle would present), and plain HTTP/2.
        string impostor = node.Address[..^64] + new string('0', 64);
        string plain = node.Address["https://".Length..node.Address.IndexOf('#')];
        foreach (var address in new[] { impostor, plain })
        {
            var refused = await Assert.ThrowsAsync<NoUsableNodeException>(() => new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { ConnectTimeout = TimeSpan.FromSeconds(5) }).RunAsync([address]));
            Assert.Contains("unreachable", refused.Message);
        }
    }

    [Fact]
    public async Task N3_a_paid_tls_node_registers_its_fingerprint_and_a_discovered_job_pays_it_over_tls()
    {
        await using var chain = new PaidFarmTests.PaidChain();
        await chain.DeployAsync();
        using var node = chain.Node(1, "--tls", "true", "--registry", chain.Contracts.Registry);
        var entry = Assert.Single(await new RegistryClient(chain.Chain.Web3For(chain.Chain.DevKeys[0]), chain.Contracts.Registry, chain.Contracts.Token).NodesAsync());
        Assert.Equal(node.Address, entry.Endpoint); // the fingerprint is in the entry its payout key signed
        Assert.Equal(PaymentKeys.AddressOf(chain.Chain.DevKeys[1]), entry.Address, ignoreCase: true);
        var frame = Jobs.Frame(32, 24, 1);
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { Payer = chain.Payer(), Registered = new Dictionary<string, RegisteredNode> { [entry.Endpoint] = entry } })
            .RunAsync([entry.Endpoint]);
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        Assert.Equal(4, result.Nodes.Single().Tiles);
        Assert.Equal(PaidFarmTests.Price * 4, result.Nodes.Single().Paid);

        // A node whose answers do not match its registry entry — paid elsewhere (a rewritten payout address) or dearer —
        // is not used: no channel is opened to it.
        foreach (var forged in new[] { entry with { Address = PaymentKeys.AddressOf(chain.Chain.DevKeys[9]) }, entry with { PricePerTile = PaidFarmTests.Price - 1 } })
        {
            var refused = await Assert.ThrowsAsync<NoUsableNodeException>(() => new TileFarm(Jobs.Spec(frame, 16),
                Jobs.Fast with { Payer = chain.Payer(), Registered = new Dictionary<string, RegisteredNode> { [entry.Endpoint] = forged } }).RunAsync([entry.Endpoint]));
            Assert.Matches("wants to be paid at .*, not at its registered address|more than the .* it registered", refused.Message);
        }
    }
}
