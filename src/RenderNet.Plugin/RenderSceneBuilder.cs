using System.Numerics;
using System.Runtime.InteropServices;
using SharpGLTF.Memory;
using SharpGLTF.Schema2;

namespace RenderNet.Plugin;

/// <summary>A glTF metallic-roughness material for <see cref="RenderSceneBuilder"/>.</summary>
/// <param name="BaseColor">Linear base colour (RGB, each 0…1).</param>
/// <param name="Metallic">0 dielectric … 1 metal.</param>
/// <param name="Roughness">0 mirror … 1 rough.</param>
/// <param name="Emissive">Emitted radiance (linear RGB; 1.0 shows as white); zero for none.</param>
public sealed record SceneMaterial(Vector3 BaseColor, float Metallic = 0, float Roughness = 1, Vector3 Emissive = default);

/// <summary>The kind of a punctual light.</summary>
public enum SceneLightKind
{
    /// <summary>Emits in all directions from a point; intensity in candela.</summary>
    Point,
    /// <summary>A cone from a point along the light's direction; intensity in candela.</summary>
    Spot,
    /// <summary>Parallel rays along the light's direction; intensity in lux.</summary>
    Directional,
}

/// <summary>
/// Builds a scene in code — meshes, materials, lights, a camera — as an engine would export its own scene graph, and
/// turns it into the same glTF 2.0 a file would be (through SharpGLTF), so it renders exactly as an exported file would.
/// </summary>
public sealed class RenderSceneBuilder
{
    readonly ModelRoot model = ModelRoot.CreateModel();
    readonly SharpGLTF.Schema2.Scene scene;
    readonly string name;
    bool hasCamera;

    /// <summary>An empty scene.</summary>
    public RenderSceneBuilder(string name = "built scene")
    {
        this.name = name;
        scene = model.UseScene(name);
    }

    /// <summary>Adds a triangle mesh in world space.</summary>
    /// <param name="positions">Vertex positions.</param>
    /// <param name="indices">Three indices per triangle, counter-clockwise seen from the front.</param>
    /// <param name="material">Its material.</param>
    /// <param name="normals">Per-vertex normals; null: flat-shaded from the triangles.</param>
    public RenderSceneBuilder AddMesh(IReadOnlyList<Vector3> positions, IReadOnlyList<int> indices, SceneMaterial material, IReadOnlyList<Vector3>? normals = null)
    {
        if (positions.Count == 0 || indices.Count == 0 || indices.Count % 3 != 0)
            throw new ArgumentException($"a mesh needs vertices and a multiple of 3 indices, got {positions.Count} vertices and {indices.Count} indices");
        if (indices.Any(i => i < 0 || i >= positions.Count))
            throw new ArgumentException($"a mesh index is outside its {positions.Count} vertices");
        if (normals is not null && normals.Count != positions.Count)
            throw new ArgumentException($"{normals.Count} normals for {positions.Count} vertices");
        if (positions.Any(p => !float.IsFinite(p.X) || !float.IsFinite(p.Y) || !float.IsFinite(p.Z)))
            throw new ArgumentException("a vertex position is not finite");

        var m = model.CreateMaterial($"material {model.LogicalMaterials.Count}");
        m.InitializePBRMetallicRoughness();
        var baseColor = m.FindChannel("BaseColor")!.Value;
        baseColor.Color = new Vector4(material.BaseColor, 1);
        var mr = m.FindChannel("MetallicRoughness")!.Value;
        mr.SetFactor("MetallicFactor", material.Metallic);
        mr.SetFactor("RoughnessFactor", material.Roughness);
        if (material.Emissive != Vector3.Zero)
        {
            // glTF's emissive factor is at most 1; brighter emission goes in KHR_materials_emissive_strength.
            float strength = MathF.Max(1, MathF.Max(material.Emissive.X, MathF.Max(material.Emissive.Y, material.Emissive.Z)));
            var emissive = m.FindChannel("Emissive")!.Value;
            emissive.Color = new Vector4(material.Emissive / strength, 1);
            if (strength > 1) emissive.SetFactor("EmissiveStrength", strength);
        }

        var mesh = model.CreateMesh($"mesh {model.LogicalMeshes.Count}");
        var primitive = mesh.CreatePrimitive();
        primitive.SetVertexAccessor("POSITION", Vectors(positions.ToArray()));
        if (normals is not null) primitive.SetVertexAccessor("NORMAL", Vectors(normals.Select(Vector3.Normalize).ToArray()));
        var indexAccessor = model.CreateAccessor();
        var indexBytes = MemoryMarshal.AsBytes(indices.Select(i => (uint)i).ToArray().AsSpan()).ToArray();
        indexAccessor.SetIndexData(model.UseBufferView(indexBytes, 0, null, 0, BufferMode.ELEMENT_ARRAY_BUFFER), 0, indices.Count, IndexEncodingType.UNSIGNED_INT);
        primitive.SetIndexAccessor(indexAccessor);
        primitive.Material = m;
        scene.CreateNode(mesh.Name).Mesh = mesh;
        return this;
    }

