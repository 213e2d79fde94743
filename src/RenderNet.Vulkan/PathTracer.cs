using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using RenderNet.Core.Rendering;
using RenderNet.Core.Tiles;
using Silk.NET.Vulkan;

namespace RenderNet.Vulkan;

/// <summary>
/// Renders tiles of a frame with the compute path tracer (shaders/pathtrace.comp). A tile is split into dispatches
/// (bands of rows × batches of samples) sized from the measured throughput so that no single submission runs
/// longer than <see cref="TargetDispatchSeconds"/> — well under the watchdogs of desktop drivers. Splitting never
/// changes a pixel: each pixel adds its samples in order into its accumulator.
/// </summary>
public sealed unsafe class PathTracer : IDisposable
{
    const uint GroupSize = 8;
    public double TargetDispatchSeconds { get; init; } = 0.2;

    /// <summary>At most this many samples per pixel in one dispatch (tests use it to split batches deterministically).</summary>
    internal uint MaxSamplesPerDispatch { get; init; } = uint.MaxValue;

    /// <summary>
    /// llvmpipe cuts every loop short once one SIMD vector of an invocation has made this many loop trips (Mesa's
    /// infinite-loop guard). The shader counts its trips per subgroup; dispatches are sized to stay at most half way
    /// there, and one that reaches it is thrown away and its tile redone in smaller batches.
    /// </summary>
    const uint LlvmpipeLoopGuard = 65535;

    readonly VulkanDevice device;
    readonly GpuScene scene;
    readonly bool loopGuarded;
    /// <summary>The most loop trips per sample a subgroup has made with the bound frame (0: not yet measured).</summary>
    double loopTripsPerSample;
    /// <summary>The tracer specialised for the scene's features, and (made when first needed) the same with the render passes.</summary>
    readonly ComputeKernel kernel;
    ComputeKernel? passesKernel;
    readonly DescriptorType[] bindingTypes;
    readonly GpuBuffer uniforms;
    readonly GpuBuffer stats;
    GpuBuffer? accum;
    GpuBuffer? readback;
    FrameSettings? boundFrame;
    double pixelSamplesPerSecond = 0;

    [StructLayout(LayoutKind.Sequential)]
    struct FrameUniforms
    {
        public Vector4 CamPos, CamRight, CamUp, CamForward, Background;
        public uint Width, Height, Seed, MaxBounces;
        public float TanHalfFovY, Aspect, OrthoHalfWidth, OrthoHalfHeight;
        public uint LightCount, EmissiveCount, Mode, Orthographic;
        public float Unused, RayEpsilon, NoiseThreshold, MinSamplesBits;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct PushConstants
    {
        public int TileX, TileY;
        public uint TileWidth, TileHeight;
        public uint BandX, BandY, BandWidth, BandHeight;
        public uint SampleBegin, SampleEnd, Pad0, Pad1;
    }

    public PathTracer(VulkanDevice device, GpuScene scene)
    {
        this.device = device;
        this.scene = scene;
        loopGuarded = device.Info.DriverName.Contains("llvmpipe", StringComparison.OrdinalIgnoreCase);
        bindingTypes = new DescriptorType[11];
        bindingTypes[0] = DescriptorType.UniformBuffer;
        for (int i = 1; i < bindingTypes.Length; i++) bindingTypes[i] = DescriptorType.StorageBuffer;
        uniforms = GpuBuffer.CreateHostVisible(device, (ulong)sizeof(FrameUniforms), BufferUsageFlags.UniformBufferBit);
        stats = GpuBuffer.CreateHostVisible(device, 16, BufferUsageFlags.StorageBufferBit);
        kernel = CreateKernel((uint)scene.Data.Features);
    }

    /// <summary>The bit of SCENE_FEATURES (shaders/scene_shading.glsl) that adds the render passes.</summary>
    const uint PassesFeature = 16;

    ComputeKernel CreateKernel(uint features)
    {
        var created = new ComputeKernel(device, ShaderLibrary.Load(ShaderLibrary.PathTracer), bindingTypes, (uint)sizeof(PushConstants), [features]);
        created.Bind(0, uniforms);
        created.Bind(10, stats);
        for (int i = 0; i < scene.Buffers.Count; i++) created.Bind(i + 1, scene.Buffers[i]);
        if (accum is not null) created.Bind(9, accum);
        return created;
    }

    ComputeKernel KernelFor(FrameSettings frame) =>
        frame.Passes == RenderPasses.None ? kernel : passesKernel ??= CreateKernel((uint)scene.Data.Features | PassesFeature);

    public GpuDeviceInfo Device => device.Info;

    /// <summary>The accumulator: per pixel (radiance sum, samples taken) and (luminance sum, its square's sum, stopped, 0).</summary>
    const int AccumFloats = 8;
    /// <summary>With render passes: five more vec4 (see Accum in shaders/pathtrace.comp).</summary>
    const int AccumFloatsWithPasses = 28;

    /// <summary>Pixel-samples the pixels of radiance tiles took, summed over this tracer's life (fewer than spp × pixels with adaptive sampling).</summary>
    public long PixelSamplesTaken { get; private set; }

