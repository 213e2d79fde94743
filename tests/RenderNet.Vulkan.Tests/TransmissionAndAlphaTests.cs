using System.Numerics;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;
using Xunit.Abstractions;

namespace RenderNet.Vulkan.Tests;

/// <summary>
/// KHR_materials_transmission (thin walls and, with KHR_materials_volume, refracting absorbing volumes) and alpha
/// mask/blend in the path tracer: what gets through is what the analytic answer says, for paths and shadow rays alike.
/// </summary>
[Collection("device")]
public class TransmissionAndAlphaTests(DeviceFixture gpu, ITestOutputHelper output)
{
    static readonly PbrMaterial Black = new() { BaseColorFactor = new Vector4(0, 0, 0, 1), MetallicFactor = 0, SpecularFactor = 0 };
    static readonly PbrMaterial Lamp = Black with { Emissive = Vector3.One };

    /// <summary>A 20 m horizontal square at height y, facing up.</summary>
    static void Floor(SceneBuilder b, int material, float y, float half = 10) =>
        b.Quad(material, new(-half, y, half), new(half, y, half), new(half, y, -half), new(-half, y, -half));

    /// <summary>An axis-aligned box of half-width h from y0 to y1, every face pointing out.</summary>
    static void Box(SceneBuilder b, int m, float h, float y0, float y1)
    {
        b.Quad(m, new(-h, y1, h), new(h, y1, h), new(h, y1, -h), new(-h, y1, -h));      // +Y
        b.Quad(m, new(-h, y0, -h), new(h, y0, -h), new(h, y0, h), new(-h, y0, h));      // -Y
        b.Quad(m, new(h, y0, h), new(h, y0, -h), new(h, y1, -h), new(h, y1, h));        // +X
        b.Quad(m, new(-h, y0, -h), new(-h, y0, h), new(-h, y1, h), new(-h, y1, -h));    // -X
        b.Quad(m, new(-h, y0, h), new(h, y0, h), new(h, y1, h), new(-h, y1, h));        // +Z
        b.Quad(m, new(h, y0, -h), new(-h, y0, -h), new(-h, y1, -h), new(h, y1, -h));    // -Z
    }

    FloatImage Render(Scene scene, int spp, int bounces, int size = 4) => gpu.Render(scene, new FrameSettings
    {
        Width = size, Height = size, Camera = scene.Cameras[0], SamplesPerPixel = spp, MaxBounces = bounces, Seed = 5,
    });

    static Vector3 Mean(FloatImage image)
    {
        var sum = Vector3.Zero;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                sum += new Vector3(image[x, y].R, image[x, y].G, image[x, y].B);
        return sum / (image.Width * image.Height);
    }

    static readonly Vector3 Tint = new(1, 0.5f, 0.25f);
    static PbrMaterial Glass(Vector3 tint) => new()
    {
        BaseColorFactor = new Vector4(tint, 1), MetallicFactor = 0, RoughnessFactor = 0, Transmission = 1,
    };

    [Fact]
    public void A_thin_transmissive_pane_passes_what_its_fresnel_leaves_tinted_by_its_base_colour()
    {
        // Looking straight down through the pane at a lamp of radiance 1 (nothing above to reflect):
        // (1 − F0) × base colour, F0 = 4% for ior 1.5.
        var b = new SceneBuilder();
        Floor(b, b.AddMaterial(Lamp), 0);
        Floor(b, b.AddMaterial(Glass(Tint)), 1);
        b.Cameras.Add(SceneBuilder.LookDown(new Vector3(0, 5, 0), 0.1f));
        var mean = Mean(Render(b.Build(), 256, 4));
        output.WriteLine($"through a thin pane: {mean}");
        var expected = 0.96f * Tint;
        Assert.Equal(expected.X, mean.X, 0.01);
        Assert.Equal(expected.Y, mean.Y, 0.01);
        Assert.Equal(expected.Z, mean.Z, 0.01);
    }

