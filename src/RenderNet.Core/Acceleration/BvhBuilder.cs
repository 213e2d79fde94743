using System.Numerics;

namespace RenderNet.Core.Acceleration;

/// <summary>
/// Builds a BVH with binned SAH on the CPU. Subtrees of large nodes are built in parallel, but each node's work
/// (binning, choice of split, in-place partition of its own index range) is sequential and the tree is flattened
/// in a fixed depth-first order, so the same triangles always give the same nodes in the same order.
/// </summary>
public static class BvhBuilder
{
    const int BinCount = 16;
    const int MaxLeafSize = 4;
    /// <summary>Past this depth a node becomes a leaf: the GPU traversal stack holds 64 entries.</summary>
    public const int MaxDepth = 60;
    const int ParallelThreshold = 16 * 1024;
    const float TraversalCost = 1f;
    const float IntersectionCost = 1f;

    sealed class BuildNode
    {
        public Vector3 Min, Max;
        public int Start, Count;
        public BuildNode? Left, Right;
    }

    /// <param name="positions">Three corners per triangle.</param>
    /// <param name="parallel">Build large subtrees on the thread pool (same result either way; false is the benchmark baseline).</param>
    public static Bvh Build(ReadOnlySpan<Vector3> positions, bool parallel = true)
    {
        if (positions.Length % 3 != 0) throw new ArgumentException("positions must hold three corners per triangle", nameof(positions));
        int n = positions.Length / 3;
        if (n == 0) throw new ArgumentException("a BVH needs at least one triangle", nameof(positions));
        var boxMin = new Vector3[n];
        var boxMax = new Vector3[n];
        var centroid = new Vector3[n];
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            var a = positions[3 * i];
            var b = positions[3 * i + 1];
            var c = positions[3 * i + 2];
            boxMin[i] = Vector3.Min(a, Vector3.Min(b, c));
            boxMax[i] = Vector3.Max(a, Vector3.Max(b, c));
            centroid[i] = (boxMin[i] + boxMax[i]) * 0.5f;
            order[i] = i;
        }
        var ctx = new Context(boxMin, boxMax, centroid, order, parallel);
        var root = ctx.Build(0, n, 0);
        return Flatten(root, order);
    }

    sealed class Context(Vector3[] boxMin, Vector3[] boxMax, Vector3[] centroid, int[] order, bool parallel)
    {
        public BuildNode Build(int start, int count, int depth)
        {
            var node = new BuildNode { Start = start, Count = count };
            var cMin = new Vector3(float.PositiveInfinity);
            var cMax = new Vector3(float.NegativeInfinity);
            node.Min = cMin; node.Max = cMax;
            for (int i = start; i < start + count; i++)
            {
                int t = order[i];
                node.Min = Vector3.Min(node.Min, boxMin[t]);
                node.Max = Vector3.Max(node.Max, boxMax[t]);
                cMin = Vector3.Min(cMin, centroid[t]);
                cMax = Vector3.Max(cMax, centroid[t]);
            }
            if (count <= MaxLeafSize || depth >= MaxDepth) return node;

            int mid = FindSplit(node, start, count, cMin, cMax);
            if (mid < 0) return node;

            if (parallel && count >= ParallelThreshold)
            {
                BuildNode? left = null, right = null;
                Parallel.Invoke(
                    () => left = Build(start, mid - start, depth + 1),
                    () => right = Build(mid, start + count - mid, depth + 1));
                node.Left = left; node.Right = right;
            }
            else
            {
                node.Left = Build(start, mid - start, depth + 1);
                node.Right = Build(mid, start + count - mid, depth + 1);
            }
            return node;
        }

        /// <summary>Returns the index where the right child's range starts, or -1 to make a leaf.</summary>
        int FindSplit(BuildNode node, int start, int count, Vector3 cMin, Vector3 cMax)
        {
            var extent = cMax - cMin;
            Span<int> binCount = stackalloc int[BinCount];
            Span<Vector3> binMin = stackalloc Vector3[BinCount];
            Span<Vector3> binMax = stackalloc Vector3[BinCount];
            Span<float> rightArea = stackalloc float[BinCount];
            float bestCost = float.PositiveInfinity;
            int bestAxis = -1, bestBin = -1;

            for (int axis = 0; axis < 3; axis++)
            {
                float lo = cMin[axis], size = extent[axis];
                if (!(size > 0)) continue;
                float scale = BinCount / size;
                binCount.Clear();
                binMin.Fill(new Vector3(float.PositiveInfinity));
                binMax.Fill(new Vector3(float.NegativeInfinity));
                for (int i = start; i < start + count; i++)
                {
                    int t = order[i];
                    int b = Math.Min(BinCount - 1, (int)((centroid[t][axis] - lo) * scale));
                    binCount[b]++;
                    binMin[b] = Vector3.Min(binMin[b], boxMin[t]);
                    binMax[b] = Vector3.Max(binMax[b], boxMax[t]);
                }
                // Sweep from the right to get the area of every right-hand group, then from the left to cost each split.
                var rMin = new Vector3(float.PositiveInfinity);
                var rMax = new Vector3(float.NegativeInfinity);
                for (int b = BinCount - 1; b > 0; b--)
                {
                    rMin = Vector3.Min(rMin, binMin[b]);
                    rMax = Vector3.Max(rMax, binMax[b]);
                    rightArea[b] = HalfArea(rMin, rMax);
                }
                var lMin = new Vector3(float.PositiveInfinity);
                var lMax = new Vector3(float.NegativeInfinity);
                int leftCount = 0;
                for (int b = 0; b < BinCount - 1; b++)
                {
                    lMin = Vector3.Min(lMin, binMin[b]);
                    lMax = Vector3.Max(lMax, binMax[b]);
                    leftCount += binCount[b];
                    int rightCount = count - leftCount;
                    if (leftCount == 0 || rightCount == 0) continue;
                    float cost = leftCount * HalfArea(lMin, lMax) + rightCount * rightArea[b + 1];
                    if (cost < bestCost) { bestCost = cost; bestAxis = axis; bestBin = b; }
                }
            }

            float parentArea = HalfArea(node.Min, node.Max);
            if (bestAxis < 0)
            {
                // All centroids coincide: split the range in half so leaves stay small.
                return count > MaxLeafSize ? start + count / 2 : -1;
            }
            float splitCost = TraversalCost + IntersectionCost * bestCost / Math.Max(parentArea, 1e-30f);
            if (count <= 2 * MaxLeafSize && splitCost >= IntersectionCost * count) return -1;

            float lo2 = cMin[bestAxis], scale2 = BinCount / extent[bestAxis];
            int left = start, right = start + count - 1;
            while (left <= right)
            {
                int t = order[left];
                int b = Math.Min(BinCount - 1, (int)((centroid[t][bestAxis] - lo2) * scale2));
                if (b <= bestBin) left++;
                else { (order[left], order[right]) = (order[right], order[left]); right--; }
            }
            return left == start || left == start + count ? start + count / 2 : left;
        }

        static float HalfArea(Vector3 min, Vector3 max)
        {
            var d = Vector3.Max(max - min, Vector3.Zero);
            return d.X * d.Y + d.Y * d.Z + d.Z * d.X;
        }
    }

    static Bvh Flatten(BuildNode root, int[] order)
    {
        var nodes = new List<BvhNode> { default };
        var stack = new Stack<(BuildNode Node, int Slot, int Depth)>();
        stack.Push((root, 0, 1));
        int maxDepth = 1;
        while (stack.Count > 0)
        {
            var (node, slot, depth) = stack.Pop();
            maxDepth = Math.Max(maxDepth, depth);
            if (node.Left is null || node.Right is null)
            {
                nodes[slot] = new BvhNode(node.Min, (uint)node.Start, node.Max, (uint)node.Count);
                continue;
            }
            int first = nodes.Count;
            nodes.Add(default);
            nodes.Add(default);
            nodes[slot] = new BvhNode(node.Min, (uint)first, node.Max, 0);
            stack.Push((node.Right, first + 1, depth + 1));
            stack.Push((node.Left, first, depth + 1));
        }
        return new Bvh { Nodes = nodes.ToArray(), TriangleOrder = order, Depth = maxDepth };
    }
}