    /// <summary>Rays traced (camera, bounce and shadow rays) by radiance renders of this tracer so far.</summary>
    public long RaysTraced { get; private set; }

    void BindFrame(FrameSettings frame)
    {
        if (ReferenceEquals(frame, boundFrame) || frame == boundFrame) return;
        frame.Validate();
        var rays = CameraRays.For(frame.Camera, frame.Width, frame.Height);
        var u = new FrameUniforms
        {
            CamPos = new Vector4(rays.Position, 0),
            CamRight = new Vector4(rays.Right, 0),
            CamUp = new Vector4(rays.Up, 0),
            CamForward = new Vector4(rays.Forward, 0),
            Background = new Vector4(frame.Background, 0),
            Width = (uint)frame.Width,
            Height = (uint)frame.Height,
            Seed = frame.Seed,
            MaxBounces = (uint)frame.MaxBounces,
            TanHalfFovY = rays.TanHalfFovY,
            Aspect = rays.Aspect,
            OrthoHalfWidth = rays.OrthoHalfWidth,
            OrthoHalfHeight = rays.OrthoHalfHeight,
            LightCount = (uint)scene.Data.LightCount,
            EmissiveCount = (uint)scene.Data.EmissiveTriangleCount,
            Mode = (uint)frame.Output,
            Orthographic = rays.Orthographic ? 1u : 0u,
            RayEpsilon = 1e-4f,
            NoiseThreshold = frame.NoiseThreshold,
            MinSamplesBits = BitConverter.UInt32BitsToSingle((uint)frame.AdaptiveMinSamples),
        };
        uniforms.Write(new ReadOnlySpan<FrameUniforms>(in u));
        boundFrame = frame;
        loopTripsPerSample = 0;
    }

    void EnsureCapacity(ulong bytes)
    {
        if (accum is not null && accum.Size >= bytes) return;
        accum?.Dispose();
        readback?.Dispose();
        accum = null;
        readback = null;
        accum = GpuBuffer.CreateDeviceLocal(device, bytes, BufferUsageFlags.StorageBufferBit);
        readback = GpuBuffer.CreateHostVisible(device, bytes, BufferUsageFlags.TransferDstBit);
        kernel.Bind(9, accum);
        passesKernel?.Bind(9, accum);
    }

