using System.Globalization;
using System.Linq;
using System.Numerics;
using RenderNet.Client.Wire;

namespace RenderNet.Client
{
    /// <summary>A <see cref="RenderRequest"/> as the service's JSON. The service checks every field and names the bad ones.</summary>
    static class RequestMapping
    {
        public static JobSubmission ToSubmission(RenderRequest r, string? jobId) => new JobSubmission
        {
            Id = jobId,
            Kind = "render",
            Name = r.Name ?? r.Scene.Name,
            Priority = r.Priority,
            MaxCost = r.MaxCost?.ToString(CultureInfo.InvariantCulture),
            Nodes = r.RequireNodes == null && r.PreferNodes == null && r.DenyNodes == null ? null
                : new NodeSelectionSettings { Require = r.RequireNodes, Prefer = r.PreferNodes, Deny = r.DenyNodes },
            Render = new RenderSettings
            {
                SceneSha256 = r.Scene.Sha256,
                SceneName = r.Scene.Name,
                Width = r.Width,
                Height = r.Height,
                Mode = r.Mode == RenderQualityMode.Raster ? "raster" : "path-trace",
                SamplesPerPixel = r.SamplesPerPixel,
                MaxBounces = r.MaxBounces,
                NoiseThreshold = r.NoiseThreshold,
                MinSamplesPerPixel = r.MinSamplesPerPixel,
                Passes = r.Passes.Count > 0 ? r.Passes.ToList() : null,
                Denoise = r.Denoise,
                TileSize = r.TileSize,
                Camera = r.Camera,
                View = r.View == null ? null : new ViewSettings
                {
                    Position = Array(r.View.Position),
                    Target = Array(r.View.Target),
                    VerticalFieldOfView = r.View.VerticalFieldOfView,
                    Up = r.View.Up is Vector3 up ? Array(up) : null,
                },
                Seed = r.Seed,
                Background = r.Background is Vector3 b ? Array(b) : null,
                Frames = r.Frames == null ? null : new FrameRangeSettings
                {
                    First = r.Frames.First, Last = r.Frames.Last, FramesPerSecond = r.Frames.FramesPerSecond, Animation = r.Frames.Animation,
                },
                SceneSources = r.SceneSources.Count > 0 ? r.SceneSources.ToList() : null,
            },
        };

        public static string FormatName(PixelFormat format) => format == PixelFormat.Rgba8Srgb ? "rgba8-srgb" : "rgba32f-linear";

        static float[] Array(Vector3 v) => new[] { v.X, v.Y, v.Z };
    }
}
