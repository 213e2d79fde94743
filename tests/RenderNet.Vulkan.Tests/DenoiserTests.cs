using RenderNet.Core.Denoising;
using RenderNet.Core.Gltf;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tests;
using RenderNet.Core.Tiles;

namespace RenderNet.Vulkan.Tests;

/// <summary>
/// The denoiser: the same bits on the Vulkan device and the CPU, closer to a converged reference than the noisy frame,
/// and no seams at tile borders.
/// </summary>
[Collection("device")]
public class DenoiserTests(DeviceFixture gpu)
{
    static readonly Lazy<Scene> Cornell = new(SceneBuilder.CornellBox);
    const RenderPasses Guides = DenoiseInput.RequiredPasses | RenderPasses.Emission;

    static FrameSettings Frame(Scene scene, int w, int h, int spp) => new()
    {
        Width = w, Height = h, Camera = scene.Cameras[0], SamplesPerPixel = spp, MaxBounces = 4, Seed = 3, Passes = Guides,
    };

    RenderedFrame Render(Scene scene, FrameSettings frame, int tile = 32) =>
        LocalRender.RenderFrame(gpu.Device, scene, frame, new TilePlan(frame.Width, frame.Height, tile)).Frame;

    /// <summary>PSNR (dB) over RGB with values clamped to [0, 1] (peak 1): display-range error.</summary>
    internal static double Psnr(FloatImage a, FloatImage b) => 10 * Math.Log10(1 / Mse(a, b, _ => true));

    static double Mse(FloatImage a, FloatImage b, Func<int, bool> include)
    {
        double sum = 0; long n = 0;
        for (int p = 0; p < a.Width * a.Height; p++)
        {
            if (!include(p)) continue;
            for (int c = 0; c < 3; c++)
            {
                double d = Math.Clamp(a.Pixels[4 * p + c], 0, 1) - Math.Clamp(b.Pixels[4 * p + c], 0, 1);
                sum += d * d; n++;
            }
        }
        return sum / n;
    }

    [Fact]
    public void The_device_and_the_cpu_give_the_same_bits()
    {
        var frame = Render(Cornell.Value, Frame(Cornell.Value, 53, 41, 4));   // odd size: partial workgroups
        var onDevice = new VulkanDenoiser(gpu.Device).Denoise(frame);
        var onCpu = new CpuDenoiser().Denoise(frame);
        Assert.True(onDevice.BitEquals(onCpu), "the Vulkan denoiser and the CPU denoiser disagree");
        Assert.False(onDevice.BitEquals(frame.Beauty));
        Assert.Equal(0, gpu.Device.ValidationErrors);
    }

    [Fact]
    public void A_denoised_16_spp_frame_is_closer_to_1024_spp_than_the_noisy_one()
    {
        var scene = Cornell.Value;
        var reference = Render(scene, Frame(scene, 64, 48, 1024) with { Passes = RenderPasses.None }).Beauty;
        var noisy = Render(scene, Frame(scene, 64, 48, 16));
        var denoised = new VulkanDenoiser(gpu.Device).Denoise(noisy);
        double before = Psnr(noisy.Beauty, reference), after = Psnr(denoised, reference);
        Assert.True(after >= before + DenoiseMargin, $"PSNR vs 1024 spp: noisy {before:F2} dB, denoised {after:F2} dB (want +{DenoiseMargin} dB)");
    }

    const double DenoiseMargin = 3.0;

    [SharedGltfFact]
    public void A_blender_exported_scene_denoises_closer_to_its_reference()
    {
        var scene = GltfSceneLoader.Load(SharedData.Gltf("BlenderLights.glb"));
        var reference = Render(scene, Frame(scene, 64, 48, 1024) with { Passes = RenderPasses.None }).Beauty;
        var noisy = Render(scene, Frame(scene, 64, 48, 16));
        var denoised = new CpuDenoiser().Denoise(noisy);
        double before = Psnr(noisy.Beauty, reference), after = Psnr(denoised, reference);
        Assert.True(after >= before + DenoiseMargin, $"PSNR vs 1024 spp: noisy {before:F2} dB, denoised {after:F2} dB (want +{DenoiseMargin} dB)");
    }