    /// <summary>
    /// Renders <paramref name="tile"/> of <paramref name="frame"/>: RGBA32F, tile-sized, rows top to bottom. For
    /// <see cref="RenderOutput.Radiance"/> the RGB is linear radiance (mean over the samples) and alpha is 1; for
    /// <see cref="RenderOutput.PrimaryHit"/>, R is the scene triangle index hit through the pixel centre (-1 for none) and G the distance.
    /// </summary>
    /// <param name="samplesDone">Called after each dispatch with the pixel-samples finished so far in this tile.</param>
    public float[] RenderTile(FrameSettings frame, TileRect tile, Action<long>? samplesDone = null, CancellationToken cancellation = default)
    {
        BindFrame(frame);
        if (tile.X < 0 || tile.Y < 0 || tile.Width <= 0 || tile.Height <= 0 || tile.X + tile.Width > frame.Width || tile.Y + tile.Height > frame.Height)
            throw new ArgumentException($"tile {tile} lies outside the {frame.Width}x{frame.Height} frame");
        bool passes = frame.Passes != RenderPasses.None;
        int stride = passes ? AccumFloatsWithPasses : AccumFloats;
        var tracer = KernelFor(frame);
        ulong bytes = (ulong)tile.PixelCount * (ulong)stride * sizeof(float);
        EnsureCapacity(bytes);
        var accumBuffer = accum!;
        var readbackBuffer = readback!;
        var vk = device.Api;

        bool radiance = frame.Output == RenderOutput.Radiance;
        uint spp = radiance ? (uint)frame.SamplesPerPixel : 1u;
        long done = 0;
        bool first = true;
        int bandY = 0;
        while (bandY < tile.Height)
        {
            int rows = (int)Math.Clamp(DispatchBudget() / tile.Width, 1, tile.Height - bandY);
            uint sample = 0;
            while (sample < spp)
            {
                cancellation.ThrowIfCancellationRequested();
                double budget = DispatchBudget();
                double perSample = (double)rows * tile.Width;
                uint batch = (uint)Math.Clamp(budget / perSample, 1, Math.Min(Math.Min(spp - sample, MaxSamplesPerDispatch), LoopSafeBatch()));
                var push = new PushConstants
                {
                    TileX = tile.X, TileY = tile.Y, TileWidth = (uint)tile.Width, TileHeight = (uint)tile.Height,
                    BandX = 0, BandY = (uint)bandY, BandWidth = (uint)tile.Width, BandHeight = (uint)rows,
                    SampleBegin = sample, SampleEnd = sample + batch,
                };
                bool clear = first;
                bool last = bandY + rows >= tile.Height && sample + batch >= spp;
                stats.Write<uint>([0u, 0u]);
                var watch = Stopwatch.StartNew();
                device.Submit(cmd =>
                {
                    if (clear)
                    {
                        vk.CmdFillBuffer(cmd, accumBuffer.Handle, 0, bytes, 0);
                        Barrier(cmd, AccessFlags.TransferWriteBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit,
                            PipelineStageFlags.TransferBit, PipelineStageFlags.ComputeShaderBit);
                    }
                    tracer.RecordDispatch(cmd, push, ((uint)tile.Width + GroupSize - 1) / GroupSize, ((uint)rows + GroupSize - 1) / GroupSize);
                    if (last)
                    {
                        Barrier(cmd, AccessFlags.ShaderWriteBit, AccessFlags.TransferReadBit,
                            PipelineStageFlags.ComputeShaderBit, PipelineStageFlags.TransferBit);
                        var region = new BufferCopy(0, 0, bytes);
                        vk.CmdCopyBuffer(cmd, accumBuffer.Handle, readbackBuffer.Handle, 1, in region);
                        Barrier(cmd, AccessFlags.TransferWriteBit, AccessFlags.HostReadBit,
                            PipelineStageFlags.TransferBit, PipelineStageFlags.HostBit);
                    }
                }, "tile rendering");
                var (rays, loopTrips) = ReadStats();
                if (radiance)
                {
                    RaysTraced += rays;
                    loopTripsPerSample = Math.Max(loopTripsPerSample, (double)loopTrips / batch);
                    if (loopGuarded && loopTrips >= LlvmpipeLoopGuard)
                    {
                        // llvmpipe may have cut loops short in this dispatch: its pixels are wrong. Start the tile
                        // again, now sized by what this dispatch measured (at most a few halvings down to 1 sample).
                        if (batch == 1)
                            throw new SceneTooLargeException(
                                $"one sample of this scene needs {loopTrips:N0} loop trips per SIMD vector; llvmpipe stops every loop after {LlvmpipeLoopGuard:N0}, so its pixels would be wrong (render on a GPU, or lower max bounces or the number of lights)");
                        long reported = done;
                        return RenderTile(frame, tile, samplesDone is null ? null : d => { if (d > reported) samplesDone(d); }, cancellation);
                    }
                }
                first = false;
                double seconds = watch.Elapsed.TotalSeconds;
                long work = (long)batch * rows * tile.Width;
                if (seconds > 1e-4)
                {
                    double rate = work / seconds;
                    pixelSamplesPerSecond = pixelSamplesPerSecond > 0 ? Math.Min(rate, pixelSamplesPerSecond * 4) : rate;
                }
                done += work;
                samplesDone?.Invoke(done);
                sample += batch;
            }
            bandY += rows;
        }

        var sums = new float[tile.PixelCount * stride];
        readbackBuffer.Read<float>(sums);
        var pixels = new float[(long)tile.PixelCount * frame.FloatsPerPixel];
        if (passes) TilePasses.Resolve(sums, frame.Passes, tile.PixelCount, scene.Data, pixels);
        for (int p = 0, i = 0; p < sums.Length; p += stride, i += 4)
        {
            if (radiance)
            {
                // The shader keeps sums (and each pixel's sample count: adaptive sampling may stop it early) so that
                // batching cannot change a pixel; the mean is taken here, once.
                float inv = 1f / Math.Max(sums[p + 3], 1f);
                pixels[i] = sums[p] * inv; pixels[i + 1] = sums[p + 1] * inv; pixels[i + 2] = sums[p + 2] * inv;
                pixels[i + 3] = 1f;
                PixelSamplesTaken += (long)sums[p + 3];
            }
            else sums.AsSpan(p, 4).CopyTo(pixels.AsSpan(i, 4));
        }
        return pixels;
    }

    (uint Rays, uint LoopTrips) ReadStats()
    {
        Span<uint> values = stackalloc uint[2];
        stats.Read(values);
        return (values[0], values[1]);
    }

    /// <summary>Samples per dispatch that keep llvmpipe at most half way to its loop guard (one until measured; unbounded elsewhere).</summary>
    uint LoopSafeBatch() => !loopGuarded ? uint.MaxValue
        : loopTripsPerSample <= 0 ? 1u
        : (uint)Math.Clamp(LlvmpipeLoopGuard / 2 / loopTripsPerSample, 1, uint.MaxValue);

    /// <summary>Pixel-samples per dispatch, from the throughput seen so far (a small probe to start with).</summary>
    double DispatchBudget() => pixelSamplesPerSecond > 0 ? pixelSamplesPerSecond * TargetDispatchSeconds : 4096;

    void Barrier(CommandBuffer cmd, AccessFlags src, AccessFlags dst, PipelineStageFlags srcStage, PipelineStageFlags dstStage)
    {
        var barrier = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = src, DstAccessMask = dst };
        device.Api.CmdPipelineBarrier(cmd, srcStage, dstStage, 0, 1, in barrier, 0, null, 0, null);
    }

    public void Dispose()
    {
        accum?.Dispose();
        readback?.Dispose();
        uniforms.Dispose();
        stats.Dispose();
        kernel.Dispose();
        passesKernel?.Dispose();
    }
}
