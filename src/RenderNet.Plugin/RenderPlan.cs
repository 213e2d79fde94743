using System.Numerics;
using RenderNet.Core.Gltf;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;

namespace RenderNet.Plugin;

/// <summary>A request checked and turned into the frames the farm renders, or the problems that stop it.</summary>
sealed class RenderPlan
{
    public List<RenderProblem> Problems { get; } = [];
    public List<FrameSettings> Frames { get; } = [];
    public int TilesPerFrame { get; private set; }
    public RenderRequest Request { get; }

    RenderPlan(RenderRequest request) => Request = request;

    public bool CanRender => Problems.All(p => p.Severity != ProblemSeverity.Error);

    void Error(string message) => Problems.Add(new RenderProblem(ProblemSeverity.Error, message));

    public static RenderPlan For(RenderRequest r)
    {
        var plan = new RenderPlan(r);
        try
        {
            FrameSettings.ValidateLimits(r.Width, r.Height, r.SamplesPerPixel, r.MaxBounces, r.Background ?? Vector3.Zero);
        }
        catch (ArgumentException ex)
        {
            plan.Error(ex.Message);
        }
        if (r.TileSize < 1 || r.TileSize > FrameSettings.MaxDimension) plan.Error($"tile size must be between 1 and {FrameSettings.MaxDimension}, got {r.TileSize}");
        if (r.MaxCost is < 0) plan.Error($"the maximum cost must not be negative, got {r.MaxCost}");
        if (r.Frames is { } range && (range.Count < 1 || range.First < 0 || !(range.FramesPerSecond > 0) || range.Count > 100_000))
            plan.Error($"frames {range.First}..{range.Last} at {range.FramesPerSecond} fps is not a valid range (first ≥ 0, last ≥ first, fps > 0)");
        if (r.View is { } v && (!Finite(v.Position) || !Finite(v.Target) || Vector3.DistanceSquared(v.Position, v.Target) < 1e-12f
                                || !(v.VerticalFieldOfView > 0 && v.VerticalFieldOfView < MathF.PI) || (v.Up is { } up && (!Finite(up) || up.LengthSquared() < 1e-12f))))
            plan.Error($"the view {v} is not a camera: position and target must be finite and apart, the field of view in (0, π)");
        if (!plan.CanRender) return plan;

        Scene scene;
        int animation = 0;
        try
        {
            if (r.Frames is { } wanted) animation = GltfSceneLoader.FindAnimation(r.Scene.Glb, wanted.Animation);
            scene = GltfSceneLoader.LoadGlb(r.Scene.Glb, r.Scene.Name);
        }
        catch (SceneException ex)
        {
            plan.Error($"{r.Scene.Name}: {ex.Message}");
            return plan;
        }
        foreach (var warning in scene.Warnings) plan.Problems.Add(new RenderProblem(ProblemSeverity.Warning, warning));
        SceneCamera camera;
        try
        {
            camera = r.View is { } view ? CameraOf(view) : scene.ResolveCamera(r.Camera);
        }
        catch (SceneException ex)
        {
            plan.Error(ex.Message);
            return plan;
        }
        bool hasLights = scene.Lights.Count > 0 || scene.Materials.Any(m => m.IsEmissive);
        var settings = new FrameSettings
        {
            Width = r.Width, Height = r.Height, Camera = camera, SamplesPerPixel = r.SamplesPerPixel, MaxBounces = r.MaxBounces, Seed = r.Seed,
            Background = r.Background ?? (hasLights ? Vector3.Zero : Vector3.One),
            Mode = r.Mode == RenderQualityMode.Raster ? RenderMode.Raster : RenderMode.PathTrace,
        };
        if (r.Frames is { } frames)
        {
            for (int f = frames.First; f <= frames.Last; f++)
            {
                // Each frame is posed on the nodes; the camera may be animated too, so it is resolved per frame.
                var pose = new AnimationPose(animation, (float)(f / frames.FramesPerSecond));
                var posed = GltfSceneLoader.LoadGlb(r.Scene.Glb, r.Scene.Name, pose);
                plan.Frames.Add(settings with { Camera = r.View is null ? posed.ResolveCamera(r.Camera) : camera, Animation = pose });
            }
        }
        else plan.Frames.Add(settings);
        plan.TilesPerFrame = new TilePlan(r.Width, r.Height, r.TileSize, r.TileSize).Tiles.Count;
        return plan;
    }

    static bool Finite(Vector3 v) => float.IsFinite(v.X) && float.IsFinite(v.Y) && float.IsFinite(v.Z);

    /// <summary>The caller's view as a glTF-style camera (looking down its -Z).</summary>
    internal static SceneCamera CameraOf(RenderView view) => SceneCamera.LookAt(view.Position, view.Target, view.VerticalFieldOfView, view.Up);
}
