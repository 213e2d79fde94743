using System.Numerics;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;
using Xunit.Abstractions;

namespace RenderNet.Vulkan.Tests;

/// <summary>The rasteriser shades right, not just consistently: analytic lighting and exact texture colours.</summary>
[Collection("device")]
public class RasterShadingTests(DeviceFixture gpu, ITestOutputHelper output)
{
    float[] Raster(Scene scene, int size, Vector3 background = default)
    {
        var frame = new FrameSettings { Width = size, Height = size, Camera = scene.Cameras[0], Background = background };
        using var raster = new Rasterizer(gpu.Device, scene);
        var pixels = raster.RenderTile(frame, new TileRect(0, 0, size, size));
        Assert.Equal(0, gpu.Device.ValidationErrors);
        return pixels;
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(45.0)]
    [InlineData(60.0)]
    public void A_Lambertian_plane_under_a_directional_light_has_the_analytic_radiance(double degrees)
    {
        float theta = (float)(degrees * Math.PI / 180);
        var toLight = new Vector3(MathF.Sin(theta), MathF.Cos(theta), 0);
        const float lux = 2000f;
        var scene = PhysicsTests.Plane(new PunctualLight("sun", LightKind.Directional, Vector3.Zero, -toLight, Vector3.One, lux, float.PositiveInfinity, 0, 0));
        var pixels = Raster(scene, 8);
        double expected = PhysicsTests.GltfBrdf(0.5, 0, 1, Vector3.UnitY, Vector3.UnitY, toLight) * (lux / 683.0) * Math.Cos(theta);
        output.WriteLine($"{degrees}°: expected {expected:F6}, got {pixels[0]:F6}");
        for (int i = 0; i < pixels.Length; i += 4)
        {
            Assert.Equal(expected, pixels[i], expected * 1e-4);
            Assert.Equal(pixels[i], pixels[i + 1]);
            Assert.Equal(pixels[i], pixels[i + 2]);
        }
    }

    [Fact]
    public void An_sRGB_texture_round_trips_through_shading_and_the_PNG_encoder()
    {
        // A 4x4 sRGB texture seen straight on so each pixel centre falls on a texel centre, lit only by a white
        // environment (ambient = background x base colour): every pixel is its texel decoded to linear, and encoding
        // it back to 8-bit sRGB gives the texel.
        byte[] levels = [0, 1, 17, 50, 90, 127, 128, 160, 188, 200, 222, 240, 250, 253, 254, 255];
        var texels = Enumerable.Range(0, 16).Select(i => (uint)(levels[i] | levels[15 - i] << 8 | levels[(i * 7) % 16] << 16 | 0xFFu << 24)).ToArray();
        var b = new SceneBuilder();
        b.Textures.Add(new SceneTexture("levels", 4, 4, texels, TextureWrap.ClampToEdge, TextureWrap.ClampToEdge, IsSrgb: true));
        int m = b.AddMaterial(new PbrMaterial { BaseColorFactor = Vector4.One, MetallicFactor = 0, RoughnessFactor = 1, BaseColorTexture = 0 });
        const float h = 1;
        // Image rows run toward +z under LookDown; texel (i, j) is centred on pixel (i, j).
        b.Triangle(m, new(-h, 0, -h), new(h, 0, h), new(h, 0, -h));
        b.WithUv(new(0, 0), new(1, 1), new(1, 0));
        b.Triangle(m, new(-h, 0, -h), new(-h, 0, h), new(h, 0, h));
        b.WithUv(new(0, 0), new(0, 1), new(1, 1));
        b.Cameras.Add(SceneBuilder.LookDown(new Vector3(0, 5, 0), h));
        var pixels = Raster(b.Build(), 4, Vector3.One);
        for (int i = 0; i < 16; i++)
            for (int c = 0; c < 3; c++)
            {
                int expectedByte = (int)(texels[i] >> (8 * c) & 0xFF);
                double expectedLinear = expectedByte / 255.0 <= 0.04045 ? expectedByte / 255.0 / 12.92 : Math.Pow((expectedByte / 255.0 + 0.055) / 1.055, 2.4);
                float actual = pixels[4 * i + c];
                Assert.Equal(expectedLinear, actual, 2e-5);
                Assert.Equal(expectedByte, (int)MathF.Round(ImageWriter.LinearToSrgb(actual) * 255));
            }
    }
}

/// <summary>glTF alpha modes in the rasteriser: mask discards below the cutoff, blend composites back to front.</summary>
[Collection("device")]
public class RasterAlphaTests(DeviceFixture gpu)
{
    static int Flat(SceneBuilder b, Vector4 color, AlphaMode mode = AlphaMode.Opaque, float cutoff = 0.5f) =>
        b.AddMaterial(new PbrMaterial { BaseColorFactor = color, MetallicFactor = 0, RoughnessFactor = 1, AlphaMode = mode, AlphaCutoff = cutoff, DoubleSided = true });

