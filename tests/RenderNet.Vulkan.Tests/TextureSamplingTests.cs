using System.Numerics;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;

namespace RenderNet.Vulkan.Tests;

/// <summary>Sampler wrap modes and sRGB decoding, seen through an emissive texture (pixel = decoded texel).</summary>
[Collection("device")]
public class TextureSamplingTests(DeviceFixture gpu)
{
    const uint Red = 0xFF0000FFu, Blue = 0xFFFF0000u; // RGBA8, R in the low byte

    /// <summary>
    /// A 64×1 orthographic view of a quad whose u runs from -2 to 2, textured with a 2×1 red|blue texture, so texel
    /// positions −4 … 3 (u·2 − 0.5) are each 8 pixels wide. The pixel holding each texel centre is read: samples are
    /// jittered within their pixel, so bilinear filtering mixes in at most 1/8 of a neighbour there.
    /// </summary>
    string Stripe(TextureWrap wrap, Matrix3x2? transform = null)
    {
        var b = new SceneBuilder();
        b.Textures.Add(new SceneTexture("stripe", 2, 1, [Red, Blue], wrap, TextureWrap.ClampToEdge, IsSrgb: true) { UvTransform = transform ?? Matrix3x2.Identity });
        int m = b.AddMaterial(new PbrMaterial { BaseColorFactor = new Vector4(0, 0, 0, 1), Emissive = Vector3.One, EmissiveTexture = 0, MetallicFactor = 0 });
        b.Triangle(m, new(-4, -1, 0), new(4, -1, 0), new(4, 1, 0));
        b.WithUv(new(-2, 0.5f), new(2, 0.5f), new(2, 0.5f));
        b.Triangle(m, new(-4, -1, 0), new(4, 1, 0), new(-4, 1, 0));
        b.WithUv(new(-2, 0.5f), new(2, 0.5f), new(-2, 0.5f));
        var camera = new SceneCamera("ortho", Matrix4x4.CreateTranslation(0, 0, 5), ProjectionKind.Orthographic, 0, null, 0.1f, 10f, 4f, 4f / 64);
        var image = gpu.Render(b.Build(), new FrameSettings { Width = 64, Height = 1, Camera = camera, SamplesPerPixel = 4, MaxBounces = 0 });
        var letters = new char[8];
        for (int k = -4; k < 4; k++)
        {
            var (r, g, bl, _) = image[8 * k + 36, 0];
            Assert.Equal(0f, g, 1e-3f);
            Assert.Equal(1f, r + bl, 1e-3f); // a blend of the two texels, never anything else
            letters[k + 4] = r > 0.85f ? 'R' : bl > 0.85f ? 'B' : '?';
        }
        return new string(letters);
    }

    [Theory]
    [InlineData(TextureWrap.Repeat, "RBRBRBRB")]
    [InlineData(TextureWrap.ClampToEdge, "RRRRRBBB")]
    [InlineData(TextureWrap.MirroredRepeat, "RBBRRBBR")]
    public void Wrap_modes_pick_the_right_texels(TextureWrap wrap, string expected) =>
        Assert.Equal(expected, Stripe(wrap));

    [Theory]
    [InlineData(TextureWrap.Repeat, "BRBRBRBR")]
    [InlineData(TextureWrap.ClampToEdge, "RRRRBBBB")]
    public void A_texture_transform_offset_of_one_texel_shifts_the_pattern_by_one(TextureWrap wrap, string expected) =>
        Assert.Equal(expected, Stripe(wrap, SceneTexture.TextureTransform(new Vector2(0.5f, 0), 0, Vector2.One)));

    [Fact]
    public void A_texture_transform_scales_before_it_offsets_as_gltf_specifies()
    {
        // u' = 2u − 0.25 puts every letter's texel position at 2k, texel 0 under repeat (offset first, 2(u − 0.25),
        // would put it halfway between two texels).
        Assert.Equal("RRRRRRRR", Stripe(TextureWrap.Repeat, SceneTexture.TextureTransform(new Vector2(-0.25f, 0), 0, new Vector2(2, 1))));
    }

    [Fact]
    public void A_texture_transform_rotates_counter_clockwise_in_texture_space()
    {
        // Rotation by π/2 maps u' = v (+ offset): v is 0.5 along the quad, so u' = 0.75 is texel 1 everywhere;
        // the opposite sense (u' = −v + 0.25) would clamp to texel 0.
        Assert.Equal("BBBBBBBB", Stripe(TextureWrap.ClampToEdge, SceneTexture.TextureTransform(new Vector2(0.25f, 0), MathF.PI / 2, Vector2.One)));
    }

    [Fact]
    public void Srgb_texels_are_decoded_to_linear_before_shading()
    {
        const uint grey = 0xFF808080u; // sRGB 128 = linear 0.2158605
        foreach (bool srgb in new[] { true, false })
        {
            var b = new SceneBuilder();
            b.Textures.Add(new SceneTexture("grey", 1, 1, [grey], TextureWrap.Repeat, TextureWrap.Repeat, srgb));
            int m = b.AddMaterial(new PbrMaterial { BaseColorFactor = new Vector4(0, 0, 0, 1), Emissive = Vector3.One, EmissiveTexture = 0 });
            b.Quad(m, new(-1, -1, 0), new(1, -1, 0), new(1, 1, 0), new(-1, 1, 0));
            var camera = new SceneCamera("ortho", Matrix4x4.CreateTranslation(0, 0, 5), ProjectionKind.Orthographic, 0, null, 0.1f, 10f, 0.5f, 0.5f);
            var image = gpu.Render(b.Build(), new FrameSettings { Width = 2, Height = 2, Camera = camera, SamplesPerPixel = 1, MaxBounces = 0 });
            Assert.Equal(srgb ? 0.2158605f : 128 / 255f, image[0, 0].R, 1e-5f);
        }
    }
}
