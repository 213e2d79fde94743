using System.Numerics;
using System.Runtime.InteropServices;
using RenderNet.Core.Gltf;
using RenderNet.Core.Scenes;
using SharpGLTF.Memory;
using SharpGLTF.Schema2;

namespace RenderNet.Core.Tests;

/// <summary>Animated glTF: a posed scene is the model at time t exactly as SharpGLTF evaluates its node TRS channels.</summary>
public class AnimationTests
{
    static readonly Vector3[] Corners = [new(0, 0, 0), new(1, 0, 0), new(0, 1, 0)];

    /// <summary>A triangle under a parent and a child node, animated with linear, step and cubic channels.</summary>
    public static ModelRoot AnimatedModel()
    {
        var model = ModelRoot.CreateModel();
        var scene = model.UseScene("animated");
        var mesh = model.CreateMesh("triangle");
        var prim = mesh.CreatePrimitive();
        var accessor = model.CreateAccessor();
        accessor.SetVertexData(model.UseBufferView(MemoryMarshal.AsBytes(Corners.AsSpan()).ToArray(), 0, null, 0, BufferMode.ARRAY_BUFFER), 0, 3, new AttributeFormat(DimensionType.VEC3));
        prim.SetVertexAccessor("POSITION", accessor);
        var parent = scene.CreateNode("parent");
        var child = parent.CreateNode("child");
        child.Mesh = mesh;
        child.LocalTransform = new SharpGLTF.Transforms.AffineTransform(null, null, new Vector3(0, 0, -2));

        var animation = model.CreateAnimation("move");
        animation.CreateTranslationChannel(parent, new Dictionary<float, Vector3> { [0] = Vector3.Zero, [1] = new(4, 0, 0), [2] = new(4, 2, 0) }, linear: true);
        animation.CreateRotationChannel(child, new Dictionary<float, Quaternion>
        {
            [0] = Quaternion.Identity, [1] = Quaternion.CreateFromAxisAngle(Vector3.UnitZ, MathF.PI / 2), [2] = Quaternion.CreateFromAxisAngle(Vector3.UnitZ, MathF.PI),
        }, linear: false); // step
        animation.CreateScaleChannel(child, new Dictionary<float, (Vector3, Vector3, Vector3)>
        {
            [0] = (Vector3.Zero, Vector3.One, new Vector3(1, 0, 0)),
            [2] = (new Vector3(-1, 0, 0), new Vector3(2, 1, 1), Vector3.Zero),
        }); // cubic spline: (in-tangent, value, out-tangent)
        return model;
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.4f)]
    [InlineData(1f)]
    [InlineData(1.7f)]
    [InlineData(2.5f)] // past the end: clamped to the last key
    public void A_posed_scene_has_the_node_transforms_SharpGLTF_evaluates(float time)
    {
        var model = AnimatedModel();
        var posed = GltfSceneLoader.Load(model, "animated", new AnimationPose(0, time));
        var world = model.LogicalNodes.Single(n => n.Name == "child").GetWorldMatrix(model.LogicalAnimations[0], time);
        for (int i = 0; i < 3; i++)
        {
            var expected = Vector3.Transform(Corners[i], world);
            Assert.True(Vector3.Distance(expected, posed.Positions[i]) < 1e-5f, $"t={time}: corner {i} at {posed.Positions[i]}, SharpGLTF says {expected}");
        }
        Assert.DoesNotContain(posed.Warnings, w => w.Contains("animations are not applied"));
    }

    [Fact]
    public void The_pose_moves_the_geometry_and_the_rest_pose_warns()
    {
        var model = AnimatedModel();
        var start = GltfSceneLoader.Load(model, "animated", new AnimationPose(0, 0));
        var later = GltfSceneLoader.Load(model, "animated", new AnimationPose(0, 1.5f));
        Assert.True(Vector3.Distance(start.Positions[0], later.Positions[0]) > 1, "the animation should move the triangle");
        Assert.Contains(GltfSceneLoader.Load(model, "animated").Warnings, w => w.Contains("animations are not applied"));
        var ex = Assert.Throws<SceneException>(() => GltfSceneLoader.Load(model, "animated", new AnimationPose(3, 0)));
        Assert.Contains("has 1 animation(s)", ex.Message);
        Assert.Equal(0, GltfSceneLoader.FindAnimation(model, "move"));
        Assert.Contains("#0 move", Assert.Throws<SceneException>(() => GltfSceneLoader.FindAnimation(model, "walk")).Message);
    }
}

/// <summary>Mip chains: box-filtered, sRGB averaged in linear light.</summary>
public class TextureMipsTests
{
    [Fact]
    public void A_checker_averages_to_mid_grey_in_linear_light()
    {
        const uint Black = 0xFF000000, White = 0xFFFFFFFF;
        var checker = Enumerable.Range(0, 16).Select(i => ((i % 4) + (i / 4)) % 2 == 0 ? Black : White).ToArray();
        var levels = TextureMips.Build(new SceneTexture("checker", 4, 4, checker, TextureWrap.Repeat, TextureWrap.Repeat, IsSrgb: true));
        Assert.Equal([(4, 4), (2, 2), (1, 1)], levels.Select(l => (l.Width, l.Height)));
        // Half black, half white is 0.5 in linear light: 188 in sRGB (not 128, which would be an sRGB-space average).
        Assert.All(levels[1].Texels.Concat(levels[2].Texels), t => Assert.Equal(0xFFBCBCBCu, t));
        var linear = TextureMips.Build(new SceneTexture("checker", 4, 4, checker, TextureWrap.Repeat, TextureWrap.Repeat, IsSrgb: false));
        Assert.All(linear[2].Texels, t => Assert.Equal(0xFF808080u, t));
        // Odd sizes: 3x1 -> 1x1 averages the first two texels (the edge one is counted once per footprint).
        Assert.Equal(2, TextureMips.Build(new SceneTexture("odd", 3, 1, [Black, White, Black], TextureWrap.Repeat, TextureWrap.Repeat, false)).Count);
    }
}