    static void Square(SceneBuilder b, int material, float y, float x0 = -1, float x1 = 1) =>
        b.Quad(material, new(x0, y, 1), new(x1, y, 1), new(x1, y, -1), new(x0, y, -1));

    float[] Render(SceneBuilder b)
    {
        b.Cameras.Add(SceneBuilder.LookDown(new Vector3(0, 5, 0), 1));
        var scene = b.Build();
        using var raster = new Rasterizer(gpu.Device, scene);
        // Lit by a white environment only: every surface shows its base colour.
        var pixels = raster.RenderTile(new FrameSettings { Width = 8, Height = 8, Camera = scene.Cameras[0], Background = Vector3.One }, new TileRect(0, 0, 8, 8));
        Assert.Equal(0, gpu.Device.ValidationErrors);
        return pixels;
    }

    static void AssertPixel(float[] pixels, int x, float r, float g, float bl)
    {
        int i = (4 * 8 + x) * 4; // row 4
        Assert.Equal(r, pixels[i], 1e-6f);
        Assert.Equal(g, pixels[i + 1], 1e-6f);
        Assert.Equal(bl, pixels[i + 2], 1e-6f);
    }

    [Fact]
    public void Masked_texels_below_the_cutoff_are_cut_out()
    {
        var b = new SceneBuilder();
        Square(b, Flat(b, new Vector4(1, 0, 0, 1)), 0);
        Square(b, Flat(b, new Vector4(0, 1, 0, 0.3f), AlphaMode.Mask), 1, -1, 0); // left half: below the cutoff
        Square(b, Flat(b, new Vector4(0, 1, 0, 0.7f), AlphaMode.Mask), 1, 0, 1);  // right half: kept, fully opaque
        var pixels = Render(b);
        AssertPixel(pixels, 1, 1, 0, 0);
        AssertPixel(pixels, 6, 0, 1, 0);
    }

    [Fact]
    public void Blended_surfaces_are_composited_back_to_front_whatever_their_order_in_the_scene()
    {
        var b = new SceneBuilder();
        Square(b, Flat(b, new Vector4(0, 1, 0, 0.5f), AlphaMode.Blend), 2); // nearest, listed first
        Square(b, Flat(b, new Vector4(1, 0, 0, 1)), 0);                     // opaque, farthest
        Square(b, Flat(b, new Vector4(0, 0, 1, 0.5f), AlphaMode.Blend), 1); // between
        var pixels = Render(b);
        // green over (blue over red): 0.5 G + 0.5 (0.5 B + 0.5 R)
        AssertPixel(pixels, 3, 0.25f, 0.5f, 0.25f);
    }
}

/// <summary>Shadow maps: a directional light's occluder darkens exactly where its shadow falls, the same in any tiling.</summary>
[Collection("device")]
public class RasterShadowTests(DeviceFixture gpu)
{
    [Fact]
    public void An_occluder_casts_a_shadow_from_a_directional_light()
    {
        // Light travelling along (1, -1, 0): an occluder 0.5 above the plane at x in [0, 0.5] shadows x in [0.5, 1].
        var toLight = Vector3.Normalize(new Vector3(-1, 1, 0));
        var scene = PhysicsTests.Plane(new PunctualLight("sun", LightKind.Directional, Vector3.Zero, -toLight, Vector3.One, 2000f, float.PositiveInfinity, 0, 0));
        var b = new SceneBuilder();
        int plane = b.AddMaterial(scene.Materials[0]);
        b.Quad(plane, new(-10, 0, 10), new(10, 0, 10), new(10, 0, -10), new(-10, 0, -10));
        int occluder = b.AddMaterial(new PbrMaterial { BaseColorFactor = new Vector4(0.5f, 0.5f, 0.5f, 1), MetallicFactor = 0, RoughnessFactor = 1, DoubleSided = true });
        b.Quad(occluder, new(0, 0.5f, 0.25f), new(0.5f, 0.5f, 0.25f), new(0.5f, 0.5f, -0.25f), new(0, 0.5f, -0.25f));
        b.Lights.AddRange(scene.Lights);
        b.Cameras.Add(SceneBuilder.LookDown(new Vector3(0, 5, 0), 1));
        var withOccluder = b.Build();
        var frame = new FrameSettings { Width = 16, Height = 16, Camera = withOccluder.Cameras[0] };
        using var raster = new Rasterizer(gpu.Device, withOccluder);
        var pixels = raster.RenderTile(frame, new TileRect(0, 0, 16, 16));
        Assert.Equal(0, gpu.Device.ValidationErrors);

        double lit = PhysicsTests.GltfBrdf(0.5, 0, 1, Vector3.UnitY, Vector3.UnitY, toLight) * (2000 / 683.0) * toLight.Y;
        float Pixel(int x, int y) => pixels[(y * 16 + x) * 4];
        Assert.Equal(lit, Pixel(4, 8), lit * 1e-4);   // x = -0.44: in the open
        Assert.Equal(0, Pixel(14, 8), 1e-6);         // x = 0.81, z = 0.06: in the shadow
        Assert.Equal(lit, Pixel(14, 2), lit * 1e-4);  // x = 0.81, z = -0.69: beside the shadow

        // Shadow maps are per scene, so tiles still equal the full frame bit for bit.
        var tiled = new float[pixels.Length];
        foreach (var tile in new TilePlan(16, 16, 5, 7).Tiles)
        {
            var part = raster.RenderTile(frame, tile);
            for (int y = 0; y < tile.Height; y++) Array.Copy(part, y * tile.Width * 4, tiled, ((tile.Y + y) * 16 + tile.X) * 4, tile.Width * 4);
        }
        Assert.Equal(pixels, tiled);
    }
}

