using Grpc.Core;
using RenderNet.Protocol;

namespace RenderNet.Farm.Tests.Scheduling;

/// <summary>The farm's scheduling, deadlines, speculation and node health, on in-process fake nodes and a fake clock: no processes, no waiting.</summary>
public class SchedulingTests
{
    static readonly FarmOptions NoSpeculation = new() { SpeculativeStragglers = false };

    [Fact]
    public async Task A_hung_node_times_out_at_the_deadline_the_fleet_speed_gives_and_its_tile_is_redone_elsewhere()
    {
        var farm = new FakeFarm();
        var fast = farm.Node("fast");
        var hung = new FakeNode("hung", farm.Clock) { Hangs = true };
        var work = new FakeWorkload(4);

        await farm.RunAsync(work, NoSpeculation, [hung, fast]);

        Assert.Equal(4, work.Accepted.Count);
        Assert.All(work.Accepted.Values, a => Assert.Equal("fast", a.Node));
        // Before any tile came back the deadline was the initial 120 s; once "fast" showed 100 work units per second, a
        // unit's deadline is MinTileTimeout + TimeoutFactor × work / rate = 3 + 4 × 100 / 100 = 7 s.
        var timedOut = Assert.Single(farm.Attempts, a => a.Node == "hung");
        Assert.Equal(AttemptOutcome.TimedOut, timedOut.Kind);
        Assert.InRange(timedOut.Duration.TotalSeconds, 7, 9);
        Assert.True(farm.Elapsed < TimeSpan.FromSeconds(10), $"the job took {farm.Elapsed} of fake time");
    }

    [Fact]
    public async Task A_straggler_is_duplicated_on_an_idle_node_and_the_first_valid_copy_wins()
    {
        var farm = new FakeFarm();
        var slow = farm.Node("slow", _ => 30);
        var fast = farm.Node("fast");
        var work = new FakeWorkload(3);

        await farm.RunAsync(work, new FarmOptions(), [slow, fast]);

        Assert.All(work.Accepted.Values, a => Assert.Equal("fast", a.Node));
        var winner = Assert.Single(farm.Attempts, a => a.Speculative);
        Assert.Equal(AttemptOutcome.Accepted, winner.Kind);
        Assert.Equal("fast", winner.Node);
        // Duplicated once it ran 1.5 × its expected time (+0.2 s) at the fleet's speed, not after the slow node's 30 s.
        Assert.Equal(AttemptOutcome.Superseded, Assert.Single(farm.Attempts, a => a.Node == "slow").Kind);
        Assert.True(farm.Elapsed < TimeSpan.FromSeconds(5), $"the job took {farm.Elapsed} of fake time");
    }

    [Theory]
    [InlineData(StatusCode.Internal, 3, "3 consecutive failures, last: Internal: disk on fire")]
    [InlineData(StatusCode.NotFound, 1, "lost the scene from its cache")]
    public async Task A_failing_node_is_taken_out_of_the_job_by_its_failures_kind(StatusCode code, int failuresBeforeOut, string reason)
    {
        var farm = new FakeFarm();
        var broken = new FakeNode("broken", farm.Clock) { Failure = _ => new RpcException(new Status(code, "disk on fire")) };
        var good = farm.Node("good");
        var work = new FakeWorkload(8);

        var run = await farm.RunAsync(work, NoSpeculation, [broken, good]);

        Assert.Equal(8, work.Accepted.Count);
        Assert.All(work.Accepted.Values, a => Assert.Equal("good", a.Node));
        var failed = farm.Attempts.Where(a => a.Node == "broken").ToList();
        Assert.Equal(failuresBeforeOut, failed.Count);
        Assert.All(failed, a => Assert.Equal(AttemptOutcome.Failed, a.Kind));
        Assert.Equal(reason, run.Nodes.Single(n => n.Address == "broken").Excluded);
        Assert.Contains($"node broken is out of this job: {reason}", farm.Warnings);
    }

