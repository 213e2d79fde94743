using System.Numerics;
using Grpc.Core;
using RenderNet.Farm.Tests.Scheduling;
using RenderNet.Payments;
using RenderNet.Protocol;

namespace RenderNet.Farm.Tests;

/// <summary>
/// Batched payment signing: one voucher per node is signed and sent at a time, and what is delivered meanwhile goes
/// into the next — vouchers are cumulative, so one signature pays for all of it. A fast node with a slow link costs
/// the payer a signature per round trip, not per tile.
/// </summary>
public class VoucherCoalescingTests
{
    /// <summary>A node that holds its first voucher until the test lets it go, and keeps every voucher it got.</summary>
    sealed class SlowToAcknowledge(string address) : INodeConnection
    {
        public readonly TaskCompletionSource Release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource FirstArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly List<Voucher> Received = [];
        public string Address { get; } = address;

        public async Task<VoucherReceipt> SubmitVoucherAsync(Voucher voucher, CancellationToken cancellation)
        {
            lock (Received) Received.Add(voucher);
            FirstArrived.TrySetResult();
            await Release.Task.WaitAsync(cancellation);
            return new VoucherReceipt();
        }

        static Exception NotHere => new RpcException(new Status(StatusCode.Unimplemented, "not used here"));
        public Task<Capabilities> GetCapabilitiesAsync(TimeSpan timeout, CancellationToken cancellation, bool calibrate = false) => throw NotHere;
        public Task OpenSessionAsync(BigInteger channel, string expectedNode, Func<WorkSession, string> sign, TimeSpan lifetime, CancellationToken cancellation) => throw NotHere;
        public Task<HealthReply> HealthAsync(TimeSpan timeout, CancellationToken cancellation) => throw NotHere;
        public Task<bool> EnsureSceneAsync(string sha256, ReadOnlyMemory<byte> glb, DateTime deadline, CancellationToken cancellation, IReadOnlyList<string>? sources = null) => throw NotHere;
        public Task<TileResult> RenderTileAsync(TileRequest request, DateTime deadline, CancellationToken cancellation) => throw NotHere;
        public AsyncDuplexStreamingCall<SegmentUpload, SegmentOutput> TranscodeSegment(DateTime deadline, CancellationToken cancellation) => throw NotHere;
        public Task<RedeemReply> RedeemAsync(BigInteger channel, CancellationToken cancellation) => throw NotHere;
        public void Dispose() { }
    }

    [Fact]
    public async Task Tiles_delivered_while_a_voucher_is_in_flight_are_paid_by_one_cumulative_voucher()
    {
        const string payerKey = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcab78d7ff2ff80f0"; // anvil's first account: no chain is asked
        const string escrow = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
        var domain = new EscrowDomain(31337, escrow);
        var payer = new FarmPayer(new EscrowClient(new Nethereum.Web3.Web3("http://127.0.0.1:9"), escrow, escrow), new VoucherSigner(domain, payerKey), 31337);
        var price = BigInteger.Pow(10, 15);
        payer.Restore("node-a", channel: 7, price, latest: null);
        var connection = new SlowToAcknowledge("node-a");
        var node = new FarmNode(connection) { Channel = "7" };
        var payments = new FarmPayments(new FakeWorkload(12), new FarmOptions { Payer = payer, HoldBackUnits = 0 }, null, _ => { });

        var first = payments.PayAsync(node, 1);          // signed and sent; the node is slow to acknowledge
        await connection.FirstArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var meanwhile = Enumerable.Range(0, 11).Select(_ => payments.PayAsync(node, 1)).ToList();
        Assert.All(meanwhile, t => Assert.True(t.IsCompletedSuccessfully)); // queued for the next voucher, not signed each
        connection.Release.SetResult();
        await first.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(meanwhile);

        Assert.Equal(new BigInteger[] { 1, 12 }, connection.Received.Select(v => v.Tiles));
        Assert.Equal(new[] { price, price * 12 }, connection.Received.Select(v => v.CumulativeAmount));
        // Each is a voucher the node (and the escrow) accept: signed by the payer for that channel and amount.
        var verifier = new VoucherVerifier(domain, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", new EscrowClient(new Nethereum.Web3.Web3("http://127.0.0.1:9"), escrow, escrow));
        foreach (var voucher in connection.Received)
            Assert.Equal(payer.PayerAddress, verifier.RecoverSigner(voucher), ignoreCase: true);
    }
}