/// <summary>A spot light's shadow map: the occluder's shadow is its projection from the light's position.</summary>
[Collection("device")]
public class RasterSpotShadowTests(DeviceFixture gpu)
{
    [Fact]
    public void An_occluder_casts_a_shadow_from_a_spot_light()
    {
        var b = new SceneBuilder();
        int grey = b.AddMaterial(new PbrMaterial { BaseColorFactor = new Vector4(0.5f, 0.5f, 0.5f, 1), MetallicFactor = 0, RoughnessFactor = 1, DoubleSided = true });
        b.Quad(grey, new(-10, 0, 10), new(10, 0, 10), new(10, 0, -10), new(-10, 0, -10));
        // Occluder at height 1 under a spot at height 3: its shadow is 1.5x as large, x in [0.375, 1.125].
        b.Quad(grey, new(0.25f, 1, 0.25f), new(0.75f, 1, 0.25f), new(0.75f, 1, -0.25f), new(0.25f, 1, -0.25f));
        b.Lights.Add(new PunctualLight("spot", LightKind.Spot, new Vector3(0, 3, 0), -Vector3.UnitY, Vector3.One, 5000f, float.PositiveInfinity, 0.6f, 0.8f));
        b.Cameras.Add(SceneBuilder.LookDown(new Vector3(0, 5, 0), 1));
        var scene = b.Build();
        using var raster = new Rasterizer(gpu.Device, scene);
        var pixels = raster.RenderTile(new FrameSettings { Width = 16, Height = 16, Camera = scene.Cameras[0] }, new TileRect(0, 0, 16, 16));
        Assert.Equal(0, gpu.Device.ValidationErrors);
        float Pixel(int x, int y) => pixels[(y * 16 + x) * 4];
        Assert.Equal(0, Pixel(14, 8), 1e-6);     // x = 0.81, z = 0.06: in the shadow
        Assert.True(Pixel(2, 8) > 0.05f);         // x = -0.69: lit
        Assert.True(Pixel(14, 3) > 0.05f);        // x = 0.81, z = -0.56: beside the shadow
    }
}

/// <summary>Mipmapped sampling and normal maps in the rasteriser.</summary>
[Collection("device")]
public class RasterTextureTests(DeviceFixture gpu)
{
    static Scene TexturedPlane(SceneTexture texture, PbrMaterial material, PunctualLight? light = null)
    {
        var b = new SceneBuilder();
        b.Textures.Add(texture);
        int m = b.AddMaterial(material);
        // u along +x, v along +z; seen from above by an orthographic camera covering it exactly.
        b.Triangle(m, new(-1, 0, -1), new(1, 0, 1), new(1, 0, -1));
        b.WithUv(new(0, 0), new(1, 1), new(1, 0));
        b.Triangle(m, new(-1, 0, -1), new(-1, 0, 1), new(1, 0, 1));
        b.WithUv(new(0, 0), new(0, 1), new(1, 1));
        if (light is not null) b.Lights.Add(light);
        b.Cameras.Add(SceneBuilder.LookDown(new Vector3(0, 5, 0), 1));
        return b.Build();
    }

    float[] Render(Scene scene, int size, Vector3 background)
    {
        using var raster = new Rasterizer(gpu.Device, scene);
        var pixels = raster.RenderTile(new FrameSettings { Width = size, Height = size, Camera = scene.Cameras[0], Background = background }, new TileRect(0, 0, size, size));
        Assert.Equal(0, gpu.Device.ValidationErrors);
        return pixels;
    }