    [Fact]
    public async Task A_node_with_another_pipeline_is_excluded_unless_mixed_pipelines_are_allowed()
    {
        var farm = new FakeFarm();
        FakeNode[] Nodes() => [farm.Node("a"), farm.Node("b"), new FakeNode("odd", farm.Clock) { Fingerprint = "fp-2" }];

        var work = new FakeWorkload(6);
        var run = await farm.RunAsync(work, NoSpeculation, Nodes());
        Assert.StartsWith("node odd has pipeline fingerprint fp-2, the job's is fp-1", run.Nodes.Single(n => n.Address == "odd").Excluded);
        Assert.DoesNotContain(work.Accepted.Values, a => a.Node == "odd");

        var mixed = new FakeFarm();
        work = new FakeWorkload(6);
        run = await mixed.RunAsync(work, NoSpeculation with { AllowMixedPipelines = true }, [mixed.Node("a"), mixed.Node("b"), new FakeNode("odd", mixed.Clock) { Fingerprint = "fp-2" }]);
        Assert.Null(run.Nodes.Single(n => n.Address == "odd").Excluded);
        Assert.Contains(mixed.Warnings, w => w.EndsWith("(allowed)"));
    }

    [Fact]
    public async Task A_node_that_lies_is_outvoted_by_spot_checks_and_every_tile_it_delivered_is_redone()
    {
        var farm = new FakeFarm();
        var liar = new FakeNode("liar", farm.Clock) { Answer = unit => $"forged-{unit}" };
        var work = new FakeWorkload(9);

        var run = await farm.RunAsync(work, NoSpeculation with { SpotCheckRate = 1 }, [farm.Node("a"), liar, farm.Node("b")]);

        Assert.Equal(9, work.Accepted.Count);
        Assert.All(work.Accepted, a => Assert.Equal(FakeNode.Honest(a.Key), a.Value.Content));
        Assert.StartsWith("failed a spot check: its tile", run.Nodes.Single(n => n.Address == "liar").Excluded);
        Assert.Contains(farm.Attempts, a => a.SpotCheck && a.Kind == AttemptOutcome.CheckSettled);
        Assert.Contains(farm.Warnings, w => w.StartsWith("node liar is out of this job: failed a spot check"));
    }

    [Fact]
    public async Task A_node_that_arrives_mid_job_is_probed_and_takes_tiles_and_one_with_another_pipeline_is_refused()
    {
        var farm = new FakeFarm();
        var slow = farm.Node("slow", _ => 10);
        var fast = farm.Node("fast");
        var foreign = new FakeNode("foreign", farm.Clock) { Fingerprint = "fp-other" };
        var work = new FakeWorkload(20);

        await farm.RunAsync(work, NoSpeculation, [slow], arrivals: [(TimeSpan.FromSeconds(5), fast), (TimeSpan.FromSeconds(6), foreign), (TimeSpan.FromSeconds(7), slow)]);

        Assert.Equal(20, work.Accepted.Count);
        // Alone, "slow" would take 200 s; from 5 s on "fast" does ten a second's worth of its tiles.
        Assert.InRange(work.Accepted.Values.Count(a => a.Node == "fast"), 15, 19);
        Assert.True(farm.Elapsed < TimeSpan.FromSeconds(30), $"the job took {farm.Elapsed} of fake time");
        Assert.Equal(0, foreign.Started);
        Assert.Contains(farm.Warnings, w => w.Contains("node foreign has pipeline fingerprint") && w.Contains("excluded"));
        // "slow" arriving again is the node already in the job: still one worker (one unit at a time).
        var slowAttempts = farm.Attempts.Where(a => a.Node == "slow").OrderBy(a => a.Start).ToList();
        Assert.All(slowAttempts.Zip(slowAttempts.Skip(1)), pair => Assert.True(pair.Second.Start >= pair.First.Start + pair.First.Duration - TimeSpan.FromMilliseconds(1)));
    }