    [Fact]
    public void There_is_no_seam_at_tile_borders()
    {
        // The error on the pixel lines either side of the tile borders is no larger than on the same lines shifted by
        // other offsets (grids the tiles never had). The filter run tile by tile (what a node could do alone)
        // fails this: its borders are the worst lines, which shows the check can fail.
        var scene = Cornell.Value;
        const int Tile = 13;   // a size the room's symmetric edges do not line up with
        const int W = 64, H = 48;
        var reference = Render(scene, Frame(scene, W, H, 512) with { Passes = RenderPasses.None }).Beauty;
        var noisy = Render(scene, Frame(scene, W, H, 16), Tile);
        var denoiser = new VulkanDenoiser(gpu.Device);
        var whole = denoiser.Denoise(noisy);
        var perTile = new FrameAssembler(W, H);
        foreach (var tile in new TilePlan(W, H, Tile).Tiles)
            perTile.Place(tile, denoiser.Denoise(Crop(noisy, tile)).Pixels);

        // A seam is a jump between neighbours that the reference does not have: the error of the step across
        // each pair of pixels on either side of a grid line, over the grid of tile borders and every shifted grid.
        double StepError(FloatImage image, int offset)
        {
            double sum = 0; int n = 0;
            void Pair(int a, int b)
            {
                for (int c = 0; c < 3; c++)
                {
                    double step = Math.Clamp(image.Pixels[4 * b + c], 0, 1) - Math.Clamp(image.Pixels[4 * a + c], 0, 1);
                    double truth = Math.Clamp(reference.Pixels[4 * b + c], 0, 1) - Math.Clamp(reference.Pixels[4 * a + c], 0, 1);
                    sum += (step - truth) * (step - truth); n++;
                }
            }
            for (int x = offset == 0 ? Tile : offset; x < W; x += Tile) for (int y = 0; y < H; y++) Pair(y * W + x - 1, y * W + x);
            for (int y = offset == 0 ? Tile : offset; y < H; y += Tile) for (int x = 0; x < W; x++) Pair((y - 1) * W + x, y * W + x);
            return sum / n;
        }
        // The typical grid: the median over the shifted grids (single lines vary with what the picture has there).
        double Typical(FloatImage image)
        {
            var errors = Enumerable.Range(1, Tile - 1).Select(o => StepError(image, o)).Order().ToArray();
            return errors[errors.Length / 2];
        }
        double atBorders = StepError(whole, 0), typical = Typical(whole);
        Assert.True(atBorders <= 1.25 * typical, $"full-frame denoising: step error at tile borders {atBorders:E2}, typical grid {typical:E2}");
        double perTileBorders = StepError(perTile.Frame, 0), perTileTypical = Typical(perTile.Frame);
        Assert.True(perTileBorders > 1.5 * perTileTypical, $"tile-by-tile denoising: step error at borders {perTileBorders:E2}, typical grid {perTileTypical:E2}");
        // And the denoised frame does not depend on the tiling at all.
        Assert.True(whole.BitEquals(denoiser.Denoise(Render(scene, Frame(scene, W, H, 16), W))));
    }

    static RenderedFrame Crop(RenderedFrame frame, TileRect tile)
    {
        float[] Cut(float[] values, int channels)
        {
            var result = new float[tile.PixelCount * channels];
            for (int row = 0; row < tile.Height; row++)
                values.AsSpan(((tile.Y + row) * frame.Width + tile.X) * channels, tile.Width * channels).CopyTo(result.AsSpan(row * tile.Width * channels));
            return result;
        }
        return new RenderedFrame(new FloatImage(tile.Width, tile.Height, Cut(frame.Beauty.Pixels, 4)),
            frame.Passes.Select(p => new PassImage(p.Info, tile.Width, tile.Height, Cut(p.Values, p.Channels))).ToList());
    }

    [Fact]
    public void A_frame_without_guides_is_refused_by_name()
    {
        var frame = Render(Cornell.Value, Frame(Cornell.Value, 8, 8, 1) with { Passes = RenderPasses.Albedo });
        var e = Assert.Throws<ArgumentException>(() => new CpuDenoiser().Denoise(frame));
        Assert.Equal("denoising needs the normal, variance passes, which the frame lacks", e.Message);
    }
}
