using System.Numerics;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;

namespace RenderNet.Protocol;

/// <summary>Maps frame settings, cameras and tiles to and from their messages; the node renders exactly what was sent.</summary>
public static class FrameMessages
{
    public static TileRequest ToRequest(string sceneSha256, FrameSettings frame, TileRect tile, string jobId, int tileIndex)
    {
        var request = new TileRequest
        {
            ProtocolVersion = ProtocolVersion.Current,
            SceneSha256 = sceneSha256,
            Camera = ToMessage(frame.Camera),
            FrameWidth = (uint)frame.Width,
            FrameHeight = (uint)frame.Height,
            SamplesPerPixel = (uint)frame.SamplesPerPixel,
            MaxBounces = (uint)frame.MaxBounces,
            Seed = frame.Seed,
            BackgroundR = frame.Background.X,
            BackgroundG = frame.Background.Y,
            BackgroundB = frame.Background.Z,
            X = (uint)tile.X,
            Y = (uint)tile.Y,
            Width = (uint)tile.Width,
            Height = (uint)tile.Height,
            JobId = jobId,
            TileIndex = (uint)tileIndex,
            RenderMode = (uint)frame.Mode,
            Animated = frame.Animation is not null,
            Animation = (uint)(frame.Animation?.Animation ?? 0),
            AnimationTime = frame.Animation?.Time ?? 0,
            NoiseThreshold = frame.NoiseThreshold,
            MinSamplesPerPixel = (uint)frame.MinSamplesPerPixel,
            Passes = (uint)frame.Passes,
        };
        return request;
    }

    public static Camera ToMessage(SceneCamera camera)
    {
        var m = camera.World;
        var message = new Camera
        {
            Orthographic = camera.Projection == ProjectionKind.Orthographic,
            Yfov = camera.YFov,
            Ymag = camera.YMag,
            Znear = camera.ZNear,
            Name = camera.Name,
        };
        message.World.AddRange([m.M11, m.M12, m.M13, m.M14, m.M21, m.M22, m.M23, m.M24, m.M31, m.M32, m.M33, m.M34, m.M41, m.M42, m.M43, m.M44]);
        return message;
    }

    /// <exception cref="ArgumentException">The message does not describe a valid camera or frame.</exception>
    public static (FrameSettings Frame, TileRect Tile) FromRequest(TileRequest request)
    {
        var c = request.Camera ?? throw new ArgumentException("the tile request has no camera");
        if (c.World.Count != 16) throw new ArgumentException($"camera matrix has {c.World.Count} values, expected 16");
        var w = c.World;
        var world = new Matrix4x4(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15]);
        var camera = new SceneCamera(c.Name, world, c.Orthographic ? ProjectionKind.Orthographic : ProjectionKind.Perspective,
            c.Yfov, null, c.Znear, null, c.Ymag, c.Ymag);
        var frame = new FrameSettings
        {
            Width = checked((int)request.FrameWidth),
            Height = checked((int)request.FrameHeight),
            Camera = camera,
            SamplesPerPixel = checked((int)request.SamplesPerPixel),
            MaxBounces = checked((int)request.MaxBounces),
            Seed = request.Seed,
            Background = new Vector3(request.BackgroundR, request.BackgroundG, request.BackgroundB),
            Mode = request.RenderMode switch
            {
                0 => RenderMode.PathTrace,
                1 => RenderMode.Raster,
                var m => throw new ArgumentException($"render mode {m} is unknown (0: path trace, 1: raster)"),
            },
            Animation = request.Animated ? new AnimationPose(checked((int)request.Animation), request.AnimationTime) : null,
            NoiseThreshold = request.NoiseThreshold,
            MinSamplesPerPixel = (int)Math.Min(request.MinSamplesPerPixel, int.MaxValue), // bounded by Validate
            Passes = (RenderPasses)request.Passes,   // unknown bits refused by Validate
        };
        frame.Validate();
        var tile = new TileRect(checked((int)request.X), checked((int)request.Y), checked((int)request.Width), checked((int)request.Height));
        if (tile.Width <= 0 || tile.Height <= 0 || (long)tile.X + tile.Width > frame.Width || (long)tile.Y + tile.Height > frame.Height)
            throw new ArgumentException($"tile {tile} lies outside the {frame.Width}x{frame.Height} frame");
        return (frame, tile);
    }
}
