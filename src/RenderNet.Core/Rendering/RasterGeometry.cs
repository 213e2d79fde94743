using System.Numerics;
using RenderNet.Core.Scenes;

namespace RenderNet.Core.Rendering;

/// <summary>
/// A scene's triangles as the rasteriser draws one frame: clipped in camera space against the near plane and the
/// frame's rectangle (plus a margin), projected with exactly the path tracer's camera conventions
/// (<see cref="CameraRays"/>: pixel (x, y) of the full frame, origin top-left), and snapped to 1/256 pixel.
/// Snapped full-frame coordinates are the whole trick behind bit-exact tiles: every tile sees the same vertices shifted
/// by a whole number of pixels (exact in float), so the rasteriser's coverage, and the fragment shader's barycentrics,
/// do not depend on where the tile is. Clipping on the CPU keeps every coordinate small enough to stay exact.
/// </summary>
public sealed class RasterGeometry
{
    /// <summary>Sub-pixel precision of the snapped window coordinates (Vulkan guarantees at least 8 bits).</summary>
    public const float SnapScale = 256f;
    public const int WindowFloats = 4;     // x, y (full-frame pixels), 1/w for perspective correction, depth key
    public const int AttributeFloats = 12; // world position, u | normal, v | vertex colour RGBA

    public required float[] Window { get; init; }
    public required float[] Attributes { get; init; }
    /// <summary>Per drawn triangle: the scene triangle it came from.</summary>
    public required int[] SourceTriangles { get; init; }
    public int TriangleCount => SourceTriangles.Length;
    /// <summary>
    /// Triangles [0, BlendedStart) are opaque or alpha-masked; the rest have alpha mode Blend and are sorted back to
    /// front (by centroid depth, ties in scene order) so that "over" blending composites them in the right order.
    /// </summary>
    public int BlendedStart { get; init; }

    readonly record struct Vertex(Vector3 Camera, Vector3 World, Vector3 Normal, Vector2 Uv, Vector4 Color);

