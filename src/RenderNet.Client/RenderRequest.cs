using System.Collections.Generic;
using System.Numerics;

namespace RenderNet.Client
{
    /// <summary>How a frame is drawn.</summary>
    public enum RenderQualityMode
    {
        /// <summary>Path traced: the reference image (global illumination, soft shadows, reflections).</summary>
        PathTraced,
        /// <summary>Rasterised: milliseconds per frame; punctual lights with shadow maps and an ambient term. For previews.</summary>
        Raster,
    }

    /// <summary>How the pixels of a tile or frame are laid out in memory.</summary>
    public enum PixelFormat
    {
        /// <summary>4 bytes per pixel, R, G, B, A; colour sRGB-encoded (clamped to [0, 1]), alpha linear. For an sRGB8_A8 texture.</summary>
        Rgba8Srgb,
        /// <summary>16 bytes per pixel, four little-endian float32 R, G, B, A in linear radiance (1.0 = white). For an RGBA32F texture.</summary>
        Rgba32FloatLinear,
    }

    /// <summary>A range of animation frames, rendered one image each at <see cref="FramesPerSecond"/> of animation time.</summary>
    public sealed class FrameRange
    {
        /// <summary>Frames <paramref name="first"/>…<paramref name="last"/> (inclusive) of an animation (name or index).</summary>
        public FrameRange(int first, int last, double framesPerSecond = 24, string animation = "0")
        {
            First = first;
            Last = last;
            FramesPerSecond = framesPerSecond;
            Animation = animation;
        }

        /// <summary>First frame number (frame f is at time f / fps).</summary>
        public int First { get; }
        /// <summary>Last frame number, inclusive.</summary>
        public int Last { get; }
        /// <summary>Frames per second of animation time.</summary>
        public double FramesPerSecond { get; }
        /// <summary>The glTF animation, by name or index.</summary>
        public string Animation { get; }
        /// <summary>How many frames the range holds.</summary>
        public int Count => Last - First + 1;
    }

    /// <summary>
    /// A camera given by the caller (an engine's camera) instead of one of the scene's: a perspective view from
    /// <see cref="Position"/> towards <see cref="Target"/> in the scene's world space (glTF: +Y up, metres).
    /// </summary>
    public sealed class RenderView
    {
        /// <summary>A view from <paramref name="position"/> towards <paramref name="target"/>.</summary>
        /// <param name="position">Eye position.</param>
        /// <param name="target">The point at the image centre.</param>
        /// <param name="verticalFieldOfView">Vertical field of view in radians, in (0, π).</param>
        /// <param name="up">Which way is up on screen; null: +Y.</param>
        public RenderView(Vector3 position, Vector3 target, float verticalFieldOfView = 0.8f, Vector3? up = null)
        {
            Position = position;
            Target = target;
            VerticalFieldOfView = verticalFieldOfView;
            Up = up;
        }

        /// <summary>Eye position.</summary>
        public Vector3 Position { get; }
        /// <summary>The point at the image centre.</summary>
        public Vector3 Target { get; }
        /// <summary>Vertical field of view in radians.</summary>
        public float VerticalFieldOfView { get; }
        /// <summary>Which way is up on screen; null: +Y.</summary>
        public Vector3? Up { get; }
    }

    /// <summary>
    /// What to render: a scene, a camera, a resolution and a quality. Set the properties, then check it with
    /// <see cref="RenderServiceClient.ValidateAsync"/> or submit it with <see cref="RenderServiceClient.CreateJob"/>.
    /// </summary>
    public sealed class RenderRequest
    {
        /// <summary>A request for a scene with the default settings.</summary>
        public RenderRequest(RenderScene scene) => Scene = scene ?? throw new System.ArgumentNullException(nameof(scene));

