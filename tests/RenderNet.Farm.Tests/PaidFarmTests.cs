using System.Numerics;
using Grpc.Core;
using RenderNet.Core.Tiles;
using RenderNet.Payments;
using RenderNet.Protocol;

namespace RenderNet.Farm.Tests;

/// <summary>Farm jobs that pay their nodes per tile through TileEscrow, on a real anvil with real node processes.</summary>
[Collection("farm")]
public class PaidFarmTests
{
    internal static readonly BigInteger Price = 1_000_000_000_000_000; // 0.001 token

    internal sealed class PaidChain : IAsyncDisposable
    {
        public AnvilChain Chain { get; } = AnvilChain.Start();
        public PaymentContracts Contracts { get; private set; } = null!;
        public async Task DeployAsync(ulong unlockDelaySeconds = 3600) =>
            Contracts = await PaymentContracts.DeployAsync(Chain.Web3For(Chain.DevKeys[0]), BigInteger.Pow(10, 24), 3600, unlockDelaySeconds);
        public NodeProcess Node(int account, params string[] extra) => new(null, environment: new Dictionary<string, string> { ["RENDERNET_NODE_KEY"] = Chain.DevKeys[account] },
            extraArgs: ["--rpc", Chain.RpcUrl, "--escrow", Contracts.Escrow, "--token", Contracts.Token, "--chain-id", Chain.ChainId.ToString(), "--price", Price.ToString(), .. extra]);
        public NodeProcess NodeWithFault(int account, string fault, params string[] extra) => new(fault, new Dictionary<string, string> { ["RENDERNET_NODE_KEY"] = Chain.DevKeys[account] },
            ["--rpc", Chain.RpcUrl, "--escrow", Contracts.Escrow, "--token", Contracts.Token, "--chain-id", Chain.ChainId.ToString(), "--price", Price.ToString(), .. extra]);
        public FarmPayer Payer() => FarmPayer.Create(Chain.Web3For(Chain.DevKeys[0]), Chain.DevKeys[0], Chain.ChainId, Contracts.Escrow, Contracts.Token);
        public Task<BigInteger> BalanceOf(int account) => new TokenClient(Chain.Web3For(Chain.DevKeys[0]), Contracts.Token).BalanceOfAsync(PaymentKeys.AddressOf(Chain.DevKeys[account]));
        public ValueTask DisposeAsync() { Chain.Dispose(); return ValueTask.CompletedTask; }
    }

