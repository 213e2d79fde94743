using System.Numerics;

namespace RenderNet.Core.Scenes;

public enum ProjectionKind { Perspective, Orthographic }

/// <summary>
/// A camera in world space. <see cref="World"/> is camera-to-world (glTF: the camera looks down its local -Z, +Y up).
/// <see cref="YFov"/> is the vertical field of view in radians; the horizontal extent always follows the
/// aspect ratio of the image being rendered, so a frame never stretches.
/// </summary>
public sealed record SceneCamera(
    string Name, Matrix4x4 World, ProjectionKind Projection, float YFov, float? AspectRatio,
    float ZNear, float? ZFar, float XMag, float YMag)
{
    public Vector3 Position => World.Translation;
    public Vector3 Right => Vector3.Normalize(Vector3.TransformNormal(Vector3.UnitX, World));
    public Vector3 Up => Vector3.Normalize(Vector3.TransformNormal(Vector3.UnitY, World));
    public Vector3 Forward => Vector3.Normalize(Vector3.TransformNormal(-Vector3.UnitZ, World));

    /// <summary>
    /// Right-handed, Vulkan-style (depth 0..1) projection for an image of the given aspect ratio, built from
    /// the glTF parameters directly (SharpGLTF 1.0.x's CameraPerspective.Matrix is orthographic, so it is not used).
    /// </summary>
    public Matrix4x4 ProjectionMatrix(float aspect)
    {
        if (Projection == ProjectionKind.Orthographic)
        {
            float far = ZFar ?? ZNear + 1000f;
            return Matrix4x4.CreateOrthographic(2 * YMag * aspect, 2 * YMag, ZNear, far);
        }
        return ZFar is float f
            ? Matrix4x4.CreatePerspectiveFieldOfView(YFov, aspect, ZNear, f)
            : CreateInfinitePerspective(YFov, aspect, ZNear);
    }

    static Matrix4x4 CreateInfinitePerspective(float yfov, float aspect, float near)
    {
        // glTF appendix: infinite projection when zfar is undefined (depth mapped to 0..1).
        float t = 1f / MathF.Tan(yfov / 2);
        return new Matrix4x4(t / aspect, 0, 0, 0, 0, t, 0, 0, 0, 0, -1, -1, 0, 0, -near, 0);
    }

    /// <summary>
    /// A perspective camera at <paramref name="position"/> looking at <paramref name="target"/> (an engine's or a viewer's
    /// camera), with an infinite far plane; <paramref name="up"/> defaults to +Y.
    /// </summary>
    public static SceneCamera LookAt(Vector3 position, Vector3 target, float yfov, Vector3? up = null, string name = "(view)")
    {
        var forward = Vector3.Normalize(target - position);
        var upward = Vector3.Normalize(up ?? Vector3.UnitY);
        if (MathF.Abs(Vector3.Dot(upward, forward)) > 0.999f) upward = MathF.Abs(forward.Y) < 0.9f ? Vector3.UnitY : Vector3.UnitZ;
        Matrix4x4.Invert(Matrix4x4.CreateLookAt(position, target, upward), out var world);
        return new SceneCamera(name, world, ProjectionKind.Perspective, yfov, null, Vector3.Distance(position, target) * 1e-3f, null, 0, 0);
    }

    /// <summary>A camera that frames the given bounds from the front and slightly above.</summary>
    public static SceneCamera Framing(Vector3 min, Vector3 max)
    {
        var center = (min + max) / 2;
        float radius = MathF.Max(Vector3.Distance(min, max) / 2, 1e-3f);
        const float yfov = MathF.PI / 4;
        float distance = radius / MathF.Sin(yfov / 2) * 1.05f;
        var eye = center + Vector3.Normalize(new Vector3(0.35f, 0.3f, 1f)) * distance;
        var view = Matrix4x4.CreateLookAt(eye, center, Vector3.UnitY);
        Matrix4x4.Invert(view, out var world);
        return new SceneCamera("(automatic framing)", world, ProjectionKind.Perspective, yfov, null,
            distance * 1e-3f, distance + radius * 2, radius, radius);
    }
}