        /// <summary>The scene.</summary>
        public RenderScene Scene { get; }
        /// <summary>Image width in pixels (1…16384).</summary>
        public int Width { get; set; } = 640;
        /// <summary>Image height in pixels (1…16384).</summary>
        public int Height { get; set; } = 480;
        /// <summary>Path traced or rasterised.</summary>
        public RenderQualityMode Mode { get; set; } = RenderQualityMode.PathTraced;
        /// <summary>Samples per pixel when path traced (1…65536): more is cleaner and slower.</summary>
        public int SamplesPerPixel { get; set; } = 64;
        /// <summary>Maximum bounces per path when path traced (0…64).</summary>
        public int MaxBounces { get; set; } = 6;
        /// <summary>
        /// Adaptive sampling (0…1; 0: off, 0.01 is a good start): a pixel stops taking samples once its noise estimate is at
        /// most this, so <see cref="SamplesPerPixel"/> becomes the most a pixel takes. Tiles stay exact; the price is still
        /// that of the most samples (a cap), the render finishes sooner.
        /// </summary>
        public float NoiseThreshold { get; set; }
        /// <summary>With <see cref="NoiseThreshold"/>: samples every pixel takes before it may stop (0: 16, at most the spp).</summary>
        public int MinSamplesPerPixel { get; set; }
        /// <summary>
        /// Render passes by name (albedo, normal, depth, position, object, material, emission, direct, indirect,
        /// variance, or all): each finished frame is also kept as a multi-layer EXR, listed in the result's
        /// <see cref="RenderResult.Outputs"/> and fetched with <see cref="RenderServiceClient.DownloadOutputAsync"/>.
        /// </summary>
        public IList<string> Passes { get; } = new List<string>();
        /// <summary>Denoise each assembled frame (path tracing only): frame events and the result carry the denoised pixels.</summary>
        public bool Denoise { get; set; }
        /// <summary>
        /// Where nodes may fetch the scene instead of the service sending it to each (at most 8): URL templates with
        /// {sha256} (hex) or {cid} (its CIDv1, as IPFS gateways name it), e.g. "https://cdn.studio.example/scenes/{sha256}.glb".
        /// A node fetches only from hosts its operator allowed and checks the bytes against the scene's hash; others are sent it.
        /// </summary>
        public IList<string> SceneSources { get; } = new List<string>();
        /// <summary>Tile edge in pixels: the unit of work sent to one node (edge tiles may be smaller).</summary>
        public int TileSize { get; set; } = 64;
        /// <summary>The scene's camera by name or index; null: the scene's first camera, or an automatic framing.</summary>
        public string? Camera { get; set; }
        /// <summary>A camera of the caller's own (it wins over <see cref="Camera"/>); null: one of the scene's.</summary>
        public RenderView? View { get; set; }
        /// <summary>Frame seed: the same seed gives the same pixels, whichever nodes render which tiles.</summary>
        public uint Seed { get; set; }
        /// <summary>Radiance of the environment; null: black when the scene has lights, else white.</summary>
        public Vector3? Background { get; set; }
        /// <summary>Animation frames to render; null: one still frame in the rest pose.</summary>
        public FrameRange? Frames { get; set; }
        /// <summary>Format of the tiles raised by <see cref="RenderJob.TileCompleted"/> and of the result's frames.</summary>
        public PixelFormat PixelFormat { get; set; } = PixelFormat.Rgba8Srgb;
        /// <summary>The most this job may spend, in tokens (null: only the service's budget applies).</summary>
        public decimal? MaxCost { get; set; }
        /// <summary>
        /// Only nodes matching this selector render the job (pin it to a pool or nodes): terms key=value, key!=value,
        /// key&gt;=N, key&lt;=N joined by ',' (all hold), alternatives by ';' — e.g. "pool=studio-a" or "gpu=nvidia,vram&gt;=16".
        /// Tags: what nodes declare, gpu, id (payout address) and pool (the service's pools). Null: any node.
        /// </summary>
        public string? RequireNodes { get; set; }
        /// <summary>Nodes matching this selector get the work first; others take what they leave (null: no preference).</summary>
        public string? PreferNodes { get; set; }
        /// <summary>Nodes matching this selector get none of the work, e.g. "id=0xab…;gpu=cpu" (null: none denied).</summary>
        public string? DenyNodes { get; set; }
        /// <summary>Weight in the fair share of the nodes, 1…100: a job of priority 80 gets twice the node time of one of 40.</summary>
        public int Priority { get; set; } = 50;
        /// <summary>A label for the service's job list.</summary>
        public string? Name { get; set; }
    }
}
