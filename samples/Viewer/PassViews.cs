using RenderNet.Core.Imaging;
using RenderNet.Exr;

namespace RenderNet.Viewer;

/// <summary>
/// The images the V key cycles through once a network render finishes: the beauty (denoised when asked), and each
/// render pass of the job's EXR output made viewable — colours as they are, normals as (n + 1) / 2, depth near-bright,
/// ids as palette colours, variance as its square root scaled to the frame's largest.
/// </summary>
static class PassViews
{
    /// <summary>(name, linear RGBA32F as the canvas shows it) for every layer of the EXR the viewer knows how to show.</summary>
    public static List<(string Name, float[] Pixels)> FromExr(ExrImage exr)
    {
        int n = exr.Width * exr.Height;
        var views = new List<(string, float[])>();
        float[]? Channel(string name) => exr.Channels.TryGetValue(name, out var v) ? v : null;
        void Add(string name, Func<int, (float R, float G, float B)> pixel)
        {
            var rgba = new float[n * 4];
            for (int i = 0; i < n; i++)
            {
                var (r, g, b) = pixel(i);
                (rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2], rgba[4 * i + 3]) = (r, g, b, 1);
            }
            views.Add((name, rgba));
        }
        // The canvas encodes linear light to sRGB: data meant to be seen as display values are decoded first.
        static float Display(float v) => ImageWriter.SrgbToLinear(Math.Clamp(v, 0, 1));

        foreach (var layer in new[] { "noisy", "albedo", "emission", "direct", "indirect" })
            if (Channel($"{layer}.R") is { } r && Channel($"{layer}.G") is { } g && Channel($"{layer}.B") is { } b)
                Add(layer, i => (r[i], g[i], b[i]));
        if (Channel("N.X") is { } nx && Channel("N.Y") is { } ny && Channel("N.Z") is { } nz)
            Add("normal", i => (Display(nx[i] * 0.5f + 0.5f), Display(ny[i] * 0.5f + 0.5f), Display(nz[i] * 0.5f + 0.5f)));
        if (Channel("Z") is { } z)
        {
            var hits = z.Where(d => d < Core.Rendering.RenderPassLayout.MissDepth).DefaultIfEmpty(0).ToArray();
            float near = hits.Min(), far = hits.Max();
            Add("depth", i => z[i] >= Core.Rendering.RenderPassLayout.MissDepth ? (0, 0, 0)
                : Gray(Display(1 - (z[i] - near) / Math.Max(far - near, 1e-6f))));
        }
        if (Channel("P.X") is { } px && Channel("P.Y") is { } py && Channel("P.Z") is { } pz)
            Add("position", i => (Display(Fraction(px[i])), Display(Fraction(py[i])), Display(Fraction(pz[i]))));
        foreach (var ids in new[] { "objectId", "materialId" })
            if (Channel(ids) is { } id)
                Add(ids == "objectId" ? "object" : "material", i =>
                {
                    if (id[i] < 0) return (0, 0, 0);
                    var c = TimelineChart.ColorOf((int)id[i]);
                    return (Display(c.R / 255f), Display(c.G / 255f), Display(c.B / 255f));
                });
        if (Channel("variance") is { } variance)
        {
            float top = MathF.Sqrt(Math.Max(variance.Max(), 1e-20f));
            Add("variance", i => Gray(Display(MathF.Sqrt(Math.Max(variance[i], 0)) / top)));
        }
        return views;
    }

    static (float, float, float) Gray(float v) => (v, v, v);
    static float Fraction(float v) => v - MathF.Floor(v);
}
