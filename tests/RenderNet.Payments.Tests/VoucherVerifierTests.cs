namespace RenderNet.Payments.Tests;

/// <summary>The node's checks on vouchers, against channels on a real anvil.</summary>
[Collection("chain")]
public class VoucherVerifierTests(ChainFixture f)
{
    [Fact]
    public async Task A_node_accepts_only_increasing_vouchers_from_its_channels_payer()
    {
        var payer = f.Escrow(f.PayerKey);
        string nodeKey = f.Chain.DevKeys[5];
        string nodeAddress = ChainFixture.AddressOf(nodeKey);
        var (channel, _) = await payer.OpenAsync(nodeAddress, 1000);
        var (strangersChannel, _) = await payer.OpenAsync(ChainFixture.AddressOf(f.Chain.DevKeys[6]), 1000);
        var domain = new EscrowDomain(f.Chain.ChainId, f.Contracts.Escrow);
        var verifier = new VoucherVerifier(domain, nodeAddress, f.Escrow(nodeKey));
        var signer = f.Signer(f.PayerKey);

        Assert.Equal(100, await verifier.AcceptAsync(signer.Sign(channel, 100, 1)));
        Assert.Equal(150, await verifier.AcceptAsync(signer.Sign(channel, 250, 2)));
        Assert.Equal(250, verifier.Latest(channel)!.CumulativeAmount);

        async Task Rejected(Voucher v, string reason) =>
            Assert.Contains(reason, (await Assert.ThrowsAsync<VoucherRejectedException>(() => verifier.AcceptAsync(v))).Message);
        await Rejected(signer.Sign(channel, 250, 2), "does not increase");
        await Rejected(signer.Sign(channel, 200, 2), "does not increase");
        await Rejected(signer.Sign(channel, 5000, 50), "exceeds the channel's deposit");
        await Rejected(f.Signer(f.Chain.DevKeys[7]).Sign(channel, 300, 3), "not signed by its payer");
        await Rejected(new VoucherSigner(new EscrowDomain(1, f.Contracts.Escrow), f.PayerKey).Sign(channel, 300, 3), "not signed by its payer");
        await Rejected(new VoucherSigner(new EscrowDomain(f.Chain.ChainId, f.Contracts.Token), f.PayerKey).Sign(channel, 300, 3), "not signed by its payer");
        await Rejected(signer.Sign(strangersChannel, 300, 3), "not this node");
        await Rejected(signer.Sign(999_999, 300, 3), "does not exist");
        await Rejected(new Voucher(channel, 300, 3, "0x1234"), "malformed");
        Assert.Equal(250, verifier.Latest(channel)!.CumulativeAmount);

        // What the node accepted, it can redeem.
        await f.Escrow(nodeKey).RedeemAsync(verifier.Latest(channel)!);
        Assert.Equal(250, (await payer.ChannelAsync(channel)).Claimed);
    }
}
