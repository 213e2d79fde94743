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
        await client.OpenSessionAsync(channel, PaymentKeys.AddressOf(chain.Chain.DevKeys[1]), signer.SignSession, TimeSpan.FromHours(1), default);

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

    [Fact]
    public async Task P2_P5_a_stranger_cannot_spend_a_payers_channel_nor_make_the_node_redeem_or_check_vouchers()
    {
        await using var chain = new PaidFarmTests.PaidChain();
        await chain.DeployAsync();
        using var node = chain.Node(2);
        string nodeAddress = PaymentKeys.AddressOf(chain.Chain.DevKeys[2]);
        var victim = new EscrowClient(chain.Chain.Web3For(chain.Chain.DevKeys[0]), chain.Contracts.Escrow, chain.Contracts.Token);
        var (channel, _) = await victim.OpenAsync(nodeAddress, Price * 10); // channel ids are public: ChannelOpened events
        var domain = new EscrowDomain(chain.Chain.ChainId, chain.Contracts.Escrow);
        var tile = Protocol.FrameMessages.ToRequest(Jobs.Sha, Jobs.Frame(32, 32, 1), new Core.Tiles.TileRect(0, 0, 8, 8), "free-ride", 0);
        tile.PaymentChannel = channel.ToString();

        // Before the fix, naming the victim's channel was enough. Now nothing works without a session...
        using var stranger = new NodeClient(node.Address);
        foreach (var call in new Func<Task>[]
                 {
                     () => stranger.RenderTileAsync(tile, DateTime.UtcNow.AddMinutes(1), default),
                     () => stranger.EnsureSceneAsync(Jobs.Sha, Jobs.Glb, DateTime.UtcNow.AddMinutes(1), default),
                     () => stranger.SubmitVoucherAsync(new VoucherSigner(domain, chain.Chain.DevKeys[0]).Sign(channel, Price, 1), default),
                     () => stranger.RedeemAsync(channel, default),
                 })
        {
            var ex = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
            Assert.Equal(Protocol.RefusalKind.SessionRequired, Protocol.NodeRefusal.Of(ex));
        }
        // ...and a session signed by anyone but the channel's payer is refused.
        var forged = await Assert.ThrowsAsync<RpcException>(() =>
            stranger.OpenSessionAsync(channel, nodeAddress, new VoucherSigner(domain, chain.Chain.DevKeys[7]).SignSession, TimeSpan.FromHours(1), default));
        Assert.Equal(StatusCode.PermissionDenied, forged.StatusCode);
        Assert.Contains("not signed by its payer", forged.Status.Detail);
        Assert.Equal(0, await chain.BalanceOf(2));

        // The payer's own session works, and only for its channel.
        using var payer = new NodeClient(node.Address);
        await payer.OpenSessionAsync(channel, nodeAddress, new VoucherSigner(domain, chain.Chain.DevKeys[0]).SignSession, TimeSpan.FromHours(1), default);
        await payer.EnsureSceneAsync(Jobs.Sha, Jobs.Glb, DateTime.UtcNow.AddMinutes(1), default);
        var result = await payer.RenderTileAsync(tile, DateTime.UtcNow.AddMinutes(1), default);
        Assert.Equal(8u, result.Width);
        var (otherChannel, _) = await victim.OpenAsync(nodeAddress, Price * 10);
        var other = tile.Clone();
        other.PaymentChannel = otherChannel.ToString();
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => payer.RenderTileAsync(other, DateTime.UtcNow.AddMinutes(1), default))).StatusCode);
    }

    [Fact]
    public async Task P2_an_unpaid_node_with_an_allow_list_serves_only_those_coordinator_keys()
    {
        await using var chain = new PaidFarmTests.PaidChain(); // only for its well-known dev keys
        string trusted = chain.Chain.DevKeys[3], untrusted = chain.Chain.DevKeys[4];
        using var node = new NodeProcess(null, "--allow", PaymentKeys.AddressOf(trusted));
        var frame = Jobs.Frame(32, 24, 1);
        var refused = await Assert.ThrowsAsync<NoUsableNodeException>(() =>
            new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { CoordinatorSigner = new VoucherSigner(WorkSession.UnpaidDomain, untrusted) }).RunAsync([node.Address]));
        Assert.Contains("is not among the coordinator keys this node serves", refused.Message);
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { CoordinatorSigner = new VoucherSigner(WorkSession.UnpaidDomain, trusted) }).RunAsync([node.Address]);
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
    }

    [Fact]
    public async Task P3_what_a_payer_owes_survives_a_node_restart_and_one_price_cannot_buy_a_huge_tile()
    {
        await using var chain = new PaidFarmTests.PaidChain();
        await chain.DeployAsync();
        string state = Directory.CreateTempSubdirectory("rendernet-p3-").FullName;
        string nodeKey = chain.Chain.DevKeys[3], nodeAddress = PaymentKeys.AddressOf(nodeKey);
        var payer = new EscrowClient(chain.Chain.Web3For(chain.Chain.DevKeys[0]), chain.Contracts.Escrow, chain.Contracts.Token);
        var (channel, _) = await payer.OpenAsync(nodeAddress, Price * 100);
        var signer = new VoucherSigner(new EscrowDomain(chain.Chain.ChainId, chain.Contracts.Escrow), chain.Chain.DevKeys[0]);
        Protocol.TileRequest Tile(int i, int size = 8, int spp = 1)
        {
            var r = Protocol.FrameMessages.ToRequest(Jobs.Sha, Jobs.Frame(1024, 1024, spp), new Core.Tiles.TileRect(0, 0, size, size), "p3", i);
            r.PaymentChannel = channel.ToString();
            return r;
        }
        async Task<NodeClient> Connect(NodeProcess node)
        {
            var client = new NodeClient(node.Address);
            await client.OpenSessionAsync(channel, nodeAddress, signer.SignSession, TimeSpan.FromHours(1), default);
            await client.EnsureSceneAsync(Jobs.Sha, Jobs.Glb, DateTime.UtcNow.AddMinutes(1), default);
            return client;
        }
        try
        {
            using (var node = chain.Node(3, "--state", state, "--exposure-bound", "2"))
            using (var client = await Connect(node))
            {
                // One price unit is 2^22 pixel-samples: a 1024² tile at 65,536 spp is 16,384 units, above the node's cap.
                var huge = await Assert.ThrowsAsync<RpcException>(() => client.RenderTileAsync(Tile(0, 1024, 65536), DateTime.UtcNow.AddMinutes(1), default));
                Assert.Contains("a piece of 16384 price units exceeds this node's limit of 4096", huge.Status.Detail);
                await client.RenderTileAsync(Tile(1), DateTime.UtcNow.AddMinutes(1), default);
                await client.RenderTileAsync(Tile(2), DateTime.UtcNow.AddMinutes(1), default);
                var owes = await Assert.ThrowsAsync<RpcException>(() => client.RenderTileAsync(Tile(3), DateTime.UtcNow.AddMinutes(1), default));
                Assert.Equal(Protocol.RefusalKind.AwaitingPayment, Protocol.NodeRefusal.Of(owes));
            }
            // Restarted (a crash, an upgrade): before the fix the debt started again at zero and two more tiles were free.
            using (var node = chain.Node(3, "--state", state, "--exposure-bound", "2"))
            using (var client = await Connect(node))
            {
                var owes = await Assert.ThrowsAsync<RpcException>(() => client.RenderTileAsync(Tile(4), DateTime.UtcNow.AddMinutes(1), default));
                Assert.Equal(Protocol.RefusalKind.AwaitingPayment, Protocol.NodeRefusal.Of(owes));
                Assert.Contains($"the payer owes {Price * 2}", owes.Status.Detail);
                await client.SubmitVoucherAsync(signer.Sign(channel, Price * 2, 2), default);
                await client.RenderTileAsync(Tile(5), DateTime.UtcNow.AddMinutes(1), default); // paid up: work resumes
            }
        }
        finally { Directory.Delete(state, true); }
    }
}
