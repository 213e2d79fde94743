using System.Numerics;
using RenderNet.Core.Acceleration;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Tiles;

namespace RenderNet.Vulkan.Tests;

/// <summary>Render passes: bit-exact from tiles like the beauty, and each one what its name says.</summary>
[Collection("device")]
public class RenderPassTests(DeviceFixture gpu)
{
    static readonly Lazy<Core.Scenes.Scene> Cornell = new(SceneBuilder.CornellBox);

    static FrameSettings Frame(int w, int h, int spp = 4, RenderPasses passes = RenderPasses.All) => new()
    {
        Width = w, Height = h, Camera = Cornell.Value.Cameras[0], SamplesPerPixel = spp, MaxBounces = 3, Seed = 11, Passes = passes,
    };

    RenderedFrame Render(FrameSettings frame, TilePlan plan) => LocalRender.RenderFrame(gpu.Device, Cornell.Value, frame, plan).Frame;

    static void AssertBitEqual(RenderedFrame a, RenderedFrame b, string what)
    {
        Assert.True(a.Beauty.BitEquals(b.Beauty), $"{what}: beauty differs");
        Assert.Equal(a.Passes.Count, b.Passes.Count);
        for (int i = 0; i < a.Passes.Count; i++)
            Assert.True(a.Passes[i].ContentHash() == b.Passes[i].ContentHash(), $"{what}: the {a.Passes[i].Info.Name} pass differs");
    }

    [Theory]
    [InlineData(17, 13)]
    [InlineData(1, 75)]
    [InlineData(60, 1)]
    public void Every_pass_reassembles_bit_for_bit_from_tiles(int tw, int th)
    {
        var frame = Frame(60, 45);
        var full = Render(frame, new TilePlan(60, 45, 60, 45));
        var tiled = Render(frame, new TilePlan(60, 45, tw, th));
        AssertBitEqual(full, tiled, $"{tw}x{th} tiles");
        Assert.Equal(RenderPassLayout.All.Count, full.Passes.Count);
        // Not trivially constant (the sample Cornell box is one glTF node: its object pass is the one exception).
        foreach (var pass in full.Passes.Where(p => p.Info.Pass != RenderPasses.ObjectId))
            Assert.True(pass.Values.Distinct().Count() > 3, $"the {pass.Info.Name} pass is (nearly) constant");
    }

    [Fact]
    public void Passes_do_not_depend_on_sample_batches_or_change_the_beauty()
    {
        var scene = Cornell.Value;
        var frame = Frame(24, 20, spp: 6);
        var tile = new TileRect(3, 2, 20, 15);
        using var gpuScene = new GpuScene(gpu.Device, scene, BvhBuilder.Build(scene.Positions));
        using var whole = new PathTracer(gpu.Device, gpuScene) { TargetDispatchSeconds = 100 };
        using var single = new PathTracer(gpu.Device, gpuScene) { TargetDispatchSeconds = 100, MaxSamplesPerDispatch = 1 };
        var a = whole.RenderTile(frame, tile);
        var b = single.RenderTile(frame, tile);
        Assert.Equal(a, b);
        Assert.Equal(tile.PixelCount * frame.FloatsPerPixel, a.Length);
        var plain = whole.RenderTile(frame with { Passes = RenderPasses.None }, tile);
        Assert.Equal(plain, a[..(tile.PixelCount * 4)]);
    }