    [Fact]
    public async Task A_released_node_finishes_its_tile_takes_no_more_is_not_lost_and_works_again_when_given_back()
    {
        // The service moves a node to a job below its share (NodeAllotment's release): the job stops giving it tiles.
        var farm = new FakeFarm();
        var (kept, moved) = (farm.Node("kept"), farm.Node("moved"));
        var work = new FakeWorkload(30);
        IReadOnlyList<string>? lostWhileReleased = null;
        await farm.RunAsync(work, NoSpeculation, [kept, moved], actions:
        [
            (TimeSpan.FromSeconds(5.5), f => f.ReleaseNodes(["moved"])),
            (TimeSpan.FromSeconds(10), f => lostWhileReleased = f.LostNodes()),
            (TimeSpan.FromSeconds(12), f => f.AddNodes(["moved"])),
        ]);

        Assert.Equal(30, work.Accepted.Count);
        Assert.Empty(lostWhileReleased!);
        var onMoved = farm.Attempts.Where(a => a.Node == "moved").ToList();
        // The tile it had at 5.5 s finished and counted; none started between the release and its return.
        Assert.Contains(onMoved, a => a.Start < TimeSpan.FromSeconds(5.5) && a.Start + a.Duration > TimeSpan.FromSeconds(5.5) && a.Kind == AttemptOutcome.Accepted);
        Assert.DoesNotContain(onMoved, a => a.Start > TimeSpan.FromSeconds(5.5) && a.Start < TimeSpan.FromSeconds(12));
        Assert.Contains(onMoved, a => a.Start >= TimeSpan.FromSeconds(12));
        // Given back, it runs one worker again, not one per generation: its attempts never overlap.
        var ordered = onMoved.OrderBy(a => a.Start).ToList();
        Assert.All(ordered.Zip(ordered.Skip(1)), pair => Assert.True(pair.Second.Start >= pair.First.Start + pair.First.Duration - TimeSpan.FromMilliseconds(1)));
    }

