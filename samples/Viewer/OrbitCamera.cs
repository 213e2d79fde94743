using System.Numerics;
using RenderNet.Core.Scenes;
using RenderNet.Client;

namespace RenderNet.Viewer;

/// <summary>
/// The viewer's camera: orbits a target point (yaw and pitch around it), pans the target in the view plane and zooms
/// along the view direction. Starts where the scene's own camera is, looking at the centre of the scene's bounds.
/// </summary>
sealed class OrbitCamera
{
    Vector3 target;
    float yaw, pitch, distance;
    readonly float fieldOfView;
    readonly (Vector3 Target, float Yaw, float Pitch, float Distance) home;

    public OrbitCamera(SceneCamera start, (Vector3 Min, Vector3 Max) bounds)
    {
        fieldOfView = start.Projection == ProjectionKind.Perspective ? start.YFov : 0.8f;
        var centre = (bounds.Min + bounds.Max) / 2;
        // Orbit the point of the scene's centre plane that the starting camera looks at.
        distance = MathF.Max(Vector3.Dot(centre - start.Position, start.Forward), 1e-3f * Vector3.Distance(bounds.Min, bounds.Max) + 1e-4f);
        target = start.Position + start.Forward * distance;
        var back = -start.Forward;
        yaw = MathF.Atan2(back.X, back.Z);
        pitch = MathF.Asin(Math.Clamp(back.Y, -1, 1));
        home = (target, yaw, pitch, distance);
    }

    public int Version { get; private set; }

    public Vector3 Position => target + distance * new Vector3(MathF.Cos(pitch) * MathF.Sin(yaw), MathF.Sin(pitch), MathF.Cos(pitch) * MathF.Cos(yaw));

    /// <summary>The view as the engine client takes it (what "send to the network" renders).</summary>
    public RenderView View => new(Position, target, fieldOfView);

    /// <summary>The same view as the preview's camera.</summary>
    public SceneCamera SceneCamera => Core.Scenes.SceneCamera.LookAt(Position, target, fieldOfView);

    /// <summary>Drag by (dx, dy) pixels of a window <paramref name="height"/> pixels tall: half a turn per window height.</summary>
    public void Orbit(double dx, double dy, int height)
    {
        yaw -= (float)(dx / height * Math.PI);
        pitch = Math.Clamp(pitch + (float)(dy / height * Math.PI), -1.55f, 1.55f);
        Version++;
    }

    /// <summary>Turns the camera around the target by angles in radians (yaw about +Y, then pitch).</summary>
    public void Turn(float yawRadians, float pitchRadians)
    {
        yaw += yawRadians;
        pitch = Math.Clamp(pitch + pitchRadians, -1.55f, 1.55f);
        Version++;
    }

    /// <summary>Moves the target with the cursor: what was under it stays under it on the target's plane.</summary>
    public void Pan(double dx, double dy, int height)
    {
        var camera = SceneCamera;
        float perPixel = 2 * distance * MathF.Tan(fieldOfView / 2) / height;
        target += (-(float)dx * camera.Right + (float)dy * camera.Up) * perPixel;
        Version++;
    }

    /// <summary>Scroll steps: each one moves 15% of the way to the target (or back).</summary>
    public void Zoom(double steps)
    {
        distance = Math.Clamp(distance * MathF.Pow(0.85f, (float)steps), 1e-4f, 1e6f);
        Version++;
    }

    public void Reset()
    {
        (target, yaw, pitch, distance) = home;
        Version++;
    }
}
