using System.Numerics;

namespace RenderNet.Core.Acceleration;

/// <summary>
/// One node of a flattened BVH. An inner node (<see cref="Count"/> = 0) has its two children at
/// <see cref="LeftOrFirst"/> and <see cref="LeftOrFirst"/>+1; a leaf holds <see cref="Count"/> triangles starting at
/// <see cref="LeftOrFirst"/> in <see cref="Bvh.TriangleOrder"/>. 32 bytes, the layout the GPU reads.
/// </summary>
public readonly record struct BvhNode(Vector3 Min, uint LeftOrFirst, Vector3 Max, uint Count)
{
    public bool IsLeaf => Count > 0;
}

/// <summary>A flattened bounding volume hierarchy over a scene's triangles.</summary>
public sealed class Bvh
{
    public required BvhNode[] Nodes { get; init; }
    /// <summary>Scene triangle index of each BVH slot: leaves address ranges of this array.</summary>
    public required int[] TriangleOrder { get; init; }
    public required int Depth { get; init; }
}
