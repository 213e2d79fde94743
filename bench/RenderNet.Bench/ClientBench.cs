using System.CommandLine;
using System.Diagnostics;
using System.Numerics;
using RenderNet.Client;
using RenderNet.Core.Gltf;
using RenderNet.Core.Rendering;
using RenderNet.Core.Samples;
using RenderNet.Farm;

/// <summary>
/// `bench client`: what the service and the engine client cost on top of the farm. The same frame on the same local
/// nodes, rendered by the coordinator library in this process (the baseline) and through `rendernet serve` with the
/// engine client following every tile over its WebSocket: wall time of each, the ratio, and the event latency per tile
/// (from the service recording the tile to the client's handler). Runs alternate; medians are reported.
/// </summary>
static class ClientBench
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { DefaultValueFactory = _ => 2 };
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 256 };
        var height = new Option<int>("--height") { DefaultValueFactory = _ => 192 };
        var spp = new Option<int>("--spp") { DefaultValueFactory = _ => 8 };
        var tile = new Option<int>("--tile") { DefaultValueFactory = _ => 32 };
        var runs = new Option<int>("--runs") { Description = "Runs of each, alternating", DefaultValueFactory = _ => 3 };
        var command = new Command("client", "Service + engine client against the in-process farm on the same nodes; event latency per tile") { nodes, width, height, spp, tile, runs };
        command.SetAction(parse => Run(parse.GetValue(nodes), parse.GetValue(width), parse.GetValue(height), parse.GetValue(spp), parse.GetValue(tile), parse.GetValue(runs))
            .GetAwaiter().GetResult());
        return command;
    }

    static async Task<int> Run(int nodeCount, int width, int height, int spp, int tileSize, int runs)
    {
        byte[] glb = CornellBox.Build().WriteGLB().ToArray();
        var scene = GltfSceneLoader.LoadGlb(glb, CornellBox.FileName);
        var frame = new FrameSettings { Width = width, Height = height, Camera = scene.ResolveCamera(null), SamplesPerPixel = spp, MaxBounces = 6, Background = Vector3.Zero };
        string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(glb));
        string rendernet = Path.Combine(AppContext.BaseDirectory, "rendernet.dll");
        using var network = await LocalNetwork.StartAsync(new LocalNetworkOptions { Nodes = nodeCount, Program = NodeCommandLine.ForDll(rendernet) });
        using var service = await RenderServiceClient.StartLocalAsync(new LocalServiceOptions
        {
            NodeAddresses = network.NodeAddresses.ToArray(), Paid = false, SpotCheckRate = 0, ServiceProgram = rendernet,
        });
        var request = new RenderRequest(RenderScene.FromGlb(glb, CornellBox.FileName)) { Width = width, Height = height, SamplesPerPixel = spp, MaxBounces = 6, TileSize = tileSize };

        async Task<double> Direct()
        {
            var watch = Stopwatch.StartNew();
            await new TileFarm(new FarmJobSpec(FarmJobSpec.NewJobId(), glb, sha, frame, tileSize, tileSize)).RunAsync(network.NodeAddresses);
            return watch.Elapsed.TotalSeconds;
        }
        async Task<(double Seconds, List<double> LatenciesMs)> ThroughService()
        {
            var latencies = new List<double>();
            var job = service.CreateJob(request);
            job.TileCompleted += t => latencies.Add((DateTimeOffset.UtcNow - t.Accepted).TotalMilliseconds);
            var watch = Stopwatch.StartNew();
            job.Start();
            await job.Completion;
            return (watch.Elapsed.TotalSeconds, latencies);
        }

        await Direct(); // warm-up: scene uploads, pipeline builds on every node
        await ThroughService();
        var direct = new List<double>();
        var served = new List<double>();
        var latency = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            direct.Add(await Direct());
            var (seconds, latencies) = await ThroughService();
            served.Add(seconds);
            latency.AddRange(latencies);
        }
        double d = direct.Order().ElementAt(runs / 2), s = served.Order().ElementAt(runs / 2);
        latency.Sort();
        Console.WriteLine($"{width}x{height}, {spp} spp, tiles of {tileSize}px on {nodeCount} local node(s), median of {runs}:");
        Console.WriteLine($"  farm in process (baseline) {d:F3} s; service + client with a tile subscriber {s:F3} s; service/farm {s / d:F3}");
        Console.WriteLine($"  tile event latency (service recorded → client handler): median {latency[latency.Count / 2]:F1} ms, p95 {latency[(int)(latency.Count * 0.95)]:F1} ms over {latency.Count} tiles");
        return 0;
    }
}
