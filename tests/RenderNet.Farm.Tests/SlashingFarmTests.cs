using System.Numerics;
using RenderNet.Payments;

namespace RenderNet.Farm.Tests;

/// <summary>A lie caught by spot checks costs the liar its stake: the coordinator presents the three signed results to the registry.</summary>
/// <remarks>In the farm collection: beside the other real-process farm tests on two cores, the tight test deadlines took the
/// third node out of the job, and no node was left to settle the dispute.</remarks>
[Collection("farm")]
public class SlashingFarmTests
{
    [Fact]
    public async Task A_convicted_liars_stake_is_slashed_on_chain_with_its_signed_tile_and_two_witnesses_and_it_leaves_discovery()
    {
        await using var chain = new PaidFarmTests.PaidChain();
        await chain.DeployAsync();
        var payerWeb3 = chain.Chain.Web3For(chain.Chain.DevKeys[0]);
        var token = new TokenClient(payerWeb3, chain.Contracts.Token);
        var stake = PaymentContracts.DefaultMinStake;
        foreach (int account in new[] { 1, 2, 3 }) await token.TransferAsync(PaymentKeys.AddressOf(chain.Chain.DevKeys[account]), stake);
        string[] registered = ["--registry", chain.Contracts.Registry, "--stake", stake.ToString()];
        using var liar = chain.NodeWithFault(1, "PlausibleLie", registered); using var b = chain.Node(2, registered); using var c = chain.Node(3, registered);
        var registry = new RegistryClient(payerWeb3, chain.Contracts.Registry, chain.Contracts.Token);
        string liarAddress = PaymentKeys.AddressOf(chain.Chain.DevKeys[1]);
        Assert.Equal((stake, BigInteger.Zero, true, false), await registry.StandingOfAsync(liarAddress));

        var frame = Jobs.Frame(128, 96, 2);
        var warnings = new List<string>();
        // Payer and presenter on one account, as `rendernet render`/`serve` wire them: evidence goes on chain while channels
        // are topped up, and two clients of one account, each counting its own nonces, would race for the same nonce.
        var payer = FarmPayer.Create(payerWeb3, chain.Chain.DevKeys[0], chain.Chain.ChainId, chain.Contracts.Escrow, chain.Contracts.Token);
        FarmResult result;
        try
        {
            result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { Payer = payer, SpotCheckRate = 1, Evidence = new RegistryEvidencePresenter(registry) },
                onWarning: w => { lock (warnings) warnings.Add(w); }).RunAsync([liar.Address, b.Address, c.Address]);
        }
        catch (FarmException ex)
        {
            lock (warnings) throw new Xunit.Sdk.XunitException($"{ex.Message}\nwarnings:\n{string.Join("\n", warnings)}");
        }

        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        Assert.StartsWith("failed a spot check", result.Nodes.Single(n => n.Address == liar.Address).Excluded);
        Assert.True(warnings.Any(w => w.Contains("stake was slashed on chain for its lie") && w.Contains(liar.Address)), string.Join("\n", warnings));
        Assert.Equal((BigInteger.Zero, BigInteger.Zero, false, true), await registry.StandingOfAsync(liarAddress));
        Assert.DoesNotContain(await registry.NodesAsync(), n => string.Equals(n.Address, liarAddress, StringComparison.OrdinalIgnoreCase));
        // 90 % of the stake is burned (the other 10 % rewarded whoever presented the evidence: this coordinator's account).
        Assert.Equal(stake - stake / 10, await token.BalanceOfAsync("0x000000000000000000000000000000000000dEaD"));
        // The honest witnesses keep theirs.
        foreach (int account in new[] { 2, 3 })
            Assert.Equal((stake, BigInteger.Zero, true, false), await registry.StandingOfAsync(PaymentKeys.AddressOf(chain.Chain.DevKeys[account])));
    }

    [Fact]
    public async Task A_tile_signed_by_another_key_than_the_nodes_payout_key_is_refused()
    {
        await using var chain = new PaidFarmTests.PaidChain();
        await chain.DeployAsync();
        using var impostor = chain.NodeWithFault(1, "ForeignSignature"); using var honest = chain.Node(2);
        var frame = Jobs.Frame(64, 32, 2);
        var attempts = new List<FarmAttempt>();
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { Payer = chain.Payer() }, onAttempt: a => { lock (attempts) attempts.Add(a); })
            .RunAsync([impostor.Address, honest.Address]);
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        var report = result.Nodes.Single(n => n.Address == impostor.Address);
        Assert.Equal(0, report.Tiles);
        Assert.Contains(attempts, a => a.Node.Contains(impostor.Address) && a.Kind == AttemptOutcome.Invalid
            && a.Outcome.Contains($"its result is not signed by its key {PaymentKeys.AddressOf(chain.Chain.DevKeys[1])}", StringComparison.OrdinalIgnoreCase));
    }
}
