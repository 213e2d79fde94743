using RenderNet.Protocol;
namespace RenderNet.Farm;

/// <summary>
/// Bounds for every number a node reports. A node is a stranger: what it says about itself (slots, speeds, seconds,
/// sizes) is clamped or refused here, before any of it reaches arithmetic that could overflow, throw or allocate.
/// </summary>
public static class NodeReported
{
    /// <summary>Longest time a node may claim to have worked on one unit (a week: far beyond any deadline).</summary>
    public const double MaxSeconds = 7 * 24 * 3600;

    /// <summary>Seconds a node says it worked: finite, non-negative and sane, or the result is invalid.</summary>
    /// <exception cref="InvalidDataException">NaN, infinite, negative or absurd.</exception>
    public static double Seconds(double value, string what)
    {
        if (!double.IsFinite(value) || value < 0 || value > MaxSeconds)
            throw new InvalidDataException($"{what}: the node reports {value} seconds of work, which cannot be true");
        return value;
    }

    /// <summary>Workers the coordinator runs for a node: what it advertises, at least 1 and at most <paramref name="cap"/>.</summary>
    public static int Slots(uint advertised, int cap) => (int)Math.Clamp(advertised, 1u, (uint)Math.Max(1, cap));

    /// <summary>How many tiles a node takes in one <c>RenderTiles</c> call: what it offers, at most <see cref="TileBatches.MaxTiles"/>; 1 when it offers none.</summary>
    public static int BatchTiles(uint advertised) => (int)Math.Clamp(advertised, 1u, (uint)TileBatches.MaxTiles);

    /// <summary>Most logical processors a host is taken to have: more is a lie or a machine x264 cannot use anyway.</summary>
    public const int MaxCores = 1024;

    /// <summary>A node's reported core count, bounded; 0 when it reports none.</summary>
    public static int Cores(uint advertised) => (int)Math.Min(advertised, (uint)MaxCores);

    /// <summary>
    /// The most bytes a zlib stream of <paramref name="rawBytes"/> can take (zlib's deflateBound for stored blocks, plus
    /// the header and checksum): anything longer carries junk.
    /// </summary>
    public static long DeflateBound(long rawBytes) => rawBytes + (rawBytes >> 12) + (rawBytes >> 14) + (rawBytes >> 25) + 13 + 6;
}
