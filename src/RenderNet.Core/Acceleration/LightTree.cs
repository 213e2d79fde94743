using System.Numerics;

namespace RenderNet.Core.Acceleration;

/// <summary>An emitting triangle as the light tree sees it: where it is, which way it emits, and how much.</summary>
/// <param name="Slot">The triangle's slot in the BVH's order (what the path tracer names triangles by).</param>
/// <param name="Normal">Unit normal of the emitting side.</param>
/// <param name="Power">Emitted power up to a constant common to all emitters (area × luminance, ×2 when two-sided).</param>
public readonly record struct LightEmitter(int Slot, Vector3 Min, Vector3 Max, Vector3 Normal, float Power, bool TwoSided);

/// <summary>A cone of directions: every direction within the angle whose cosine is <see cref="CosTheta"/> of the axis.</summary>
public readonly record struct DirectionCone(Vector3 Axis, float CosTheta)
{
    public static readonly DirectionCone EntireSphere = new(Vector3.UnitZ, -1);

    /// <summary>The smallest cone holding both (PBRT v4's DirectionCone Union).</summary>
    public static DirectionCone Union(DirectionCone a, DirectionCone b)
    {
        double thetaA = Math.Acos(Math.Clamp(a.CosTheta, -1, 1)), thetaB = Math.Acos(Math.Clamp(b.CosTheta, -1, 1));
        double thetaD = Math.Acos(Math.Clamp(Vector3.Dot(a.Axis, b.Axis), -1, 1));
        if (Math.Min(thetaD + thetaB, Math.PI) <= thetaA) return a;
        if (Math.Min(thetaD + thetaA, Math.PI) <= thetaB) return b;
        double thetaO = (thetaA + thetaD + thetaB) / 2;
        if (thetaO >= Math.PI) return EntireSphere;
        var axis = Vector3.Cross(a.Axis, b.Axis);
        if (axis.LengthSquared() < 1e-12f) return EntireSphere;
        var rotation = Quaternion.CreateFromAxisAngle(Vector3.Normalize(axis), (float)(thetaO - thetaA));
        return new DirectionCone(Vector3.Normalize(Vector3.Transform(a.Axis, rotation)), (float)Math.Cos(thetaO));
    }
}

/// <summary>
/// A node of the light tree: the bounds, total power and emission directions of the emitters below it (PBRT v4's
/// LightBounds: emission normals within <see cref="Cone"/>, each emitting up to the angle whose cosine is
/// <see cref="CosThetaE"/> from its normal). An interior node's children are <see cref="Child"/> and Child + 1; a leaf
/// holds one emitter, the triangle in slot <see cref="Child"/>.
/// </summary>
public readonly record struct LightTreeNode(Vector3 Min, Vector3 Max, float Power, DirectionCone Cone, float CosThetaE, bool TwoSided, int Child, bool IsLeaf);

/// <summary>
/// A bounding hierarchy over emitting triangles for light sampling (Conty Estevez and Kulla 2018; as PBRT v4's
/// BVHLightSampler): from a shading point, each level picks a child by its importance there — power over squared
/// distance, bounded by how much of the node can face the point and the point face it — so the lights near and
/// facing a point are chosen far more often than by power alone, and a light that cannot reach it never. The
/// probability of any emitter is the product along its path (its <see cref="Trail"/>), which the path tracer computes
/// again when a BSDF-sampled ray hits it (multiple importance sampling). Split at the median of the longest axis of
/// the emitters' centres: at most 32 levels (the trail is 32 bits) for up to 2³² emitters.
/// </summary>
public sealed class LightTree
{
    public LightTreeNode[] Nodes { get; }
    /// <summary>Per emitter slot, the children taken from the root (bit k: level k, 0 first, 1 second).</summary>
    public IReadOnlyDictionary<int, uint> Trail { get; }

    LightTree(LightTreeNode[] nodes, Dictionary<int, uint> trail)
    {
        Nodes = nodes;
        Trail = trail;
    }

    public static LightTree Build(IReadOnlyList<LightEmitter> emitters)
    {
        var nodes = new List<LightTreeNode>();
        var trail = new Dictionary<int, uint>();
        if (emitters.Count == 0) return new LightTree([], trail);
        var order = emitters.ToArray();
        nodes.Add(default);
        BuildNode(order, 0, order.Length, 0, 0, 0u, nodes, trail);
        return new LightTree(nodes.ToArray(), trail);
    }

