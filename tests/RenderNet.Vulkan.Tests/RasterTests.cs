using RenderNet.Core.Gltf;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tests;
using RenderNet.Core.Tiles;
using Xunit.Abstractions;

namespace RenderNet.Vulkan.Tests;

/// <summary>The rasteriser: tiles equal the full frame bit for bit (MSAA on), and its silhouettes are the path tracer's.</summary>
[Collection("device")]
public class RasterTests(DeviceFixture gpu, ITestOutputHelper output)
{
    static FrameSettings Frame(Scene scene, int w, int h) => new() { Width = w, Height = h, Camera = scene.ResolveCamera(null) };

    [Theory]
    [InlineData(17, 13)]
    [InlineData(64, 64)]
    [InlineData(1, 75)]
    public void Tiles_equal_the_full_frame_bit_for_bit(int tileWidth, int tileHeight)
    {
        var scene = SceneBuilder.CornellBox();
        // A grey environment lights the walls through the ambient term; the ceiling light is emissive.
        var frame = Frame(scene, 100, 75) with { Background = new System.Numerics.Vector3(0.5f) };
        using var raster = new Rasterizer(gpu.Device, scene);
        var full = raster.RenderTile(frame, new TileRect(0, 0, 100, 75));
        if (Environment.GetEnvironmentVariable("RENDERNET_DUMP") is { } dump)
            Core.Imaging.ImageWriter.Write(new Core.Imaging.FloatImage(100, 75, full), dump, Core.Imaging.ImageFormat.Png8);
        var tiled = new float[full.Length];
        foreach (var tile in new TilePlan(100, 75, tileWidth, tileHeight).Tiles)
        {
            var pixels = raster.RenderTile(frame, tile);
            for (int y = 0; y < tile.Height; y++)
                Array.Copy(pixels, y * tile.Width * 4, tiled, ((tile.Y + y) * 100 + tile.X) * 4, tile.Width * 4);
        }
        Assert.Equal(0, gpu.Device.ValidationErrors);
        int differ = Enumerable.Range(0, full.Length).Count(i => BitConverter.SingleToInt32Bits(full[i]) != BitConverter.SingleToInt32Bits(tiled[i]));
        Assert.True(differ == 0, $"{differ} of {full.Length} values differ between the tiled and the full frame");
        // Not a blank frame: the walls and boxes are drawn with more than a handful of distinct colours.
        Assert.True(full.Chunk(4).Select(p => (p[0], p[1], p[2])).Distinct().Count() > 20, "a nearly blank frame proves little");
    }

    void AssertSilhouettesMatch(Scene scene, int width, int height)
    {
        var frame = Frame(scene, width, height);
        using var raster = new Rasterizer(gpu.Device, scene);
        var ids = raster.RenderIds(frame, new TileRect(0, 0, width, height));
        var traced = gpu.Render(scene, frame with { Output = RenderOutput.PrimaryHit }, tileSize: 32);
        int agree = 0, coveredBoth = 0, rasterOnly = 0, tracedOnly = 0, sameTriangle = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                bool r = ids[y * width + x] != 0, t = traced[x, y].R >= 0;
                if (r == t) agree++;
                if (r && t) { coveredBoth++; if (ids[y * width + x] - 1 == (uint)traced[x, y].R) sameTriangle++; }
                else if (r) rasterOnly++;
                else if (t) tracedOnly++;
            }
        int total = width * height;
        output.WriteLine($"{scene.Name}: coverage agrees on {agree}/{total} pixels ({rasterOnly} raster only, {tracedOnly} traced only); same triangle on {sameTriangle}/{coveredBoth}");
        Assert.True(coveredBoth > total / 20, "the camera sees almost nothing: the test would prove little");
        Assert.True(agree >= total * 0.995, $"{scene.Name}: coverage agrees on only {agree} of {total} pixels");
        Assert.True(sameTriangle >= coveredBoth * 0.99, $"{scene.Name}: the same triangle on only {sameTriangle} of {coveredBoth} covered pixels");
    }

    [Fact]
    public void Silhouettes_match_the_path_tracer_on_the_sample_scene() => AssertSilhouettesMatch(SceneBuilder.CornellBox(), 80, 60);

    [SharedGltfTheory]
    [InlineData("Duck.gltf")]
    [InlineData("OrientationTest.gltf")]
    [InlineData("BlenderLights.glb")]
    [InlineData("SimpleMeshes.gltf")]
    public void Silhouettes_match_the_path_tracer_on_Khronos_models(string file) =>
        AssertSilhouettesMatch(GltfSceneLoader.Load(SharedData.Gltf(file)), 64, 48);
}
