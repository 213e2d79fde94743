using System.Numerics;
using RenderNet.Core.Acceleration;

namespace RenderNet.Core.Tests;

/// <summary>The light tree's choices are a probability distribution that favours the emitters that can light a point.</summary>
public class LightTreeTests
{
    static LightEmitter Square(int slot, Vector3 corner, Vector3 normal, float power = 1, bool twoSided = false) =>
        new(slot, corner, corner + new Vector3(0.1f, 0, 0.1f), normal, power, twoSided);

    static LightTree Grid(int side, out List<LightEmitter> emitters)
    {
        emitters = [];
        for (int i = 0; i < side; i++)
            for (int j = 0; j < side; j++)
                emitters.Add(Square(emitters.Count, new Vector3(i, 1, j), -Vector3.UnitY, 1 + (i * 7 + j) % 3));
        return LightTree.Build(emitters);
    }

    [Fact]
    public void The_probabilities_of_all_emitters_sum_to_one_from_any_point_that_some_can_light()
    {
        var tree = Grid(9, out var emitters);
        Assert.Equal(2 * emitters.Count - 1, tree.Nodes.Length);
        var random = new Random(5);
        for (int k = 0; k < 20; k++)
        {
            var p = new Vector3((float)random.NextDouble() * 10 - 1, (float)random.NextDouble() * 0.9f, (float)random.NextDouble() * 10 - 1);
            var n = Vector3.Normalize(new Vector3((float)random.NextDouble() - 0.5f, 1, (float)random.NextDouble() - 0.5f));
            double sum = emitters.Sum(e => tree.Probability(p, n, e.Slot));
            Assert.Equal(1, sum, 1e-9);
        }
    }

    [Fact]
    public void Near_emitters_are_picked_far_more_often_than_by_power_and_none_that_faces_away()
    {
        var tree = Grid(16, out var emitters);
        var under = new Vector3(3.05f, 0, 3.05f); // right under emitter (3, 3)
        double near = tree.Probability(under, Vector3.UnitY, 3 * 16 + 3);
        double far = tree.Probability(under, Vector3.UnitY, 15 * 16 + 15);
        double byPower = emitters[3 * 16 + 3].Power / emitters.Sum(e => e.Power);
        Assert.True(near > 20 * byPower, $"near {near}, by power {byPower}");
        Assert.True(near > 100 * far, $"near {near}, far {far}");

        // Above the grid every one-sided emitter faces away: nothing can be picked.
        Assert.All(emitters, e => Assert.Equal(0, tree.Probability(new Vector3(3, 5, 3), Vector3.UnitY, e.Slot)));
        // A two-sided one lights both ways.
        var both = LightTree.Build([Square(0, Vector3.Zero, Vector3.UnitY, twoSided: true), Square(1, new Vector3(5, 0, 0), Vector3.UnitY)]);
        Assert.Equal(1, both.Probability(new Vector3(0, -2, 0), Vector3.UnitY, 0), 1e-12);
    }

    [Fact]
    public void A_tree_of_many_emitters_stays_within_32_levels_and_is_the_same_whatever_their_order()
    {
        var emitters = Enumerable.Range(0, 5000).Select(i => Square(i, new Vector3(i % 71, i % 13, i / 71), Vector3.UnitY)).ToList();
        var tree = LightTree.Build(emitters);
        int Depth(int node) => tree.Nodes[node].IsLeaf ? 0 : 1 + Math.Max(Depth(tree.Nodes[node].Child), Depth(tree.Nodes[node].Child + 1));
        Assert.Equal(13, Depth(0)); // ⌈log2 5000⌉: median splits
        var shuffled = LightTree.Build(emitters.OrderBy(e => (e.Slot * 7919) % 5003).ToList());
        Assert.Equal(tree.Nodes, shuffled.Nodes);
    }

    [Fact]
    public void Cones_unite_to_the_smallest_cone_holding_both()
    {
        var up = new DirectionCone(Vector3.UnitY, 1);
        var side = new DirectionCone(Vector3.UnitX, 1);
        var both = DirectionCone.Union(up, side);
        Assert.Equal(MathF.Cos(MathF.PI / 4), both.CosTheta, 1e-6f);
        Assert.Equal(Vector3.Normalize(new Vector3(1, 1, 0)).X, both.Axis.X, 1e-6f);
        Assert.Equal(-1, DirectionCone.Union(up, new DirectionCone(-Vector3.UnitY, 1)).CosTheta);
        Assert.Equal(up, DirectionCone.Union(up, up));
    }
}
