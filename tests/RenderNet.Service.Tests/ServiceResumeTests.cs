using System.Numerics;
using RenderNet.Client;
using RenderNet.Farm.Tests;
using RenderNet.Payments;
using static RenderNet.Service.Tests.ServiceTestFiles;

namespace RenderNet.Service.Tests;

/// <summary>The service SIGKILLed mid-job on a real chain with real paid nodes, and started again.</summary>
public sealed class ServiceResumeTests
{
    static readonly BigInteger Price = BigInteger.Pow(10, 15);

    [Fact]
    public async Task A_service_killed_mid_job_resumes_with_the_same_image_no_tile_rendered_twice_and_nothing_paid_twice()
    {
        using var chain = AnvilChain.Start();
        var contracts = await PaymentContracts.DeployAsync(chain.Web3For(chain.DevKeys[0]), BigInteger.Pow(10, 24), 3600, 3600);
        NodeProcess Node(int account) => new(null, new Dictionary<string, string> { ["RENDERNET_NODE_KEY"] = chain.DevKeys[account] },
            "--rpc", chain.RpcUrl, "--escrow", contracts.Escrow, "--token", contracts.Token, "--chain-id", chain.ChainId.ToString(), "--price", Price.ToString());
        using var a = Node(1);
        using var b = Node(2);
        string dir = Directory.CreateTempSubdirectory("rendernet-service-resume").FullName;
        string stateDir = Path.Combine(dir, "state");
        try
        {
            string keystore = Keystore(dir, chain.DevKeys[0]);
            var env = new Dictionary<string, string> { ["RENDERNET_PAYER_PASSWORD"] = "payer-pass" };
            string[] args = ["--rpc", chain.RpcUrl, "--escrow", contracts.Escrow, "--token", contracts.Token, "--payer-keystore", keystore,
                "--nodes", $"{a.Address},{b.Address}", "--spot-check", "0"];
            var request = new RenderRequest(RenderScene.Sample()) { Width = 96, Height = 64, SamplesPerPixel = 32, MaxBounces = 4, TileSize = 16, PixelFormat = PixelFormat.Rgba32FloatLinear };

            RenderJob job;
            int port = ServiceProcess.FreePort();
            var first = await ServiceProcess.StartOnPortAsync(port, stateDir, env, args);
            using var client = await RenderServiceClient.ConnectAsync(first.Address, first.Token);
            var tiles = new List<RenderTile>();
            var six = new TaskCompletionSource();
            job = client.CreateJob(request);
            job.TileCompleted += t => { lock (tiles) { tiles.Add(t); if (tiles.Count >= 6) six.TrySetResult(); } };
            job.Start();
            await six.Task.WaitAsync(TimeSpan.FromMinutes(2));
            first.Kill();
            first.Dispose(); // SIGKILL mid-job: no chance to save anything
            string journal = Path.Combine(stateDir, "jobs", job.Id, $"{job.Id}-f0.sqlite");
            int delivered = Count(journal, "SELECT COUNT(*) FROM tile");
            Assert.InRange(delivered, 6, 23);

            // Started again on the same state and address: the studio's client reconnects by itself and completes; a
            // second client attaches after the last event the first one saw and gets exactly the rest.
            using var second = await ServiceProcess.StartOnPortAsync(port, stateDir, env, args);
            var original = await job.Completion.WaitAsync(TimeSpan.FromMinutes(3));
            using var again = await RenderServiceClient.ConnectAsync(second.Address, second.Token);
            var resumed = await again.AttachAsync(job.Id, PixelFormat.Rgba32FloatLinear, afterEvent: tiles[5].Sequence);
            var laterTiles = new List<RenderTile>();
            resumed.TileCompleted += laterTiles.Add;
            var result = await resumed.Completion.WaitAsync(TimeSpan.FromMinutes(3));

            // The same image as a render in this process; every tile announced exactly once over the two streams.
            Assert.True(LocalServiceFixture.Bytes(LocalServiceFixture.LocalRender(request)).AsSpan().SequenceEqual(result.Frames[0].Pixels.Span));
            Assert.True(original.Frames[0].Pixels.Span.SequenceEqual(result.Frames[0].Pixels.Span));
            List<RenderTile> seenByFirst;
            lock (tiles) seenByFirst = tiles.ToList();
            Assert.Equal(24, seenByFirst.Select(t => (t.Image.X, t.Image.Y)).Distinct().Count()); // the reconnected stream: all, once
            Assert.Equal(24, seenByFirst.Count);
            var seen = seenByFirst.Take(6).Select(t => (t.Image.X, t.Image.Y)).Concat(laterTiles.Select(t => (t.Image.X, t.Image.Y))).ToList();
            Assert.Equal(24, seen.Distinct().Count());
            Assert.Equal(24, seen.Count);

            // No delivered tile rendered again: no attempt at a tile began after the tile was delivered (the restart
            // included). Nothing paid twice: each node holds exactly (its tiles + valid duplicates) × price.
            Assert.Equal(24, Count(journal, "SELECT COUNT(*) FROM tile"));
            Assert.Equal(0, Count(journal, "SELECT COUNT(*) FROM attempt a JOIN tile t ON a.idx = t.idx WHERE a.started > t.delivered"));
            var token = new TokenClient(chain.Web3For(chain.DevKeys[0]), contracts.Token);
            int account = 1;
            foreach (var node in new[] { a, b })
            {
                int paidTiles = Count(journal, $"SELECT COUNT(*) FROM tile WHERE node LIKE '%({node.Address})'")
                                + Count(journal, $"SELECT COUNT(*) FROM attempt WHERE node LIKE '%({node.Address})' AND outcome = '{RenderNet.Farm.TileFarm.PaidDuplicate}'");
                Assert.Equal(Price * paidTiles, await token.BalanceOfAsync(PaymentKeys.AddressOf(chain.DevKeys[account++])));
            }
            Assert.Equal(result.Cost, result.Receipt.Sum(r => r.Paid));
        }
        finally { Directory.Delete(dir, true); }
    }
}
