using System.Numerics;
using RenderNet.Core.Scenes;

namespace RenderNet.Core.Rendering;

/// <summary>
/// The primary-ray generator shared by the GPU (these values are its uniforms) and CPU references: a point
/// (x, y) in full-frame pixel coordinates (origin top-left) maps to a ray through the camera's image plane.
/// The vertical field of view is glTF's yfov; the horizontal one follows the frame's aspect ratio.
/// </summary>
public readonly record struct CameraRays(
    Vector3 Position, Vector3 Right, Vector3 Up, Vector3 Forward,
    float TanHalfFovY, float Aspect, float OrthoHalfWidth, float OrthoHalfHeight, bool Orthographic,
    int Width, int Height)
{
    public static CameraRays For(SceneCamera camera, int width, int height)
    {
        float aspect = (float)width / height;
        // Orthonormalise: glTF camera nodes may carry scale; a ray basis must not.
        var forward = camera.Forward;
        var right = Vector3.Normalize(Vector3.Cross(forward, camera.Up));
        var up = Vector3.Cross(right, forward);
        return new CameraRays(camera.Position, right, up, forward,
            MathF.Tan(camera.YFov / 2), aspect, camera.YMag * aspect, camera.YMag,
            camera.Projection == ProjectionKind.Orthographic, width, height);
    }

    /// <summary>Same arithmetic as cameraRay() in shaders/pathtrace.comp.</summary>
    public (Vector3 Origin, Vector3 Direction) Ray(float px, float py)
    {
        float x = px / Width * 2f - 1f;
        float y = 1f - py / Height * 2f;
        if (Orthographic)
            return (Position + x * OrthoHalfWidth * Right + y * OrthoHalfHeight * Up, Forward);
        return (Position, Vector3.Normalize(Forward + x * TanHalfFovY * Aspect * Right + y * TanHalfFovY * Up));
    }
}
