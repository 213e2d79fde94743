using System.Numerics;
using System.Runtime.InteropServices;
using SharpGLTF.Memory;
using SharpGLTF.Schema2;

namespace RenderNet.Core.Samples;

/// <summary>
/// RenderNet's own sample scene: a Cornell-box-style room (red left wall, green right wall, white floor, back wall and
/// ceiling, an emissive ceiling panel using KHR_materials_emissive_strength), a tall diffuse block and a metallic
/// sphere, with a perspective camera. Written as glTF 2.0 through SharpGLTF so it exercises the same import path
/// as any studio file. Units are metres; the room spans x in [-1.35,1.35], z in [-1,1] and y in [0,2], open towards +z.
/// </summary>
public static class CornellBox
{
    public const string FileName = "cornell-box.glb";
    /// <summary>Half-width of the room: wider than tall, so a 4:3 frame sees only the inside.</summary>
    const float W = 1.35f;

    public static ModelRoot Build()
    {
        var model = ModelRoot.CreateModel();
        var scene = model.UseScene("Cornell box");

        var white = Material(model, "White", new Vector3(0.73f, 0.73f, 0.73f), metallic: 0, roughness: 1);
        var red = Material(model, "Red", new Vector3(0.65f, 0.05f, 0.05f), 0, 1);
        var green = Material(model, "Green", new Vector3(0.12f, 0.45f, 0.15f), 0, 1);
        var block = Material(model, "Block", new Vector3(0.8f, 0.78f, 0.72f), 0, 0.7f);
        var metal = Material(model, "Metal", new Vector3(0.95f, 0.93f, 0.88f), 1, 0.3f);
        var light = Material(model, "Light", new Vector3(0.8f, 0.8f, 0.8f), 0, 1);
        var lightEmissive = light.FindChannel("Emissive")!.Value;
        lightEmissive.Color = new Vector4(1f, 0.85f, 0.65f, 1);
        lightEmissive.SetFactor("EmissiveStrength", 14f);

        var room = new MeshData();
        // Each quad lists its corners counter-clockwise as seen from inside the room (the front side).
        room.Quad(white, new(-W, 0, 1), new(W, 0, 1), new(W, 0, -1), new(-W, 0, -1));      // floor, faces +y
        room.Quad(white, new(-W, 2, -1), new(W, 2, -1), new(W, 2, 1), new(-W, 2, 1));      // ceiling, faces -y
        room.Quad(white, new(-W, 0, -1), new(W, 0, -1), new(W, 2, -1), new(-W, 2, -1));    // back, faces +z
        room.Quad(red, new(-W, 0, 1), new(-W, 0, -1), new(-W, 2, -1), new(-W, 2, 1));      // left, faces +x
        room.Quad(green, new(W, 0, -1), new(W, 0, 1), new(W, 2, 1), new(W, 2, -1));        // right, faces -x
        room.Quad(light, new(-0.3f, 1.995f, -0.3f), new(0.3f, 1.995f, -0.3f), new(0.3f, 1.995f, 0.3f), new(-0.3f, 1.995f, 0.3f)); // lamp, faces -y
        AddNode(model, scene, "Room", room, Matrix4x4.Identity);

        var box = new MeshData();
        box.Box(block, new Vector3(0.3f, 0.6f, 0.3f));
        AddNode(model, scene, "Block", box, Matrix4x4.CreateRotationY(0.35f) * Matrix4x4.CreateTranslation(-0.5f, 0.6f, -0.4f));

        var sphere = new MeshData();
        sphere.Sphere(metal, 0.33f, 48, 24);
        AddNode(model, scene, "Sphere", sphere, Matrix4x4.CreateTranslation(0.5f, 0.33f, -0.05f));

        var camera = model.CreateCamera("Front");
        camera.SetPerspectiveMode(null, 0.89f, 0.05f, 50f);
        var cameraNode = scene.CreateNode("Camera");
        cameraNode.Camera = camera;
        cameraNode.LocalMatrix = Matrix4x4.CreateTranslation(0, 1, 3f);
        return model;
    }

    /// <summary>Writes the scene as a .glb (bytes are deterministic: the same code writes the same file).</summary>
    public static void Write(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        Build().SaveGLB(path);
    }

    static Material Material(ModelRoot model, string name, Vector3 color, float metallic, float roughness)
    {
        var m = model.CreateMaterial(name);
        m.InitializePBRMetallicRoughness();
        var baseColor = m.FindChannel("BaseColor")!.Value;
        baseColor.Color = new Vector4(color, 1);
        var mr = m.FindChannel("MetallicRoughness")!.Value;
        mr.SetFactor("MetallicFactor", metallic);
        mr.SetFactor("RoughnessFactor", roughness);
        return m;
    }

