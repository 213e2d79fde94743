using RenderNet.Core.Acceleration;
using RenderNet.Core.Gltf;
using RenderNet.Core.Media;
using RenderNet.Core.Rendering;
using RenderNet.Core.Tiles;
using RenderNet.Vulkan;

namespace RenderNet.Node;

/// <summary>
/// The node's Vulkan device and the scene currently resident on it. Tiles are rendered one at a time on the device
/// (the path tracer records into one command buffer); requests beyond the one rendering wait their turn, which
/// overlaps the network transfer of one tile with the rendering of the next.
/// </summary>
public sealed class TileRenderer : IDisposable
{
    readonly VulkanDevice device;
    readonly SemaphoreSlim gpu = new(1, 1);
    string? residentHash;
    GpuScene? residentScene;
    PathTracer? tracer;

    public TileRenderer(string? deviceSelector)
    {
        device = VulkanDevice.Open(deviceSelector);
        Fingerprint = PipelineFingerprint.For(device.Info);
    }

    public GpuDeviceInfo Device => device.Info;
    public string Fingerprint { get; }

    /// <summary>
    /// Video scalers on this node's device for transcode segments. Path-traced tiles and video frames share the device
    /// (and its one command buffer) frame by frame: each scale takes the device lock for the time of one submit.
    /// </summary>
    public VideoFrameScalerFactory Scalers => (layout, colors, targets) =>
    {
        gpu.Wait();
        try { return new DeviceLockedScaler(new VideoScaler(device, layout, colors, targets), gpu); }
        finally { gpu.Release(); }
    };

    sealed class DeviceLockedScaler(IVideoFrameScaler inner, SemaphoreSlim gpu) : IVideoFrameScaler
    {
        public void Scale(ReadOnlySpan<byte> source, IReadOnlyList<byte[]> outputs, IReadOnlyList<bool> wanted)
        {
            gpu.Wait();
            try { inner.Scale(source, outputs, wanted); }
            finally { gpu.Release(); }
        }

        public void Dispose()
        {
            gpu.Wait();
            try { inner.Dispose(); }
            finally { gpu.Release(); }
        }
    }

    /// <returns>The tile's pixels and the seconds it held the device (queueing for it excluded).</returns>
    public async Task<(float[] Pixels, double Seconds)> RenderAsync(string sceneHash, Func<byte[]?> sceneBytes, FrameSettings frame, TileRect tile, CancellationToken cancellation)
    {
        await gpu.WaitAsync(cancellation);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            if (residentHash != sceneHash)
            {
                var bytes = sceneBytes() ?? throw new KeyNotFoundException($"scene {sceneHash} is not cached on this node");
                var scene = GltfSceneLoader.LoadGlb(bytes, sceneHash[..12]);
                var bvh = BvhBuilder.Build(scene.Positions);
                tracer?.Dispose();
                residentScene?.Dispose();
                tracer = null;
                residentScene = null;
                residentHash = null;
                residentScene = new GpuScene(device, scene, bvh);
                tracer = new PathTracer(device, residentScene);
                residentHash = sceneHash;
            }
            // Rendering is synchronous on the device; run it off the request thread.
            var pixels = await Task.Run(() => tracer!.RenderTile(frame, tile, null, cancellation), cancellation);
            return (pixels, watch.Elapsed.TotalSeconds);
        }
        finally
        {
            gpu.Release();
        }
    }

    public void Dispose()
    {
        tracer?.Dispose();
        residentScene?.Dispose();
        device.Dispose();
        gpu.Dispose();
    }
}
