using System.Numerics;

namespace RenderNet.Core.Scenes;

/// <summary>
/// A render-ready scene: all triangles flattened to world space (struct of arrays, three entries per triangle),
/// materials, textures, lights and cameras. Immutable once built; the BVH and device buffers derive from it.
/// </summary>
public sealed class Scene
{
    public required string Name { get; init; }
    /// <summary>World-space corners, 3 per triangle, counter-clockwise = front face.</summary>
    public required Vector3[] Positions { get; init; }
    /// <summary>World-space unit normals, 3 per triangle.</summary>
    public required Vector3[] Normals { get; init; }
    /// <summary>TEXCOORD_0, 3 per triangle (zero when the primitive has none).</summary>
    public required Vector2[] TexCoords { get; init; }
    /// <summary>COLOR_0 as linear RGBA8 (R in the low byte), 3 per triangle; white when absent.</summary>
    public required uint[] Colors { get; init; }
    /// <summary>Index into <see cref="Materials"/>, 1 per triangle.</summary>
    public required int[] MaterialIds { get; init; }
    /// <summary>The object each triangle belongs to (the glTF node index of its mesh), 1 per triangle; null: not known (every triangle is object 0).</summary>
    public int[]? ObjectIds { get; init; }
    public required IReadOnlyList<PbrMaterial> Materials { get; init; }
    public required IReadOnlyList<SceneTexture> Textures { get; init; }
    public required IReadOnlyList<PunctualLight> Lights { get; init; }
    public required IReadOnlyList<SceneCamera> Cameras { get; init; }
    /// <summary>Features of the source file that the renderer does not reproduce.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public int TriangleCount => MaterialIds.Length;

    public (Vector3 Min, Vector3 Max) Bounds()
    {
        var min = new Vector3(float.PositiveInfinity);
        var max = new Vector3(float.NegativeInfinity);
        foreach (var p in Positions) { min = Vector3.Min(min, p); max = Vector3.Max(max, p); }
        return (min, max);
    }

    /// <summary>
    /// Picks a camera by index or name; null or empty gives the first camera, or an automatic framing camera
    /// when the scene has none.
    /// </summary>
    public SceneCamera ResolveCamera(string? selector)
    {
        if (string.IsNullOrEmpty(selector))
        {
            if (Cameras.Count > 0) return Cameras[0];
            var (min, max) = Bounds();
            return SceneCamera.Framing(min, max);
        }
        if (int.TryParse(selector, out int index))
        {
            if (index >= 0 && index < Cameras.Count) return Cameras[index];
            throw new SceneException($"camera index {index} is out of range: the scene has {Cameras.Count} camera(s)");
        }
        return Cameras.FirstOrDefault(c => c.Name == selector)
            ?? throw new SceneException($"no camera named '{selector}'; cameras: {(Cameras.Count == 0 ? "none" : string.Join(", ", Cameras.Select(c => $"'{c.Name}'")))}");
    }
}
