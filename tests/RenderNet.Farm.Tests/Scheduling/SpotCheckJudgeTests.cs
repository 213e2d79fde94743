using Microsoft.Extensions.Time.Testing;
using RenderNet.Protocol;

namespace RenderNet.Farm.Tests.Scheduling;

/// <summary>What a spot check's answer means, and who may check, without a farm around it.</summary>
public class SpotCheckJudgeTests
{
    readonly FakeTimeProvider clock = new();

    FarmNode Node(string name, string payee = "") =>
        new(new FakeNode(name, clock)) { Caps = new Capabilities { PaymentAddress = payee } };

    static SpotChecks Checks(Func<int, int>? draw = null) => new(new FarmOptions { SpotCheckRate = 0.1 }, (_, _) => true, draw);

    static FarmTile Delivered(FarmNode by) => new(0, 100) { Done = true, Content = "tile", DeliveredBy = by };

    [Fact]
    public void An_identical_check_is_paid_and_settles_the_tile()
    {
        var (owner, checker) = (Node("owner"), Node("checker"));
        var verdict = Checks().Judge(Delivered(owner), checker, "tile");
        Assert.Equal(AttemptOutcome.CheckIdentical, verdict.Kind);
        Assert.Equal([checker], verdict.Paid);
        Assert.Empty(verdict.Convicts);
    }

    [Fact]
    public void A_disagreement_is_not_paid_until_a_third_node_settles_it_and_the_outvoted_side_is_convicted()
    {
        var (owner, first, third) = (Node("owner"), Node("first"), Node("third"));
        var checks = Checks();
        var tile = Delivered(owner);

        var differs = checks.Judge(tile, first, "other");
        Assert.Equal(AttemptOutcome.CheckDiffers, differs.Kind);
        Assert.Empty(differs.Paid);
        Assert.True(checks.Contains(0)); // another opinion is queued, first in line
        Assert.True(tile.Disputed);

        var settled = checks.Judge(tile, third, "other"); // sides with the checker: the owner lied
        Assert.Equal(AttemptOutcome.CheckSettled, settled.Kind);
        Assert.Equal("spot check: third opinion, sides with the checker", settled.Outcome);
        Assert.Equal([third, first], settled.Paid);
        Assert.Equal([owner], settled.Convicts);
        Assert.True(settled.Replace);
        Assert.False(tile.Disputed);
    }

    [Fact]
    public void A_third_opinion_that_sides_with_the_tile_convicts_the_checker()
    {
        var (owner, first, third) = (Node("owner"), Node("first"), Node("third"));
        var checks = Checks();
        var tile = Delivered(owner);
        checks.Judge(tile, first, "other");

        var settled = checks.Judge(tile, third, "tile");
        Assert.Equal([third], settled.Paid);
        Assert.Equal([first], settled.Convicts);
        Assert.False(settled.Replace);
    }

    [Fact]
    public void A_third_distinct_answer_asks_yet_another_node_and_a_dispute_no_node_can_settle_fails_the_job()
    {
        var (owner, first, third) = (Node("owner"), Node("first"), Node("third"));
        var checks = Checks();
        var tile = Delivered(owner);
        checks.Judge(tile, first, "other");

        var undecided = checks.Judge(tile, third, "a third answer");
        Assert.Equal(AttemptOutcome.CheckUndecided, undecided.Kind);
        Assert.Equal("spot check: differs from the tile and from 1 other check(s); asking another node", undecided.Outcome);
        Assert.Empty(undecided.Convicts);

        var draw = checks.DrawCheckers([tile], [owner, first, third], _ => 1, clock.GetUtcNow().UtcDateTime);
        Assert.StartsWith("tile 0 came out 3 ways on owner and first, third", draw.Failure);
        Assert.False(checks.Contains(0));
    }

    [Fact]
    public void No_node_checks_its_own_tile_or_one_paid_to_the_same_address_and_the_checker_is_drawn_at_random()
    {
        const string payee = "0x00000000000000000000000000000000000000aa";
        var owner = Node("owner", payee);
        var sameParty = Node("same party", payee.ToUpperInvariant());
        var (x, y) = (Node("x"), Node("y"));
        var checks = Checks(draw: n => n - 1); // always the last eligible node
        var tile = Delivered(owner);
        Assert.False(checks.CanCheck(tile, owner));
        Assert.False(checks.CanCheck(tile, sameParty));
        Assert.True(checks.CanCheck(tile, x));

        checks.Enqueue(0);
        Assert.Equal(1, checks.DrawCheckers([tile], [owner, sameParty, x, y], _ => 1, clock.GetUtcNow().UtcDateTime).Drawn);
        Assert.Null(checks.TakeFor(x, [tile])); // y was drawn: x cannot grab the check
        Assert.Same(tile, checks.TakeFor(y, [tile]));
        Assert.Equal(0, checks.Queued);
    }

