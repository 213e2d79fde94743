using System.Numerics;
using RenderNet.Core.Gltf;
using RenderNet.Core.Samples;
using RenderNet.Core.Scenes;

namespace RenderNet.Vulkan.Tests;

/// <summary>Small scenes with known answers, built directly as <see cref="Scene"/>s.</summary>
public sealed class SceneBuilder
{
    readonly List<Vector3> positions = [], normals = [];
    readonly List<Vector2> texCoords = [];
    readonly List<int> materialIds = [];
    public List<SceneTexture> Textures { get; } = [];
    public List<PbrMaterial> Materials { get; } = [];
    public List<PunctualLight> Lights { get; } = [];
    public List<SceneCamera> Cameras { get; } = [];

    public int AddMaterial(PbrMaterial m) { Materials.Add(m); return Materials.Count - 1; }

    public void Triangle(int material, Vector3 a, Vector3 b, Vector3 c, Vector3? na = null, Vector3? nb = null, Vector3? nc = null)
    {
        var face = Vector3.Normalize(Vector3.Cross(b - a, c - a));
        positions.AddRange([a, b, c]);
        normals.AddRange([na ?? face, nb ?? face, nc ?? face]);
        texCoords.AddRange([Vector2.Zero, Vector2.Zero, Vector2.Zero]);
        materialIds.Add(material);
    }

    /// <summary>Sets the texture coordinates of the last triangle added.</summary>
    public void WithUv(Vector2 a, Vector2 b, Vector2 c)
    {
        int n = texCoords.Count;
        texCoords[n - 3] = a; texCoords[n - 2] = b; texCoords[n - 1] = c;
    }

    /// <summary>Quad a-b-c-d, counter-clockwise seen from its front.</summary>
    public void Quad(int material, Vector3 a, Vector3 b, Vector3 c, Vector3 d)
    {
        Triangle(material, a, b, c);
        Triangle(material, a, c, d);
    }

    public void Sphere(int material, Vector3 centre, float radius, int segments = 64, int rings = 32)
    {
        Vector3 P(int r, int s)
        {
            float theta = MathF.PI * r / rings, phi = 2 * MathF.PI * s / segments;
            return new Vector3(MathF.Sin(theta) * MathF.Cos(phi), MathF.Cos(theta), -MathF.Sin(theta) * MathF.Sin(phi));
        }
        for (int r = 0; r < rings; r++)
            for (int s = 0; s < segments; s++)
            {
                Vector3 a = P(r, s), b = P(r + 1, s), c = P(r + 1, s + 1), d = P(r, s + 1);
                if (r != 0) Triangle(material, centre + a * radius, centre + b * radius, centre + d * radius, a, b, d);
                if (r != rings - 1) Triangle(material, centre + d * radius, centre + b * radius, centre + c * radius, d, b, c);
            }
    }

    public Scene Build(string name = "test") => new()
    {
        Name = name,
        Positions = positions.ToArray(),
        Normals = normals.ToArray(),
        TexCoords = texCoords.ToArray(),
        Colors = Enumerable.Repeat(0xFFFFFFFFu, positions.Count).ToArray(),
        MaterialIds = materialIds.ToArray(),
        Materials = Materials,
        Textures = Textures,
        Lights = Lights,
        Cameras = Cameras,
    };

    public static SceneCamera LookDown(Vector3 eye, float halfExtent) =>
        new("ortho", Matrix4x4.CreateRotationX(-MathF.PI / 2) * Matrix4x4.CreateTranslation(eye),
            ProjectionKind.Orthographic, 0, null, 0.01f, 100f, halfExtent, halfExtent);

    public static Scene CornellBox() => GltfSceneLoader.Load(Core.Samples.CornellBox.Build(), Core.Samples.CornellBox.FileName);
}
