using System.Numerics;

namespace RenderNet.Payments.Tests;

/// <summary>TileEscrow on a real anvil: vouchers pay exactly what they say, and every misuse is refused with nothing paid.</summary>
[Collection("chain")]
public class EscrowTests(ChainFixture f)
{
    // Each test uses its own node account so balances do not interfere.
    async Task<(EscrowClient Payer, EscrowClient Node, BigInteger Channel, string NodeAddress)> OpenChannel(int nodeAccount, BigInteger deposit)
    {
        var payer = f.Escrow(f.PayerKey);
        string nodeKey = f.Chain.DevKeys[nodeAccount];
        string nodeAddress = ChainFixture.AddressOf(nodeKey);
        var (channel, _) = await payer.OpenAsync(nodeAddress, deposit);
        return (payer, f.Escrow(nodeKey), channel, nodeAddress);
    }

    [Fact]
    public async Task A_node_redeems_the_difference_to_what_it_already_claimed()
    {
        var (payer, node, channel, nodeAddress) = await OpenChannel(1, 1000);
        var signer = f.Signer(f.PayerKey);
        var before = await payer.BalanceOfAsync(nodeAddress);
        await node.RedeemAsync(signer.Sign(channel, 300, 3));
        Assert.Equal(before + 300, await payer.BalanceOfAsync(nodeAddress));
        await node.RedeemAsync(signer.Sign(channel, 500, 5));
        Assert.Equal(before + 500, await payer.BalanceOfAsync(nodeAddress));
        var state = await payer.ChannelAsync(channel);
        Assert.Equal(500, state.Claimed);
        Assert.Equal(5, state.Tiles);
        Assert.Equal(1000, state.Deposit);
    }

    [Fact]
    public async Task Forged_misdirected_excessive_and_replayed_vouchers_are_refused_with_nothing_paid()
    {
        var (payer, node, channel, nodeAddress) = await OpenChannel(2, 1000);
        var (_, _, otherChannel, _) = await OpenChannel(2, 1000);
        var signer = f.Signer(f.PayerKey);
        await node.RedeemAsync(signer.Sign(channel, 100, 1));
        var paid = await payer.BalanceOfAsync(nodeAddress);

        async Task Refused(Voucher voucher, string reason, EscrowClient? by = null)
        {
            var ex = await Assert.ThrowsAsync<PaymentException>(() => (by ?? node).RedeemAsync(voucher));
            Assert.Contains(reason, ex.Message);
            Assert.Equal(paid, await payer.BalanceOfAsync(nodeAddress));
        }

        await Refused(f.Signer(f.Chain.DevKeys[9]).Sign(channel, 200, 2), "BadSignature");                          // forged: not the payer
        await Refused(signer.Sign(otherChannel, 200, 2) with { Channel = channel }, "BadSignature");                // for another channel
        await Refused(new VoucherSigner(new EscrowDomain(1, f.Contracts.Escrow), f.PayerKey).Sign(channel, 200, 2), "BadSignature");  // another chain
        await Refused(new VoucherSigner(new EscrowDomain(f.Chain.ChainId, f.Contracts.Registry), f.PayerKey).Sign(channel, 200, 2), "BadSignature"); // another contract
        await Refused(signer.Sign(channel, 1001, 11), "AmountExceedsDeposit");
        await Refused(signer.Sign(channel, 100, 1), "AmountNotIncreasing");                                         // replay
        await Refused(signer.Sign(channel, 50, 1), "AmountNotIncreasing");                                          // older
        await Refused(signer.Sign(channel, 200, 2), "NotNode", by: f.Escrow(f.Chain.DevKeys[8]));                   // someone else
        var tampered = signer.Sign(channel, 200, 2);
        await Refused(tampered with { CumulativeAmount = 900 }, "BadSignature");                                     // amount edited
    }

    [Fact]
    public async Task The_payer_reclaims_the_rest_only_after_the_unlock_delay_and_the_node_can_redeem_meanwhile()
    {
        var (payer, node, channel, nodeAddress) = await OpenChannel(3, 1000);
        string payerAddress = ChainFixture.AddressOf(f.PayerKey);
        var signer = f.Signer(f.PayerKey);
        var nodeBefore = await payer.BalanceOfAsync(nodeAddress);

        Assert.Contains("UnlockNotRequested", (await Assert.ThrowsAsync<PaymentException>(() => payer.ReclaimAsync(channel))).Message);
        await payer.RequestUnlockAsync(channel);
        Assert.Contains("UnlockNotDue", (await Assert.ThrowsAsync<PaymentException>(() => payer.ReclaimAsync(channel))).Message);
        await node.RedeemAsync(signer.Sign(channel, 400, 4)); // still possible during the delay
        Assert.Contains("NotPayer", (await Assert.ThrowsAsync<PaymentException>(() => node.ReclaimAsync(channel))).Message);

        await f.Chain.AdvanceTimeAsync((long)ChainFixture.UnlockDelay + 1);
        var payerBefore = await payer.BalanceOfAsync(payerAddress);
        await payer.ReclaimAsync(channel);
        Assert.Equal(payerBefore + 600, await payer.BalanceOfAsync(payerAddress));
        Assert.Equal(nodeBefore + 400, await payer.BalanceOfAsync(nodeAddress));
        Assert.True((await payer.ChannelAsync(channel)).Closed);

        Assert.Contains("ChannelClosed", (await Assert.ThrowsAsync<PaymentException>(() => node.RedeemAsync(signer.Sign(channel, 500, 5)))).Message);
        Assert.Equal(nodeBefore + 400, await payer.BalanceOfAsync(nodeAddress));
    }

    [Fact]
    public async Task A_top_up_raises_the_cover_and_cancels_a_pending_unlock()
    {
        var (payer, node, channel, _) = await OpenChannel(4, 100);
        await payer.RequestUnlockAsync(channel);
        await payer.TopUpAsync(channel, 400);
        var state = await payer.ChannelAsync(channel);
        Assert.Equal(500, state.Deposit);
        Assert.Equal(0ul, state.UnlockAt);
        await node.RedeemAsync(f.Signer(f.PayerKey).Sign(channel, 450, 9));
    }
}
