namespace RenderNet.Farm.Tests;

/// <summary>
/// Security review F-1: one hostile node among honest ones must not stall, crash or bloat a job. Each attack runs in a
/// real node process; before the fixes each of these jobs hung for ever or ended with an exception.
/// </summary>
[Collection("farm")]
public class CoordinatorAttackTests
{
    [Theory]
    [InlineData("HangOnScene", "scene upload failed")]      // no deadline on HasScene: the job never started
    [InlineData("NaNSeconds", "cannot be true")]           // TimeSpan.FromSeconds(NaN) threw outside the catch: the job failed
    [InlineData("HugeReply", "ResourceExhausted")]         // 50 MiB replies were buffered (and journaled) whole
    public async Task F1_a_hostile_node_is_excluded_and_the_job_finishes_on_the_honest_ones(string fault, string reason)
    {
        using var bad = new NodeProcess(fault); using var good = new NodeProcess();
        // 48 tiles: enough that the hostile node is asked for one before the honest node has done them all, even when
        // it starts late on a loaded machine (with 12, a clean-clone CI run once finished the job without it).
        var frame = Jobs.Frame(128, 96, 2);
        var options = Jobs.Fast with { ConnectTimeout = TimeSpan.FromSeconds(3), SpeculativeStragglers = false }; // the bad node must answer for itself
        var story = new List<string>(); // warnings, exclusions and every failed attempt's outcome
        var result = await new TileFarm(Jobs.Spec(frame, 16), options, onWarning: w => { lock (story) story.Add(w); },
            onAttempt: a => { lock (story) story.Add(a.Outcome); }).RunAsync([bad.Address, good.Address]);
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        var report = result.Nodes.Single(n => n.Address == bad.Address);
        Assert.Equal(0, report.Tiles);
        Assert.True(report.Excluded is not null || report.Failures > 0);
        Assert.Contains(reason, string.Join(" | ", story) + " | " + report.Excluded);
        Assert.Equal(48, result.Nodes.Single(n => n.Address == good.Address).Tiles);
    }

    [Fact]
    public async Task F1_a_node_advertising_four_billion_slots_gets_a_bounded_number_of_workers()
    {
        using var greedy = new NodeProcess("HugeSlots"); using var good = new NodeProcess();
        var frame = Jobs.Frame(64, 48, 2);
        // (int)Math.Max(1, uint.MaxValue) was -1: Enumerable.Range threw and the job failed before its first tile.
        var attempts = new List<FarmAttempt>();
        var result = await new TileFarm(Jobs.Spec(frame, 8), Jobs.Fast with { MaxSlotsPerNode = 3 }, onAttempt: a => { lock (attempts) attempts.Add(a); })
            .RunAsync([greedy.Address, good.Address]);
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        Assert.Equal(48, result.Nodes.Sum(n => n.Tiles));
        // At no moment did the greedy node hold more than its capped three tiles.
        var mine = attempts.Where(a => a.Node.Contains(greedy.Address)).ToList();
        // (A worker's next attempt starts the moment its last one ends: allow a millisecond of clock skew between the two.)
        int most = mine.Max(a => mine.Count(b => b.Start <= a.Start && a.Start < b.Start + b.Duration - TimeSpan.FromMilliseconds(1)));
        Assert.InRange(most, 1, 3);
    }
}
