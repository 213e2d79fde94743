using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;

namespace RenderNet.Exr;

/// <summary>
/// Writes a rendered frame as one multi-layer EXR: the beauty as R, G, B, A; every render pass as a layer with
/// OpenEXR's usual channel names (<c>albedo.R</c>, <c>N.X</c>, <c>Z</c>, <c>P.X</c>, …; see <see cref="RenderPassLayout"/>);
/// the camera and render settings as header attributes. Colour layers use <paramref name="colourType"/>; data layers
/// (depth, position, normal, ids, variance) are always 32-bit float, since half would round ids and depths.
/// </summary>
public static class FrameExr
{
    public static void Write(string path, RenderedFrame frame, FrameSettings? settings, ExrWriteOptions? options = null,
        ExrPixelType colourType = ExrPixelType.Half, FloatImage? noisyBeauty = null, IReadOnlyList<ExrAttribute>? extra = null)
    {
        int w = frame.Width, h = frame.Height;
        var channels = new List<ExrChannel>();
        AddInterleaved(channels, frame.Beauty.Pixels, 4, RenderPassLayout.BeautyChannels, colourType);
        foreach (var pass in frame.Passes)
            AddInterleaved(channels, pass.Values, pass.Channels, pass.Info.Channels, IsColour(pass.Info.Pass) ? colourType : ExrPixelType.Float);
        if (noisyBeauty is not null)
        {
            if (noisyBeauty.Width != w || noisyBeauty.Height != h) throw new ArgumentException("the noisy beauty must have the frame's size");
            AddInterleaved(channels, noisyBeauty.Pixels, 4, ["noisy.R", "noisy.G", "noisy.B"], colourType);
        }
        var attributes = new List<ExrAttribute> { new ExrAttribute.Text("software", "RenderNet") };
        if (settings is not null) attributes.AddRange(SettingsAttributes(settings));
        if (extra is not null) attributes.AddRange(extra);
        ExrWriter.Write(path, w, h, channels, options, attributes);
    }

    static bool IsColour(RenderPasses pass) =>
        pass is RenderPasses.Albedo or RenderPasses.Emission or RenderPasses.Direct or RenderPasses.Indirect;

    /// <summary>Splits interleaved pixels into planes, one channel per name (names may be fewer than the stride: trailing components are dropped).</summary>
    static void AddInterleaved(List<ExrChannel> channels, float[] interleaved, int stride, IReadOnlyList<string> names, ExrPixelType type)
    {
        int pixels = interleaved.Length / stride;
        for (int c = 0; c < names.Count; c++)
        {
            var plane = new float[pixels];
            for (int i = 0; i < pixels; i++) plane[i] = interleaved[i * stride + c];
            channels.Add(new ExrChannel(names[c], plane, type));
        }
    }

    /// <summary>
    /// The camera (OpenEXR's standard <c>worldToCamera</c> matrix, row-vector convention as OpenEXR's Imath, and the
    /// field of view) and what decided the pixels (samples, bounces, seed, adaptive threshold, passes).
    /// </summary>
    public static IEnumerable<ExrAttribute> SettingsAttributes(FrameSettings frame)
    {
        var world = frame.Camera.World;
        System.Numerics.Matrix4x4.Invert(world, out var worldToCamera);
        yield return new ExrAttribute.Matrix("worldToCamera",
        [
            worldToCamera.M11, worldToCamera.M12, worldToCamera.M13, worldToCamera.M14,
            worldToCamera.M21, worldToCamera.M22, worldToCamera.M23, worldToCamera.M24,
            worldToCamera.M31, worldToCamera.M32, worldToCamera.M33, worldToCamera.M34,
            worldToCamera.M41, worldToCamera.M42, worldToCamera.M43, worldToCamera.M44,
        ]);
        yield return new ExrAttribute.Text("rendernet/camera", frame.Camera.Name ?? "");
        yield return new ExrAttribute.Text("rendernet/projection", frame.Camera.Projection.ToString().ToLowerInvariant());
        yield return new ExrAttribute.Float("rendernet/yfov", frame.Camera.YFov);
        yield return new ExrAttribute.Int("rendernet/samplesPerPixel", frame.SamplesPerPixel);
        yield return new ExrAttribute.Int("rendernet/maxBounces", frame.MaxBounces);
        yield return new ExrAttribute.Int("rendernet/seed", unchecked((int)frame.Seed));
        yield return new ExrAttribute.Float("rendernet/noiseThreshold", frame.NoiseThreshold);
        yield return new ExrAttribute.Text("rendernet/mode", frame.Mode == RenderMode.Raster ? "raster" : "path");
        yield return new ExrAttribute.Text("rendernet/passes", RenderPassLayout.Format(frame.Passes));
    }
}
