using Microsoft.Extensions.Time.Testing;

namespace RenderNet.Farm.Tests.Scheduling;

/// <summary>What an idle node is offered to copy: the attempts in flight expected to finish last, and never a check that has nothing left to answer.</summary>
public class StragglerShortlistTests
{
    readonly FakeTimeProvider clock = new();

    FarmNode Node(string name, double rate) => new(new FakeNode(name, clock)) { Rate = rate };

    TileAttempt Check(int index, FarmNode node)
    {
        var tile = new FarmTile(index, 100) { Done = true, Content = "tile" };
        var check = new TileAttempt(tile, node, speculative: false, clock, TimeSpan.Zero) { Check = true };
        tile.ActiveChecks.Add(check);
        return check;
    }

    [Fact]
    public void Checks_are_listed_latest_finish_first_and_an_answered_or_superseded_check_is_never_offered_for_copying()
    {
        var (slow, slower, slowest) = (Node("slow", 10), Node("slower", 5), Node("slowest", 1));
        var (a, b, c) = (Check(0, slow), Check(1, slower), Check(2, slowest));
        var shortlist = new StragglerShortlist(n => n.Rate);
        shortlist.Refresh([], _ => false, [a, b, c]);
        Assert.Equal([c, b, a], shortlist.Checks); // 100, 20 and 10 s to go

        // Its tile settled by a copy, the cancelled check still unwinds: copying it would check the tile twice.
        c.Superseded = true;
        b.Answered = true;
        shortlist.Refresh([], _ => false, [a, b, c]);
        Assert.Equal([a], shortlist.Checks);
    }

    [Fact]
    public void Tiles_in_flight_are_listed_by_their_earliest_copys_finish_and_an_attempt_far_past_its_pace_counts_as_never_finishing()
    {
        var (fast, slow) = (Node("fast", 100), Node("slow", 1));
        var early = new FarmTile(0, 100);
        early.Active.Add(new TileAttempt(early, fast, false, clock, TimeSpan.Zero)); // 1 s to go
        var late = new FarmTile(1, 100);
        late.Active.Add(new TileAttempt(late, slow, false, clock, TimeSpan.Zero)); // 100 s
        clock.Advance(TimeSpan.FromSeconds(0.5));
        var shortlist = new StragglerShortlist(n => n.Rate);
        shortlist.Refresh([early, late], _ => true, []);
        Assert.Equal([late, early], shortlist.Tiles);

        clock.Advance(TimeSpan.FromSeconds(60)); // the fast node's 1-second tile has run a minute: it may be stuck
        shortlist.Refresh([early, late], _ => true, []);
        Assert.Equal([early, late], shortlist.Tiles);
        shortlist.Refresh([early, late], t => t != early, []); // one that may not take another copy is not offered
        Assert.Equal([late], shortlist.Tiles);
    }
}
