namespace RenderNet.Farm.Tests;

/// <summary>
/// Spot checks against a node that cheats plausibly: its tiles are well-formed and correctly hashed, so only rendering
/// them again elsewhere shows they are wrong.
/// </summary>
[Collection("farm")]
public sealed class SpotCheckTests
{
    [Fact]
    public async Task A_plausible_liar_passes_every_tile_check_but_spot_checks_convict_it_and_the_frame_is_exact()
    {
        using var liar = new NodeProcess("PlausibleLie"); using var b = new NodeProcess(); using var c = new NodeProcess();
        var frame = Jobs.Frame(128, 96, 2);   // 48 tiles: the liar gets some even when it starts late on a loaded machine
        var local = Jobs.Local(frame);

        // Without spot checks its tiles are accepted: the lie is invisible to the per-tile checks.
        var fooled = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { SpeculativeStragglers = false }).RunAsync([liar.Address, b.Address, c.Address]);
        Assert.True(fooled.Nodes.Single(n => n.Address == liar.Address).Tiles > 0);
        Assert.False(fooled.Image.BitEquals(local));

        // Every tile checked: the liar is outvoted, excluded, and each of its tiles redone; the frame is exact.
        var attempts = new List<FarmAttempt>();
        var warnings = new List<string>();
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { SpeculativeStragglers = false, SpotCheckRate = 1 },
                onWarning: w => { lock (warnings) warnings.Add(w); }, onAttempt: a => { lock (attempts) attempts.Add(a); })
            .RunAsync([liar.Address, b.Address, c.Address]);
        Assert.True(result.Image.BitEquals(local));
        var report = result.Nodes.Single(n => n.Address == liar.Address);
        Assert.Contains("failed a spot check", report.Excluded);
        Assert.True(report.Convicted);
        Assert.All(result.Nodes.Where(n => n.Address != liar.Address), n => Assert.False(n.Convicted));
        Assert.Contains(warnings, w => w.Contains("failed a spot check") && w.Contains("redone elsewhere"));
        Assert.Contains(attempts, a => a.SpotCheck && a.Kind == AttemptOutcome.CheckDiffers);
        Assert.Contains(attempts, a => a.SpotCheck && a.Kind == AttemptOutcome.CheckSettled); // whichever way the liar was caught
    }

    [Fact]
    public async Task Honest_nodes_pass_their_spot_checks_and_each_check_runs_on_the_other_node()
    {
        using var a = new NodeProcess(); using var b = new NodeProcess();
        var frame = Jobs.Frame(48, 32, 2);
        var attempts = new List<FarmAttempt>();
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { SpotCheckRate = 1 }, onAttempt: x => { lock (attempts) attempts.Add(x); })
            .RunAsync([a.Address, b.Address]);
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        Assert.All(result.Nodes, n => Assert.Null(n.Excluded));
        // A check the node deferred ("busy": a just-cancelled tile still held its slot) ran nothing and is asked again.
        var checks = attempts.Where(x => x.SpotCheck && x.Kind.DidWork()).ToList();
        Assert.Equal(6, checks.Count); // every tile once
        Assert.All(checks, x => Assert.Equal(AttemptOutcome.CheckIdentical, x.Kind));
        Assert.Equal(6, result.Nodes.Sum(n => n.SpotChecks));
        foreach (var check in checks)
            Assert.NotEqual(attempts.Single(x => !x.SpotCheck && x.Accepted && x.Tile == check.Tile).Node, check.Node);
    }

    [Fact]
    public async Task A_check_renders_a_quarter_of_each_tile_and_matches_those_pixels_of_the_delivered_tile_in_every_render_pass()
    {
        using var a = new NodeProcess(); using var b = new NodeProcess();
        // Passes lie in planes after the colour (FrameAssembler): a part is cut from each plane, so every pass is compared.
        var frame = Jobs.Frame(48, 32, 2) with { Passes = RenderNet.Core.Rendering.RenderPasses.Albedo | RenderNet.Core.Rendering.RenderPasses.Normal | RenderNet.Core.Rendering.RenderPasses.Depth };
        var attempts = new List<FarmAttempt>();
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { SpotCheckRate = 1 }, onAttempt: x => { lock (attempts) attempts.Add(x); })
            .RunAsync([a.Address, b.Address]);
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        var checks = attempts.Where(x => x.SpotCheck && x.Kind.DidWork()).ToList();
        Assert.Equal(6, checks.Count);
        // Two nodes only: a part that differed could not be settled and the job would have failed.
        Assert.All(checks, x => Assert.Matches(@"^spot check: identical \(8x8@\d+,\d+ of the tile\)$", x.Outcome));
        Assert.All(result.Nodes, n => Assert.Null(n.Excluded));
    }

    [Fact]
    public async Task A_checker_that_hangs_runs_into_a_deadline_and_its_checks_are_given_up_with_a_warning()
    {
        // The flaky node delivers one tile, then hangs: every tile the good node delivers can only be checked by it.
        using var good = new NodeProcess(); using var flaky = new NodeProcess("HangAfterFirstTile");
        var frame = Jobs.Frame(48, 32, 2);
        var attempts = new List<FarmAttempt>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { SpotCheckRate = 1 }, onAttempt: x => { lock (attempts) attempts.Add(x); })
            .RunAsync([good.Address, flaky.Address]);
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        Assert.Contains(attempts, x => x.SpotCheck && x.Node.Contains(flaky.Address) && x.Kind == AttemptOutcome.TimedOut);
        Assert.Contains("consecutive failures", result.Nodes.Single(n => n.Address == flaky.Address).Excluded);
        Assert.False(result.Nodes.Single(n => n.Address == flaky.Address).Convicted); // excluded for failing, not for lying
        Assert.Contains(result.Warnings, w => w.Contains("spot checks were skipped"));
        // Deadlines, not the 60 s outer limit, ended the hung attempts (each timeout in a row doubles the next deadline:
        // the last is four times the first, ~30 s on lavapipe).
        Assert.All(attempts.Where(x => x.Node.Contains(flaky.Address)), x => Assert.True(x.Duration < TimeSpan.FromSeconds(50), $"{x.Outcome} after {x.Duration}"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(100), $"the job took {watch.Elapsed}");
    }

    [Fact]
    public async Task With_one_node_spot_checks_are_skipped_with_a_warning()
    {
        using var a = new NodeProcess();
        var frame = Jobs.Frame(32, 32, 1);
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { SpotCheckRate = 1 }).RunAsync([a.Address]);
        Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
        Assert.Contains(result.Warnings, w => w.Contains("spot checks were skipped"));
    }
}