    [Fact]
    public void Sunlight_reaches_a_floor_through_a_thin_window_by_light_sampling()
    {
        // The sun is a direction: no BSDF sample can find it, so the floor is lit only if shadow rays see through the
        // pane. The camera looks through the pane too: the tint applies twice, the Fresnel loss once per crossing.
        const float lux = 683f * 2f, albedo = 0.5f;
        var sun = Vector3.Normalize(new Vector3(0.5f, -0.8660254f, 0)); // 30° from the zenith
        var b = new SceneBuilder();
        Floor(b, b.AddMaterial(new PbrMaterial { BaseColorFactor = new Vector4(albedo, albedo, albedo, 1), MetallicFactor = 0, RoughnessFactor = 1, SpecularFactor = 0 }), 0);
        Floor(b, b.AddMaterial(Glass(Tint)), 1);
        b.Lights.Add(new PunctualLight("sun", LightKind.Directional, Vector3.Zero, sun, Vector3.One, lux, float.PositiveInfinity, 0, 0));
        b.Cameras.Add(SceneBuilder.LookDown(new Vector3(0, 5, 0), 0.1f));
        // Two bounces: the pane, then the floor's light sampling; nothing that returns to the floor after it.
        var mean = Mean(Render(b.Build(), 256, 2));
        double cos = 0.8660254, fresnelSun = 0.04 + 0.96 * Math.Pow(1 - cos, 5);
        double floor = albedo / Math.PI * 2 * cos * (1 - fresnelSun);
        var expected = (float)(0.96 * floor) * Tint * Tint;
        output.WriteLine($"sunlit floor through a window: {mean}, expected {expected}");
        Assert.Equal(expected.X, mean.X, expected.X * 0.02);
        Assert.Equal(expected.Y, mean.Y, expected.Y * 0.02);
        Assert.Equal(expected.Z, mean.Z, expected.Z * 0.03);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_glass_block_transmits_the_fresnel_series_and_absorbs_by_beer_lambert(bool absorbing)
    {
        // A 1 m block of ior 1.5 over a lamp, seen straight down: (1 − R)² τ / (1 − R² τ²) with R = 4% and τ the
        // transmittance of one crossing, exp(−σ), σ = −ln(attenuation colour) at attenuation distance 1.
        var attenuation = absorbing ? new Vector3(0.5f, 0.25f, 1f) : Vector3.One;
        var b = new SceneBuilder();
        Floor(b, b.AddMaterial(Lamp), -1);
        Box(b, b.AddMaterial(Glass(Vector3.One) with { Thickness = 1, AttenuationColor = attenuation, AttenuationDistance = 1 }), 2f, 0, 1);
        b.Cameras.Add(SceneBuilder.LookDown(new Vector3(0, 5, 0), 0.1f));
        var mean = Mean(Render(b.Build(), 256, 16));
        static float Series(float tau) => 0.96f * 0.96f * tau / (1 - 0.04f * 0.04f * tau * tau);
        var expected = new Vector3(Series(attenuation.X), Series(attenuation.Y), Series(attenuation.Z));
        output.WriteLine($"glass block (absorbing: {absorbing}): {mean}, expected {expected}");
        Assert.Equal(expected.X, mean.X, 0.01);
        Assert.Equal(expected.Y, mean.Y, 0.01);
        Assert.Equal(expected.Z, mean.Z, 0.01);
    }

    [Theory]
    [InlineData(AlphaMode.Mask, 0.3f, 1.0)]    // under the cutoff: not there
    [InlineData(AlphaMode.Mask, 0.7f, 0.0)]    // over it: a black occluder
    [InlineData(AlphaMode.Blend, 0.25f, 0.75)] // a quarter covered
    public void Camera_rays_see_through_masked_and_blended_surfaces_by_their_alpha(AlphaMode mode, float alpha, double expected)
    {
        var b = new SceneBuilder();
        Floor(b, b.AddMaterial(Lamp), 0);
        Floor(b, b.AddMaterial(Black with { BaseColorFactor = new Vector4(0, 0, 0, alpha), AlphaMode = mode }), 1);
        b.Cameras.Add(SceneBuilder.LookDown(new Vector3(0, 5, 0), 0.1f));
        var mean = Mean(Render(b.Build(), 256, 2));
        output.WriteLine($"{mode} alpha {alpha}: {mean.X:F4}");
        Assert.Equal(expected, mean.X, 0.02);
    }

    [Theory]
    [InlineData(AlphaMode.Mask, 0.3f, 1.0)]
    [InlineData(AlphaMode.Mask, 0.7f, 0.0)]
    [InlineData(AlphaMode.Blend, 0.25f, 0.75)]
    public void Shadow_rays_pass_masked_surfaces_and_take_what_blended_ones_leave(AlphaMode mode, float alpha, double lit)
    {
        // The sun at 45° casts the occluder's shadow on the floor under the camera; the camera does not see the
        // occluder. A blended occluder's shadow is its expected transmittance, not a stochastic one: no noise.
        const float albedo = 0.5f;
        var b = new SceneBuilder();
        Floor(b, b.AddMaterial(new PbrMaterial { BaseColorFactor = new Vector4(albedo, albedo, albedo, 1), MetallicFactor = 0, RoughnessFactor = 1, SpecularFactor = 0 }), 0);
        b.Quad(b.AddMaterial(Black with { BaseColorFactor = new Vector4(0, 0, 0, alpha), AlphaMode = mode }),
            new(0.5f, 1, 5), new(5, 1, 5), new(5, 1, -5), new(0.5f, 1, -5));
        b.Lights.Add(new PunctualLight("sun", LightKind.Directional, Vector3.Zero, Vector3.Normalize(new Vector3(-1, -1, 0)), Vector3.One, 683f, float.PositiveInfinity, 0, 0));
        b.Cameras.Add(SceneBuilder.LookDown(new Vector3(0, 5, 0), 0.1f));
        var mean = Mean(Render(b.Build(), 16, 1));
        double unshadowed = albedo / Math.PI * Math.Sqrt(0.5);
        output.WriteLine($"{mode} alpha {alpha}: floor {mean.X:F5}, unshadowed {unshadowed:F5}");
        Assert.Equal(unshadowed * lit, mean.X, 1e-4);
    }

    [Fact]
    public void Tiles_are_exact_with_blended_surfaces_windows_and_glass()
    {
        var b = new SceneBuilder();
        Floor(b, b.AddMaterial(Lamp), -1);
        Floor(b, b.AddMaterial(new PbrMaterial { BaseColorFactor = new Vector4(0.8f, 0.2f, 0.2f, 0.5f), AlphaMode = AlphaMode.Blend, MetallicFactor = 0 }), 2, 0.6f);
        Floor(b, b.AddMaterial(Glass(Tint) with { RoughnessFactor = 0.3f }), 1.5f, 0.9f);
        Box(b, b.AddMaterial(Glass(Vector3.One) with { Thickness = 1, AttenuationColor = new(0.3f, 0.6f, 0.9f), AttenuationDistance = 0.5f, RoughnessFactor = 0.2f }), 0.5f, 0, 1);
        b.Cameras.Add(SceneBuilder.LookDown(new Vector3(0, 5, 0), 1.2f));
        var scene = b.Build();
        var frame = new FrameSettings { Width = 40, Height = 30, Camera = scene.Cameras[0], SamplesPerPixel = 8, MaxBounces = 6, Seed = 9 };
        var full = gpu.Render(scene, frame, tileSize: 64);
        var tiled = LocalRender.Render(gpu.Device, scene, frame, new TilePlan(40, 30, 7, 5)).Image;
        Assert.True(full.BitEquals(tiled), "7×5 tiles differ from the full frame");
        Assert.True(full.Pixels.Distinct().Count() > 300, "the image is nearly constant: the materials were not exercised");
    }
}