    [Fact]
    public async Task A_job_that_lost_every_node_waits_for_the_next_one_added_and_fails_by_name_when_none_comes_in_time()
    {
        static FakeNode Dying(FakeFarm farm) => new("dying", farm.Clock) { Failure = _ => new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Unavailable, "node dying left the network")) };
        var waiting = NoSpeculation with { WaitForNodes = TimeSpan.FromSeconds(30) };

        // Its only node fails three times and is out at ~3 s; the service hands it another at 20 s: the job finishes.
        var rescued = new FakeFarm();
        var rescuer = rescued.Node("rescuer");
        var work = new FakeWorkload(5);
        await rescued.RunAsync(work, waiting, [Dying(rescued)], arrivals: [(TimeSpan.FromSeconds(20), rescuer)]);
        Assert.Equal(5, work.Accepted.Count);
        Assert.All(work.Accepted.Values, a => Assert.Equal("rescuer", a.Node));

        // Nobody comes: it fails once the wait is over, naming why.
        var abandoned = new FakeFarm();
        var ex = await Assert.ThrowsAsync<FarmException>(() => abandoned.RunAsync(new FakeWorkload(5), waiting, [Dying(abandoned)]));
        Assert.StartsWith("no healthy render node remains with 5 of 5 tiles left: dying: 3 consecutive failures", ex.Message);
        Assert.EndsWith("no other node was added within 30 s", ex.Message);
        Assert.InRange(abandoned.Elapsed, TimeSpan.FromSeconds(32), TimeSpan.FromSeconds(36));

        // Without a wait (a job with a fixed list of nodes) it fails at once.
        var fixedList = new FakeFarm();
        await Assert.ThrowsAsync<FarmException>(() => fixedList.RunAsync(new FakeWorkload(5), NoSpeculation, [Dying(fixedList)]));
        Assert.True(fixedList.Elapsed < TimeSpan.FromSeconds(5), $"failed after {fixedList.Elapsed}");
    }

    [Fact]
    public async Task A_frame_about_to_start_counts_every_tile_as_queued_so_nodes_allotted_as_it_starts_are_for_all_of_them()
    {
        // The service allots a starting job its nodes from Progress before the run fills the queue; a queue of zero then
        // read as "in its end game" and the job started on one node (JobsPerNodeTests).
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var node = new FakeNode("only", clock) { Seconds = _ => 1 };
        var farm = new TileFarm(new FakeWorkload(6), NoSpeculation with { Connector = new FakeConnector([node]), Time = clock });
        Assert.Equal((6, 6), farm.Progress);
        var allotment = new NodeAllotment(1);
        var added = allotment.Rebalance([new NodeAllotment.JobDemand("job", 50, farm.Progress.Left, farm.Progress.Queued)],
            [new NodeAllotment.NodeOffer("a", 1), new NodeAllotment.NodeOffer("b", 1), new NodeAllotment.NodeOffer("c", 1)]);
        Assert.Equal(["a", "b", "c"], added.Added["job"].Order());

        var run = Task.Run(() => farm.RunWorkAsync(["only"]));
        while (!run.IsCompleted)
        {
            clock.Advance(TimeSpan.FromMilliseconds(20));
            await Task.Delay(1);
        }
        await run;
        Assert.Equal((0, 0), farm.Progress);
    }

    [Fact]
    public async Task A_job_ends_with_its_last_tile_even_while_a_worker_waits_for_a_slot_another_job_holds()
    {
        // Another job holds the shared node's only slot for as long as it runs (its virtual clock is behind: it has
        // only this node). This job's tiles all come in from its other node; it must end then, not when the slot frees.
        var scheduler = new FairShareScheduler();
        using var other = scheduler.Join("other", 50);
        using var held = await other.AcquireAsync("shared", 1, CancellationToken.None);
        using var mine = scheduler.Join("mine", 50);

        var farm = new FakeFarm();
        var work = new FakeWorkload(4);
        await farm.RunAsync(work, NoSpeculation with { Share = mine }, [farm.Node("shared"), farm.Node("own")]);

        Assert.Equal(4, work.Accepted.Count);
        Assert.All(work.Accepted.Values, a => Assert.Equal("own", a.Node));
        Assert.True(farm.Elapsed < TimeSpan.FromSeconds(6), $"the job took {farm.Elapsed} of fake time");
        Assert.Equal((0, 0), scheduler.Snapshot()["mine"]); // no slot held, nothing left waiting
    }

    [Fact]
    public async Task A_fast_node_takes_batches_sized_to_its_speed_a_slow_one_single_tiles_and_each_tile_is_accepted_once()
    {
        var farm = new FakeFarm();
        var fast = farm.Node("fast");               // 100 work units a second: a 5-second batch is 5 tiles
        var slow = farm.Node("slow", _ => 20);      // 5 a second: a tile takes it longer than a batch's target
        var work = new FakeWorkload(60) { BatchLimit = 16 };

        await farm.RunAsync(work, NoSpeculation with { BatchTarget = TimeSpan.FromSeconds(5) }, [fast, slow]);

        Assert.Equal(Enumerable.Range(0, 60), work.Accepted.Keys.Order());
        Assert.Equal(60, farm.Attempts.Count(a => a.Kind == AttemptOutcome.Accepted)); // an attempt per tile, batch or not
        Assert.DoesNotContain(work.Batches, b => b.Node == "slow");
        var sizes = work.Batches.Where(b => b.Node == "fast").Select(b => b.Units.Length).ToList();
        Assert.NotEmpty(sizes);
        Assert.All(sizes, size => Assert.InRange(size, 2, 5));
        // A batch runs back to back: the fast node's 1-second tiles of a 5-tile batch took it 5 seconds, not 5 round trips more.
        Assert.True(farm.Elapsed < TimeSpan.FromSeconds(62), $"the job took {farm.Elapsed} of fake time: {string.Join("; ", farm.Attempts.Where(a => a.Node == "slow"))}");
    }

    [Fact]
    public async Task A_batch_cut_short_by_a_failing_tile_hands_the_tiles_it_did_not_reach_to_the_queue()
    {
        var farm = new FakeFarm();
        int failures = 0;
        var flaky = new FakeNode("flaky", farm.Clock)
        {
            // Tile 5 fails there once: the fourth of its first batch (tile 0 alone while its speed is unknown, then 2…9).
            Failure = unit => unit == 5 && Interlocked.Increment(ref failures) == 1 ? new RpcException(new Status(StatusCode.Internal, "device lost")) : null,
        };
        var steady = farm.Node("steady", _ => 3);
        var work = new FakeWorkload(40) { BatchLimit = 8 };

        await farm.RunAsync(work, NoSpeculation with { BatchTarget = TimeSpan.FromSeconds(8) }, [flaky, steady]);

        Assert.Equal(Enumerable.Range(0, 40), work.Accepted.Keys.Order()); // nothing lost, nothing twice
        var cut = Assert.Single(work.Batches, b => b.Node == "flaky" && b.Units.Contains(5));
        var after = cut.Units.SkipWhile(u => u != 5).Skip(1).ToList();
        Assert.NotEmpty(after);
        Assert.Equal(AttemptOutcome.Failed, Assert.Single(farm.Attempts, a => a.Tile == 5 && a.Node == "flaky").Kind);
        Assert.Equal("steady", work.Accepted[5].Node); // redone where it had not failed
        // The tiles after it in that batch went back to the queue: each has one attempt in all, accepted, from a later call.
        foreach (int unit in after)
            Assert.Equal(AttemptOutcome.Accepted, Assert.Single(farm.Attempts, a => a.Tile == unit).Kind);
    }

    [Fact]
    public async Task A_check_is_never_retried_on_a_checker_it_failed_on_and_is_skipped_after_two_so_the_job_ends()
    {
        // Each hanging node renders its first unit in a second, then hangs: the good node's tiles can only be checked by
        // them. Checks retried checker after checker once kept service jobs open half an hour past their last tile.
        var farm = new FakeFarm();
        int calls1 = 0, calls2 = 0;
        var good = farm.Node("good");
        var hang1 = farm.Node("hang1", _ => Interlocked.Increment(ref calls1) == 1 ? 1 : 1e6);
        var hang2 = farm.Node("hang2", _ => Interlocked.Increment(ref calls2) == 1 ? 1 : 1e6);
        var work = new FakeWorkload(6);

        var run = await farm.RunAsync(work, NoSpeculation with { SpotCheckRate = 1 }, [good, hang1, hang2]);

        Assert.Equal(Enumerable.Range(0, 6), work.Accepted.Keys.Order());
        var failedChecks = farm.Attempts.Where(a => a.SpotCheck && a.Kind is AttemptOutcome.TimedOut or AttemptOutcome.Failed).ToList();
        Assert.NotEmpty(failedChecks);
        Assert.All(failedChecks.GroupBy(a => a.Tile), g =>
        {
            Assert.InRange(g.Count(), 1, SpotChecks.MaxCheckFailures);
            Assert.Equal(g.Count(), g.Select(a => a.Node).Distinct().Count()); // never twice on one checker
        });
        Assert.Contains(run.Warnings, w => w.Contains("spot checks were skipped"));
    }

    [Fact]
    public async Task A_checker_that_only_ever_answers_awaiting_payment_is_given_up_after_the_busy_time_and_the_job_ends()
    {
        // A node owed more than its bound refuses every piece, checks included; a job whose checks it was drawn for
        // waited on it for ever (SlashingFarmTests hung CI: the payer held its disputed checks' pay).
        var farm = new FakeFarm();
        var good = farm.Node("good");
        var owed = new FakeNode("owed", farm.Clock)
        {
            CheckRefusal = _ => NodeRefusal.Create(Grpc.Core.StatusCode.FailedPrecondition, RefusalKind.AwaitingPayment, "the payer owes 8"),
        };
        var work = new FakeWorkload(4);

        var run = await farm.RunAsync(work, NoSpeculation with { SpotCheckRate = 1, MaxBusyTime = TimeSpan.FromSeconds(20) }, [good, owed]);

        Assert.Equal(Enumerable.Range(0, 4), work.Accepted.Keys.Order());
        Assert.Contains(farm.Attempts, a => a.SpotCheck && a.Node == "owed" && a.Kind == AttemptOutcome.Busy && a.Outcome == "spot check: deferred (AwaitingPayment)");
        Assert.Contains(farm.Attempts, a => a.SpotCheck && a.Node == "owed" && a.Kind == AttemptOutcome.Failed && a.Outcome.StartsWith("spot check: busy for over 20 s: the payer owes 8"));
        Assert.Contains(run.Warnings, w => w.Contains("spot checks were skipped"));
    }

    [Fact]
    public async Task A_spot_check_measures_its_checkers_speed_as_a_tile_does()
    {
        // "checker" joins while the only tile is in flight, so all it ever runs is that tile's check. Unmeasured it would
        // count at the job's median (here the fast node's speed): at a job's end, nodes given to it for its checks alone
        // counted at the median of the slow nodes it kept, however fast, and its checks stayed on the slow ones.
        var farm = new FakeFarm();
        var fast = farm.Node("fast", _ => 2); // 2 s for 100 units of work: the checker has joined well before it is done
        var checker = farm.Node("checker", _ => 8);
        TileFarm? running = null;
        await farm.RunAsync(new FakeWorkload(1), NoSpeculation with { SpotCheckRate = 1 }, [fast], arrivals: [(TimeSpan.FromSeconds(0.3), checker)],
            actions: [(TimeSpan.Zero, f => running = f)]);

        Assert.Single(farm.Attempts, a => a.SpotCheck && a.Node == "checker" && a.Kind == AttemptOutcome.CheckIdentical);
        var rates = running!.NodeRates().ToDictionary(r => r.Address, r => r.Rate);
        Assert.InRange(rates["checker"] / rates["fast"], 0.2, 0.3);
    }

    [Fact]
    public async Task A_straggling_spot_check_is_copied_to_a_faster_node_and_the_first_to_settle_it_cancels_the_other()
    {
        // The only tile's check can go only to "slow" (the deliverer cannot check itself); "late" joins once it runs.
        // Checks drawn among the slow nodes a job kept once ran for minutes after its last tile.
        var farm = new FakeFarm();
        var owner = farm.Node("owner", _ => 2);
        var slow = farm.Node("slow", _ => 200); // joins once the owner has the tile, so it can only check it
        var late = farm.Node("late");
        await farm.RunAsync(new FakeWorkload(1), new FarmOptions { SpotCheckRate = 1 }, [owner], arrivals: [(TimeSpan.FromSeconds(0.5), slow), (TimeSpan.FromSeconds(4), late)]);

        var checks = farm.Attempts.Where(a => a.SpotCheck).ToList();
        Assert.Contains(checks, a => a.Node == "late" && a.Kind == AttemptOutcome.CheckIdentical);
        var cancelled = Assert.Single(checks, a => a.Node == "slow");
        Assert.Equal(AttemptOutcome.Superseded, cancelled.Kind);
        Assert.InRange(farm.Elapsed.TotalSeconds, 4, 60); // not the slow node's 200 s
        Assert.DoesNotContain(farm.Warnings, w => w.Contains("slow is out"));
    }
}