    [Fact]
    public void Checkers_are_drawn_by_speed_from_the_faster_half_and_one_that_keeps_a_check_waiting_past_the_patience_is_replaced()
    {
        var owner = Node("owner");
        var (slow, middling, fast) = (Node("slow"), Node("middling"), Node("fast"));
        double Rate(FarmNode n) => n == fast ? 99 : n == middling ? 50 : 1;
        FarmNode[] nodes = [owner, slow, middling, fast];
        int next = 0;
        var checks = Checks(draw: _ => next);
        var start = clock.GetUtcNow().UtcDateTime;
        var tile = Delivered(owner);

        // The slow node is in the slower half: never drawn, even by the first point of the draw.
        next = 0;
        checks.Enqueue(0);
        checks.DrawCheckers([tile], nodes, Rate, start);
        Assert.Null(checks.TakeFor(slow, [tile]));
        Assert.Same(tile, checks.TakeFor(middling, [tile]));

        // In proportion to speed: 50 of 149 to "middling", 99 to "fast".
        next = 400_000;
        checks.Enqueue(0);
        checks.DrawCheckers([tile], nodes, Rate, start);
        Assert.Same(tile, checks.TakeFor(fast, [tile]));

        // "middling" drawn, and it keeps the check waiting (busy with another job's long tile)…
        next = 100_000;
        checks.Enqueue(0);
        checks.DrawCheckers([tile], nodes, Rate, start);
        Assert.Null(checks.TakeFor(fast, [tile]));
        Assert.Equal(0, checks.DrawCheckers([tile], nodes, Rate, start + TimeSpan.FromSeconds(59), all: true).Drawn);
        Assert.Null(checks.TakeFor(fast, [tile]));
        // …past the patience (a minute by default) another is drawn, passing over the one that kept it waiting.
        Assert.Equal(1, checks.DrawCheckers([tile], nodes, Rate, start + TimeSpan.FromSeconds(61), all: true).Drawn);
        Assert.Null(checks.TakeFor(middling, [tile]));
        Assert.Same(tile, checks.TakeFor(fast, [tile]));
        Assert.Equal(0, checks.Queued);
    }

    [Fact]
    public void A_check_whose_checker_left_is_drawn_again_and_a_dissenting_checker_awaits_a_verdict_until_settled()
    {
        var owner = Node("owner");
        var (gone, other, third) = (Node("gone"), Node("other"), Node("third"));
        FarmNode[] nodes = [owner, gone, other, third];
        var checks = Checks(draw: _ => 0); // the first eligible node
        var tile = Delivered(owner);
        var now = clock.GetUtcNow().UtcDateTime;
        checks.Enqueue(0);
        checks.DrawCheckers([tile], nodes, _ => 1, now);
        Assert.Same(gone, tile.Checker);
        Assert.False(checks.HasFor(other));

        gone.Excluded = "went away";
        Assert.Equal(0, checks.DrawCheckers([tile], nodes, _ => 1, now).Drawn); // a pull draws undrawn checks only
        Assert.Null(checks.TakeFor(gone, [tile]));
        Assert.Equal(1, checks.DrawCheckers([tile], nodes, _ => 1, now, all: true).Drawn); // the monitor's pass
        Assert.True(checks.HasFor(other));
        Assert.Same(tile, checks.TakeFor(other, [tile]));

        Assert.Equal(AttemptOutcome.CheckDiffers, checks.Judge(tile, other, "other").Kind);
        Assert.True(SpotChecks.AwaitsVerdict(other));
        checks.DrawCheckers([tile], nodes, _ => 1, now);
        Assert.Same(tile, checks.TakeFor(third, [tile]));
        var settled = checks.Judge(tile, third, "tile");
        Assert.Equal([other], settled.Convicts);
        Assert.False(SpotChecks.AwaitsVerdict(other));
        Assert.Equal(0, checks.Queued);
    }
}
