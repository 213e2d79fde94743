using System.CommandLine;
using System.Diagnostics;
using System.Numerics;
using RenderNet.Core.Gltf;
using RenderNet.Core.Rendering;
using RenderNet.Core.Samples;
using RenderNet.Farm;
using RenderNet.Plugin;

/// <summary>
/// `bench plugin`: what the plugin API costs on top of the farm. The same frame on the same local nodes, rendered by
/// the coordinator library directly (the baseline) and through <see cref="RenderFarm"/> with a subscriber to every
/// tile event (copies into the requested pixel format, ordered dispatch): wall time of each, the ratio, and the
/// overhead per tile. Runs alternate and the medians are reported.
/// </summary>
static class PluginBench
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { DefaultValueFactory = _ => 2 };
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 256 };
        var height = new Option<int>("--height") { DefaultValueFactory = _ => 192 };
        var spp = new Option<int>("--spp") { DefaultValueFactory = _ => 8 };
        var tile = new Option<int>("--tile") { DefaultValueFactory = _ => 32 };
        var runs = new Option<int>("--runs") { Description = "Runs of each, alternating", DefaultValueFactory = _ => 3 };
        var command = new Command("plugin", "Plugin API overhead against the farm library on the same nodes") { nodes, width, height, spp, tile, runs };
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
        using var network = await LocalNetwork.StartAsync(new LocalNetworkOptions { Nodes = nodeCount, Program = NodeCommandLine.ForDll(Path.Combine(AppContext.BaseDirectory, "rendernet.dll")) });
        await using var farm = await RenderFarm.ConnectAsync(new RenderFarmOptions { Nodes = network.NodeAddresses, SpotCheckRate = 0 });
        var request = new RenderRequest { Scene = RenderScene.FromGlb(glb, CornellBox.FileName), Width = width, Height = height, SamplesPerPixel = spp, MaxBounces = 6, TileSize = tileSize };

        async Task<double> Direct()
        {
            var watch = Stopwatch.StartNew();
            await new TileFarm(new FarmJobSpec(FarmJobSpec.NewJobId(), glb, sha, frame, tileSize, tileSize)).RunAsync(network.NodeAddresses);
            return watch.Elapsed.TotalSeconds;
        }
        async Task<(double Seconds, int Events)> ThroughPlugin()
        {
            int events = 0;
            var job = farm.CreateJob(request);
            job.TileCompleted += _ => events++;
            var watch = Stopwatch.StartNew();
            job.Start();
            await job.Completion;
            return (watch.Elapsed.TotalSeconds, events);
        }

        await Direct(); // warm-up: scene uploads, pipeline builds on every node
        await ThroughPlugin();
        var direct = new List<double>();
        var plugin = new List<double>();
        int tiles = 0;
        for (int i = 0; i < runs; i++)
        {
            direct.Add(await Direct());
            var (seconds, events) = await ThroughPlugin();
            plugin.Add(seconds);
            tiles = events;
        }
        double d = direct.Order().ElementAt(runs / 2), p = plugin.Order().ElementAt(runs / 2);
        Console.WriteLine($"{width}x{height}, {spp} spp, {tiles} tiles of {tileSize}px on {nodeCount} local node(s), median of {runs}:");
        Console.WriteLine($"  farm library (baseline) {d:F3} s; plugin API with a tile subscriber {p:F3} s; plugin/farm {p / d:F3}; " +
                          $"overhead {(p - d) / tiles * 1000:F2} ms per tile");
        return 0;
    }
}
