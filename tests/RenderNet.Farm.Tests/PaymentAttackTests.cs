using System.Numerics;
using Grpc.Core;
using RenderNet.Payments;
using RenderNet.Payments.Tests;

namespace RenderNet.Farm.Tests;

/// <summary>Attacks by a payer on a real paid node process over gRPC, settled on a real anvil (security review, payments).</summary>
[Collection("farm")]
public class PaymentAttackTests
{
    static readonly BigInteger Price = PaidFarmTests.Price;

    [Fact]
    public async Task P1_a_node_refuses_malleated_vouchers_over_gRPC_and_redeems_the_last_good_one()
    {
        await using var chain = new PaidFarmTests.PaidChain();
        await chain.DeployAsync();
        using var node = chain.Node(1);
        var payer = new EscrowClient(chain.Chain.Web3For(chain.Chain.DevKeys[0]), chain.Contracts.Escrow, chain.Contracts.Token);
        var (channel, _) = await payer.OpenAsync(PaymentKeys.AddressOf(chain.Chain.DevKeys[1]), Price * 10);
        var signer = new VoucherSigner(new EscrowDomain(chain.Chain.ChainId, chain.Contracts.Escrow), chain.Chain.DevKeys[0]);
        using var client = new NodeClient(node.Address);

        var receipt = await client.SubmitVoucherAsync(signer.Sign(channel, Price, 1), default);
        Assert.Equal(Price.ToString(), receipt.AcceptedTotal);
        foreach (var bad in new[] { Malleate.HighS(signer.Sign(channel, Price * 5, 5)), Malleate.LowV(signer.Sign(channel, Price * 6, 6)) })
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => client.SubmitVoucherAsync(bad, default));
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.Contains("the escrow would refuse it", ex.Status.Detail);
        }
        var redeemed = await client.RedeemAsync(channel, default);
        Assert.Equal(Price.ToString(), redeemed.Amount); // the good voucher was kept, not overwritten by a worthless one
        Assert.Equal(Price, await chain.BalanceOf(1));
    }
}
