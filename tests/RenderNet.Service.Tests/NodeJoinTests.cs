using System.Numerics;
using RenderNet.Client;
using RenderNet.Farm;
using RenderNet.Farm.Tests;
using RenderNet.Payments;
using Xunit.Abstractions;
using static RenderNet.Service.Tests.ServiceTestFiles;

namespace RenderNet.Service.Tests;

/// <summary>Nodes behind NAT: they dial out to the service (`rendernet node --join`), and the service uses them like any other.</summary>
public sealed class NodeJoinTests(ITestOutputHelper output)
{
    static readonly BigInteger Price = BigInteger.Pow(10, 15);

    static IReadOnlyList<string> NodeCommand(params string[] args)
    {
        var program = NodeCommandLine.ForDll(NodeProcess.RendernetDll);
        return [program.FileName, .. program.Prefix, "node", "--exit-on-stdin-close", .. args];
    }

    [Fact]
    public async Task A_node_behind_nat_joins_renders_its_share_is_paid_and_rejoins_after_its_link_is_cut_mid_tile()
    {
        using var chain = AnvilChain.Start();
        var contracts = await PaymentContracts.DeployAsync(chain.Web3For(chain.DevKeys[0]), BigInteger.Pow(10, 24), 3600, 3600);
        int chainPort = new Uri(chain.RpcUrl).Port;
        string[] paidNode(string rpc) => ["--rpc", rpc, "--escrow", contracts.Escrow, "--token", contracts.Token, "--chain-id", chain.ChainId.ToString(), "--price", Price.ToString()];
        // Both nodes take a second a tile (SlowTiles), so the job lasts long enough for the home node to come back to it.
        using var listening = new NodeProcess("SlowTiles", new Dictionary<string, string> { ["RENDERNET_NODE_KEY"] = chain.DevKeys[1] }, paidNode(chain.RpcUrl));
        string homeKey = chain.DevKeys[2], home = PaymentKeys.AddressOf(homeKey), joined = JoinedNodeAddress.For(home);
        string dir = Directory.CreateTempSubdirectory("rendernet-join").FullName;
        try
        {
            var env = new Dictionary<string, string> { ["RENDERNET_PAYER_PASSWORD"] = "payer-pass" };
            int port = ServiceProcess.FreePort();
            using var service = await ServiceProcess.StartOnPortAsync(port, Path.Combine(dir, "state"), env, "--rpc", chain.RpcUrl, "--escrow", contracts.Escrow,
                "--token", contracts.Token, "--payer-keystore", Keystore(dir, chain.DevKeys[0]), "--nodes", listening.Address, "--accept-nodes", home,
                "--spot-check", "0");
            // The home node reaches the service and the chain, through its router only; it listens nowhere.
            using var router = OutboundOnlyNetwork.Start(p => NodeCommand(["--join", $"http://127.0.0.1:{p(port)}", "--max-tiles", "1",
                .. paidNode($"http://127.0.0.1:{p(chainPort)}")]), new Dictionary<string, string> { ["RENDERNET_NODE_KEY"] = homeKey, ["RENDERNET_NODE_FAULT"] = "SlowTiles" }, port, chainPort);
            output.WriteLine(router.Isolated ? "the node runs in its own network namespace" : "no namespaces here: the node listens nowhere");
            using var client = await RenderServiceClient.ConnectAsync(service.Address, service.Token);
            await WaitForNodeAsync(client, joined, router);

            var request = new RenderRequest(RenderScene.Sample()) { Width = 96, Height = 64, SamplesPerPixel = 32, MaxBounces = 4, TileSize = 16, PixelFormat = PixelFormat.Rgba32FloatLinear };
            var job = client.CreateJob(request);
            var tiles = new List<RenderTile>();
            int cutAfter = -1;
            job.TileCompleted += t =>
            {
                lock (tiles)
                {
                    tiles.Add(t);
                    // After the home node's first tile it takes its next (once its voucher is sent), which takes over a
                    // second (SlowTiles): drop its link while that one renders.
                    if (cutAfter < 0 && t.Node.Contains(joined))
                    {
                        cutAfter = tiles.Count;
                        _ = Task.Delay(500).ContinueWith(_ => router.Cut());
                    }
                }
            };
            job.Start();
            var result = await job.Completion.WaitAsync(TimeSpan.FromMinutes(4));

            Assert.True(LocalServiceFixture.Bytes(LocalServiceFixture.LocalRender(request)).AsSpan().SequenceEqual(result.Frames[0].Pixels.Span));
            List<RenderTile> seen;
            lock (tiles) seen = [.. tiles];
            Assert.True(cutAfter > 0, "the home node delivered no tile before the cut");
            Assert.Contains(seen.Skip(cutAfter), t => t.Node.Contains(joined)); // it rejoined and went on rendering
            Assert.True(router.ForwardedTo(port) >= 2, $"the node joined {router.ForwardedTo(port)} time(s)");

            // The tile in flight when the link dropped failed on the home node and was rendered again (by whichever node).
            string journal = Path.Combine(dir, "state", "jobs", job.Id, $"{job.Id}-f0.sqlite");
            Assert.True(Count(journal, $"SELECT COUNT(*) FROM attempt WHERE node LIKE '%{joined}%' AND outcome NOT IN ('ok', '{TileFarm.PaidDuplicate}')") >= 1,
                $"no attempt of the home node failed when its link was cut; attempts:\n{Rows(journal, "SELECT idx, node, started, finished, outcome FROM attempt ORDER BY started")}");
            Assert.Equal(24, Count(journal, "SELECT COUNT(*) FROM tile"));

            // Paid at the address it proved when it joined, for exactly what it delivered.
            int homeTiles = Count(journal, $"SELECT COUNT(*) FROM tile WHERE node LIKE '%{joined}%'")
                            + Count(journal, $"SELECT COUNT(*) FROM attempt WHERE node LIKE '%{joined}%' AND outcome = '{TileFarm.PaidDuplicate}'");
            var token = new TokenClient(chain.Web3For(chain.DevKeys[0]), contracts.Token);
            Assert.Equal(Price * homeTiles, await token.BalanceOfAsync(home));
            Assert.Contains(result.Receipt, r => r.Address == joined && r.Paid > 0);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task A_node_joins_two_services_at_once_and_one_that_does_not_admit_it_says_why()
    {
        string key = "0x" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        string address = PaymentKeys.AddressOf(key), joined = JoinedNodeAddress.For(address);
        string dir = Directory.CreateTempSubdirectory("rendernet-join2").FullName;
        try
        {
            using var open = await ServiceProcess.StartAsync(Path.Combine(dir, "open"), null, "--accept-nodes", "any", "--spot-check", "0");
            using var closed = await ServiceProcess.StartAsync(Path.Combine(dir, "closed"), null, "--accept-nodes", "0x000000000000000000000000000000000000dEaD");
            using var node = OutboundOnlyNetwork.Start(p => NodeCommand(["--join", $"http://127.0.0.1:{p(open.Address.Port)}", "--join", $"http://127.0.0.1:{p(closed.Address.Port)}"]),
                new Dictionary<string, string> { ["RENDERNET_NODE_KEY"] = key }, open.Address.Port, closed.Address.Port);
            using var client = await RenderServiceClient.ConnectAsync(open.Address, open.Token);
            await WaitForNodeAsync(client, joined, node);

            // The closed service refused it, with the reason in the node's log; it lists no node.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!node.OutputText.Contains("is not among the nodes this service accepts") && DateTime.UtcNow < deadline) await Task.Delay(100);
            Assert.Contains($"{address.ToLowerInvariant()} is not among the nodes this service accepts", node.OutputText.ToLowerInvariant());
            using (var other = await RenderServiceClient.ConnectAsync(closed.Address, closed.Token))
                Assert.Empty(await other.GetNodesAsync());

            // The open one renders on it (an unpaid node serves the services it joined) and gets the local frame's bits.
            var request = new RenderRequest(RenderScene.Sample()) { Width = 48, Height = 32, SamplesPerPixel = 8, MaxBounces = 3, TileSize = 16, PixelFormat = PixelFormat.Rgba32FloatLinear };
            var result = await client.RenderAsync(request).WaitAsync(TimeSpan.FromMinutes(3));
            Assert.True(LocalServiceFixture.Bytes(LocalServiceFixture.LocalRender(request)).AsSpan().SequenceEqual(result.Frames[0].Pixels.Span));
            Assert.Equal(joined, Assert.Single(result.Receipt).Address);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task A_node_that_joins_while_a_job_runs_takes_tiles_in_that_job()
    {
        string key = "0x" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        string joined = JoinedNodeAddress.For(PaymentKeys.AddressOf(key));
        string dir = Directory.CreateTempSubdirectory("rendernet-join-late").FullName;
        try
        {
            // Alone, the listed node takes a second a tile: 24 s for the job's 24 tiles.
            using var slow = new NodeProcess("SlowTiles");
            using var service = await ServiceProcess.StartAsync(Path.Combine(dir, "state"), null, "--nodes", slow.Address, "--accept-nodes", "any", "--spot-check", "0");
            using var client = await RenderServiceClient.ConnectAsync(service.Address, service.Token);
            var request = new RenderRequest(RenderScene.Sample()) { Width = 96, Height = 64, SamplesPerPixel = 8, MaxBounces = 3, TileSize = 16, PixelFormat = PixelFormat.Rgba32FloatLinear };
            var job = client.CreateJob(request);
            var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            job.TileCompleted += _ => first.TrySetResult();
            job.Start();
            await first.Task.WaitAsync(TimeSpan.FromMinutes(2));

            // Before this change a job kept the nodes it started with: one that joined later waited for the next job.
            using var node = OutboundOnlyNetwork.Start(p => NodeCommand(["--join", $"http://127.0.0.1:{p(service.Address.Port)}"]),
                new Dictionary<string, string> { ["RENDERNET_NODE_KEY"] = key }, service.Address.Port);
            var result = await job.Completion.WaitAsync(TimeSpan.FromMinutes(3));

            Assert.True(LocalServiceFixture.Bytes(LocalServiceFixture.LocalRender(request)).AsSpan().SequenceEqual(result.Frames[0].Pixels.Span));
            var late = Assert.Single(result.Receipt, r => r.Address == joined);
            Assert.True(late.Tiles > 0, $"the node that joined mid-job delivered no tile; receipt: {string.Join(", ", result.Receipt.Select(r => $"{r.Address}: {r.Tiles}"))}");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task Over_tls_a_node_joins_only_a_service_whose_certificate_it_pinned_or_trusts()
    {
        string dir = Directory.CreateTempSubdirectory("rendernet-join-tls").FullName;
        try
        {
            // A self-signed certificate for 127.0.0.1: trusted by no CA, so only a node that pinned it may join.
            using var ecdsa = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=rendernet-test-service", ecdsa, System.Security.Cryptography.HashAlgorithmName.SHA256);
            var names = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            string pfx = Path.Combine(dir, "service.pfx");
            File.WriteAllBytes(pfx, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "cert-pass"));
            string fingerprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(certificate.RawData));
            int port = ServiceProcess.FreePort();
            using var service = await ServiceProcess.StartListeningAsync($"https://127.0.0.1:{port}", Path.Combine(dir, "state"),
                new Dictionary<string, string> { ["RENDERNET_SERVICE_CERT_PASSWORD"] = "cert-pass" }, "--certificate", pfx, "--accept-nodes", "any");

            string Key() => "0x" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            string pinnedKey = Key(), wrongKey = Key(), trustingKey = Key();
            using var pinned = new NodeProcess(null, new Dictionary<string, string> { ["RENDERNET_NODE_KEY"] = pinnedKey }, "--join", $"https://127.0.0.1:{port}#sha256={fingerprint}");
            using var wrong = new NodeProcess(null, new Dictionary<string, string> { ["RENDERNET_NODE_KEY"] = wrongKey }, "--join", $"https://127.0.0.1:{port}#sha256={new string('0', 64)}");
            using var trusting = new NodeProcess(null, new Dictionary<string, string> { ["RENDERNET_NODE_KEY"] = trustingKey }, "--join", $"https://127.0.0.1:{port}");

            using var http = new HttpClient(new SocketsHttpHandler
            {
                SslOptions = new System.Net.Security.SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, c, _, _) => c is not null && Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(c.GetRawCertData())) == fingerprint,
                },
            }) { BaseAddress = new Uri($"https://127.0.0.1:{port}/") };
            http.DefaultRequestHeaders.Authorization = new("Bearer", service.Token);
            string joined = JoinedNodeAddress.For(PaymentKeys.AddressOf(pinnedKey));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string nodes = "";
            while (DateTime.UtcNow < deadline)
            {
                nodes = await http.GetStringAsync("v1/nodes");
                if (nodes.Contains(joined) && nodes.Contains("\"healthy\":true")) break;
                await Task.Delay(250);
            }
            // The pinned node's gRPC answered through its TLS link (healthy: the service read its capabilities over it).
            Assert.Contains(joined, nodes);
            Assert.Contains("\"healthy\":true", nodes);
            Assert.Contains($"node {PaymentKeys.AddressOf(pinnedKey).ToLowerInvariant()} (", service.Stderr);
            Assert.Contains("joined over HTTP/2", service.Stderr); // the link is a WebSocket over HTTP/2 where TLS negotiates it
            Assert.DoesNotContain(JoinedNodeAddress.For(PaymentKeys.AddressOf(wrongKey)), nodes);
            Assert.DoesNotContain(JoinedNodeAddress.For(PaymentKeys.AddressOf(trustingKey)), nodes);
            Assert.True(wrong.Output.Any(line => line.Contains("link to https://127.0.0.1") && line.Contains("SSL")), string.Join("\n", wrong.Output));
            Assert.True(trusting.Output.Any(line => line.Contains("link to https://127.0.0.1") && line.Contains("SSL")), string.Join("\n", trusting.Output));
        }
        finally { Directory.Delete(dir, true); }
    }

    static async Task WaitForNodeAsync(RenderServiceClient client, string address, OutboundOnlyNetwork node)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if ((await client.GetNodesAsync()).Any(n => n.Address == address && n.Healthy)) return;
            Assert.False(node.Process.HasExited, $"the node exited: {node.OutputText}");
            await Task.Delay(250);
        }
        Assert.Fail($"node {address} did not join within 90 s: {node.OutputText}");
    }
}
