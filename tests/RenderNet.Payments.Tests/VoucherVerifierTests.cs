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
        await Rejected(new Voucher(channel, 300, 3, "0x1234"), "is not 65 bytes");
        Assert.Equal(250, verifier.Latest(channel)!.CumulativeAmount);

        // What the node accepted, it can redeem.
        await f.Escrow(nodeKey).RedeemAsync(verifier.Latest(channel)!);
        Assert.Equal(250, (await payer.ChannelAsync(channel)).Claimed);
    }
}

/// <summary>Security review P-1: vouchers the node counts must be exactly those the escrow honours.</summary>
[Collection("chain")]
public class VoucherCanonicalityTests(ChainFixture f)
{
    [Fact]
    public async Task P1_malleated_vouchers_that_the_escrow_refuses_are_refused_by_the_node_and_the_last_good_one_is_kept()
    {
        var payer = f.Escrow(f.PayerKey);
        string nodeKey = f.Chain.DevKeys[8]; // a node account no other test checks the balance of
        var node = f.Escrow(nodeKey);
        var (channel, _) = await payer.OpenAsync(ChainFixture.AddressOf(nodeKey), 1000);
        var verifier = new VoucherVerifier(new EscrowDomain(f.Chain.ChainId, f.Contracts.Escrow), ChainFixture.AddressOf(nodeKey), node);
        var signer = f.Signer(f.PayerKey);
        var good = signer.Sign(channel, 100, 1);
        Assert.Equal(100, await verifier.AcceptAsync(good));

        foreach (var (bad, problem) in new[] { (Malleate.HighS(signer.Sign(channel, 300, 3)), "high s"), (Malleate.LowV(signer.Sign(channel, 400, 4)), "v = ") })
        {
            // Off-chain recovery (what the node used to rely on) still finds the payer...
            Assert.Equal(ChainFixture.AddressOf(f.PayerKey), verifier.RecoverSigner(bad), ignoreCase: true);
            // ...but the escrow refuses it, in a dry run and for real...
            Assert.Equal("BadSignature", await node.SimulateRedeemAsync(bad));
            Assert.Contains("BadSignature", (await Assert.ThrowsAsync<PaymentException>(() => node.RedeemAsync(bad))).Message);
            // ...and so does the node now, keeping the last voucher it can redeem.
            var ex = await Assert.ThrowsAsync<VoucherRejectedException>(() => verifier.AcceptAsync(bad));
            Assert.Equal(VoucherRejection.NonCanonicalSignature, ex.Reason);
            Assert.Contains(problem, ex.Message);
            Assert.Same(good, verifier.Latest(channel));
        }
        Assert.Null(await node.SimulateRedeemAsync(good));
        await node.RedeemAsync(verifier.Latest(channel)!);
        Assert.Equal(100, (await payer.ChannelAsync(channel)).Claimed);
    }

    [Fact]
    public async Task C3_the_tile_count_of_vouchers_never_goes_back_on_chain_or_at_the_node()
    {
        var payer = f.Escrow(f.PayerKey);
        string nodeKey = f.Chain.DevKeys[9];
        var node = f.Escrow(nodeKey);
        var (channel, _) = await payer.OpenAsync(ChainFixture.AddressOf(nodeKey), 1000);
        var verifier = new VoucherVerifier(new EscrowDomain(f.Chain.ChainId, f.Contracts.Escrow), ChainFixture.AddressOf(nodeKey), node);
        var signer = f.Signer(f.PayerKey);
        await verifier.AcceptAsync(signer.Sign(channel, 100, 5));
        var fewer = signer.Sign(channel, 200, 4);
        Assert.Equal(VoucherRejection.TilesDecrease, (await Assert.ThrowsAsync<VoucherRejectedException>(() => verifier.AcceptAsync(fewer))).Reason);
        await node.RedeemAsync(signer.Sign(channel, 100, 5));
        Assert.Contains("TilesNotIncreasing", (await Assert.ThrowsAsync<PaymentException>(() => node.RedeemAsync(fewer))).Message);
        Assert.Equal(5, (await payer.ChannelAsync(channel)).Tiles);
    }
}
