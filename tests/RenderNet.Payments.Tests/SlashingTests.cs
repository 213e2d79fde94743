using System.Numerics;
using System.Security.Cryptography;

namespace RenderNet.Payments.Tests;

/// <summary>NodeRegistry.slash on anvil: two staked witnesses convict a liar; nothing less, and nothing twice.</summary>
[Collection("chain")]
public class SlashingTests(ChainFixture f, Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly BigInteger Stake = PaymentContracts.DefaultMinStake;
    static byte[] H(string text) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>A fresh deployment (slashing is for ever: each test gets its own registry) and funded node accounts 1-5.</summary>
    async Task<PaymentContracts> DeployAsync()
    {
        var contracts = await PaymentContracts.DeployAsync(f.Chain.Web3For(f.PayerKey), ChainFixture.Supply, unbondingDelaySeconds: 7200, unlockDelaySeconds: 3600);
        var token = new TokenClient(f.Chain.Web3For(f.PayerKey), contracts.Token);
        for (int i = 1; i <= 5; i++) await token.TransferAsync(ChainFixture.AddressOf(f.Chain.DevKeys[i]), 4 * Stake);
        return contracts;
    }

    RegistryClient Registry(PaymentContracts c, int account) => new(f.Chain.Web3For(f.Chain.DevKeys[account]), c.Registry, c.Token);

    SignedWorkResult Signed(PaymentContracts c, int account, string result, string spec = "spec", string job = "job-1", RegistryDomain? domain = null)
    {
        var work = new WorkResult(H(job), H(spec), H("tile:0,0,16,16"), H(result), H("pipeline"));
        string key = f.Chain.DevKeys[account];
        return new SignedWorkResult(work, ChainFixture.AddressOf(key), work.Sign(key, domain ?? new RegistryDomain(f.Chain.ChainId, c.Registry)));
    }

    [Fact]
    public async Task A_liar_is_slashed_stake_and_unbonding_to_the_presenter_and_burned_delisted_and_barred_and_the_evidence_cannot_be_replayed()
    {
        var c = await DeployAsync();
        foreach (int n in new[] { 1, 2, 3 }) await Registry(c, n).RegisterAsync($"10.0.0.{n}:7000", 1, 2 * Stake);
        await Registry(c, 1).StartUnbondingAsync(Stake / 2); // unbonding does not put stake out of reach
        var token = new TokenClient(f.Chain.Web3For(f.PayerKey), c.Token);
        string presenter = ChainFixture.AddressOf(f.Chain.DevKeys[4]);
        var before = await token.BalanceOfAsync(presenter);

        // Job 1's tile from the liar; the same work checked by two honest nodes (one in another job).
        var liar = Signed(c, 1, "tinted pixels");
        var receipt = await Registry(c, 4).SlashAsync(liar, Signed(c, 2, "true pixels"), Signed(c, 3, "true pixels", job: "job-2"));

        var slashed = 2 * Stake;
        Assert.Equal(before + slashed / 10, await token.BalanceOfAsync(presenter)); // 10 % to whoever presented the evidence
        Assert.Equal(slashed - slashed / 10, await token.BalanceOfAsync("0x000000000000000000000000000000000000dEaD"));
        Assert.Equal((BigInteger.Zero, BigInteger.Zero, false, true), await Registry(c, 1).StandingOfAsync(liar.Signer));
        var listed = await Registry(c, 4).NodesAsync();
        Assert.DoesNotContain(listed, n => string.Equals(n.Address, liar.Signer, StringComparison.OrdinalIgnoreCase)); // out of discovery
        Assert.Equal(2, listed.Count);
        Assert.Contains("SlashedNode", (await Assert.ThrowsAsync<PaymentException>(() => Registry(c, 1).RegisterAsync("10.0.0.9:7000", 1, Stake))).Message);
        Assert.Contains("EvidenceUsed", (await Assert.ThrowsAsync<PaymentException>(() =>
            Registry(c, 5).SlashAsync(liar, Signed(c, 2, "true pixels"), Signed(c, 3, "true pixels")))).Message);
        output.WriteLine($"slash gas: {receipt.GasUsed.Value}");
        Assert.InRange((long)receipt.GasUsed.Value, 50_000, 250_000);
    }

    [Fact]
    public async Task An_honest_node_is_not_slashed_by_one_dissenter_by_witnesses_not_both_registered_and_staked_or_by_doctored_evidence()
    {
        var c = await DeployAsync();
        await Registry(c, 1).RegisterAsync("10.0.0.1:7000", 1, Stake); // honest
        await Registry(c, 2).RegisterAsync("10.0.0.2:7000", 1, Stake); // a staked dissenter
        await Registry(c, 3).RegisterAsync("10.0.0.3:7000", 1, Stake - 1); // registered, staked too little
        // account 4 never registers
        var honest = Signed(c, 1, "true pixels");
        var presenter = Registry(c, 5);
        async Task<string> Refusal(SignedWorkResult accused, SignedWorkResult a, SignedWorkResult b) =>
            (await Assert.ThrowsAsync<PaymentException>(() => presenter.SlashAsync(accused, a, b))).Message;

        Assert.Contains("SignersNotDistinct", await Refusal(honest, Signed(c, 2, "lie"), Signed(c, 2, "lie", job: "job-2"))); // one dissenter, twice
        Assert.Contains("WitnessNotStaked", await Refusal(honest, Signed(c, 2, "lie"), Signed(c, 3, "lie"))); // too little stake
        Assert.Contains("WitnessNotStaked", await Refusal(honest, Signed(c, 2, "lie"), Signed(c, 4, "lie"))); // not registered
        Assert.Contains("WitnessesDisagree", await Refusal(honest, Signed(c, 2, "lie"), Signed(c, 3, "another lie")));
        Assert.Contains("ResultsAgree", await Refusal(honest, Signed(c, 2, "true pixels"), Signed(c, 3, "true pixels")));
        // A witness's result for other work, presented as this work's: its signature recovers to no registered node.
        var otherSpec = Signed(c, 2, "lie", spec: "another spec");
        Assert.Contains("WitnessNotStaked", await Refusal(honest, Signed(c, 3, "lie"), otherSpec with { Result = otherSpec.Result with { Spec = honest.Result.Spec } }));
        // A malleated (high-s) signature is refused as the chain's ECDSA refuses it.
        var witness = Signed(c, 2, "lie");
        var highS = Malleate.HighS(new Voucher(0, 0, 0, witness.Signature)).Signature;
        Assert.Contains("ECDSAInvalidSignature", await Refusal(honest, witness with { Signature = highS }, Signed(c, 3, "lie")));
        await Assert.ThrowsAsync<ArgumentException>(() => presenter.SlashAsync(honest, Signed(c, 2, "lie", spec: "x"), Signed(c, 3, "lie")));
        Assert.Equal((Stake, BigInteger.Zero, true, false), await Registry(c, 1).StandingOfAsync(honest.Signer));
    }

    [Fact]
    public void A_result_recovers_to_its_signer_only_under_the_registry_it_was_signed_for()
    {
        var work = new WorkResult(H("j"), H("s"), H("u"), H("r"), H("p"));
        string key = f.Chain.DevKeys[1];
        var here = new RegistryDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
        string signature = work.Sign(key, here);
        Assert.Equal(ChainFixture.AddressOf(key), work.RecoverSigner(signature, here), ignoreCase: true);
        Assert.NotEqual(ChainFixture.AddressOf(key), work.RecoverSigner(signature, here with { ChainId = 1 }), StringComparer.OrdinalIgnoreCase);
        Assert.NotEqual(ChainFixture.AddressOf(key), work.RecoverSigner(signature, RegistryDomain.None), StringComparer.OrdinalIgnoreCase);
        Assert.Null((work with { Job = [1] }).RecoverSigner(signature, here));
    }
}