    public static RasterGeometry Build(Scene scene, FrameSettings frame, float marginPixels = 4)
    {
        var rays = CameraRays.For(frame.Camera, frame.Width, frame.Height);
        var (min, max) = scene.Bounds();
        float extent = MathF.Max(Vector3.Distance(min, max), 1e-3f);
        float farthest = Vector3.Distance(rays.Position, (min + max) / 2) + extent;
        // The path tracer has no near plane; the rasteriser needs one. Tiny, so nothing the tracer sees is lost.
        float near = MathF.Max(frame.Camera.ZNear > 0 ? MathF.Min(frame.Camera.ZNear, extent * 1e-3f) : extent * 1e-4f, 1e-6f);
        float w = frame.Width, h = frame.Height;
        // Side planes in camera space: x_ndc * (sx * depth) = right-coordinate, with x_ndc at the margin.
        float mx = 1 + 2 * marginPixels / w, my = 1 + 2 * marginPixels / h;
        float sx = rays.Orthographic ? rays.OrthoHalfWidth : rays.TanHalfFovY * rays.Aspect;
        float sy = rays.Orthographic ? rays.OrthoHalfHeight : rays.TanHalfFovY;

        // Clip-plane distances (inside >= 0) of a camera-space point (right, up, depth).
        Func<Vector3, float>[] planes = rays.Orthographic
            ?
            [
                c => c.Z - near,
                c => mx * sx - c.X, c => c.X + mx * sx,
                c => my * sy - c.Y, c => c.Y + my * sy,
            ]
            :
            [
                c => c.Z - near,
                c => mx * sx * c.Z - c.X, c => c.X + mx * sx * c.Z,
                c => my * sy * c.Z - c.Y, c => c.Y + my * sy * c.Z,
            ];

        var window = new List<float>(scene.TriangleCount * 12);
        var attributes = new List<float>(scene.TriangleCount * 24);
        var sources = new List<int>(scene.TriangleCount);
        var depths = new List<float>(scene.TriangleCount);
        var polygon = new List<Vertex>(9);
        var next = new List<Vertex>(9);
        for (int t = 0; t < scene.TriangleCount; t++)
        {
            polygon.Clear();
            for (int k = 0; k < 3; k++)
            {
                int i = 3 * t + k;
                var p = scene.Positions[i];
                var rel = p - rays.Position;
                uint c = scene.Colors[i];
                var color = new Vector4(c & 0xFF, (c >> 8) & 0xFF, (c >> 16) & 0xFF, c >> 24) / 255f; // RGBA8, R in the low byte
                polygon.Add(new Vertex(new Vector3(Vector3.Dot(rel, rays.Right), Vector3.Dot(rel, rays.Up), Vector3.Dot(rel, rays.Forward)),
                    p, scene.Normals[i], scene.TexCoords[i], color));
            }
            // Sutherland–Hodgman: attributes are affine in camera space, so they interpolate linearly along edges.
            foreach (var plane in planes)
            {
                next.Clear();
                for (int k = 0; k < polygon.Count; k++)
                {
                    var a = polygon[k];
                    var b = polygon[(k + 1) % polygon.Count];
                    float da = plane(a.Camera), db = plane(b.Camera);
                    if (da >= 0) next.Add(a);
                    if ((da >= 0) != (db >= 0))
                    {
                        float s = da / (da - db);
                        next.Add(new Vertex(Vector3.Lerp(a.Camera, b.Camera, s), Vector3.Lerp(a.World, b.World, s),
                            Vector3.Lerp(a.Normal, b.Normal, s), Vector2.Lerp(a.Uv, b.Uv, s), Vector4.Lerp(a.Color, b.Color, s)));
                    }
                }
                (polygon, next) = (next, polygon);
                if (polygon.Count < 3) break;
            }
            if (polygon.Count < 3) continue;
            for (int k = 1; k + 1 < polygon.Count; k++)
            {
                depths.Add((polygon[0].Camera.Z + polygon[k].Camera.Z + polygon[k + 1].Camera.Z) / 3);
                foreach (var v in (ReadOnlySpan<Vertex>)[polygon[0], polygon[k], polygon[k + 1]])
                {
                    float depth = v.Camera.Z;
                    float xn = rays.Orthographic ? v.Camera.X / sx : v.Camera.X / (sx * depth);
                    float yn = rays.Orthographic ? v.Camera.Y / sy : v.Camera.Y / (sy * depth);
                    // The inverse of CameraRays.Ray: x_ndc = px / W * 2 - 1, y_ndc = 1 - py / H * 2.
                    window.Add(Snap((xn + 1) * 0.5f * w));
                    window.Add(Snap((1 - yn) * 0.5f * h));
                    window.Add(rays.Orthographic ? 1f : 1f / depth);
                    // A depth key that is affine in screen space (so it interpolates with plain barycentrics), in [0, 1).
                    window.Add(rays.Orthographic ? Math.Clamp((depth - near) / (farthest + extent), 0f, 1f) : 1f - near / depth);
                    attributes.AddRange([v.World.X, v.World.Y, v.World.Z, v.Uv.X, v.Normal.X, v.Normal.Y, v.Normal.Z, v.Uv.Y, v.Color.X, v.Color.Y, v.Color.Z, v.Color.W]);
                }
                sources.Add(t);
            }
        }
        // Opaque first (in scene order), then blended triangles far to near.
        var order = Enumerable.Range(0, sources.Count)
            .OrderBy(i => IsBlended(scene, sources[i]) ? 1 : 0)
            .ThenBy(i => IsBlended(scene, sources[i]) ? -depths[i] : 0)
            .ThenBy(i => i)
            .ToArray();
        int blendedStart = order.TakeWhile(i => !IsBlended(scene, sources[i])).Count();
        return new RasterGeometry
        {
            Window = Permute(window, order, WindowFloats * 3),
            Attributes = Permute(attributes, order, AttributeFloats * 3),
            SourceTriangles = order.Select(i => sources[i]).ToArray(),
            BlendedStart = blendedStart,
        };
    }

    static bool IsBlended(Scene scene, int triangle) => scene.Materials[scene.MaterialIds[triangle]].AlphaMode == AlphaMode.Blend;

    static float[] Permute(List<float> values, int[] order, int stride)
    {
        var result = new float[values.Count];
        for (int i = 0; i < order.Length; i++)
            for (int k = 0; k < stride; k++) result[i * stride + k] = values[order[i] * stride + k];
        return result;
    }

    static float Snap(float v) => MathF.Round(v * SnapScale) / SnapScale;
}
