namespace RenderNet.Core.Rendering;

/// <summary>
/// Render passes (AOVs) the path tracer can produce besides the beauty image, for compositing and denoising. Each is
/// computed per pixel from the pixel's own samples, so passes reassemble from tiles bit-exactly like the beauty.
/// </summary>
[Flags]
public enum RenderPasses : uint
{
    None = 0,
    /// <summary>Base colour of the first surface that is not a smooth mirror or glass (the environment, up to 1, where nothing is hit); mean over the samples.</summary>
    Albedo = 1,
    /// <summary>World-space shading normal of that surface, facing the viewer; mean over the samples (not renormalised; zero where nothing is hit).</summary>
    Normal = 2,
    /// <summary>Distance along the pixel centre's camera ray to the first hit (1e10 where nothing is hit, as Cycles writes).</summary>
    Depth = 4,
    /// <summary>World position of the pixel centre's first hit (zero where nothing is hit).</summary>
    Position = 8,
    /// <summary>glTF node index of the mesh hit through the pixel centre (-1: none).</summary>
    ObjectId = 16,
    /// <summary>glTF material index hit through the pixel centre (-1: none).</summary>
    MaterialId = 32,
    /// <summary>Light emitted toward the camera by what it sees directly: emitters and the environment.</summary>
    Emission = 64,
    /// <summary>Light reaching the camera after exactly one bounce (lamps, emitters and the environment lighting the visible surfaces).</summary>
    Direct = 128,
    /// <summary>Light after two or more bounces: beauty = emission + direct + indirect (up to float rounding).</summary>
    Indirect = 256,
    /// <summary>Variance of the pixel's mean luminance (the sample variance over the samples taken, divided by their count): what adaptive sampling judges by.</summary>
    Variance = 512,
    All = 1023,
}

/// <summary>One pass: its flag, the name users type and the channel names it has in EXR files (OpenEXR conventions).</summary>
public sealed record RenderPassInfo(RenderPasses Pass, string Name, IReadOnlyList<string> Channels)
{
    public int ChannelCount => Channels.Count;
}

/// <summary>
/// How passes are named and laid out. A tile or frame with passes is planar: the beauty RGBA (4 floats per pixel)
/// first, then each selected pass in the order of <see cref="All"/>, its channels interleaved per pixel.
/// </summary>
public static class RenderPassLayout
{
    public static IReadOnlyList<RenderPassInfo> All { get; } =
    [
        new(RenderPasses.Albedo, "albedo", ["albedo.R", "albedo.G", "albedo.B"]),
        new(RenderPasses.Normal, "normal", ["N.X", "N.Y", "N.Z"]),
        new(RenderPasses.Depth, "depth", ["Z"]),
        new(RenderPasses.Position, "position", ["P.X", "P.Y", "P.Z"]),
        new(RenderPasses.ObjectId, "object", ["objectId"]),
        new(RenderPasses.MaterialId, "material", ["materialId"]),
        new(RenderPasses.Emission, "emission", ["emission.R", "emission.G", "emission.B"]),
        new(RenderPasses.Direct, "direct", ["direct.R", "direct.G", "direct.B"]),
        new(RenderPasses.Indirect, "indirect", ["indirect.R", "indirect.G", "indirect.B"]),
        new(RenderPasses.Variance, "variance", ["variance"]),
    ];

    /// <summary>The beauty's channels: linear RGB radiance and alpha (1).</summary>
    public static IReadOnlyList<string> BeautyChannels { get; } = ["R", "G", "B", "A"];

    /// <summary>Depth written where the pixel centre's ray hits nothing.</summary>
    public const float MissDepth = 1e10f;

    public static IEnumerable<RenderPassInfo> Of(RenderPasses passes) => All.Where(p => (passes & p.Pass) != 0);

    /// <summary>Floats per pixel of a tile with these passes: 4 (beauty) plus every pass's channels.</summary>
    public static int FloatsPerPixel(RenderPasses passes) => 4 + Of(passes).Sum(p => p.ChannelCount);

    /// <summary>Where <paramref name="pass"/>'s plane starts in a tile (or frame) of <paramref name="pixelCount"/> pixels.</summary>
    public static int PlaneOffset(RenderPasses passes, RenderPasses pass, int pixelCount)
    {
        if ((passes & pass) == 0 || !IsSingle(pass)) throw new ArgumentException($"{pass} is not one of the passes {Format(passes)}");
        int floats = 4;
        foreach (var p in Of(passes))
        {
            if (p.Pass == pass) break;
            floats += p.ChannelCount;
        }
        return checked(floats * pixelCount);
    }

    public static RenderPassInfo Info(RenderPasses pass) =>
        All.FirstOrDefault(p => p.Pass == pass) ?? throw new ArgumentException($"{pass} is not a single render pass");

    static bool IsSingle(RenderPasses pass) => pass != 0 && (pass & (pass - 1)) == 0;

    /// <summary>True when every bit names a pass.</summary>
    public static bool IsKnown(RenderPasses passes) => (passes & ~RenderPasses.All) == 0;

    /// <summary>Parses a comma-separated list of pass names (or "all", or "none").</summary>
    /// <exception cref="ArgumentException">A name is not a pass; the message lists the known ones.</exception>
    public static RenderPasses Parse(string list)
    {
        var passes = RenderPasses.None;
        foreach (var raw in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw.Equals("all", StringComparison.OrdinalIgnoreCase)) { passes |= RenderPasses.All; continue; }
            if (raw.Equals("none", StringComparison.OrdinalIgnoreCase)) continue;
            var info = All.FirstOrDefault(p => p.Name.Equals(raw, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException($"'{raw}' is not a render pass (known: {string.Join(", ", All.Select(p => p.Name))}, all)");
            passes |= info.Pass;
        }
        return passes;
    }

    public static string Format(RenderPasses passes) =>
        passes == RenderPasses.None ? "none" : string.Join(",", Of(passes).Select(p => p.Name));
}