    /// <summary>Adds a punctual light (KHR_lights_punctual).</summary>
    /// <param name="kind">Point, spot or directional.</param>
    /// <param name="position">Where it is (ignored for directional lights).</param>
    /// <param name="direction">Where it shines (spot and directional).</param>
    /// <param name="color">Linear RGB colour.</param>
    /// <param name="intensity">Candela (point, spot) or lux (directional), as glTF defines them. Frames are radiometric
    /// (1.0 = 1 W·sr⁻¹·m⁻²) at 683 lm/W: a 683-lux light head-on gives a white matte surface a radiance of 1/π.</param>
    /// <param name="outerConeAngle">Spot lights: half-angle of the cone's edge, radians.</param>
    public RenderSceneBuilder AddLight(SceneLightKind kind, Vector3 position, Vector3 direction, Vector3 color, float intensity, float outerConeAngle = MathF.PI / 4)
    {
        if (!(intensity >= 0) || !float.IsFinite(intensity)) throw new ArgumentException($"light intensity must be finite and non-negative, got {intensity}");
        var light = model.CreatePunctualLight(kind switch
        {
            SceneLightKind.Point => PunctualLightType.Point,
            SceneLightKind.Spot => PunctualLightType.Spot,
            _ => PunctualLightType.Directional,
        });
        light.Color = color;
        light.Intensity = intensity;
        if (kind == SceneLightKind.Spot) light.SetSpotCone(0, outerConeAngle);
        var node = scene.CreateNode($"light {model.LogicalPunctualLights.Count}");
        node.PunctualLight = light;
        node.LocalMatrix = LookTowards(position, direction);
        return this;
    }

    /// <summary>Sets the camera: a perspective camera at <paramref name="position"/> looking at <paramref name="target"/>.</summary>
    /// <param name="position">Eye position.</param>
    /// <param name="target">The point at the image centre.</param>
    /// <param name="verticalFieldOfView">Vertical field of view, radians.</param>
    public RenderSceneBuilder SetCamera(Vector3 position, Vector3 target, float verticalFieldOfView = 0.8f)
    {
        if (hasCamera) throw new InvalidOperationException("the scene already has a camera");
        if (!(verticalFieldOfView > 0 && verticalFieldOfView < MathF.PI)) throw new ArgumentException($"field of view {verticalFieldOfView} rad is outside (0, π)");
        var camera = model.CreateCamera("camera");
        camera.SetPerspectiveMode(null, verticalFieldOfView, 0.01f, 1000f);
        var node = scene.CreateNode("camera");
        node.Camera = camera;
        node.LocalMatrix = LookTowards(position, target - position);
        hasCamera = true;
        return this;
    }

    /// <summary>The scene as glTF 2.0, ready for a <see cref="RenderRequest"/>.</summary>
    public RenderScene Build() => RenderScene.FromBuilt(name, model.WriteGLB().ToArray());

    /// <summary>A node transform whose -Z axis (glTF's forward for cameras and lights) points along <paramref name="direction"/>.</summary>
    static Matrix4x4 LookTowards(Vector3 position, Vector3 direction)
    {
        if (direction.LengthSquared() < 1e-12f) direction = -Vector3.UnitZ;
        var forward = Vector3.Normalize(direction);
        var up = MathF.Abs(forward.Y) > 0.999f ? Vector3.UnitZ : Vector3.UnitY;
        var view = Matrix4x4.CreateLookAt(position, position + forward, up);
        Matrix4x4.Invert(view, out var world);
        return world;
    }

    Accessor Vectors(Vector3[] data)
    {
        var accessor = model.CreateAccessor();
        var view = model.UseBufferView(MemoryMarshal.AsBytes(data.AsSpan()).ToArray(), 0, null, 0, BufferMode.ARRAY_BUFFER);
        accessor.SetVertexData(view, 0, data.Length, new AttributeFormat(DimensionType.VEC3));
        return accessor;
    }
}
