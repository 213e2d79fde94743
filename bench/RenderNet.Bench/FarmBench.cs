using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RenderNet.Core.Gltf;
using RenderNet.Core.Rendering;
using RenderNet.Core.Samples;
using RenderNet.Core.Tiles;
using RenderNet.Farm;
using RenderNet.Protocol;
using RenderNet.Vulkan;

/// <summary>
/// `bench farm`: the coordinator's costs, each against its baseline in the same run.
///   - Coordination overhead: one frame rendered in-process vs on 1, 2 and 4 local node processes; ratio to ideal
///     (in-process time / N: one device per node). On a CPU-only machine every node shares the same cores, so there the
///     1-node ratio is the coordination overhead and more nodes cannot beat the single process.
///   - Dispatch capacity: tiles/s the coordinator schedules, verifies and assembles with 16 nodes that answer instantly
///     (in-process gRPC servers on loopback returning precomputed tiles).
/// </summary>
static class FarmBench
{
    public static Command Create()
    {
        var size = new Option<int>("--size") { Description = "Frame width and height", DefaultValueFactory = _ => 192 };
        var spp = new Option<int>("--spp") { Description = "Samples per pixel", DefaultValueFactory = _ => 16 };
        var tile = new Option<int>("--tile") { Description = "Tile size", DefaultValueFactory = _ => 32 };
        var fakeNodes = new Option<int>("--instant-nodes") { Description = "Nodes in the dispatch-capacity run", DefaultValueFactory = _ => 16 };
        var command = new Command("farm", "Coordination overhead and dispatch capacity") { size, spp, tile, fakeNodes };
        command.SetAction(parse => Run(parse.GetValue(size), parse.GetValue(spp), parse.GetValue(tile), parse.GetValue(fakeNodes)).GetAwaiter().GetResult());
        return command;
    }

    static async Task<int> Run(int size, int spp, int tileSize, int instantNodes)
    {
        byte[] glb = CornellBox.Build().WriteGLB().ToArray();
        string sha = Convert.ToHexStringLower(SHA256.HashData(glb));
        var scene = GltfSceneLoader.LoadGlb(glb, CornellBox.FileName);
        var frame = new FrameSettings { Width = size, Height = size, Camera = scene.Cameras[0], SamplesPerPixel = spp, MaxBounces = 6, Seed = 1 };

        double inProcess;
        using (var device = VulkanDevice.Open())
        {
            Console.WriteLine($"device: {device.Info.Name}; {Environment.ProcessorCount} cores");
            LocalRender.Render(device, scene, frame with { Width = 32, Height = 32 }, new TilePlan(32, 32, 32)); // warm-up
            var watch = Stopwatch.StartNew();
            var (reference, _) = LocalRender.Render(device, scene, frame, new TilePlan(size, size, tileSize));
            inProcess = watch.Elapsed.TotalSeconds;
            Console.WriteLine($"in-process, {size}x{size} @ {spp} spp, {tileSize}px tiles: {inProcess:F2} s (baseline)");

            foreach (int n in new[] { 1, 2, 4 })
            {
                var nodes = LocalNode.StartMany(n, NodeCommandLine.ForDll(Path.Combine(AppContext.BaseDirectory, "rendernet.dll")), _ => []);
                try
                {
                    // Warm each node (scene upload, BVH, pipeline) so the timed run measures steady-state coordination.
                    await new TileFarm(new FarmJobSpec("warm", glb, sha, frame with { Width = 32, Height = 32, SamplesPerPixel = 1 }, 32, 32))
                        .RunAsync(nodes.Select(x => x.Address).ToList());
                    watch.Restart();
                    var result = await new TileFarm(new FarmJobSpec("bench", glb, sha, frame, tileSize, tileSize)).RunAsync(nodes.Select(x => x.Address).ToList());
                    double t = watch.Elapsed.TotalSeconds;
                    bool same = result.Image.BitEquals(reference);
                    double ideal = inProcess / n;
                    Console.WriteLine($"{n} local node(s): {t:F2} s, speed-up {inProcess / t:F2}x, time/ideal {t / ideal:F2}, bit-identical: {same}");
                }
                finally
                {
                    LocalNode.StopAll(nodes);
                }
            }
        }

        await DispatchCapacity(instantNodes, glb, sha, frame);
        return 0;
    }

    static async Task DispatchCapacity(int count, byte[] glb, string sha, FrameSettings frame)
    {
        var dispatchFrame = frame with { Width = 512, Height = 512, SamplesPerPixel = 1 };
        const int tile = 8;
        var servers = new List<WebApplication>();
        try
        {
            var addresses = new List<string>();
            for (int i = 0; i < count; i++)
            {
                var (app, address) = await StartInstantNode(i);
                servers.Add(app);
                addresses.Add(address);
            }
            var spec = new FarmJobSpec("dispatch", glb, sha, dispatchFrame, tile, tile);
            await new TileFarm(spec with { JobId = "warm" }).RunAsync(addresses);
            var watch = Stopwatch.StartNew();
            await new TileFarm(spec).RunAsync(addresses);
            double seconds = watch.Elapsed.TotalSeconds;
            int tiles = spec.Plan.Tiles.Count;
            Console.WriteLine($"dispatch capacity, {count} instant nodes: {tiles} tiles of {tile}x{tile} in {seconds:F2} s = {tiles / seconds:F0} tiles/s " +
                              $"(each scheduled, sent, decompressed, hash-checked and assembled)");
        }
        finally
        {
            foreach (var s in servers) await s.DisposeAsync();
        }
    }

    static async Task<(WebApplication, string)> StartInstantNode(int index)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new InstantNode($"instant-{index}"));
        var app = builder.Build();
        app.MapGrpcService<InstantNode>();
        await app.StartAsync();
        var uri = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return (app, $"{uri.Host}:{uri.Port}");
    }

    /// <summary>A node that answers every tile at once with black pixels (correctly sized and hashed).</summary>
    sealed class InstantNode(string id) : RenderNode.RenderNodeBase
    {
        readonly Dictionary<(uint, uint), TileResult> answers = [];

        public override Task<Capabilities> GetCapabilities(CapabilitiesRequest request, ServerCallContext context)
        {
            var caps = new Capabilities { ProtocolVersion = ProtocolVersion.Current, NodeId = id, PipelineFingerprint = "instant", MaxConcurrentTiles = 4, MaxSceneBytes = ulong.MaxValue };
            caps.JobKinds.Add("path-trace");
            return Task.FromResult(caps);
        }

        public override Task<SceneStatus> HasScene(SceneRef request, ServerCallContext context) => Task.FromResult(new SceneStatus { Cached = true });

        public override Task<TileResult> RenderTile(TileRequest request, ServerCallContext context)
        {
            lock (answers)
            {
                if (!answers.TryGetValue((request.Width, request.Height), out var result))
                {
                    var pixels = new float[request.Width * request.Height * 4];
                    answers[(request.Width, request.Height)] = result = new TileResult
                    {
                        Width = request.Width, Height = request.Height, PixelsSha256 = TilePixels.Sha256(pixels), PixelsZlib = TilePixels.Compress(pixels),
                    };
                }
                return Task.FromResult(result);
            }
        }
    }
}