    static void AddNode(ModelRoot model, SharpGLTF.Schema2.Scene scene, string name, MeshData data, Matrix4x4 transform)
    {
        var mesh = model.CreateMesh(name);
        foreach (var (material, part) in data.Parts)
        {
            var prim = mesh.CreatePrimitive();
            prim.SetVertexAccessor("POSITION", Accessor(model, part.Positions.ToArray(), DimensionType.VEC3));
            prim.SetVertexAccessor("NORMAL", Accessor(model, part.Normals.ToArray(), DimensionType.VEC3));
            var indices = model.CreateAccessor();
            indices.SetIndexData(model.UseBufferView(MemoryMarshal.AsBytes(part.Indices.ToArray().AsSpan()).ToArray(), 0, null, 0, BufferMode.ELEMENT_ARRAY_BUFFER),
                0, part.Indices.Count, IndexEncodingType.UNSIGNED_INT);
            prim.SetIndexAccessor(indices);
            prim.Material = material;
        }
        var node = scene.CreateNode(name);
        node.Mesh = mesh;
        node.LocalMatrix = transform;
    }

    static Accessor Accessor(ModelRoot model, Vector3[] data, DimensionType dimension)
    {
        var accessor = model.CreateAccessor();
        var view = model.UseBufferView(MemoryMarshal.AsBytes(data.AsSpan()).ToArray(), 0, null, 0, BufferMode.ARRAY_BUFFER);
        accessor.SetVertexData(view, 0, data.Length, new AttributeFormat(dimension));
        return accessor;
    }

    sealed class Part
    {
        public List<Vector3> Positions { get; } = [];
        public List<Vector3> Normals { get; } = [];
        public List<uint> Indices { get; } = [];
    }

    sealed class MeshData
    {
        public List<(Material Material, Part Part)> Parts { get; } = [];

        Part PartFor(Material material)
        {
            foreach (var (m, p) in Parts) if (m == material) return p;
            var part = new Part();
            Parts.Add((material, part));
            return part;
        }

        public void Quad(Material material, Vector3 a, Vector3 b, Vector3 c, Vector3 d)
        {
            var part = PartFor(material);
            var n = Vector3.Normalize(Vector3.Cross(b - a, c - a));
            uint i = (uint)part.Positions.Count;
            foreach (var p in new[] { a, b, c, d }) { part.Positions.Add(p); part.Normals.Add(n); }
            part.Indices.AddRange([i, i + 1, i + 2, i, i + 2, i + 3]);
        }

        public void Box(Material material, Vector3 half)
        {
            var (x, y, z) = (half.X, half.Y, half.Z);
            Quad(material, new(-x, -y, z), new(x, -y, z), new(x, y, z), new(-x, y, z));      // +z
            Quad(material, new(x, -y, -z), new(-x, -y, -z), new(-x, y, -z), new(x, y, -z));  // -z
            Quad(material, new(x, -y, z), new(x, -y, -z), new(x, y, -z), new(x, y, z));      // +x
            Quad(material, new(-x, -y, -z), new(-x, -y, z), new(-x, y, z), new(-x, y, -z));  // -x
            Quad(material, new(-x, y, z), new(x, y, z), new(x, y, -z), new(-x, y, -z));      // +y
            Quad(material, new(-x, -y, -z), new(x, -y, -z), new(x, -y, z), new(-x, -y, z));  // -y
        }

        public void Sphere(Material material, float radius, int segments, int rings)
        {
            var part = PartFor(material);
            uint first = (uint)part.Positions.Count;
            for (int r = 0; r <= rings; r++)
            {
                float theta = MathF.PI * r / rings;
                for (int s = 0; s <= segments; s++)
                {
                    float phi = 2 * MathF.PI * s / segments;
                    var n = new Vector3(MathF.Sin(theta) * MathF.Cos(phi), MathF.Cos(theta), -MathF.Sin(theta) * MathF.Sin(phi));
                    part.Positions.Add(n * radius);
                    part.Normals.Add(n);
                }
            }
            uint stride = (uint)segments + 1;
            for (uint r = 0; r < rings; r++)
                for (uint s = 0; s < segments; s++)
                {
                    uint a = first + r * stride + s, b = a + stride, c = b + 1, d = a + 1;
                    if (r != 0) part.Indices.AddRange([a, b, d]);
                    if (r != rings - 1) part.Indices.AddRange([d, b, c]);
                }
        }
    }
}
