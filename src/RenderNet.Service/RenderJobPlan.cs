using RenderNet.Core.Denoising;
using System.Numerics;
using RenderNet.Client.Wire;
using RenderNet.Core.Gltf;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;

namespace RenderNet.Service;

/// <summary>
/// A submitted render checked and turned into the frames the farm renders, or the problems that stop it — each naming
/// the field (<c>render.width</c>, <c>priority</c>…) so a bad request can be answered with problem details per field.
/// </summary>
public sealed class RenderJobPlan : JobPlan
{
    public List<FrameSettings> Frames { get; } = [];
    /// <summary>The frame numbers of <see cref="Frames"/> (0 for a still).</summary>
    public List<int> FrameNumbers { get; } = [];
    public int TilesPerFrame { get; private set; }
    public int TileSize { get; private set; }
    /// <summary>The passes the caller asked for: each finished frame is also written as a multi-layer EXR output.</summary>
    public RenderPasses Passes { get; private set; }
    /// <summary>Each assembled frame is denoised (on the service's CPU: the same bits as on a device).</summary>
    public bool Denoise { get; private set; }
    public decimal? MaxCost { get; private set; }
    /// <summary>Where nodes may fetch the scene instead of the service sending it (checked templates, <see cref="Protocol.SceneSources"/>).</summary>
    public IReadOnlyList<string> SceneSources { get; private set; } = [];
    public override int UnitsTotal => TilesPerFrame * Frames.Count;
    public override int FrameCount => Frames.Count;
    public override (int Width, int Height) FrameSize => Frames.Count == 0 ? (0, 0) : (Frames[0].Width, Frames[0].Height);

