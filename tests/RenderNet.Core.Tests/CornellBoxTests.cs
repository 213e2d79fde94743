using System.Numerics;
using RenderNet.Core.Gltf;
using RenderNet.Core.Samples;

namespace RenderNet.Core.Tests;

public class CornellBoxTests
{
    [Fact]
    public void The_shipped_glb_is_what_the_code_writes()
    {
        string shipped = Path.Combine(SharedData.RepoRoot, "samples", CornellBox.FileName);
        string fresh = Path.Combine(Path.GetTempPath(), $"cornell-{Guid.NewGuid():N}.glb");
        try
        {
            CornellBox.Write(fresh);
            Assert.True(File.ReadAllBytes(shipped).SequenceEqual(File.ReadAllBytes(fresh)),
                "samples/cornell-box.glb is stale: regenerate it with `rendernet sample-scene samples/cornell-box.glb`");
        }
        finally { File.Delete(fresh); }
    }

    [Fact]
    public void Room_has_the_promised_materials_camera_and_light()
    {
        var scene = GltfSceneLoader.Load(Path.Combine(SharedData.RepoRoot, "samples", CornellBox.FileName));
        Assert.Empty(scene.Warnings);
        var light = Assert.Single(scene.Materials, m => m.IsEmissive);
        Assert.Equal(14f, light.Emissive.X, 4); // KHR_materials_emissive_strength applied
        Assert.Contains(scene.Materials, m => m.Name == "Metal" && m.MetallicFactor == 1f);
        Assert.Contains(scene.Materials, m => m.Name == "Red" && m.BaseColorFactor.X > m.BaseColorFactor.Y);
        Assert.Equal("Front", Assert.Single(scene.Cameras).Name);

        // Every shading normal agrees with its triangle's winding: front faces are the visible sides.
        for (int t = 0; t < scene.TriangleCount; t++)
        {
            var face = Vector3.Cross(scene.Positions[3 * t + 1] - scene.Positions[3 * t], scene.Positions[3 * t + 2] - scene.Positions[3 * t]);
            Assert.True(Vector3.Dot(face, scene.Normals[3 * t]) > 0, $"triangle {t} is wound against its normal");
        }
        // The lamp faces down into the room.
        int lampIndex = scene.Materials.ToList().IndexOf(light);
        int lampTri = Array.IndexOf(scene.MaterialIds, lampIndex);
        Assert.True(scene.Normals[3 * lampTri].Y < -0.99f);
        // The sphere node's transform is applied: its triangles centre on (0.5, 0.33, -0.05).
        int metal = scene.Materials.ToList().FindIndex(m => m.Name == "Metal");
        var pts = Enumerable.Range(0, scene.TriangleCount).Where(t => scene.MaterialIds[t] == metal).SelectMany(t => scene.Positions.Skip(3 * t).Take(3)).ToList();
        var centre = (pts.Aggregate(Vector3.Min) + pts.Aggregate(Vector3.Max)) / 2;
        Assert.True(Vector3.Distance(centre, new Vector3(0.5f, 0.33f, -0.05f)) < 1e-3f, $"sphere centre {centre}");
    }
}
