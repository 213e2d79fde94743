using System.Numerics;
using RenderNet.Core.Gltf;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;
using RenderNet.Vulkan;

namespace RenderNet.Viewer;

/// <summary>
/// The interactive preview: the scene resident on this machine's Vulkan device, rasterised by the same graphics
/// pipeline the render nodes run for raster jobs, once per camera move.
/// </summary>
sealed class PreviewRenderer : IDisposable
{
    readonly VulkanDevice device;
    readonly Rasterizer rasterizer;
    readonly Vector3 background;

    public PreviewRenderer(Scene scene, string? deviceSelector)
    {
        Scene = scene;
        device = VulkanDevice.Open(deviceSelector);
        try
        {
            rasterizer = new Rasterizer(device, scene);
        }
        catch
        {
            device.Dispose();
            throw;
        }
        // As a render request does: lit scenes on black, unlit ones under a white environment.
        background = scene.Lights.Count > 0 || scene.Materials.Any(m => m.IsEmissive) ? Vector3.Zero : Vector3.One;
    }

    public Scene Scene { get; }
    public string DeviceName => device.Info.Name;

    /// <summary>Linear RGBA32F pixels of the whole view, rows top to bottom.</summary>
    public float[] Render(SceneCamera camera, int width, int height)
    {
        var frame = new FrameSettings { Width = width, Height = height, Camera = camera, Mode = RenderMode.Raster, Background = background };
        return rasterizer.RenderTile(frame, new TileRect(0, 0, width, height));
    }

    public void Dispose()
    {
        rasterizer.Dispose();
        device.Dispose();
    }
}