    /// <summary>Checks a submission; <paramref name="scenes"/> gives the uploaded scene's bytes.</summary>
    public static RenderJobPlan For(JobSubmission submission, SceneStore scenes)
    {
        var plan = new RenderJobPlan();
        if (submission.Kind != "render") plan.Error("kind", $"the kind is 'render' or 'transcode', got '{Farm.Printable.Clean(submission.Kind, 40)}'");
        plan.MaxCost = plan.CheckCommon(submission);
        if (submission.Render is not { } r)
        {
            plan.Error("render", "a render job needs its render settings");
            return plan;
        }
        plan.TileSize = r.TileSize;
        try
        {
            FrameSettings.ValidateLimits(r.Width, r.Height, r.SamplesPerPixel, r.MaxBounces, Vector(r.Background) ?? Vector3.Zero);
            FrameSettings.ValidateAdaptive(r.NoiseThreshold, r.MinSamplesPerPixel, r.SamplesPerPixel);
        }
        catch (ArgumentException ex)
        {
            plan.Error("render", ex.Message);
        }
        try
        {
            plan.Passes = r.Passes is null ? RenderPasses.None : RenderPassLayout.Parse(string.Join(",", r.Passes));
        }
        catch (ArgumentException ex)
        {
            plan.Error("render.passes", ex.Message);
        }
        plan.Denoise = r.Denoise;
        if (r.Mode == "raster" && (plan.Passes != RenderPasses.None || r.Denoise))
            plan.Error(r.Denoise ? "render.denoise" : "render.passes", $"{(r.Denoise ? "denoising" : "render passes")} need the path tracer (mode 'path-trace'), not the rasteriser");
        if (r.Mode is not ("path-trace" or "raster")) plan.Error("render.mode", $"mode must be 'path-trace' or 'raster', got '{Farm.Printable.Clean(r.Mode, 40)}'");
        if (r.Background is { Length: not 3 }) plan.Error("render.background", "the background is [r, g, b]");
        if (r.TileSize < 1 || r.TileSize > FrameSettings.MaxDimension) plan.Error("render.tileSize", $"tile size must be between 1 and {FrameSettings.MaxDimension}, got {r.TileSize}");
        if (r.Frames is { } range && (range.Last < range.First || range.First < 0 || !(range.FramesPerSecond > 0) || range.Last - range.First >= 100_000))
            plan.Error("render.frames", $"frames {range.First}..{range.Last} at {range.FramesPerSecond} fps is not a valid range (first ≥ 0, last ≥ first, fps > 0, at most 100000 frames)");
        SceneCamera? view = null;
        if (r.View is { } v)
        {
            var (position, target, up) = (Vector(v.Position), Vector(v.Target), v.Up is null ? (Vector3?)null : Vector(v.Up));
            if (position is not { } p || target is not { } t || !Finite(p) || !Finite(t) || Vector3.DistanceSquared(p, t) < 1e-12f
                || !(v.VerticalFieldOfView > 0 && v.VerticalFieldOfView < MathF.PI) || (v.Up is not null && (up is not { } u || !Finite(u) || u.LengthSquared() < 1e-12f)))
                plan.Error("render.view", "the view is not a camera: position and target must be finite [x, y, z] apart, the field of view in (0, π)");
            else view = SceneCamera.LookAt(p, t, v.VerticalFieldOfView, up);
        }
        plan.SceneSources = CheckSceneSources(plan, r.SceneSources);
        if (!SceneStore.ValidHash(r.SceneSha256)) plan.Error("render.sceneSha256", "the scene's SHA-256 must be 64 lower-case hex digits");
        if (!plan.CanRender) return plan;

        var glb = scenes.Read(r.SceneSha256);
        if (glb is null)
        {
            plan.Error("render.sceneSha256", $"no scene {r.SceneSha256} on the service: upload it first (PUT /v1/scenes/{r.SceneSha256})");
            return plan;
        }
        string name = Farm.Printable.Clean(r.SceneName ?? "scene.glb", 120);
        Scene scene;
        int animation = 0;
        try
        {
            if (r.Frames is { } wanted) animation = GltfSceneLoader.FindAnimation(glb, wanted.Animation);
            scene = GltfSceneLoader.LoadGlb(glb, name);
        }
        catch (SceneException ex)
        {
            plan.Error("render.sceneSha256", $"{name}: {ex.Message}");
            return plan;
        }
        plan.Warnings.AddRange(scene.Warnings);
        SceneCamera camera;
        try
        {
            camera = view ?? scene.ResolveCamera(r.Camera);
        }
        catch (SceneException ex)
        {
            plan.Error("render.camera", ex.Message);
            return plan;
        }
        bool hasLights = scene.Lights.Count > 0 || scene.Materials.Any(m => m.IsEmissive);
        var settings = new FrameSettings
        {
            Width = r.Width, Height = r.Height, Camera = camera, SamplesPerPixel = r.SamplesPerPixel, MaxBounces = r.MaxBounces, Seed = r.Seed,
            NoiseThreshold = r.NoiseThreshold, MinSamplesPerPixel = r.MinSamplesPerPixel,
            Background = Vector(r.Background) ?? (hasLights ? Vector3.Zero : Vector3.One),
            Mode = r.Mode == "raster" ? RenderMode.Raster : RenderMode.PathTrace,
            Passes = plan.Passes | (plan.Denoise ? DenoiseInput.RequiredPasses | RenderPasses.Emission : RenderPasses.None),
        };
        if (r.Frames is { } frames)
        {
            for (int f = frames.First; f <= frames.Last; f++)
            {
                // Each frame is posed on the nodes; the camera may be animated too, so it is resolved per frame.
                var pose = new AnimationPose(animation, (float)(f / frames.FramesPerSecond));
                var posed = GltfSceneLoader.LoadGlb(glb, name, pose);
                plan.Frames.Add(settings with { Camera = view ?? posed.ResolveCamera(r.Camera), Animation = pose });
                plan.FrameNumbers.Add(f);
            }
        }
        else
        {
            plan.Frames.Add(settings);
            plan.FrameNumbers.Add(0);
        }
        plan.TilesPerFrame = new TilePlan(r.Width, r.Height, r.TileSize, r.TileSize).Tiles.Count;
        return plan;
    }

    static List<string> CheckSceneSources(RenderJobPlan plan, List<string>? sources)
    {
        if (sources is null) return [];
        if (sources.Count > Protocol.SceneSources.MaxCount)
        {
            plan.Error("render.sceneSources", $"at most {Protocol.SceneSources.MaxCount} scene sources, got {sources.Count}");
            return [];
        }
        var valid = new List<string>();
        foreach (var source in sources)
        {
            try { valid.Add(Protocol.SceneSources.CheckTemplate(source ?? "")); }
            catch (ArgumentException ex) { plan.Error("render.sceneSources", ex.Message); }
        }
        return valid;
    }

    static Vector3? Vector(float[]? xyz) => xyz is { Length: 3 } ? new Vector3(xyz[0], xyz[1], xyz[2]) : null;
    static bool Finite(Vector3 v) => float.IsFinite(v.X) && float.IsFinite(v.Y) && float.IsFinite(v.Z);
}