    [Fact]
    public async Task A_paid_four_node_job_pays_each_node_exactly_its_tiles_and_lost_copies_times_price()
    {
        await using var chain = new PaidChain();
        await chain.DeployAsync();
        using var a = chain.Node(1); using var b = chain.Node(2); using var c = chain.Node(3); using var d = chain.Node(4);
        var frame = Jobs.Frame(64, 48, 4);
        var warnings = new List<string>();
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { Payer = chain.Payer() }, onWarning: w => { lock (warnings) warnings.Add(w); })
            .RunAsync([a.Address, b.Address, c.Address, d.Address]);
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        Assert.Empty(warnings); // every voucher was accepted
        int account = 1;
        foreach (var node in new[] { a, b, c, d })
        {
            var report = result.Nodes.Single(n => n.Address == node.Address);
            // A speculative copy that lost its race is paid too (the farm asked for it): a node that started late on a
            // loaded CI machine once had no tile of its own, only such a copy.
            var owed = Price * (report.Tiles + report.PaidDuplicates);
            Assert.Equal(owed, report.Paid);
            Assert.Equal(owed, await chain.BalanceOf(account++)); // exact to the wei
            if (report.Tiles > 0) Assert.NotNull(report.RedeemTransaction);
        }
        Assert.Equal(12, result.Nodes.Sum(n => n.Tiles));
    }

    [Fact]
    public async Task A_node_killed_mid_job_redeems_after_restart_exactly_what_it_was_paid_and_the_payer_reclaims_the_rest()
    {
        await using var chain = new PaidChain();
        await chain.DeployAsync();
        string state = Directory.CreateTempSubdirectory("rendernet-node-state").FullName;
        try
        {
            var victim = chain.Node(6, "--state", state);
            using var b = chain.Node(7); using var c = chain.Node(8);
            var payer = chain.Payer();
            int victimTiles = 0;
            // 48 tiles, so the victim always gets its 4 (on a loaded machine it may start late). At its fourth tile it is
            // killed as soon as it has stored a voucher: vouchers go out after their tiles, one at a time per node, so on
            // a loaded machine the first may still be on its way (the node then died owed, not paid: another test).
            var frame = Jobs.Frame(128, 96, 6);
            var farm = new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { Payer = payer }, onTile: e =>
            {
                if (!e.Node.Contains(victim.Address) || Interlocked.Increment(ref victimTiles) != 4) return;
                var stored = System.Diagnostics.Stopwatch.StartNew();
                while (stored.Elapsed < TimeSpan.FromSeconds(20) && !Directory.GetDirectories(state).Any(d => File.Exists(Path.Combine(d, "vouchers.json"))))
                    Thread.Sleep(10);
                victim.Kill();
            });
            var result = await farm.RunAsync([victim.Address, b.Address, c.Address]);
            Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
            Assert.True(victimTiles >= 4, $"the victim delivered {victimTiles} tile(s) before the job ended");
            Assert.True(victim.WaitForExit(TimeSpan.FromSeconds(10)));
            victim.Dispose();
            Assert.Equal(0, await chain.BalanceOf(6)); // it died before redeeming

            var stored = Assert.Single(new RenderNet.Node.VoucherStore(Assert.Single(Directory.GetDirectories(state))).Load()); // one chain and escrow: one scope
            Assert.True(stored.CumulativeAmount >= Price, $"the node kept {stored.CumulativeAmount}"); // vouchers it had accepted before it died
            using (chain.Node(6, "--state", state)) // a restart redeems what it was paid
            {
                Assert.Equal(stored.CumulativeAmount, await chain.BalanceOf(6));
            }

            var (channel, issued, _) = payer.Account(victim.Address)!.Value;
            Assert.True(issued >= stored.CumulativeAmount);
            var escrow = new EscrowClient(chain.Chain.Web3For(chain.Chain.DevKeys[0]), chain.Contracts.Escrow, chain.Contracts.Token);
            var deposit = (await escrow.ChannelAsync(channel)).Deposit;
            await escrow.RequestUnlockAsync(channel);
            await chain.Chain.AdvanceTimeAsync(3601);
            var before = await chain.BalanceOf(0);
            await escrow.ReclaimAsync(channel);
            Assert.Equal(before + deposit - stored.CumulativeAmount, await chain.BalanceOf(0));
        }
        finally { Directory.Delete(state, true); }
    }

    [Fact]
    public async Task A_node_stops_working_for_a_payer_who_does_not_pay()
    {
        await using var chain = new PaidChain();
        await chain.DeployAsync();
        using var node = chain.Node(5, "--exposure-bound", "2", "--redeem-threshold", "1");
        using var client = new NodeClient(node.Address);
        var escrow = new EscrowClient(chain.Chain.Web3For(chain.Chain.DevKeys[0]), chain.Contracts.Escrow, chain.Contracts.Token);
        var (channel, _) = await escrow.OpenAsync(PaymentKeys.AddressOf(chain.Chain.DevKeys[5]), Price * 100);
        var signer = new VoucherSigner(new EscrowDomain(chain.Chain.ChainId, chain.Contracts.Escrow), chain.Chain.DevKeys[0]);
        await client.OpenSessionAsync(channel, PaymentKeys.AddressOf(chain.Chain.DevKeys[5]), signer.SignSession, TimeSpan.FromHours(1), default);
        await client.EnsureSceneAsync(Jobs.Sha, Jobs.Glb, DateTime.UtcNow.AddMinutes(1), default);
        TileRequest Request(int i) => FrameMessages.ToRequest(Jobs.Sha, Jobs.Frame(32, 32, 1), new TileRect(0, 0, 8, 8), "deadbeat", i) is var r
            ? new TileRequest(r) { PaymentChannel = channel.ToString() } : null!;

        await client.RenderTileAsync(Request(0), DateTime.UtcNow.AddMinutes(1), default);
        await client.RenderTileAsync(Request(1), DateTime.UtcNow.AddMinutes(1), default);
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.RenderTileAsync(Request(2), DateTime.UtcNow.AddMinutes(1), default));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal(RefusalKind.AwaitingPayment, NodeRefusal.Of(refused)); // typed: the coordinator waits for its voucher
        Assert.Contains($"the payer owes {Price * 2}", refused.Status.Detail);

        // Paying for one tile frees one slot of exposure.
        await client.SubmitVoucherAsync(signer.Sign(channel, Price, 1), default);
        await client.RenderTileAsync(Request(3), DateTime.UtcNow.AddMinutes(1), default);

        // Past its redeem threshold (one tile's worth here) the node redeems by itself.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await chain.BalanceOf(5) == 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(Price, await chain.BalanceOf(5));

        // When the payer asks to unlock, the node redeems its best voucher before the payer can reclaim.
        await client.SubmitVoucherAsync(signer.Sign(channel, Price * 3, 3), default);
        await escrow.RequestUnlockAsync(channel);
        deadline = DateTime.UtcNow.AddSeconds(20);
        while (await chain.BalanceOf(5) < Price * 3 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(Price * 3, await chain.BalanceOf(5));
        // ...and takes no more work on a channel that is unlocking (P-4).
        RpcException? unlocking = null;
        for (deadline = DateTime.UtcNow.AddSeconds(10); unlocking is null && DateTime.UtcNow < deadline; await Task.Delay(200)) // its watcher sees the unlock within a second
        {
            try { await client.RenderTileAsync(Request(4), DateTime.UtcNow.AddMinutes(1), default); }
            catch (RpcException ex) when (ex.Status.Detail.Contains("is unlocking")) { unlocking = ex; }
        }
        Assert.NotNull(unlocking);

        // Without a channel a paid node refuses outright.
        var unpaid = await Assert.ThrowsAsync<RpcException>(() => client.RenderTileAsync(FrameMessages.ToRequest(Jobs.Sha, Jobs.Frame(32, 32, 1), new TileRect(0, 0, 8, 8), "free-rider", 9), DateTime.UtcNow.AddMinutes(1), default));
        Assert.Contains("works for pay", unpaid.Status.Detail);
    }
}
