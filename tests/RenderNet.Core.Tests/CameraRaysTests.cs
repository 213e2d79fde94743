using System.Numerics;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;

namespace RenderNet.Core.Tests;

public class CameraRaysTests
{
    static SceneCamera Camera(ProjectionKind kind, float yfov = 0.8f) =>
        new("c", Matrix4x4.CreateTranslation(1, 2, 3), kind, yfov, null, 0.1f, 100f, 2f, 1.5f);

    [Fact]
    public void Yfov_is_vertical_and_the_frame_aspect_sets_the_horizontal_extent()
    {
        var rays = CameraRays.For(Camera(ProjectionKind.Perspective), 200, 100);
        var (o, centre) = rays.Ray(100, 50);
        Assert.Equal(new Vector3(1, 2, 3), o);
        Assert.True(Vector3.Distance(centre, -Vector3.UnitZ) < 1e-6f);
        var (_, top) = rays.Ray(100, 0);
        Assert.Equal(0.4f, MathF.Acos(Vector3.Dot(top, -Vector3.UnitZ)), 4);
        Assert.True(top.Y > 0, "row 0 is the top of the image");
        var (_, right) = rays.Ray(200, 50);
        Assert.Equal(MathF.Atan(2 * MathF.Tan(0.4f)), MathF.Acos(Vector3.Dot(right, -Vector3.UnitZ)), 4);
        Assert.True(right.X > 0);
    }

    [Fact]
    public void Orthographic_rays_are_parallel_and_span_ymag()
    {
        var rays = CameraRays.For(Camera(ProjectionKind.Orthographic), 100, 100);
        var (o1, d1) = rays.Ray(0, 0);
        var (o2, d2) = rays.Ray(100, 100);
        Assert.Equal(d1, d2);
        Assert.Equal(new Vector3(1 - 1.5f, 2 + 1.5f, 3), o1);
        Assert.Equal(new Vector3(1 + 1.5f, 2 - 1.5f, 3), o2);
    }

    [Fact]
    public void Framing_camera_sees_the_whole_box()
    {
        var cam = SceneCamera.Framing(new Vector3(-1, -2, -3), new Vector3(4, 5, 6));
        var rays = CameraRays.For(cam, 64, 64);
        var centre = new Vector3(1.5f, 1.5f, 1.5f);
        var toCentre = Vector3.Normalize(centre - cam.Position);
        Assert.True(Vector3.Dot(toCentre, rays.Forward) > 0.9999f);
        // The bounding sphere fits inside the vertical field of view.
        float radius = Vector3.Distance(new Vector3(-1, -2, -3), new Vector3(4, 5, 6)) / 2;
        Assert.True(MathF.Asin(radius / Vector3.Distance(centre, cam.Position)) <= cam.YFov / 2);
    }
}