    [Fact]
    public void Passes_mean_what_they_say()
    {
        var scene = Cornell.Value;
        var frame = Frame(48, 36, spp: 8);
        var plan = new TilePlan(48, 36, 16, 16);
        var rendered = Render(frame, plan);
        var hits = LocalRender.Render(gpu.Device, scene, frame with { Output = RenderOutput.PrimaryHit, Passes = RenderPasses.None }, plan).Image;
        var albedo = rendered.Pass(RenderPasses.Albedo)!.Values;
        var normal = rendered.Pass(RenderPasses.Normal)!.Values;
        var depth = rendered.Pass(RenderPasses.Depth)!.Values;
        var position = rendered.Pass(RenderPasses.Position)!.Values;
        var material = rendered.Pass(RenderPasses.MaterialId)!.Values;
        var objectId = rendered.Pass(RenderPasses.ObjectId)!.Values;
        var emission = rendered.Pass(RenderPasses.Emission)!.Values;
        var direct = rendered.Pass(RenderPasses.Direct)!.Values;
        var indirect = rendered.Pass(RenderPasses.Indirect)!.Values;
        var beauty = rendered.Beauty.Pixels;
        var rays = CameraRays.For(frame.Camera, frame.Width, frame.Height);
        int interior = 0;
        for (int p = 0; p < frame.Width * frame.Height; p++)
        {
            int triangle = (int)hits.Pixels[4 * p];
            Assert.True(triangle >= 0, "the Cornell box is closed: every centre ray hits");
            // Ids and depth come from the same centre ray the primary-hit render traces.
            Assert.Equal(scene.MaterialIds[triangle], material[p]);
            Assert.Equal(scene.ObjectIds![triangle], objectId[p]);
            Assert.Equal(hits.Pixels[4 * p + 1], depth[p], 3);
            var pos = new Vector3(position[3 * p], position[3 * p + 1], position[3 * p + 2]);
            Assert.Equal(depth[p], Vector3.Distance(pos, rays.Position), 2);
            // The light splits into the three passes.
            for (int c = 0; c < 3; c++)
                Assert.Equal(beauty[4 * p + c], emission[3 * p + c] + direct[3 * p + c] + indirect[3 * p + c], 4);
            // Where every jittered sample sees the same matte surface, albedo is its base colour and the normal is unit.
            int x = p % frame.Width, y = p / frame.Width;
            bool sameAround = x > 0 && y > 0 && x < frame.Width - 1 && y < frame.Height - 1 &&
                new[] { p - 1, p + 1, p - frame.Width, p + frame.Width }.All(q => scene.MaterialIds[(int)hits.Pixels[4 * q]] == scene.MaterialIds[triangle]);
            if (!sameAround) continue;
            var baseColor = scene.Materials[scene.MaterialIds[triangle]].BaseColorFactor;
            if (scene.Materials[scene.MaterialIds[triangle]].BaseColorTexture >= 0) continue;
            interior++;
            Assert.Equal(baseColor.X, albedo[3 * p], 4);
            Assert.Equal(baseColor.Y, albedo[3 * p + 1], 4);
            Assert.Equal(baseColor.Z, albedo[3 * p + 2], 4);
        }
        Assert.True(interior > frame.Width * frame.Height / 2, $"only {interior} interior pixels were checked");
        // The light itself shows up in emission, nowhere else is emission non-zero but on the lamp.
        Assert.Contains(emission, v => v > 1);
        Assert.True(direct.Sum() > indirect.Sum(), "a Cornell box with 3 bounces gets most of its light directly");
    }

    [Fact]
    public void Variance_is_the_variance_of_the_mean_and_falls_with_more_samples()
    {
        double MeanVariance(int spp) => Render(Frame(32, 24, spp, RenderPasses.Variance), new TilePlan(32, 24, 32, 24))
            .Pass(RenderPasses.Variance)!.Values.Average();
        double v8 = MeanVariance(8), v64 = MeanVariance(64);
        Assert.True(v8 > 0);
        Assert.InRange(v8 / v64, 4, 16);   // 1/n: 8x the samples, about 1/8 the variance
    }

    [Fact]
    public void Passes_need_the_path_tracer()
    {
        var e = Assert.Throws<ArgumentException>(() => (Frame(8, 8) with { Mode = RenderMode.Raster }).Validate());
        Assert.Equal("render passes (albedo,normal,depth,position,object,material,emission,direct,indirect,variance) need the path tracer's radiance output, not the rasteriser", e.Message);
        var unknown = Assert.Throws<ArgumentException>(() => (Frame(8, 8) with { Passes = (RenderPasses)4096 }).Validate());
        Assert.StartsWith("render passes 0x1000 include unknown passes", unknown.Message);
    }
}
