using System.Security.Cryptography;
using RenderNet.Core.Gltf;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Samples;
using RenderNet.Core.Tiles;
using RenderNet.Vulkan;

namespace RenderNet.Farm.Tests;

/// <summary>The sample scene as a farm job, and its single-process render to compare farm output with.</summary>
public static class Jobs
{
    public static readonly byte[] Glb = CornellBox.Build().WriteGLB().ToArray();
    public static readonly string Sha = Convert.ToHexStringLower(SHA256.HashData(Glb));
    static readonly Core.Scenes.Scene Scene = GltfSceneLoader.LoadGlb(Glb, CornellBox.FileName);
    static readonly Dictionary<FrameSettings, FloatImage> LocalRenders = [];

    public static FrameSettings Frame(int w, int h, int spp) => new()
    {
        Width = w, Height = h, Camera = Scene.Cameras[0], SamplesPerPixel = spp, MaxBounces = 3, Seed = 11,
    };

    public static FarmJobSpec Spec(FrameSettings frame, int tile) => new(FarmJobSpec.NewJobId(), Glb, Sha, frame, tile, tile);

    public static FloatImage Local(FrameSettings frame)
    {
        lock (LocalRenders)
        {
            if (LocalRenders.TryGetValue(frame, out var image)) return image;
            using var device = VulkanDevice.Open();
            image = LocalRender.Render(device, Scene, frame, new TilePlan(frame.Width, frame.Height, frame.Width)).Image;
            LocalRenders[frame] = image;
            return image;
        }
    }

    /// <summary>Options that notice a hung node in seconds rather than minutes.</summary>
    public static FarmOptions Fast => new() { InitialTileTimeout = TimeSpan.FromSeconds(60), MinTileTimeout = TimeSpan.FromSeconds(2), TimeoutFactor = 3 };
}
