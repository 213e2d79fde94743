using System.Numerics;
using RenderNet.Core.Scenes;

namespace RenderNet.Core.Rendering;

/// <summary>What a render computes: radiance, or (for tests and tooling) the primary-hit triangle id and distance.</summary>
public enum RenderOutput { Radiance = 0, PrimaryHit = 1 }

/// <summary>How a frame is drawn: path traced (the reference), or rasterised (milliseconds; punctual lights and an ambient term).</summary>
public enum RenderMode { PathTrace = 0, Raster = 1 }

/// <summary>
/// Everything besides the scene that decides a pixel. Two renders with equal settings produce bit-identical pixels
/// on the same pipeline, whatever tiles they are split into.
/// </summary>
public sealed record FrameSettings
{
    public const int MaxDimension = 16384;
    public const int MaxSamplesPerPixel = 1 << 16;
    public const int MaxBouncesLimit = 64;

    public required int Width { get; init; }
    public required int Height { get; init; }
    public required SceneCamera Camera { get; init; }
    public int SamplesPerPixel { get; init; } = 16;
    public int MaxBounces { get; init; } = 6;
    public uint Seed { get; init; }
    /// <summary>Radiance of the uniform environment seen by rays that leave the scene.</summary>
    public Vector3 Background { get; init; } = Vector3.Zero;
    public RenderOutput Output { get; init; } = RenderOutput.Radiance;
    public RenderMode Mode { get; init; } = RenderMode.PathTrace;
    /// <summary>Render passes computed besides the beauty (path tracing only): a tile then carries them after its RGBA (see <see cref="RenderPassLayout"/>).</summary>
    public RenderPasses Passes { get; init; }
    /// <summary>The animation pose the scene is rendered at (null: the rest pose). Nodes load the scene posed so.</summary>
    public AnimationPose? Animation { get; init; }

    /// <summary>
    /// Adaptive sampling (path tracing): a pixel stops taking samples once the standard error of its mean luminance,
    /// relative to the square root of that mean, is at most this (Cycles' noise threshold; 0.01 is a good start). 0:
    /// every pixel takes <see cref="SamplesPerPixel"/>. Decided by the pixel's own samples: tiles stay bit-exact.
    /// </summary>
    public float NoiseThreshold { get; init; }
    /// <summary>With adaptive sampling, the samples every pixel takes before it may stop (0: 16, at most the spp).</summary>
    public int MinSamplesPerPixel { get; init; }
    public const int DefaultMinSamples = 16;

    /// <summary>The minimum adaptive sampling applies: <see cref="MinSamplesPerPixel"/> or the default, at most the spp.</summary>
    public int AdaptiveMinSamples => Math.Min(MinSamplesPerPixel > 0 ? MinSamplesPerPixel : DefaultMinSamples, SamplesPerPixel);

    /// <summary>Relative cost of a pixel: its samples when path traced, one when rasterised.</summary>
    public int WorkPerPixel => Mode == RenderMode.Raster ? 1 : SamplesPerPixel;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        ValidateLimits(Width, Height, SamplesPerPixel, MaxBounces, Background);
        ValidateAdaptive(NoiseThreshold, MinSamplesPerPixel, SamplesPerPixel);
        if (!RenderPassLayout.IsKnown(Passes))
            throw new ArgumentException($"render passes 0x{(uint)Passes:x} include unknown passes (known: {string.Join(", ", RenderPassLayout.All.Select(p => p.Name))})");
        if (Passes != RenderPasses.None && (Mode != RenderMode.PathTrace || Output != RenderOutput.Radiance))
            throw new ArgumentException($"render passes ({RenderPassLayout.Format(Passes)}) need the path tracer's radiance output, not {(Mode == RenderMode.Raster ? "the rasteriser" : "a primary-hit render")}");
    }

    /// <summary>Floats per pixel of this frame's tiles: 4 (RGBA), plus the passes' channels.</summary>
    public int FloatsPerPixel => RenderPassLayout.FloatsPerPixel(Passes);

    /// <summary>Throws <see cref="ArgumentException"/> naming the adaptive-sampling setting that is out of range.</summary>
    public static void ValidateAdaptive(float noiseThreshold, int minSamplesPerPixel, int samplesPerPixel)
    {
        if (!float.IsFinite(noiseThreshold) || noiseThreshold < 0 || noiseThreshold > 1)
            throw new ArgumentException($"noise threshold must be between 0 (off) and 1, got {noiseThreshold}");
        if (minSamplesPerPixel < 0 || minSamplesPerPixel > samplesPerPixel)
            throw new ArgumentException($"minimum samples per pixel must be between 0 (default) and the {samplesPerPixel} samples per pixel, got {minSamplesPerPixel}");
    }

    /// <summary>The checks of <see cref="Validate"/>, for callers that have no scene or camera yet.</summary>
    public static void ValidateLimits(int width, int height, int samplesPerPixel, int maxBounces, Vector3 background)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"image size {width}x{height} is invalid: width and height must be at least 1");
        if (width > MaxDimension || height > MaxDimension)
            throw new ArgumentException($"image size {width}x{height} exceeds the limit of {MaxDimension} pixels per side");
        if (samplesPerPixel <= 0 || samplesPerPixel > MaxSamplesPerPixel)
            throw new ArgumentException($"samples per pixel must be between 1 and {MaxSamplesPerPixel}, got {samplesPerPixel}");
        if (maxBounces < 0 || maxBounces > MaxBouncesLimit)
            throw new ArgumentException($"bounces must be between 0 and {MaxBouncesLimit}, got {maxBounces}");
        if (!float.IsFinite(background.X) || !float.IsFinite(background.Y) || !float.IsFinite(background.Z) ||
            background.X < 0 || background.Y < 0 || background.Z < 0)
            throw new ArgumentException($"background {background} must be finite and non-negative");
    }
}
