using RenderNet.Core.Acceleration;
using RenderNet.Core.Gltf;
using RenderNet.Core.Media;
using RenderNet.Core.Scenes;
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
    Scene? resident;
    GpuScene? residentScene;
    PathTracer? tracer;
    Rasterizer? rasterizer;

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
            // A scene is resident in one pose: an animated job's frames each load their own.
            string key = frame.Animation is { } pose ? $"{sceneHash}@{pose.Animation}:{pose.Time:R}" : sceneHash;
            if (residentHash != key)
            {
                var bytes = sceneBytes() ?? throw new KeyNotFoundException($"scene {sceneHash} is not cached on this node");
                ReleaseResident();
                resident = GltfSceneLoader.LoadGlb(bytes, sceneHash[..12], frame.Animation);
                residentHash = key;
            }
            if (frame.Mode == RenderMode.Raster)
            {
                rasterizer ??= new Rasterizer(device, resident!);
                var raster = rasterizer;
                return (await Task.Run(() => raster.RenderTile(frame, tile), cancellation), watch.Elapsed.TotalSeconds);
            }
            if (tracer is null)
            {
                // Path tracing needs the BVH and the packed scene; built on the first path-traced tile of a scene.
                residentScene = new GpuScene(device, resident!, BvhBuilder.Build(resident!.Positions));
                tracer = new PathTracer(device, residentScene);
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

    void ReleaseResident()
    {
        tracer?.Dispose();
        residentScene?.Dispose();
        rasterizer?.Dispose();
        tracer = null;
        residentScene = null;
        rasterizer = null;
        resident = null;
        residentHash = null;
    }

    public void Dispose()
    {
        ReleaseResident();
        device.Dispose();
        gpu.Dispose();
    }
}
