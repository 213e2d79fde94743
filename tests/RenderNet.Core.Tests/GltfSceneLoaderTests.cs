using System.Numerics;
using RenderNet.Core.Gltf;
using RenderNet.Core.Scenes;

namespace RenderNet.Core.Tests;

public class GltfSceneLoaderTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-gltf").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    string Write(string name, string json)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    [SharedGltfTheory]
    [InlineData("Box.gltf", 12)]
    [InlineData("BoxTextured.gltf", 12)]
    [InlineData("BoxVertexColors.gltf", 12)]
    [InlineData("Triangle.gltf", 1)]
    [InlineData("TriangleWithoutIndices.gltf", 1)]
    [InlineData("SimpleMeshes.gltf", 2)]
    [InlineData("Duck.gltf", 4212)]
    public void Khronos_models_load_with_every_triangle(string file, int triangles)
    {
        var scene = GltfSceneLoader.Load(SharedData.Gltf(file));
        Assert.Equal(triangles, scene.TriangleCount);
        Assert.Equal(3 * triangles, scene.Positions.Length);
        Assert.All(scene.Normals, n => Assert.InRange(n.Length(), 0.999f, 1.001f));
    }

    [SharedGltfFact]
    public void Every_shared_model_loads()
    {
        foreach (var file in Directory.EnumerateFiles(SharedData.GltfDir).Where(f => f.EndsWith(".gltf") || f.EndsWith(".glb")))
        {
            var scene = GltfSceneLoader.Load(file);
            Assert.True(scene.TriangleCount > 0, file);
        }
    }

    [SharedGltfFact]
    public void Missing_normals_become_flat_normals()
    {
        var scene = GltfSceneLoader.Load(SharedData.Gltf("Triangle.gltf"));
        var face = Vector3.Normalize(Vector3.Cross(scene.Positions[1] - scene.Positions[0], scene.Positions[2] - scene.Positions[0]));
        Assert.All(scene.Normals, n => Assert.Equal(face, n));
    }

    [SharedGltfFact]
    public void Textures_are_decoded_with_their_colour_space_and_wrap_mode()
    {
        var scene = GltfSceneLoader.Load(SharedData.Gltf("BoxTextured.gltf"));
        var tex = Assert.Single(scene.Textures);
        Assert.True(tex.IsSrgb);
        Assert.Equal(TextureWrap.Repeat, tex.WrapS);
        Assert.Equal(tex.Width * tex.Height, tex.Texels.Length);
        Assert.True(tex.Texels.Distinct().Count() > 10, "texture decoded to a flat colour");
        Assert.Equal(0, scene.Materials[0].BaseColorTexture);
        Assert.Contains(scene.TexCoords, uv => uv != Vector2.Zero);
    }

    [SharedGltfFact]
    public void Vertex_colours_are_kept()
    {
        var scene = GltfSceneLoader.Load(SharedData.Gltf("BoxVertexColors.gltf"));
        Assert.True(scene.Colors.Distinct().Count() > 1);
    }

    [SharedGltfFact]
    public void Cameras_keep_their_projection()
    {
        var scene = GltfSceneLoader.Load(SharedData.Gltf("Cameras.gltf"));
        Assert.Equal(2, scene.Cameras.Count);
        var persp = scene.Cameras[0];
        Assert.Equal(ProjectionKind.Perspective, persp.Projection);
        Assert.Equal(0.7f, persp.YFov, 5);
        // A real perspective matrix: w' = -z (SharpGLTF's own Matrix would be orthographic here).
        var m = persp.ProjectionMatrix(1.0f);
        Assert.Equal(-1f, m.M34);
        Assert.Equal(1f / MathF.Tan(0.35f), m.M22, 4);
        var ortho = scene.Cameras[1];
        Assert.Equal(ProjectionKind.Orthographic, ortho.Projection);
        Assert.Equal(1f, ortho.YMag);
        Assert.Equal(0f, ortho.ProjectionMatrix(1f).M34);
        Assert.Same(ortho, scene.ResolveCamera("1"));
    }

    [SharedGltfFact]
    public void Punctual_lights_are_read_in_world_space()
    {
        var scene = GltfSceneLoader.Load(SharedData.Gltf("BlenderLights.glb"));
        Assert.Contains(scene.Lights, l => l.Kind == LightKind.Directional);
        Assert.Contains(scene.Lights, l => l.Kind == LightKind.Spot && l.OuterConeAngle > l.InnerConeAngle);
        Assert.Contains(scene.Lights, l => l.Kind == LightKind.Point);
        Assert.All(scene.Lights, l => Assert.InRange(l.Direction.Length(), 0.999f, 1.001f));
        Assert.All(scene.Lights, l => Assert.True(l.Intensity > 0));
        Assert.Single(scene.Cameras);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var ex = Assert.Throws<SceneException>(() => GltfSceneLoader.Load(Path.Combine(dir, "nope.glb")));
        Assert.Contains("nope.glb", ex.Message);
        Assert.Contains("does not exist", ex.Message);
    }

    [Fact]
    public void A_corrupt_file_is_refused_with_its_name()
    {
        string path = Path.Combine(dir, "corrupt.glb");
        File.WriteAllBytes(path, [0x67, 0x6C, 0x54, 0x46, 2, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3]);
        var ex = Assert.Throws<SceneException>(() => GltfSceneLoader.Load(path));
        Assert.Contains("corrupt.glb", ex.Message);
        Assert.Contains("not a readable glTF", ex.Message);

        string json = Write("broken.gltf", "{ \"asset\": { \"version\": \"2.0\" }, \"scenes\": [ ");
        Assert.Throws<SceneException>(() => GltfSceneLoader.Load(json));
    }

    [Fact]
    public void A_scene_without_triangles_is_refused()
    {
        string path = Write("empty.gltf", """{"asset":{"version":"2.0"},"scene":0,"scenes":[{"nodes":[0]}],"nodes":[{"name":"nothing"}]}""");
        var ex = Assert.Throws<SceneException>(() => GltfSceneLoader.Load(path));
        Assert.Contains("contains no triangles", ex.Message);
    }

    [Fact]
    public void Unsupported_features_are_listed_as_warnings()
    {
        string path = Write("iridescence.gltf", """
            {"asset":{"version":"2.0"},"extensionsUsed":["KHR_materials_iridescence"],"scene":0,"scenes":[{"nodes":[0]}],
             "nodes":[{"mesh":0}],
             "meshes":[{"primitives":[{"attributes":{"POSITION":0},"mode":1}]}],
             "buffers":[{"byteLength":36,"uri":"data:application/octet-stream;base64,AAAAAAAAAAAAAAAAAACAPwAAAAAAAAAAAAAAAAAAgD8AAAAA"}],
             "bufferViews":[{"buffer":0,"byteLength":36}],
             "accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]}]}
            """);
        var ex = Assert.Throws<SceneException>(() => GltfSceneLoader.Load(path));
        Assert.Contains("no triangles", ex.Message);

        string ok = Write("ok.gltf", """
            {"asset":{"version":"2.0"},"extensionsUsed":["KHR_materials_iridescence"],"scene":0,"scenes":[{"nodes":[0]}],
             "nodes":[{"mesh":0}],
             "meshes":[{"primitives":[{"attributes":{"POSITION":0}},{"attributes":{"POSITION":0},"mode":1}]}],
             "buffers":[{"byteLength":36,"uri":"data:application/octet-stream;base64,AAAAAAAAAAAAAAAAAACAPwAAAAAAAAAAAAAAAAAAgD8AAAAA"}],
             "bufferViews":[{"buffer":0,"byteLength":36}],
             "accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]}]}
            """);
        var scene = GltfSceneLoader.Load(ok);
        Assert.Equal(1, scene.TriangleCount);
        Assert.Contains(scene.Warnings, w => w.Contains("KHR_materials_iridescence"));
        Assert.Contains(scene.Warnings, w => w.Contains("LINES"));
    }

    [Fact]
    public void Node_hierarchy_transforms_reach_world_space()
    {
        // Parent translates by (10,0,0) and scales by 2; child translates by (0,1,0) in the parent's space.
        string path = Write("hierarchy.gltf", """
            {"asset":{"version":"2.0"},"scene":0,"scenes":[{"nodes":[0]}],
             "nodes":[{"translation":[10,0,0],"scale":[2,2,2],"children":[1]},{"translation":[0,1,0],"mesh":0}],
             "meshes":[{"primitives":[{"attributes":{"POSITION":0}}]}],
             "buffers":[{"byteLength":36,"uri":"data:application/octet-stream;base64,AAAAAAAAAAAAAAAAAACAPwAAAAAAAAAAAAAAAAAAgD8AAAAA"}],
             "bufferViews":[{"buffer":0,"byteLength":36}],
             "accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]}]}
            """);
        var scene = GltfSceneLoader.Load(path);
        Assert.Equal(new Vector3(10, 2, 0), scene.Positions[0]);
        Assert.Equal(new Vector3(12, 2, 0), scene.Positions[1]);
        Assert.Equal(new Vector3(10, 4, 0), scene.Positions[2]);
    }

    [Fact]
    public void Mirroring_transforms_keep_front_faces_facing_out()
    {
        string path = Write("mirror.gltf", """
            {"asset":{"version":"2.0"},"scene":0,"scenes":[{"nodes":[0]}],
             "nodes":[{"scale":[-1,1,1],"mesh":0}],
             "meshes":[{"primitives":[{"attributes":{"POSITION":0}}]}],
             "buffers":[{"byteLength":36,"uri":"data:application/octet-stream;base64,AAAAAAAAAAAAAAAAAACAPwAAAAAAAAAAAAAAAAAAgD8AAAAA"}],
             "bufferViews":[{"buffer":0,"byteLength":36}],
             "accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]}]}
            """);
        var scene = GltfSceneLoader.Load(path);
        var face = Vector3.Cross(scene.Positions[1] - scene.Positions[0], scene.Positions[2] - scene.Positions[0]);
        Assert.True(face.Z > 0, "a mirrored triangle must keep +z as its front side");
    }

    [Fact]
    public void Camera_selection_errors_name_the_choices()
    {
        var scene = GltfSceneLoader.Load(Samples.CornellBox.Build(), "cornell");
        Assert.Equal("Front", scene.ResolveCamera(null).Name);
        Assert.Equal("Front", scene.ResolveCamera("Front").Name);
        Assert.Contains("'Front'", Assert.Throws<SceneException>(() => scene.ResolveCamera("Side")).Message);
        Assert.Contains("out of range", Assert.Throws<SceneException>(() => scene.ResolveCamera("3")).Message);
    }
}
