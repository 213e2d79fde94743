using RenderNet.Core.Gltf;
using RenderNet.Core.Scenes;

namespace RenderNet.Core.Tests;

/// <summary>Security review N-1: scene bombs are refused from their JSON, before anything is decoded or allocated.</summary>
public class SceneBudgetTests
{
    [Fact]
    public void N1_a_deep_hierarchy_is_refused_by_depth()
    {
        var glb = GltfBombs.DeepChain(3000); // ~100 KB: 25 s of CPU in the old recursive loader, and a stack overflow deeper
        Assert.InRange(glb.Length, 50_000, 150_000);
        var ex = Assert.Throws<SceneException>(() => GltfSceneLoader.LoadGlb(glb, "deep.glb"));
        Assert.Equal("'deep.glb' is refused: its node hierarchy is more than 256 levels deep", ex.Message);
    }

    [Fact]
    public void N1_a_deep_hierarchy_within_a_raised_budget_loads_iteratively_with_exact_transforms()
    {
        // Our traversal is iterative, but SharpGLTF's own validation recurses once per level: this is why the default
        // depth stays at 256, and why this 3000-level load gets a 16 MiB stack.
        Scene? scene = null;
        var thread = new Thread(() => scene = GltfSceneLoader.LoadGlb(GltfBombs.DeepChain(3000), "deep.glb", budget: new SceneBudget { MaxDepth = 5000 }), 16 << 20);
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromMinutes(2)));
        Assert.NotNull(scene);
        Assert.Equal(1, scene!.TriangleCount);
        // The leaf's triangle sits 3000 × 0.001 along x: each world matrix is its parent's times its own.
        Assert.Equal(3.0f, scene.Positions[0].X, 2);
        Assert.Equal(4.0f, scene.Positions[1].X, 2);
    }

    [Fact]
    public void N1_an_instancing_bomb_is_refused_by_its_triangle_count_after_instancing()
    {
        var glb = GltfBombs.Instancing(100_000, 2000); // 200 M triangles (≥ 20 GiB flattened) from about 1.2 MB
        var ex = Assert.Throws<SceneException>(() => GltfSceneLoader.LoadGlb(glb, "instances.glb"));
        Assert.Equal("'instances.glb' is refused: it instances more than 16,000,000 triangles", ex.Message);
        var totals = new SceneBudget { MaxTriangles = long.MaxValue }.Check(glb, "instances.glb");
        Assert.Equal(200_000_000, totals.Triangles);
        Assert.Equal(100_000, totals.Nodes);
    }

    [Fact]
    public void N1_a_texture_that_decodes_to_gigabytes_is_refused_from_its_header()
    {
        var glb = GltfBombs.HugeTexture(40_000); // a few hundred bytes; 1.6 G texels ≈ 6.4 GiB as RGBA
        Assert.True(glb.Length < 2000);
        var ex = Assert.Throws<SceneException>(() => GltfSceneLoader.LoadGlb(glb, "texture.glb"));
        Assert.Equal("'texture.glb' is refused: image 0 is 40000x40000 (limit 16384 on a side)", ex.Message);
    }

    [Fact]
    public void Ordinary_scenes_are_well_inside_the_budget()
    {
        var glb = Samples.CornellBox.Build().WriteGLB().ToArray();
        var totals = SceneBudget.Default.Check(glb, "cornell.glb");
        Assert.Equal(GltfSceneLoader.LoadGlb(glb, "cornell.glb").TriangleCount, totals.Triangles);
    }

    [Fact]
    public void Truncated_and_foreign_files_get_one_clear_line()
    {
        var glb = Samples.CornellBox.Build().WriteGLB().ToArray();
        Assert.Equal("'cut.glb' is not a readable glTF 2.0 file: it is truncated (its header says " + glb.Length.ToString("N0") + " bytes, there are 100)",
            Assert.Throws<SceneException>(() => GltfSceneLoader.LoadGlb(glb.AsMemory(0, 100), "cut.glb")).Message);
        Assert.Equal("'text.glb' is not a readable glTF 2.0 file: it has no glTF binary header",
            Assert.Throws<SceneException>(() => GltfSceneLoader.LoadGlb("hello, this is not a model"u8.ToArray(), "text.glb")).Message);
    }
}
