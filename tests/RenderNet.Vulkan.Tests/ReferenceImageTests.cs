using RenderNet.Core.Gltf;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Tests;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace RenderNet.Vulkan.Tests;

/// <summary>
/// Sanity check of light units, BRDF and colour handling against Blender Cycles: BlenderLights.glb (sun, spot and point
/// lights exported by Blender, textured floor, copper, rough and smooth dielectrics) rendered by Cycles at 256 spp is
/// in ../shared/reference. Our render must agree on brightness and colour region by region, within the noise of a
/// small render and the BRDF differences between Cycles' Principled BSDF and the glTF model.
/// </summary>
[Collection("device")]
public class ReferenceImageTests(DeviceFixture gpu, ITestOutputHelper output)
{
    static string ReferencePath => Path.GetFullPath(Path.Combine(SharedData.GltfDir, "..", "reference", "BlenderLights_cycles_320x240_256spp.png"));

    /// <summary>Mean sRGB value (0..1) per channel in each cell of a grid×grid partition.</summary>
    static double[,,] CellMeans(Func<int, int, (double R, double G, double B)> pixel, int width, int height, int grid)
    {
        var sums = new double[grid, grid, 3];
        var counts = new int[grid, grid];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int cx = x * grid / width, cy = y * grid / height;
                var (r, g, b) = pixel(x, y);
                sums[cy, cx, 0] += r; sums[cy, cx, 1] += g; sums[cy, cx, 2] += b;
                counts[cy, cx]++;
            }
        for (int cy = 0; cy < grid; cy++)
            for (int cx = 0; cx < grid; cx++)
                for (int c = 0; c < 3; c++)
                    sums[cy, cx, c] /= counts[cy, cx];
        return sums;
    }

    [SharedGltfFact]
    public void BlenderLights_matches_the_cycles_reference_region_by_region()
    {
        Assert.True(File.Exists(ReferencePath), $"reference image missing: {ReferencePath}");
        using var reference = Image.Load<Rgb24>(ReferencePath);
        var scene = GltfSceneLoader.Load(SharedData.Gltf("BlenderLights.glb"));
        const int w = 160, h = 120, grid = 4;
        var image = gpu.Render(scene, new FrameSettings { Width = w, Height = h, Camera = scene.Cameras[0], SamplesPerPixel = 32, MaxBounces = 8, Seed = 9 });

        var ours = CellMeans((x, y) =>
        {
            var (r, g, b, _) = image[x, y];
            return (ImageWriter.LinearToSrgb(r), ImageWriter.LinearToSrgb(g), ImageWriter.LinearToSrgb(b));
        }, w, h, grid);
        var theirs = CellMeans((x, y) => { var p = reference[x, y]; return (p.R / 255.0, p.G / 255.0, p.B / 255.0); }, reference.Width, reference.Height, grid);

        double worst = 0, total = 0;
        for (int cy = 0; cy < grid; cy++)
        {
            var row = new List<string>();
            for (int cx = 0; cx < grid; cx++)
            {
                double diff = 0;
                for (int c = 0; c < 3; c++) diff = Math.Max(diff, Math.Abs(ours[cy, cx, c] - theirs[cy, cx, c]));
                worst = Math.Max(worst, diff);
                total += diff;
                row.Add($"{ours[cy, cx, 0]:F2}/{theirs[cy, cx, 0]:F2}");
            }
            output.WriteLine(string.Join("  ", row));
        }
        output.WriteLine($"worst cell difference {worst:F3}, mean {total / (grid * grid):F3} (sRGB 0..1)");
        // A unit error (e.g. lux taken as W/m², a factor of 683) or a wrong light direction moves cells by far more.
        Assert.True(worst < 0.08, $"a region differs from Cycles by {worst:F3} in sRGB");
        Assert.True(total / (grid * grid) < 0.03, $"regions differ from Cycles by {total / (grid * grid):F3} on average");
    }
}
