using System.Runtime.InteropServices;
using RenderNet.Client;
using RenderNet.Core.Gltf;
using RenderNet.Core.Tiles;
using RenderNet.Vulkan;

namespace RenderNet.Service.Tests;

/// <summary>
/// One local service for a test class, started as an engine would: <see cref="RenderServiceClient.StartLocalAsync"/>
/// (a `rendernet serve` child with 3 paid local nodes on its own anvil chain). No spot checks, so costs are exact.
/// </summary>
public sealed class LocalServiceFixture : IAsyncLifetime
{
    public const decimal Price = 0.001m;
    public RenderServiceClient Client { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Client = await RenderServiceClient.StartLocalAsync(new LocalServiceOptions { Nodes = 3, Paid = true, SpotCheckRate = 0, ServiceProgram = ServiceProcess.RendernetDll });

    public Task DisposeAsync()
    {
        Client.Dispose();
        return Task.CompletedTask;
    }

    public static RenderRequest Small(PixelFormat format = PixelFormat.Rgba32FloatLinear, int spp = 4, int width = 64, int height = 48) => new(RenderScene.Sample())
    {
        Width = width, Height = height, SamplesPerPixel = spp, MaxBounces = 4, TileSize = 16, PixelFormat = format,
    };

    /// <summary>The request rendered in this process, in one tile, with the frame settings the service plans for the nodes.</summary>
    public static float[] LocalRender(RenderRequest request) => LocalRenderFrame(request).Beauty.Pixels;

    /// <summary>As <see cref="LocalRender"/>, with the render passes the service plans (the caller's, and the denoiser's guides).</summary>
    public static Core.Imaging.RenderedFrame LocalRenderFrame(RenderRequest request)
    {
        string dir = Directory.CreateTempSubdirectory("rendernet-scenes").FullName;
        try
        {
            var scenes = new SceneStore(dir, 1 << 28);
            using (var glb = new MemoryStream(request.Scene.Glb)) Assert.True(scenes.PutAsync(request.Scene.Sha256, glb, CancellationToken.None).GetAwaiter().GetResult());
            var frame = RenderJobPlan.For(RequestMapping.ToSubmission(request, null), scenes).Frames.Single();
            using var device = VulkanDevice.Open();
            var scene = GltfSceneLoader.LoadGlb(request.Scene.Glb, request.Scene.Name);
            return Vulkan.LocalRender.RenderFrame(device, scene, frame, new TilePlan(frame.Width, frame.Height, frame.Width)).Frame;
        }
        finally { Directory.Delete(dir, true); }
    }

    public static byte[] Bytes(float[] pixels) => MemoryMarshal.AsBytes(pixels.AsSpan()).ToArray();
}
