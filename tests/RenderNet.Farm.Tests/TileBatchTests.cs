using System.Numerics;
using Grpc.Core;
using Grpc.Net.Client;
using RenderNet.Core.Tiles;
using RenderNet.Protocol;

namespace RenderNet.Farm.Tests;

/// <summary>
/// Tiles sized per node: a node renders several tiles of a fine grid in one call (<c>RenderTiles</c>), each result
/// exactly the tile's own — hashed, signed and paid per tile — and a bad batch is refused whole.
/// </summary>
[Collection("farm")]
public class TileBatchTests
{
    static TileRequest Request(TileRect tile, int index, string scene = "") =>
        FrameMessages.ToRequest(scene.Length > 0 ? scene : Jobs.Sha, Jobs.Frame(32, 24, 1), tile, "batch", index);

    static TileBatch Batch(params TileRequest[] tiles)
    {
        var batch = new TileBatch();
        batch.Tiles.AddRange(tiles);
        return batch;
    }

    static async Task<List<TileResult>> ReadAllAsync(AsyncServerStreamingCall<TileResult> call)
    {
        var results = new List<TileResult>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) results.Add(call.ResponseStream.Current);
        return results;
    }

    [Fact]
    public async Task A_batch_returns_each_tile_as_RenderTile_does_in_order_and_a_bad_batch_is_refused_whole()
    {
        using var node = new NodeProcess();
        using var farmClient = new NodeClient(node.Address);
        await farmClient.EnsureSceneAsync(Jobs.Sha, Jobs.Glb, DateTime.UtcNow.AddMinutes(1), default);
        var client = new RenderNode.RenderNodeClient(GrpcChannel.ForAddress("http://" + node.Address));
        Assert.Equal((uint)TileBatches.MaxTiles, (await farmClient.GetCapabilitiesAsync(TimeSpan.FromSeconds(30), default)).MaxTilesPerBatch);

        var rects = new[] { new TileRect(0, 0, 8, 8), new TileRect(24, 16, 8, 8), new TileRect(8, 8, 16, 8), new TileRect(0, 16, 8, 8) };
        using (var call = client.RenderTiles(Batch(rects.Select((r, i) => Request(r, i)).ToArray())))
        {
            var batched = await ReadAllAsync(call);
            Assert.Equal(rects.Length, batched.Count);
            for (int i = 0; i < rects.Length; i++)
            {
                var single = await client.RenderTileAsync(Request(rects[i], i));
                Assert.Equal((uint)rects[i].Width, batched[i].Width); // in the order asked
                Assert.Equal(single.PixelsSha256, batched[i].PixelsSha256);
                Assert.Equal(TilePixels.Decode(single, rects[i]), TilePixels.Decode(batched[i], rects[i]));
                Assert.Equal(TilePixels.Sha256(TilePixels.Decode(batched[i], rects[i])), batched[i].PixelsSha256);
            }
        }

        // Refused before anything is rendered: no result comes back, only the reason.
        async Task<RpcException> Refused(TileBatch batch)
        {
            using var call = client.RenderTiles(batch);
            var ex = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(call));
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            return ex;
        }
        var tooMany = Enumerable.Range(0, TileBatches.MaxTiles + 1).Select(i => Request(new TileRect(0, 0, 8, 8), i)).ToArray();
        Assert.Equal($"a batch of {TileBatches.MaxTiles + 1} tiles: this node takes 1 to {TileBatches.MaxTiles}", (await Refused(Batch(tooMany))).Status.Detail);
        Assert.Equal("a batch of 0 tiles: this node takes 1 to 16", (await Refused(Batch())).Status.Detail);
        var otherScene = Request(new TileRect(8, 0, 8, 8), 1, new string('b', 64));
        Assert.Equal("every tile of a batch must be of one job, scene and payment channel",
            (await Refused(Batch(Request(new TileRect(0, 0, 8, 8), 0), otherScene))).Status.Detail);
        Assert.Contains("outside the 32x24 frame", (await Refused(Batch(Request(new TileRect(0, 0, 8, 8), 0), Request(new TileRect(30, 0, 8, 8), 1)))).Status.Detail);
    }

    [Fact]
    public async Task A_node_that_streams_more_results_than_tiles_asked_for_is_refused_by_the_coordinator()
    {
        using var node = new NodeProcess("ExtraBatchResult");
        using var client = new NodeClient(node.Address);
        await client.EnsureSceneAsync(Jobs.Sha, Jobs.Glb, DateTime.UtcNow.AddMinutes(1), default);
        var received = new List<TileResult>();
        var ex = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var result in client.RenderTilesAsync(Batch(Request(new TileRect(0, 0, 8, 8), 0), Request(new TileRect(8, 0, 8, 8), 1)), DateTime.UtcNow.AddMinutes(1), default))
                received.Add(result);
        });
        Assert.Equal("the node sent more than the 2 results of its batch", ex.Message);
        Assert.Equal(2, received.Count); // the two asked for were read; the third never was
    }

    [Fact]
    public async Task A_paid_job_in_batches_is_bit_identical_and_pays_each_node_exactly_its_tiles_and_lost_copies_times_price()
    {
        await using var chain = new PaidFarmTests.PaidChain();
        await chain.DeployAsync();
        using var a = chain.Node(1);
        using var b = chain.Node(2);
        var frame = Jobs.Frame(64, 48, 2);
        var connector = new CountingConnector();
        var warnings = new List<string>();
        var result = await new TileFarm(Jobs.Spec(frame, 8), Jobs.Fast with { Payer = chain.Payer(), BatchTarget = TimeSpan.FromSeconds(10), Connector = connector },
            onWarning: w => { lock (warnings) warnings.Add(w); }).RunAsync([a.Address, b.Address]);

        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        Assert.Empty(warnings);
        Assert.Equal(48, result.Nodes.Sum(n => n.Tiles));
        // Once each node's speed was known it took several tiles a call.
        Assert.Contains(connector.BatchSizes, size => size > 1);
        Assert.All(connector.BatchSizes, size => Assert.InRange(size, 2, TileBatches.MaxTiles));
        int account = 1;
        foreach (var node in new[] { a, b })
        {
            var report = result.Nodes.Single(n => n.Address == node.Address);
            var owed = PaidFarmTests.Price * (report.Tiles + report.PaidDuplicates); // a speculative copy that lost its race is paid too
            Assert.Equal(owed, report.Paid);
            Assert.Equal(owed, await chain.BalanceOf(account++)); // per tile, exact to the wei
        }
    }

    /// <summary>Real nodes over gRPC, counting the tiles of every batch call.</summary>
    sealed class CountingConnector : INodeConnector
    {
        public readonly List<int> BatchSizes = [];

        public INodeConnection Connect(string address, int maxReplyBytes) => new Counting(new NodeClient(address, maxReplyBytes: maxReplyBytes), this);

        sealed class Counting(NodeClient inner, CountingConnector counts) : INodeConnection
        {
            public string Address => inner.Address;
            public Task<Capabilities> GetCapabilitiesAsync(TimeSpan timeout, CancellationToken cancellation, bool calibrate = false) => inner.GetCapabilitiesAsync(timeout, cancellation, calibrate);
            public Task OpenSessionAsync(BigInteger channel, string expectedNode, Func<RenderNet.Payments.WorkSession, string> sign, TimeSpan lifetime, CancellationToken cancellation) =>
                inner.OpenSessionAsync(channel, expectedNode, sign, lifetime, cancellation);
            public Task<HealthReply> HealthAsync(TimeSpan timeout, CancellationToken cancellation) => inner.HealthAsync(timeout, cancellation);
            public Task<bool> EnsureSceneAsync(string sha256, ReadOnlyMemory<byte> glb, DateTime deadline, CancellationToken cancellation, IReadOnlyList<string>? sources = null) =>
                inner.EnsureSceneAsync(sha256, glb, deadline, cancellation, sources);
            public Task<TileResult> RenderTileAsync(TileRequest request, DateTime deadline, CancellationToken cancellation) => inner.RenderTileAsync(request, deadline, cancellation);
            public IAsyncEnumerable<TileResult> RenderTilesAsync(TileBatch batch, DateTime deadline, CancellationToken cancellation)
            {
                lock (counts.BatchSizes) counts.BatchSizes.Add(batch.Tiles.Count);
                return inner.RenderTilesAsync(batch, deadline, cancellation);
            }
            public AsyncDuplexStreamingCall<SegmentUpload, SegmentOutput> TranscodeSegment(DateTime deadline, CancellationToken cancellation) => inner.TranscodeSegment(deadline, cancellation);
            public Task<VoucherReceipt> SubmitVoucherAsync(RenderNet.Payments.Voucher voucher, CancellationToken cancellation) => inner.SubmitVoucherAsync(voucher, cancellation);
            public Task<RedeemReply> RedeemAsync(BigInteger channel, CancellationToken cancellation) => inner.RedeemAsync(channel, cancellation);
            public void Dispose() => inner.Dispose();
        }
    }
}
