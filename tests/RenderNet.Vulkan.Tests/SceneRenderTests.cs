using RenderNet.Core.Acceleration;
using RenderNet.Core.Gltf;
using RenderNet.Core.Rendering;
using RenderNet.Core.Tests;

namespace RenderNet.Vulkan.Tests;

[Collection("device")]
public class SceneRenderTests(DeviceFixture gpu)
{
    [SharedGltfFact]
    public void Every_shared_model_renders_finite_non_trivial_pixels()
    {
        foreach (var file in Directory.EnumerateFiles(SharedData.GltfDir).Where(f => f.EndsWith(".gltf") || f.EndsWith(".glb")).Order())
        {
            var scene = GltfSceneLoader.Load(file);
            bool lit = scene.Lights.Count > 0 || scene.Materials.Any(m => m.IsEmissive);
            var frame = new FrameSettings
            {
                Width = 32, Height = 24, Camera = scene.ResolveCamera(null), SamplesPerPixel = 2, MaxBounces = 3,
                Background = lit ? default : System.Numerics.Vector3.One,
            };
            var image = gpu.Render(scene, frame, tileSize: 16);
            Assert.All(image.Pixels, p => Assert.True(float.IsFinite(p) && p >= 0, $"{file}: pixel value {p}"));
            Assert.True(image.Pixels.Distinct().Count() > 8, $"{Path.GetFileName(file)} rendered a flat image");
        }
    }

    [SharedGltfFact]
    public void Textures_reach_the_pixels()
    {
        // The textured and the untextured box differ only by the base-colour texture.
        var plain = GltfSceneLoader.Load(SharedData.Gltf("Box.gltf"));
        var textured = GltfSceneLoader.Load(SharedData.Gltf("BoxTextured.gltf"));
        var frame = new FrameSettings { Width = 48, Height = 48, Camera = textured.ResolveCamera(null), SamplesPerPixel = 4, MaxBounces = 1, Background = System.Numerics.Vector3.One };
        var image = gpu.Render(textured, frame);
        // A texture shows as many distinct colours across the faces; a flat material would give few.
        var colours = new HashSet<(float, float, float)>();
        for (int y = 0; y < 48; y++)
            for (int x = 0; x < 48; x++)
            {
                var (r, g, b, _) = image[x, y];
                if (r < 0.999f || g < 0.999f || b < 0.999f) colours.Add((MathF.Round(r, 2), MathF.Round(g, 2), MathF.Round(b, 2)));
            }
        Assert.True(colours.Count > 50, $"only {colours.Count} colours on the textured box");
        Assert.True(plain.Textures.Count == 0);
    }

    [Fact]
    public void A_scene_too_large_for_a_storage_buffer_is_refused_not_truncated()
    {
        var scene = SceneBuilder.CornellBox();
        var data = GpuSceneData.Pack(scene, BvhBuilder.Build(scene.Positions));
        long limit = (long)gpu.Device.Info.MaxStorageBufferRange;
        var huge = new GpuSceneData
        {
            TriVerts = new uint[limit / 4 + 16], TriShading = data.TriShading, Nodes = data.Nodes, Materials = data.Materials,
            Textures = data.Textures, Texels = data.Texels, Lights = data.Lights, LightTreeNodes = data.LightTreeNodes,
            LightCount = 0, EmissiveTriangleCount = 0, TriangleCount = (int)(limit / 48) + 1,
        };
        var ex = Assert.Throws<SceneTooLargeException>(() => new GpuScene(gpu.Device, huge));
        Assert.Contains("triangle vertices", ex.Message);
        Assert.Contains("per storage buffer", ex.Message);
    }

    [Fact]
    public void Device_reports_what_it_is()
    {
        var info = gpu.Device.Info;
        Assert.False(string.IsNullOrWhiteSpace(info.Name));
        Assert.Matches(@"^1\.\d+\.\d+$", info.ApiVersion);
        Assert.True(info.MaxStorageBufferRange >= 1 << 27);
    }
}
