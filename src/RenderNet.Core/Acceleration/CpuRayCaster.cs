using System.Numerics;

namespace RenderNet.Core.Acceleration;

/// <summary>
/// Closest-hit ray casting on the CPU, through the BVH or by brute force over every triangle. It uses the same
/// Möller–Trumbore arithmetic as the GPU (edges e1 = p1 - p0, e2 = p2 - p0), so it is the reference the GPU's
/// coverage is checked against, and a cheap picking/spot-check tool.
/// </summary>
public sealed class CpuRayCaster(ReadOnlyMemory<Vector3> positions, Bvh? bvh = null)
{
    public readonly record struct Hit(int Triangle, float Distance);

    public int TriangleCount => positions.Length / 3;

    public bool Intersect(int triangle, Vector3 origin, Vector3 dir, float tMax, out float t)
    {
        var p = positions.Span;
        var v0 = p[3 * triangle];
        var e1 = p[3 * triangle + 1] - v0;
        var e2 = p[3 * triangle + 2] - v0;
        t = 0;
        var pv = Vector3.Cross(dir, e2);
        float det = Vector3.Dot(e1, pv);
        if (det == 0) return false;
        float inv = 1f / det;
        var s = origin - v0;
        float u = Vector3.Dot(s, pv) * inv;
        if (u < 0 || u > 1) return false;
        var q = Vector3.Cross(s, e1);
        float v = Vector3.Dot(dir, q) * inv;
        if (v < 0 || u + v > 1) return false;
        t = Vector3.Dot(e2, q) * inv;
        return t > 0 && t < tMax;
    }

    /// <summary>Tests every triangle: slow, but has no acceleration structure that could be wrong.</summary>
    public Hit? BruteForce(Vector3 origin, Vector3 dir)
    {
        Hit? best = null;
        float tMax = float.PositiveInfinity;
        for (int i = 0; i < TriangleCount; i++)
            if (Intersect(i, origin, dir, tMax, out float t)) { tMax = t; best = new Hit(i, t); }
        return best;
    }

    /// <summary>Closest hit through the BVH given to the constructor.</summary>
    public Hit? Trace(Vector3 origin, Vector3 dir)
    {
        if (bvh is null) throw new InvalidOperationException("no BVH was given");
        var invD = new Vector3(1f / dir.X, 1f / dir.Y, 1f / dir.Z);
        Hit? best = null;
        float tMax = float.PositiveInfinity;
        var stack = new Stack<uint>();
        stack.Push(0);
        while (stack.Count > 0)
        {
            var node = bvh.Nodes[stack.Pop()];
            if (!HitsBox(node, origin, invD, tMax)) continue;
            if (node.IsLeaf)
            {
                for (uint i = node.LeftOrFirst; i < node.LeftOrFirst + node.Count; i++)
                {
                    int tri = bvh.TriangleOrder[i];
                    if (Intersect(tri, origin, dir, tMax, out float t)) { tMax = t; best = new Hit(tri, t); }
                }
            }
            else
            {
                stack.Push(node.LeftOrFirst);
                stack.Push(node.LeftOrFirst + 1);
            }
        }
        return best;
    }

    static bool HitsBox(BvhNode node, Vector3 o, Vector3 invD, float tMax)
    {
        var t0 = (node.Min - o) * invD;
        var t1 = (node.Max - o) * invD;
        var near = Vector3.Min(t0, t1);
        var far = Vector3.Max(t0, t1);
        float enter = MathF.Max(MathF.Max(near.X, near.Y), MathF.Max(near.Z, 0));
        float exit = MathF.Min(MathF.Min(far.X, far.Y), MathF.Min(far.Z, tMax));
        // NaN (0 * inf on a slab boundary) compares false: treat as a hit so the test stays conservative.
        return !(enter > exit);
    }
}
