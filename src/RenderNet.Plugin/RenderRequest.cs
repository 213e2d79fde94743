using System.Numerics;

namespace RenderNet.Plugin;

/// <summary>How a frame is drawn.</summary>
public enum RenderQualityMode
{
    /// <summary>Path traced: the reference image (global illumination, soft shadows, reflections).</summary>
    PathTraced,
    /// <summary>Rasterised: milliseconds per frame; punctual lights with shadow maps and an ambient term. For previews.</summary>
    Raster,
}

/// <summary>A range of animation frames, rendered one image each at <see cref="FramesPerSecond"/> of animation time.</summary>
/// <param name="First">First frame number (frame f is at time f / fps).</param>
/// <param name="Last">Last frame number, inclusive.</param>
/// <param name="FramesPerSecond">Frames per second of animation time.</param>
/// <param name="Animation">The glTF animation, by name or index.</param>
public sealed record FrameRange(int First, int Last, double FramesPerSecond = 24, string Animation = "0")
{
    /// <summary>How many frames the range holds.</summary>
    public int Count => Last - First + 1;
}

/// <summary>What to render: a scene, a camera, a resolution and a quality. Check it with <see cref="RenderFarm.ValidateAsync"/>.</summary>
public sealed record RenderRequest
{
    /// <summary>The scene.</summary>
    public required RenderScene Scene { get; init; }
    /// <summary>Image width in pixels (1…16384).</summary>
    public int Width { get; init; } = 640;
    /// <summary>Image height in pixels (1…16384).</summary>
    public int Height { get; init; } = 480;
    /// <summary>Path traced or rasterised.</summary>
    public RenderQualityMode Mode { get; init; } = RenderQualityMode.PathTraced;
    /// <summary>Samples per pixel when path traced (1…65536): more is cleaner and slower.</summary>
    public int SamplesPerPixel { get; init; } = 64;
    /// <summary>Maximum bounces per path when path traced (0…64).</summary>
    public int MaxBounces { get; init; } = 6;
    /// <summary>Tile edge in pixels: the unit of work sent to one node (edge tiles may be smaller).</summary>
    public int TileSize { get; init; } = 64;
    /// <summary>The scene's camera by name or index; null: the scene's first camera, or an automatic framing.</summary>
    public string? Camera { get; init; }
    /// <summary>A camera of the caller's own (it wins over <see cref="Camera"/>); null: one of the scene's.</summary>
    public RenderView? View { get; init; }
    /// <summary>Frame seed: the same seed gives the same pixels, whichever nodes render which tiles.</summary>
    public uint Seed { get; init; }
    /// <summary>Radiance of the environment; null: black when the scene has lights, else white.</summary>
    public Vector3? Background { get; init; }
    /// <summary>Animation frames to render; null: one still frame in the rest pose.</summary>
    public FrameRange? Frames { get; init; }
    /// <summary>Format of the tiles raised by <see cref="RenderJob.TileCompleted"/> and of the result's frames.</summary>
    public PixelFormat PixelFormat { get; init; } = PixelFormat.Rgba8Srgb;
    /// <summary>The most this job may spend, in tokens (null: only the farm's budget applies).</summary>
    public decimal? MaxCost { get; init; }
}