    static void BuildNode(LightEmitter[] e, int start, int count, int index, int depth, uint path, List<LightTreeNode> nodes, Dictionary<int, uint> trail)
    {
        if (count == 1)
        {
            var l = e[start];
            nodes[index] = new LightTreeNode(l.Min, l.Max, l.Power, new DirectionCone(l.Normal, 1), 0, l.TwoSided, l.Slot, true);
            trail[l.Slot] = path;
            return;
        }
        var lo = new Vector3(float.MaxValue);
        var hi = new Vector3(float.MinValue);
        for (int i = start; i < start + count; i++)
        {
            var c = (e[i].Min + e[i].Max) * 0.5f;
            lo = Vector3.Min(lo, c);
            hi = Vector3.Max(hi, c);
        }
        var extent = hi - lo;
        int axis = extent.X >= extent.Y && extent.X >= extent.Z ? 0 : extent.Y >= extent.Z ? 1 : 2;
        // Stable order (centre, then slot): the tree, and so every pixel, is the same on every machine.
        Array.Sort(e, start, count, Comparer<LightEmitter>.Create((a, b) =>
        {
            int byCentre = ((a.Min + a.Max)[axis]).CompareTo((b.Min + b.Max)[axis]);
            return byCentre != 0 ? byCentre : a.Slot.CompareTo(b.Slot);
        }));
        int half = count / 2;
        int child = nodes.Count;
        nodes.Add(default);
        nodes.Add(default);
        BuildNode(e, start, half, child, depth + 1, path, nodes, trail);
        BuildNode(e, start + half, count - half, child + 1, depth + 1, path | (1u << depth), nodes, trail);
        var a = nodes[child];
        var b = nodes[child + 1];
        nodes[index] = new LightTreeNode(Vector3.Min(a.Min, b.Min), Vector3.Max(a.Max, b.Max), a.Power + b.Power,
            DirectionCone.Union(a.Cone, b.Cone), Math.Min(a.CosThetaE, b.CosThetaE), a.TwoSided || b.TwoSided, child, false);
    }

    /// <summary>
    /// How much the emitters of a node may light point <paramref name="p"/> with normal <paramref name="n"/> (PBRT v4's
    /// LightBounds::Importance; the shader computes the same in float). Zero only where none of them can.
    /// </summary>
    public static double Importance(in LightTreeNode node, Vector3 p, Vector3 n)
    {
        var centre = (node.Min + node.Max) * 0.5f;
        var toPoint = p - centre;
        double d2 = Math.Max(toPoint.LengthSquared(), (node.Max - node.Min).Length() / 2);
        var wi = toPoint.LengthSquared() > 0 ? Vector3.Normalize(toPoint) : node.Cone.Axis;
        double cosW = Vector3.Dot(node.Cone.Axis, wi);
        if (node.TwoSided) cosW = Math.Abs(cosW);
        double sinW = Math.Sqrt(Math.Max(0, 1 - cosW * cosW));
        double cosB = -1;
        bool inside = p.X >= node.Min.X && p.Y >= node.Min.Y && p.Z >= node.Min.Z && p.X <= node.Max.X && p.Y <= node.Max.Y && p.Z <= node.Max.Z;
        double r2 = (node.Max - centre).LengthSquared(), dc2 = toPoint.LengthSquared();
        if (!inside && dc2 > r2) cosB = Math.Sqrt(Math.Max(0, 1 - r2 / dc2));
        double sinB = Math.Sqrt(Math.Max(0, 1 - cosB * cosB));
        double cosO = node.Cone.CosTheta, sinO = Math.Sqrt(Math.Max(0, 1 - cosO * cosO));
        double cosX = CosSubClamped(sinW, cosW, sinO, cosO), sinX = SinSubClamped(sinW, cosW, sinO, cosO);
        double cosP = CosSubClamped(sinX, cosX, sinB, cosB);
        if (cosP <= node.CosThetaE) return 0;
        double importance = node.Power * cosP / d2;
        double cosI = Math.Abs(Vector3.Dot(wi, n)), sinI = Math.Sqrt(Math.Max(0, 1 - cosI * cosI));
        importance *= CosSubClamped(sinI, cosI, sinB, cosB);
        return Math.Max(importance, 0);
    }

    // cos(max(0, a − b)) and sin(max(0, a − b)) from the sines and cosines of a and b.
    static double CosSubClamped(double sinA, double cosA, double sinB, double cosB) => cosA > cosB ? 1 : cosA * cosB + sinA * sinB;
    static double SinSubClamped(double sinA, double cosA, double sinB, double cosB) => cosA > cosB ? 0 : sinA * cosB - cosA * sinB;

    /// <summary>The probability that sampling from (<paramref name="p"/>, <paramref name="n"/>) picks the emitter in <paramref name="slot"/>.</summary>
    public double Probability(Vector3 p, Vector3 n, int slot)
    {
        if (!Trail.TryGetValue(slot, out uint path)) return 0;
        double pmf = 1;
        var node = Nodes[0];
        for (int depth = 0; !node.IsLeaf; depth++)
        {
            double i0 = Importance(Nodes[node.Child], p, n), i1 = Importance(Nodes[node.Child + 1], p, n);
            if (i0 + i1 <= 0) return 0;
            int bit = (int)((path >> depth) & 1);
            pmf *= (bit == 0 ? i0 : i1) / (i0 + i1);
            node = Nodes[node.Child + bit];
        }
        return pmf;
    }
}
