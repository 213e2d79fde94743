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

    /// <summary>Measured path-tracing speed: pixel samples per second of device time (0 until measured).</summary>
    public double PathSamplesPerSecond { get; private set; }
    /// <summary>Measured rasterising speed: pixels per second of device time (0 until measured).</summary>
    public double RasterPixelsPerSecond { get; private set; }

    const int CalibrationSize = 64;

    /// <summary>
    /// Measures both pipelines on the built-in sample scene (a 64×64 tile at 4 samples, after a warm-up tile that pays
    /// for BVH and pipeline builds), unless real tiles have measured them already. Coordinators ask for it to estimate a
    /// job's time before spending anything; it runs once per node.
    /// </summary>
    public async Task CalibrateAsync(CancellationToken cancellation)
    {
        if (PathSamplesPerSecond > 0 && RasterPixelsPerSecond > 0) return;
        using var glb = new MemoryStream();
        RenderNet.Core.Samples.CornellBox.Build().WriteGLB(glb);
        byte[] bytes = glb.ToArray();
        string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        var camera = GltfSceneLoader.LoadGlb(bytes, "calibration").ResolveCamera(null);
        var tile = new TileRect(0, 0, CalibrationSize, CalibrationSize);
        foreach (var mode in new[] { RenderMode.PathTrace, RenderMode.Raster })
        {
            var frame = new FrameSettings { Width = CalibrationSize, Height = CalibrationSize, Camera = camera, SamplesPerPixel = 4, MaxBounces = 4, Mode = mode };
            for (int i = 0; i < 2; i++) await RenderAsync(hash, () => bytes, frame, tile, cancellation);
        }
    }

    /// <summary>
    /// Video scalers on this node's device for transcode segments. Path-traced tiles and video frames share the device
    /// (and its one command buffer) frame by frame: each scale takes the device lock for the time of one submit. On a
    /// CPU device the resampler runs as SIMD code (<see cref="CpuPlaneScaler"/>) and leaves the device alone.
    /// </summary>
    public VideoFrameScalerFactory Scalers => (layout, colors, targets) =>
    {
        if (VideoScaler.ScalesOnCpu(device, colors)) return new CpuPlaneScaler(layout, colors, targets);
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

    static Task<Scene> LoadAsync(string sceneHash, Func<byte[]?> sceneBytes, FrameSettings frame, CancellationToken cancellation)
    {
        var bytes = sceneBytes() ?? throw new SceneNotCachedException($"scene {sceneHash} is not cached on this node; upload it first");
        // The load itself is bounded by SceneBudget; cancellation stops the wait for it.
        return Task.Run(() => GltfSceneLoader.LoadGlb(bytes, sceneHash[..Math.Min(12, sceneHash.Length)], frame.Animation), cancellation).WaitAsync(cancellation);
    }

    /// <returns>The tile's pixels, the seconds it held the device (queueing for it excluded) and the pixel-samples it took.</returns>
    public async Task<(float[] Pixels, double Seconds, long PixelSamples)> RenderAsync(string sceneHash, Func<byte[]?> sceneBytes, FrameSettings frame, TileRect tile, CancellationToken cancellation)
    {
        // A scene is resident in one pose: an animated job's frames each load their own.
        string key = frame.Animation is { } pose ? $"{sceneHash}@{pose.Animation}:{pose.Time:R}" : sceneHash;
        // Parsing and flattening a stranger's scene happens before the device lock, off the request thread and under
        // the caller's cancellation: a slow or hostile scene never holds up other tenants' tiles.
        Scene? loaded = null;
        if (Volatile.Read(ref residentHash) != key) loaded = await LoadAsync(sceneHash, sceneBytes, frame, cancellation);
        await gpu.WaitAsync(cancellation);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            // A tile that loads the scene or builds a pipeline says little about speed: only warm tiles are measured.
            bool warm = residentHash == key && (frame.Mode == RenderMode.Raster ? rasterizer is not null : tracer is not null);
            if (residentHash != key)
            {
                loaded ??= await LoadAsync(sceneHash, sceneBytes, frame, cancellation); // another tile changed the resident scene meanwhile
                ReleaseResident();
                resident = loaded;
                residentHash = key;
            }
            if (frame.Mode == RenderMode.Raster)
            {
                rasterizer ??= new Rasterizer(device, resident!);
                var raster = rasterizer;
                var drawn = await Task.Run(() => raster.RenderTile(frame, tile), cancellation);
                if (warm) RasterPixelsPerSecond = Smooth(RasterPixelsPerSecond, tile.PixelCount / watch.Elapsed.TotalSeconds);
                return (drawn, watch.Elapsed.TotalSeconds, tile.PixelCount);
            }
            if (tracer is null)
            {
                // Path tracing needs the BVH and the packed scene; built on the first path-traced tile of a scene.
                residentScene = new GpuScene(device, resident!, BvhBuilder.Build(resident!.Positions));
                tracer = new PathTracer(device, residentScene);
            }
            // Rendering is synchronous on the device; run it off the request thread.
            long before = tracer!.PixelSamplesTaken;
            var pixels = await Task.Run(() => tracer!.RenderTile(frame, tile, null, cancellation), cancellation);
            // Samples actually taken (adaptive sampling stops pixels early): the speed a node advertises is what it traced.
            long taken = frame.Output == RenderOutput.Radiance ? tracer.PixelSamplesTaken - before : tile.PixelCount;
            if (warm) PathSamplesPerSecond = Smooth(PathSamplesPerSecond, taken / watch.Elapsed.TotalSeconds);
            return (pixels, watch.Elapsed.TotalSeconds, taken);
        }
        finally
        {
            gpu.Release();
        }
    }

    static double Smooth(double previous, double sample) => previous > 0 ? 0.7 * previous + 0.3 * sample : sample;

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

/// <summary>The scene a tile names was evicted (or never uploaded) between the request's check and the render.</summary>
public sealed class SceneNotCachedException(string message) : Exception(message);
