namespace RenderNet.Farm.Tests.Scheduling;

/// <summary>Nodes' records across jobs, and what they change: denial, probation, a proven node's lighter checks.</summary>
public class ReputationTests
{
    /// <summary>An in-memory <see cref="INodeReputation"/>: what the service's store keeps, without the file.</summary>
    sealed class Records : INodeReputation
    {
        public readonly Dictionary<string, NodeRecord> All = new(StringComparer.OrdinalIgnoreCase);
        public NodeRecord? Find(string identity) { lock (All) return All.GetValueOrDefault(identity); }
        public void Record(string identity, ReputationEvent e, double rate = 0, string? reason = null)
        {
            lock (All) All[identity] = (All.GetValueOrDefault(identity) ?? new NodeRecord(identity)).With(e, DateTimeOffset.UnixEpoch, rate, reason);
        }
    }

    static readonly FarmOptions Checked = new() { SpotCheckRate = 0.1, ProbationTiles = 3, ProbationRate = 0.5, ProvenAfterVerified = 20, ProvenCheckFactor = 0.5, ProbationSlots = 2 };

    [Fact]
    public void Standing_check_rate_and_share_follow_the_record()
    {
        var policy = new ReputationPolicy(Checked);
        var proven = new NodeRecord("0xa") { Delivered = 400, Verified = 25 };
        var convicted = proven with { Convictions = 1, Denied = "outvoted in a spot check of job j" };
        Assert.Equal(NodeStanding.Probation, policy.StandingOf(null));
        Assert.Equal(NodeStanding.Probation, policy.StandingOf(proven with { Verified = 19 }));
        Assert.Equal(NodeStanding.Proven, policy.StandingOf(proven));
        Assert.Equal(NodeStanding.Denied, policy.StandingOf(convicted));

        Assert.Equal(0.5, policy.CheckRate(null, deliveredThisJob: 3)); // a new node's first three tiles
        Assert.Equal(0.1, policy.CheckRate(null, deliveredThisJob: 4));
        Assert.Equal(0.1, policy.CheckRate(new NodeRecord("0xb") { Delivered = 2 }, deliveredThisJob: 2)); // earlier jobs count
        Assert.Equal(0.05, policy.CheckRate(proven, 0), 9);
        Assert.Equal(0.01, new ReputationPolicy(Checked with { SpotCheckRate = 0.015 }).CheckRate(proven, 0), 9); // never below 1 %
        Assert.Equal(0, new ReputationPolicy(Checked with { SpotCheckRate = 0 }).CheckRate(null, 0)); // checks off: off for everyone

        Assert.Equal(2, policy.SlotsFor(null, offered: 8));
        Assert.Equal(8, policy.SlotsFor(proven, offered: 8));
        Assert.Equal(1, policy.SlotsFor(null, offered: 1));
    }

    [Fact]
    public void A_record_counts_events_smooths_speed_and_keeps_the_first_reason_it_was_denied()
    {
        var t0 = DateTimeOffset.UnixEpoch;
        var r = new NodeRecord("0xa").With(ReputationEvent.Delivered, t0, rate: 100).With(ReputationEvent.Delivered, t0.AddHours(1), rate: 200)
            .With(ReputationEvent.TimedOut, t0.AddHours(2)).With(ReputationEvent.Convicted, t0.AddHours(3), reason: "first")
            .With(ReputationEvent.Convicted, t0.AddHours(4), reason: "second");
        Assert.Equal((2, 1, 2, "first"), (r.Delivered, r.TimedOut, r.Convictions, r.Denied));
        Assert.Equal(0.8 * 100 + 0.2 * 200, r.Rate, 9);
        Assert.Equal((t0, t0.AddHours(4)), (r.FirstSeen, r.LastSeen));
    }

    [Fact]
    public async Task A_node_that_lied_in_one_job_is_on_record_and_denied_in_the_next_and_one_that_timed_out_is_counted()
    {
        var records = new Records();
        var options = new FarmOptions { SpotCheckRate = 1, Reputation = records, SpeculativeStragglers = false };
        var farm = new FakeFarm();
        var liar = new FakeNode("liar", farm.Clock) { Answer = u => $"lie-{u}" };
        await farm.RunAsync(new FakeWorkload(6), options, [liar, farm.Node("a"), farm.Node("b")]);
        var record = records.Find("liar")!;
        Assert.Equal(1, record.Convictions);
        Assert.Contains("outvoted in a spot check of job", record.Denied);
        Assert.True(records.Find("a")!.Verified + records.Find("b")!.Verified > 0);

        var next = new FakeFarm();
        var second = new FakeNode("liar", next.Clock) { Answer = u => $"lie-{u}" };
        var run = await next.RunAsync(new FakeWorkload(4), options, [second, next.Node("a"), next.Node("b")]);
        Assert.Equal(0, second.Started); // given nothing: not a tile, not a check
        Assert.StartsWith("denied by its record: outvoted in a spot check of job", run.Nodes.Single(n => n.Address == "liar").Excluded);
    }

    [Fact]
    public async Task With_a_fixed_draw_a_new_nodes_first_tiles_are_checked_at_the_probation_rate_and_a_proven_nodes_at_a_lower_one()
    {
        // The draw for "is this tile checked?" is 0.3 of the range: under a rate of 0.5, over 0.1 and 0.05. Checkers are drawn first in line.
        static int Draw(int range) => range == 1_000_000 ? 300_000 : 0;
        var records = new Records();
        records.All["veteran"] = new NodeRecord("veteran") { Delivered = 500, Verified = 40 };
        var options = Checked with { Reputation = records, SpeculativeStragglers = false };
        var farm = new FakeFarm();
        var newcomer = farm.Node("newcomer");
        var veteran = farm.Node("veteran");
        var checker = farm.Node("checker");
        var work = new FakeWorkload(24);
        await farm.RunAsync(work, options, [newcomer, veteran, checker], Draw);

        int ChecksOf(string node) => farm.Attempts.Count(a => a.SpotCheck && a.Kind == AttemptOutcome.CheckIdentical
                                                             && work.Accepted.TryGetValue(a.Tile, out var by) && by.Node == node);
        int newcomerTiles = work.Accepted.Values.Count(a => a.Node == "newcomer");
        Assert.True(newcomerTiles > 3, $"the newcomer delivered {newcomerTiles} tile(s)");
        Assert.Equal(3, ChecksOf("newcomer")); // exactly its first three (probation), none after at 0.1
        Assert.True(work.Accepted.Values.Count(a => a.Node == "veteran") > 0);
        Assert.Equal(0, ChecksOf("veteran")); // proven: 0.05, and the draw is 0.3
        Assert.Equal(NodeStanding.Proven, new ReputationPolicy(options).StandingOf(records.Find("veteran")));
    }
}
