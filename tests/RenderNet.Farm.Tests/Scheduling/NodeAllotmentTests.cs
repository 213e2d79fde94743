namespace RenderNet.Farm.Tests.Scheduling;

/// <summary>The service's node allotment: which nodes each job works with when there are too many for every job to work every node.</summary>
public class NodeAllotmentTests
{
    static NodeAllotment.NodeOffer[] Nodes(int count, Func<int, double>? rate = null) =>
        Enumerable.Range(0, count).Select(i => new NodeAllotment.NodeOffer($"n{i}", rate?.Invoke(i) ?? 1)).ToArray();

    [Fact]
    public void Each_node_serves_at_most_depth_jobs_and_each_job_gets_its_priority_weighted_share_of_the_speed()
    {
        var allotment = new NodeAllotment(depth: 2);
        var nodes = Nodes(300, i => 1 + i % 10); // speeds 1…10
        var jobs = new[] { new NodeAllotment.JobDemand("a", 100, 1000, 1000), new("b", 50, 1000, 1000), new("c", 50, 1000, 1000) };

        allotment.Rebalance(jobs, nodes);

        var rate = nodes.ToDictionary(n => n.Address, n => n.Rate);
        Assert.All(nodes, n => Assert.InRange(jobs.Count(j => allotment.NodesOf(j.JobId).Contains(n.Address)), 1, 2));
        double fleet = nodes.Sum(n => n.Rate);
        // Shares of 2 × the fleet: a 100, b and c 50 each of 200 → 1.0, 0.5, 0.5 of the fleet's speed, within one node.
        foreach (var (job, share) in new[] { ("a", 1.0), ("b", 0.5), ("c", 0.5) })
            Assert.InRange(allotment.NodesOf(job).Sum(a => rate[a]), share * fleet - 10, share * fleet + 10);
    }

    [Fact]
    public void A_job_gets_no_more_nodes_than_tiles_it_has_left()
    {
        var allotment = new NodeAllotment(depth: 2);
        allotment.Rebalance([new("small", 50, 3, 3), new("big", 50, 1000, 1000)], Nodes(100));
        Assert.Equal(3, allotment.NodesOf("small").Count);
        Assert.Equal(100, allotment.NodesOf("big").Count);
    }

    [Fact]
    public void Nodes_of_an_ended_job_and_new_nodes_go_to_the_running_jobs_and_departed_nodes_are_forgotten()
    {
        var allotment = new NodeAllotment(depth: 1);
        var nodes = Nodes(10);
        allotment.Rebalance([new("a", 50, 100, 100), new("b", 50, 100, 100)], nodes);
        Assert.Equal(5, allotment.NodesOf("a").Count);
        var ofA = allotment.NodesOf("a").ToList();

        // "a" ended, n3 left, n10 arrived: "b" gets every node there is, only the new ones in the answer.
        var now = nodes.Where(n => n.Address != "n3").Append(new NodeAllotment.NodeOffer("n10", 1)).ToList();
        var added = allotment.Rebalance([new("b", 50, 100, 100)], now).Added;
        Assert.Equal(now.Select(n => n.Address).Order(), allotment.NodesOf("b").Order());
        Assert.Equal(ofA.Where(a => a != "n3").Append("n10").Order(), added["b"].Order());
        Assert.Empty(allotment.NodesOf("a"));
    }

    [Fact]
    public void A_job_with_no_tile_queued_keeps_its_nodes_but_frees_their_places_for_another_job()
    {
        var allotment = new NodeAllotment(depth: 1);
        allotment.Rebalance([new("a", 50, 100, 100)], Nodes(4));
        Assert.Equal(4, allotment.NodesOf("a").Count);

        // "a" has 4 tiles in flight and none queued; "b" arrives: it gets the same 4 nodes, "a" keeps them too.
        var added = allotment.Rebalance([new("a", 50, 4, 0), new("b", 50, 100, 100)], Nodes(4)).Added;
        Assert.Equal(4, added["b"].Count);
        Assert.Equal(4, allotment.NodesOf("a").Count);
        Assert.False(added.ContainsKey("a"));
    }

