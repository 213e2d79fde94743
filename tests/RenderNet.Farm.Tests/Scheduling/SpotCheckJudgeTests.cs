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
        Assert.Equal([checker], verdict.Paid.Select(p => p.Node));
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
        Assert.Equal([third, first], settled.Paid.Select(p => p.Node));
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
        Assert.Equal([third], settled.Paid.Select(p => p.Node));
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
    public void A_check_its_checker_refused_is_drawn_for_another_node_while_one_can_take_it()
    {
        var (owner, refuser, other) = (Node("owner"), Node("refuser"), Node("other"));
        var checks = Checks(draw: _ => 0); // the first point of the draw: the first eligible node
        var tile = Delivered(owner);
        tile.DeferredBy = refuser;
        checks.Enqueue(0, first: true);
        checks.DrawCheckers([tile], [owner, refuser, other], _ => 1, clock.GetUtcNow().UtcDateTime);
        Assert.Null(checks.TakeFor(refuser, [tile]));
        Assert.Same(tile, checks.TakeFor(other, [tile]));

        // With no other node it is drawn again: refusals alone end only after the busy time (MaxBusyTime).
        tile.DeferredBy = refuser;
        checks.Enqueue(0, first: true);
        checks.DrawCheckers([tile], [owner, refuser], _ => 1, clock.GetUtcNow().UtcDateTime);
        Assert.Same(tile, checks.TakeFor(refuser, [tile]));
        Assert.Null(tile.DeferredBy);
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

    static readonly RenderNet.Core.Tiles.TileRect Tile = new(0, 0, 64, 32), Part = new(16, 8, 32, 16);

    static RenderNet.Payments.SignedWorkResult Claim(string unit, string result) =>
        new(new RenderNet.Payments.WorkResult([1], [2], System.Text.Encoding.UTF8.GetBytes(unit), System.Text.Encoding.UTF8.GetBytes(result), [3]), "signer", "0x");

    [Fact]
    public void A_check_renders_a_quarter_of_the_tile_at_a_drawn_place_and_whole_tiles_when_set_to()
    {
        var draws = new Queue<int>([5, 3]);
        var part = Checks(_ => draws.Dequeue()).PartOf(Tile);
        Assert.Equal(new RenderNet.Core.Tiles.TileRect(5, 3, 32, 16), part); // half the width and height, placed by the draw
        // sqrt(0.5) of each side: 45x23, here at the far corner.
        Assert.Equal(new RenderNet.Core.Tiles.TileRect(19, 9, 45, 23), new SpotChecks(new FarmOptions { CheckShare = 0.5 }, (_, _) => true, n => n - 1).PartOf(Tile));
        Assert.Null(new SpotChecks(new FarmOptions { CheckShare = 1 }, (_, _) => true).PartOf(Tile));
        Assert.Null(Checks().PartOf(new(0, 0, 1, 1))); // nothing smaller to render
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new FarmOptions { CheckShare = 0 });
        Assert.Contains("the share of a tile a spot check renders must be above 0 and at most 1", ex.Message);
    }

    [Fact]
    public void A_part_that_matches_the_tile_there_settles_the_check_and_is_paid_for_that_part()
    {
        var (owner, checker) = (Node("owner"), Node("checker"));
        var verdict = Checks().Judge(Delivered(owner), new CheckOpinion(checker, "part", Part), accepted: "part");
        Assert.Equal(AttemptOutcome.CheckIdentical, verdict.Kind);
        Assert.Equal("spot check: identical (32x16@16,8 of the tile)", verdict.Outcome);
        Assert.Equal([new CheckOpinion(checker, "part", Part)], verdict.Paid);
    }

    [Fact]
    public void A_part_that_differs_puts_the_whole_tile_to_other_nodes_and_a_whole_answer_agreeing_with_the_tile_convicts_the_part_liar_without_chain_evidence()
    {
        var (owner, liar, third) = (Node("owner"), Node("liar"), Node("third"));
        var checks = Checks();
        var tile = Delivered(owner);
        tile.Claims[owner] = Claim("whole", "tile");
        var differs = checks.Judge(tile, new CheckOpinion(liar, "wrong part", Part), Claim("part", "wrong part"), accepted: "part");
        Assert.Equal(AttemptOutcome.CheckDiffers, differs.Kind);
        Assert.Equal("spot check: 32x16@16,8 of the tile differs from owner; the whole tile goes to other nodes", differs.Outcome);
        Assert.Empty(differs.Paid);
        Assert.True(tile.Disputed);
        Assert.True(checks.Contains(0));
        Assert.True(SpotChecks.AwaitsVerdict(liar));
        // Its checker is asked for the whole tile first, so its answer becomes a claim a chain can compare.
        Assert.Same(tile, checks.TakeFor(liar, [tile], disputesOnly: true));
        Assert.Equal(0, checks.Queued);

        // Had it not answered, the whole answer agrees with the tile; within the part it says "part", not what the liar said.
        var settled = checks.Judge(tile, new CheckOpinion(third, "tile"), Claim("whole", "tile"), project: p => p == Part ? "part" : null);
        Assert.Equal(AttemptOutcome.CheckSettled, settled.Kind);
        Assert.Equal([third], settled.Paid.Select(p => p.Node));
        Assert.Equal([liar], settled.Convicts);
        Assert.False(settled.Replace);
        Assert.Empty(settled.Evidence!); // a claim about a part is another piece of work on chain: no slashing on it
        Assert.False(SpotChecks.AwaitsVerdict(liar));
    }

    [Fact]
    public void A_part_liar_that_gives_the_whole_answer_it_is_asked_for_is_convicted_with_evidence_a_chain_can_compare()
    {
        var (owner, liar, third) = (Node("owner"), Node("liar"), Node("third"));
        var checks = Checks();
        var tile = Delivered(owner);
        tile.Claims[owner] = Claim("whole", "tile");
        checks.Judge(tile, new CheckOpinion(liar, "wrong part", Part), Claim("part", "wrong part"), accepted: "part");
        Assert.Same(tile, checks.TakeFor(liar, [tile], disputesOnly: true));
        Assert.Equal(AttemptOutcome.CheckUndecided, checks.Judge(tile, new CheckOpinion(liar, "wrong"), Claim("whole", "wrong"), project: _ => "wrong part").Kind);
        Assert.False(checks.CanCheck(tile, liar)); // it has answered for the whole tile now

        var settled = checks.Judge(tile, new CheckOpinion(third, "tile"), Claim("whole", "tile"), project: _ => "part");
        Assert.Equal(AttemptOutcome.CheckSettled, settled.Kind);
        Assert.Equal([liar], settled.Convicts.Distinct());
        Assert.Equal([third], settled.Paid.Select(p => p.Node));
        var evidence = Assert.Single(settled.Evidence!);
        Assert.Equal("liar", evidence.Node);
        Assert.Equal(["whole", "whole", "whole"], new[] { evidence.Accused, evidence.WitnessA, evidence.WitnessB }.Select(c => System.Text.Encoding.UTF8.GetString(c.Result.Unit)));
    }

    [Fact]
    public void A_lying_tile_is_settled_by_two_whole_answers_the_part_checker_may_give_one_and_is_paid_for_its_part()
    {
        var (owner, partChecker, second) = (Node("owner"), Node("part checker"), Node("second"));
        var checks = Checks();
        var tile = Delivered(owner);
        tile.Claims[owner] = Claim("whole", "tile");
        checks.Judge(tile, new CheckOpinion(partChecker, "honest part", Part), Claim("part", "honest part"), accepted: "lying part");

        // An answer about a part is no vote: its node may still answer for the whole tile, the deliverer may not.
        Assert.True(checks.CanCheck(tile, partChecker));
        Assert.False(checks.CanCheck(tile, owner));
        Assert.Equal(AttemptOutcome.CheckUndecided, checks.Judge(tile, new CheckOpinion(second, "honest"), Claim("whole", "honest"), project: _ => "honest part").Kind);
        Assert.False(checks.CanCheck(tile, second)); // it answered for the whole tile

        var settled = checks.Judge(tile, new CheckOpinion(partChecker, "honest"), Claim("whole", "honest"), project: _ => "honest part");
        Assert.Equal(AttemptOutcome.CheckSettled, settled.Kind);
        Assert.True(settled.Replace);
        Assert.Equal([owner], settled.Convicts);
        // Paid: its whole answer, the second node's, and its answer about the part (the winner's pixels there).
        Assert.Equal([new CheckOpinion(partChecker, "honest"), new CheckOpinion(partChecker, "honest part", Part), new CheckOpinion(second, "honest")],
            settled.Paid.OrderBy(p => p.Node.Name).ThenBy(p => p.Part is null ? 0 : 1));
        var evidence = Assert.Single(settled.Evidence!);
        Assert.Equal(owner.Name, evidence.Node);
        Assert.Equal("whole", System.Text.Encoding.UTF8.GetString(evidence.WitnessA.Result.Unit)); // two whole-tile witnesses
        Assert.Equal("whole", System.Text.Encoding.UTF8.GetString(evidence.WitnessB.Result.Unit));
    }

    [Fact]
    public void A_part_answer_while_the_tiles_pixels_are_being_replaced_is_superseded_not_a_dispute()
    {
        var (owner, checker) = (Node("owner"), Node("checker"));
        var tile = Delivered(owner);
        var verdict = Checks().Judge(tile, new CheckOpinion(checker, "part", Part), accepted: null);
        Assert.Equal(AttemptOutcome.Superseded, verdict.Kind);
        Assert.False(tile.Disputed);
    }

    [Fact]
    public void A_node_convicted_on_its_answer_about_a_part_is_accused_on_its_own_tile_and_the_redo_and_a_whole_check_are_the_witnesses()
    {
        var (liar, redoer, checker) = (Node("liar"), Node("redoer"), Node("checker"));
        var tile = new FarmTile(0, 100) { Done = true, Content = "tile", DeliveredBy = redoer, Accused = (liar, Claim("whole", "lie")) };
        tile.Claims[redoer] = Claim("whole", "tile");
        var verdict = Checks().Judge(tile, new CheckOpinion(checker, "tile"), Claim("whole", "tile"));
        Assert.Equal(AttemptOutcome.CheckIdentical, verdict.Kind);
        var evidence = Assert.Single(verdict.Evidence!);
        Assert.Equal("liar", evidence.Node);
        Assert.Equal(["lie", "tile", "tile"], new[] { evidence.Accused, evidence.WitnessA, evidence.WitnessB }.Select(c => System.Text.Encoding.UTF8.GetString(c.Result.Result)));
        Assert.Null(tile.Accused); // taken once

        // A claim the redo agrees with is no evidence: that tile of the node's was right.
        var honest = new FarmTile(1, 100) { Done = true, Content = "tile", DeliveredBy = redoer, Accused = (liar, Claim("whole", "tile")) };
        honest.Claims[redoer] = Claim("whole", "tile");
        Assert.Null(Checks().Judge(honest, new CheckOpinion(checker, "tile"), Claim("whole", "tile")).Evidence);
    }

    [Fact]
    public void Pay_held_for_a_dissent_is_counted_on_its_node_until_the_dispute_ends_and_one_paid_ahead_is_not_paid_again()
    {
        var (owner, first, second, third) = (Node("owner"), Node("first"), Node("second"), Node("third"));
        var checks = Checks();
        var tile = Delivered(owner);
        checks.Judge(tile, new CheckOpinion(first, "other", Units: 2));
        Assert.Equal(2, first.HeldDissentUnits);
        checks.Judge(tile, new CheckOpinion(second, "third way", Units: 1));
        Assert.Equal(1, tile.PayAhead(second)); // its payer could hold no more of it
        Assert.Equal(0, second.HeldDissentUnits);
        Assert.Equal(0, tile.PayAhead(second)); // nothing left held

        var settled = checks.Judge(tile, new CheckOpinion(third, "third way", Units: 1));
        Assert.Equal(AttemptOutcome.CheckSettled, settled.Kind);
        Assert.Equal([third], settled.Paid.Select(p => p.Node)); // second was paid when it disagreed
        Assert.Equal([first, owner], settled.Convicts.OrderBy(n => n.Name));
        Assert.Equal((0, 0, 0), (first.HeldDissentUnits, first.Dissents, second.Dissents));
    }

    [Fact]
    public void A_tile_taken_out_because_its_node_was_convicted_elsewhere_returns_the_held_dissents_to_be_paid()
    {
        var (owner, first) = (Node("owner"), Node("first"));
        var checks = Checks();
        var tile = Delivered(owner);
        checks.Judge(tile, new CheckOpinion(first, "other part", Part, Units: 1), accepted: "part");
        Assert.Equal(1, first.HeldDissentUnits);
        var owed = tile.Reopen();
        Assert.Equal([new CheckOpinion(first, "other part", Part, Units: 1)], owed);
        Assert.Equal((0, false), (first.HeldDissentUnits, SpotChecks.AwaitsVerdict(first)));
    }
}
