using System.Numerics;
using RenderNet.Core.Scenes;

namespace RenderNet.Core.Rendering;

/// <summary>
/// For rasterised previews: each emissive material's triangles stand in as one point light at their area-weighted
/// centre (nudged off the surface along their mean normal), emitting their power into a hemisphere — radiant intensity
/// L·A/2 for radiance L over area A. The path tracer lights with the triangles themselves; a rasteriser without area
/// lights would otherwise show a scene lit only by its ceiling panel as black.
/// </summary>
public static class EmissiveProxyLights
{
    public static IReadOnlyList<PunctualLight> For(Scene scene, float lumensPerWatt)
    {
        var lights = new List<PunctualLight>();
        var (min, max) = scene.Bounds();
        float offset = Vector3.Distance(min, max) * 1e-3f;
        for (int m = 0; m < scene.Materials.Count; m++)
        {
            var material = scene.Materials[m];
            if (!material.IsEmissive) continue;
            double area = 0;
            var centre = Vector3.Zero;
            var normal = Vector3.Zero;
            for (int t = 0; t < scene.TriangleCount; t++)
            {
                if (scene.MaterialIds[t] != m) continue;
                Vector3 a = scene.Positions[3 * t], b = scene.Positions[3 * t + 1], c = scene.Positions[3 * t + 2];
                var cross = Vector3.Cross(b - a, c - a);
                float triangleArea = cross.Length() / 2;
                area += triangleArea;
                centre += (a + b + c) / 3 * triangleArea;
                normal += cross / 2;
            }
            if (area <= 0) continue;
            centre /= (float)area;
            var n = normal.Length() > 0 ? Vector3.Normalize(normal) : Vector3.Zero;
            float peak = MathF.Max(material.Emissive.X, MathF.Max(material.Emissive.Y, material.Emissive.Z));
            // Light colour × intensity is radiometric L·A/2; the light buffer divides photometric intensities by lm/W.
            lights.Add(new PunctualLight($"{material.Name} (emissive)", LightKind.Point, centre + n * offset, Vector3.Zero,
                material.Emissive / peak, (float)(peak * area / 2) * lumensPerWatt, float.PositiveInfinity, 0, 0));
        }
        return lights;
    }
}