    [Fact]
    public void A_fine_checker_seen_from_afar_is_filtered_to_grey_not_aliased()
    {
        const uint Black = 0xFF000000, White = 0xFFFFFFFF;
        var checker = Enumerable.Range(0, 64 * 64).Select(i => ((i % 64) + (i / 64)) % 2 == 0 ? Black : White).ToArray();
        var scene = TexturedPlane(new SceneTexture("checker", 64, 64, checker, TextureWrap.Repeat, TextureWrap.Repeat, IsSrgb: true),
            new PbrMaterial { BaseColorTexture = 0, MetallicFactor = 0, RoughnessFactor = 1 });
        var pixels = Render(scene, 8, Vector3.One); // 8 texels per pixel: level 3
        for (int i = 0; i < pixels.Length; i += 4)
            Assert.InRange(pixels[i], 0.48f, 0.52f);
    }

    [Fact]
    public void An_occlusion_map_darkens_the_ambient_term_by_its_strength()
    {
        var map = new SceneTexture("occlusion", 1, 1, [0xFF000080u], TextureWrap.Repeat, TextureWrap.Repeat, IsSrgb: false); // R = 128
        var material = new PbrMaterial { BaseColorFactor = new Vector4(0.5f, 0.5f, 0.5f, 1), MetallicFactor = 0, RoughnessFactor = 1, OcclusionTexture = 0, OcclusionStrength = 0.5f };
        var pixels = Render(TexturedPlane(map, material), 4, Vector3.One);
        double expected = 0.5 * (1 + 0.5 * (128 / 255.0 - 1)); // base colour x (1 + strength (ao - 1)), ambient only
        for (int i = 0; i < pixels.Length; i += 4) Assert.Equal(expected, pixels[i], 1e-5);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void A_normal_map_tilts_the_shading_normal(bool pathTraced, bool towardImageUp)
    {
        // Tangent-space normal tilted 30 degrees toward +X (right in the image, +u) or +Y (up in the image: glTF's v
        // grows down the image, so toward -v), 8-bit encoded as glTF normal maps are; the sun stands 30 degrees off
        // the zenith toward -v, so only the right +Y convention faces it.
        double sin30 = 0.5, cos30 = Math.Cos(Math.PI / 6);
        byte r = (byte)Math.Round(((towardImageUp ? 0 : sin30) + 1) / 2 * 255), g = (byte)Math.Round(((towardImageUp ? sin30 : 0) + 1) / 2 * 255);
        byte bl = (byte)Math.Round((cos30 + 1) / 2 * 255);
        var map = new SceneTexture("normal", 1, 1, [(uint)(r | g << 8 | bl << 16 | 0xFF << 24)], TextureWrap.Repeat, TextureWrap.Repeat, IsSrgb: false);
        const float lux = 2000f;
        var toSun = Vector3.Normalize(new Vector3(0, (float)cos30, -(float)sin30));
        var sun = new PunctualLight("sun", LightKind.Directional, Vector3.Zero, -toSun, Vector3.One, lux, float.PositiveInfinity, 0, 0);
        var material = new PbrMaterial { BaseColorFactor = new Vector4(0.5f, 0.5f, 0.5f, 1), MetallicFactor = 0, RoughnessFactor = 1, SpecularFactor = 0, NormalTexture = 0 };
        var scene = TexturedPlane(map, material, sun);
        // The path tracer's direct light (one bounce) is the rasteriser's shading with no ambient term.
        var pixels = pathTraced
            ? gpu.Render(scene, new FrameSettings { Width = 4, Height = 4, Camera = scene.Cameras[0], SamplesPerPixel = 4, MaxBounces = 1, Seed = 1 }).Pixels
            : Render(scene, 4, Vector3.Zero);

        // World normal: tangent (+x, +u) * ts.x + bitangent (-z, -v) * ts.y + up * ts.z; Lambertian (specular 0).
        var ts = new Vector3(r / 255f * 2 - 1, g / 255f * 2 - 1, bl / 255f * 2 - 1);
        var n = Vector3.Normalize(new Vector3(ts.X, ts.Z, -ts.Y));
        double expected = 0.5 / Math.PI * (lux / 683.0) * Vector3.Dot(n, toSun);
        double flat = 0.5 / Math.PI * (lux / 683.0) * toSun.Y;
        Assert.True(Math.Abs(expected - flat) > flat * 0.1, "the tilt must be visible");
        for (int i = 0; i < pixels.Length; i += 4)
            Assert.Equal(expected, pixels[i], expected * 2e-3);
    }
}