    [Fact]
    public void A_job_arriving_when_every_place_is_taken_gets_its_share_from_the_job_above_its_own()
    {
        var allotment = new NodeAllotment(depth: 1);
        var nodes = Nodes(4, i => 10 - i); // n0 fastest: 10, 9, 8, 7
        allotment.Rebalance([new("big", 50, 1000, 1000)], nodes); // every node's one place goes to it
        Assert.Equal(4, allotment.NodesOf("big").Count);

        // An equal job arrives: each is owed 17 of the fleet's 34. "big" gives up its fastest nodes that keep it at its
        // share (n0, then n3: 10 + 7), and they go to the newcomer; nothing is added twice or taken twice.
        var changes = allotment.Rebalance([new("big", 50, 900, 900), new("small", 50, 100, 100)], nodes);
        Assert.Equal(["n0", "n3"], changes.Released["big"].Order());
        Assert.Equal(["n0", "n3"], changes.Added["small"].Order());
        Assert.False(changes.Added.ContainsKey("big"));
        Assert.Equal(["n1", "n2"], allotment.NodesOf("big").Order());

        // At their shares nothing moves, and a job below its share with no tile queued takes nothing from anyone.
        changes = allotment.Rebalance([new("big", 50, 800, 800), new("small", 50, 90, 90)], nodes);
        Assert.Empty(changes.Released);
        Assert.Empty(changes.Added);
        changes = allotment.Rebalance([new("big", 50, 800, 800), new("small", 50, 90, 90), new("idle", 100, 2, 0)], nodes);
        Assert.Empty(changes.Released);

        // A third job of equal weight (owed 11⅓) gets a node from a giver only while the giver stays better off than the
        // taker was, the node nearest half their gap: "big" gives n1 (9; left 8, 3⅓ short against the newcomer's
        // 11⅓), then "small" gives n3 (7; left 10, 1⅓ short against the newcomer's remaining 2⅓).
        changes = allotment.Rebalance([new("big", 50, 700, 700), new("small", 50, 80, 80), new("third", 50, 100, 100)], nodes);
        Assert.Equal(["n2"], allotment.NodesOf("big"));
        Assert.Equal(["n0"], allotment.NodesOf("small"));
        Assert.Equal(["n1", "n3"], changes.Added["third"].Order());
        Assert.Equal(changes.Released.Values.SelectMany(n => n).Order(), changes.Added["third"].Order());
        // Later rebalances even them out further, each move leaving the neediest job less short than before, and then
        // nothing moves at all (a move is never undone: that would leave the giver worse off than the taker was).
        double Short(string job) => 34 / 3.0 - allotment.NodesOf(job).Sum(a => 10 - int.Parse(a[1..]));
        double worst = new[] { "big", "small", "third" }.Max(Short);
        for (int round = 0; ; round++)
        {
            Assert.True(round < 4, "the allotment never settled");
            changes = allotment.Rebalance([new("big", 50, 600, 600), new("small", 50, 70, 70), new("third", 50, 90, 90)], nodes);
            double now = new[] { "big", "small", "third" }.Max(Short);
            Assert.True(now <= worst, $"the neediest job went from {worst} short to {now}");
            worst = now;
            if (changes.Released.Count == 0 && changes.Added.Count == 0) break;
        }
        Assert.InRange(worst, 0, 10); // within one node of its share
    }

    [Fact]
    public void A_job_that_lost_its_nodes_gets_another_beyond_the_depth_and_never_the_lost_one_again()
    {
        var allotment = new NodeAllotment(depth: 1);
        var nodes = Nodes(4, i => 10 - i); // n0 fastest
        var small = new NodeAllotment.JobDemand("small", 1, 10, 10); // a tiny share: "big" gives it nothing
        allotment.Rebalance([new("big", 100, 1000, 1000), small], nodes);
        Assert.Equal(4, allotment.NodesOf("big").Count);
        // Every place is "big"'s (its share is all but a sliver), so the small job gets one beyond the depth: the least
        // loaded node, then the fastest.
        Assert.Equal(["n0"], allotment.NodesOf("small"));

        // Its node fails it: it leaves the job's allotment, and the job is given another — not the one it lost.
        var added = allotment.Rebalance([new("big", 100, 800, 800), small with { Lost = ["n0"] }], nodes).Added;
        Assert.Equal(["n1"], added["small"]);
        Assert.Equal(["n1"], allotment.NodesOf("small"));
        // Lost for good in that job, whatever else happens: with n1 lost too, it gets n2.
        added = allotment.Rebalance([new("big", 100, 700, 700), small with { Lost = ["n1"] }], nodes).Added;
        Assert.Equal(["n2"], added["small"]);
        // A job that lost every node there is gets none.
        added = allotment.Rebalance([new("big", 100, 600, 600), small with { Lost = ["n2", "n3"] }], nodes).Added;
        Assert.False(added.ContainsKey("small"));
        Assert.Empty(allotment.NodesOf("small"));
    }

    [Fact]
    public void A_depth_below_one_is_refused()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new NodeAllotment(0));
        Assert.Contains("a node serves at least one job", ex.Message);
    }
}
