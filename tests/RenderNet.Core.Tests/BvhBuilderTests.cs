using System.Numerics;
using RenderNet.Core.Acceleration;

namespace RenderNet.Core.Tests;

public class BvhBuilderTests
{
    internal static Vector3[] RandomSoup(int triangles, int seed, float size = 0.05f)
    {
        var rng = new Random(seed);
        var p = new Vector3[triangles * 3];
        for (int i = 0; i < triangles; i++)
        {
            var c = new Vector3(rng.NextSingle(), rng.NextSingle(), rng.NextSingle()) * 10;
            for (int k = 0; k < 3; k++)
                p[3 * i + k] = c + new Vector3(rng.NextSingle() - 0.5f, rng.NextSingle() - 0.5f, rng.NextSingle() - 0.5f) * size * 10;
        }
        return p;
    }

    [Fact]
    public void Every_triangle_is_in_exactly_one_leaf_and_boxes_nest()
    {
        var positions = RandomSoup(50_000, 1);
        var bvh = BvhBuilder.Build(positions);
        var seen = new int[50_000];
        var stack = new Stack<(int Node, BvhNode Parent)>();
        stack.Push((0, bvh.Nodes[0]));
        while (stack.Count > 0)
        {
            var (index, parent) = stack.Pop();
            var node = bvh.Nodes[index];
            Assert.True(Vector3.Min(node.Min, parent.Min) == parent.Min && Vector3.Max(node.Max, parent.Max) == parent.Max, "child box escapes its parent");
            if (node.IsLeaf)
            {
                for (uint i = node.LeftOrFirst; i < node.LeftOrFirst + node.Count; i++)
                {
                    int t = bvh.TriangleOrder[i];
                    seen[t]++;
                    for (int k = 0; k < 3; k++)
                    {
                        var p = positions[3 * t + k];
                        Assert.True(Vector3.Min(p, node.Min) == node.Min && Vector3.Max(p, node.Max) == node.Max, "triangle outside its leaf");
                    }
                }
            }
            else
            {
                stack.Push(((int)node.LeftOrFirst, node));
                stack.Push(((int)node.LeftOrFirst + 1, node));
            }
        }
        Assert.All(seen, s => Assert.Equal(1, s));
        Assert.True(bvh.Depth <= BvhBuilder.MaxDepth + 1);
        Assert.True(bvh.Nodes.Length < 50_000, $"{bvh.Nodes.Length} nodes: leaves are not being filled");
    }

    [Fact]
    public void Same_triangles_give_the_same_nodes_in_the_same_order()
    {
        var positions = RandomSoup(80_000, 2);
        var a = BvhBuilder.Build(positions);
        var b = BvhBuilder.Build(positions);
        var sequential = BvhBuilder.Build(positions, parallel: false);
        Assert.Equal(a.Nodes, b.Nodes);
        Assert.Equal(a.TriangleOrder, b.TriangleOrder);
        Assert.Equal(a.Nodes, sequential.Nodes);
        Assert.Equal(a.TriangleOrder, sequential.TriangleOrder);
    }

    [Fact]
    public void Traversal_finds_the_same_hits_as_brute_force()
    {
        var positions = RandomSoup(3_000, 3, size: 0.2f);
        var caster = new CpuRayCaster(positions, BvhBuilder.Build(positions));
        var rng = new Random(4);
        int hits = 0;
        for (int i = 0; i < 2_000; i++)
        {
            var o = new Vector3(rng.NextSingle(), rng.NextSingle(), rng.NextSingle()) * 14 - new Vector3(2);
            var d = Vector3.Normalize(new Vector3(rng.NextSingle() - 0.5f, rng.NextSingle() - 0.5f, rng.NextSingle() - 0.5f));
            var expected = caster.BruteForce(o, d);
            var actual = caster.Trace(o, d);
            Assert.Equal(expected?.Distance, actual?.Distance);
            if (expected is not null) hits++;
        }
        Assert.True(hits > 200, $"only {hits} rays hit anything: the test is not exercising the BVH");
    }

    [Fact]
    public void Coincident_centroids_still_give_small_leaves()
    {
        var tri = new[] { new Vector3(0, 0, 0), new Vector3(1, 0, 0), new Vector3(0, 1, 0) };
        var positions = Enumerable.Range(0, 1000).SelectMany(_ => tri).ToArray();
        var bvh = BvhBuilder.Build(positions);
        Assert.All(bvh.Nodes.Where(n => n.IsLeaf), n => Assert.True(n.Count <= 8));
        Assert.Equal(1000, bvh.Nodes.Where(n => n.IsLeaf).Sum(n => (long)n.Count));
    }

    [Fact]
    public void Empty_input_is_refused() =>
        Assert.Throws<ArgumentException>(() => BvhBuilder.Build(ReadOnlySpan<Vector3>.Empty));
}
