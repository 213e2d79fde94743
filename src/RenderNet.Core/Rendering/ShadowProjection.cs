using System.Numerics;
using RenderNet.Core.Scenes;

namespace RenderNet.Core.Rendering;

/// <summary>
/// The light-space projection of a shadow-casting light (directional: an orthographic box around the scene seen along
/// the light; spot: a perspective frustum over the outer cone), mapping world positions to clip space with depth
/// 0..1, and the size of one shadow-map texel (world units for directional, radians for spot) for the normal-offset bias.
/// Point lights (and the emissive stand-ins) cast no shadows: they would need cube maps.
/// </summary>
public sealed record ShadowProjection(int Light, Matrix4x4 ViewProjection, bool Orthographic, float TexelSize)
{
    public static IReadOnlyList<ShadowProjection> For(Scene scene, int mapSize)
    {
        var (min, max) = scene.Bounds();
        var centre = (min + max) / 2;
        float radius = MathF.Max(Vector3.Distance(min, max) / 2, 1e-3f);
        var result = new List<ShadowProjection>();
        for (int i = 0; i < scene.Lights.Count; i++)
        {
            var light = scene.Lights[i];
            if (light.Kind == LightKind.Point) continue;
            var dir = Vector3.Normalize(light.Direction);
            var up = MathF.Abs(dir.Y) > 0.99f ? Vector3.UnitX : Vector3.UnitY;
            if (light.Kind == LightKind.Directional)
            {
                var eye = centre - dir * 2 * radius;
                var view = Matrix4x4.CreateLookAt(eye, centre, up);
                var projection = Matrix4x4.CreateOrthographic(2 * radius, 2 * radius, radius * 1e-3f, 4 * radius);
                result.Add(new ShadowProjection(i, view * projection, true, 2 * radius / mapSize));
            }
            else
            {
                float far = Vector3.Distance(light.Position, centre) + radius;
                float fov = MathF.Min(2 * light.OuterConeAngle + 0.02f, MathF.PI * 0.95f);
                var view = Matrix4x4.CreateLookAt(light.Position, light.Position + dir, up);
                var projection = Matrix4x4.CreatePerspectiveFieldOfView(fov, 1, MathF.Max(far * 1e-4f, 1e-4f), far);
                result.Add(new ShadowProjection(i, view * projection, false, 2 * MathF.Tan(fov / 2) / mapSize));
            }
        }
        return result;
    }
}
