namespace RenderNet.Farm.Tests.Scheduling;

public class DeadlinePolicyTests
{
    readonly DeadlinePolicy policy = new(new FarmOptions { InitialTileTimeout = TimeSpan.FromSeconds(120), MinTileTimeout = TimeSpan.FromSeconds(3), TimeoutFactor = 4 });

    [Fact]
    public void A_deadline_comes_from_the_nodes_speed_else_the_fleets_else_the_initial_timeout()
    {
        Assert.Equal(TimeSpan.FromSeconds(120), policy.LimitFor(100, nodeRate: 0, fleetRate: 0));
        Assert.Equal(TimeSpan.FromSeconds(3 + 4 * 2), policy.LimitFor(100, nodeRate: 0, fleetRate: 50));
        Assert.Equal(TimeSpan.FromSeconds(3 + 4 * 0.5), policy.LimitFor(100, nodeRate: 200, fleetRate: 50));
    }

    [Fact]
    public void A_straggler_has_run_one_and_a_half_times_its_own_nodes_expected_time_or_an_idle_node_would_finish_it_well_before()
    {
        // Expected 1 s on the running node: past 1.7 s it may be stuck.
        Assert.False(policy.IsStraggler(TimeSpan.FromSeconds(1.6), 100, runnerRate: 100, idleRate: 100));
        Assert.True(policy.IsStraggler(TimeSpan.FromSeconds(1.8), 100, runnerRate: 100, idleRate: 100));
        // A node 100x slower is not a straggler at 60 s of its expected 100 s to an equally slow idle node...
        Assert.False(policy.IsStraggler(TimeSpan.FromSeconds(60), 100, runnerRate: 1, idleRate: 1));
        // ...but a fast idle node (1 s) would finish it 40 s before it is expected to: duplicate.
        Assert.True(policy.IsStraggler(TimeSpan.FromSeconds(60), 100, runnerRate: 1, idleRate: 100));
        // Near its end, not worth it: 1.5 s left vs 1.5·1 + 0.2 s on the fast node.
        Assert.False(policy.IsStraggler(TimeSpan.FromSeconds(98.5), 100, runnerRate: 1, idleRate: 100));
        Assert.False(policy.IsStraggler(TimeSpan.FromSeconds(60), 100, runnerRate: 0, idleRate: 100)); // no speed known yet
        Assert.False(new DeadlinePolicy(new FarmOptions { SpeculativeStragglers = false }).IsStraggler(TimeSpan.FromSeconds(60), 100, 100, 100));
    }

    [Fact]
    public void A_nodes_expected_rate_is_measured_else_declared_within_a_hundredfold_of_the_fleet_else_the_fleets()
    {
        Assert.Equal(70, DeadlinePolicy.ExpectedRate(measured: 70, declared: 5000, fleetRate: 100));
        Assert.Equal(300, DeadlinePolicy.ExpectedRate(0, declared: 300, fleetRate: 100));
        Assert.Equal(1, DeadlinePolicy.ExpectedRate(0, declared: 1e-9, fleetRate: 100)); // declaring itself slow buys at most 100x
        Assert.Equal(10_000, DeadlinePolicy.ExpectedRate(0, declared: 1e12, fleetRate: 100));
        Assert.Equal(100, DeadlinePolicy.ExpectedRate(0, declared: double.NaN, fleetRate: 100));
        Assert.Equal(42, DeadlinePolicy.ExpectedRate(0, declared: 42, fleetRate: 0));
    }

    [Fact]
    public void A_declared_speed_never_changes_a_deadline()
    {
        // Deadlines come from speeds measured on the coordinator's clock only (SECURITY: a node cannot talk its way into
        // a longer one): LimitFor takes no declared speed, so a node declaring itself slow still gets the fleet's 11 s.
        Assert.Equal(TimeSpan.FromSeconds(11), policy.LimitFor(100, nodeRate: 0, fleetRate: 50));
        Assert.DoesNotContain(typeof(DeadlinePolicy).GetMethod(nameof(DeadlinePolicy.LimitFor))!.GetParameters(), p => p.Name!.Contains("declared", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void In_the_end_game_a_slow_node_leaves_the_last_queued_tiles_to_faster_ones()
    {
        // Tile of 100 on a node at 1/s takes 100 s. Queued: 10 tiles (1000) at a throughput of 50/s = 20 s of work left.
        Assert.True(DeadlinePolicy.LeaveToFaster(100, nodeRate: 1, fleetRate: 10, queuedWork: 1000, throughput: 50, TimeSpan.Zero));
        // Plenty left (200 s): it takes the tile.
        Assert.False(DeadlinePolicy.LeaveToFaster(100, nodeRate: 1, fleetRate: 10, queuedWork: 10_000, throughput: 50, TimeSpan.Zero));
        // A node at or above the median always takes it (someone must), and nothing is left before throughput is known.
        Assert.False(DeadlinePolicy.LeaveToFaster(100, nodeRate: 10, fleetRate: 10, queuedWork: 100, throughput: 50, TimeSpan.Zero));
        Assert.False(DeadlinePolicy.LeaveToFaster(100, nodeRate: 1, fleetRate: 10, queuedWork: 100, throughput: 0, TimeSpan.Zero));
        // The faster nodes stopped coming (nothing taken from the queue for longer than the 10 s a median node needs for
        // the tile: they are busy with other jobs on shared nodes): the slow node takes it rather than leave the job waiting.
        Assert.True(DeadlinePolicy.LeaveToFaster(100, nodeRate: 1, fleetRate: 10, queuedWork: 1000, throughput: 50, TimeSpan.FromSeconds(9)));
        Assert.False(DeadlinePolicy.LeaveToFaster(100, nodeRate: 1, fleetRate: 10, queuedWork: 1000, throughput: 50, TimeSpan.FromSeconds(11)));
    }

    [Fact]
    public void The_fleet_rate_is_the_median_of_known_rates_and_a_nodes_rate_is_smoothed()
    {
        Assert.Equal(0, DeadlinePolicy.FleetRate([0, 0]));
        Assert.Equal(30, DeadlinePolicy.FleetRate([10, 0, 30, 1000]));
        Assert.Equal(100, DeadlinePolicy.Smooth(0, 100, TimeSpan.FromSeconds(1)));
        Assert.Equal(0.7 * 100 + 0.3 * 50, DeadlinePolicy.Smooth(100, 100, TimeSpan.FromSeconds(2)), 9);
    }

    [Fact]
    public void Each_timeout_in_a_row_doubles_the_time_allowed_up_to_four_times_so_a_loaded_node_gets_through_and_a_hung_one_runs_out()
    {
        // Rate 200: 3 + 4·0.5 = 5 s; after one timeout twice that, 10 s; after two or more 20 s (the floor doubles too).
        Assert.Equal([5, 10, 20, 20], Enumerable.Range(0, 4).Select(n => policy.LimitFor(100, 200, fleetRate: 50, timeoutsInARow: n).TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(120), policy.LimitFor(100, 0, 0, timeoutsInARow: 3)); // nothing known: the initial timeout
    }

    [Fact]
    public void A_node_busy_for_longer_than_the_maximum_is_failing()
    {
        var busy = new DeadlinePolicy(new FarmOptions { MaxBusyTime = TimeSpan.FromSeconds(30) });
        Assert.False(busy.BusyTooLong(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(40)));
        Assert.True(busy.BusyTooLong(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(40.5)));
    }

    [Theory]
    [InlineData(100, 100, 10, 16, 1000, 0, 10)]     // 10 s of 1-second tiles
    [InlineData(100, 1000, 10, 16, 1000, 0, 16)]    // a very fast node: the node's limit
    [InlineData(100, 5, 10, 16, 1000, 0, 1)]        // a tile takes longer than the target: one at a time
    [InlineData(100, 100, 10, 16, 12, 400, 3)]      // a quarter of the job's speed: a quarter of the 12 queued
    [InlineData(100, 100, 10, 1, 1000, 0, 1)]       // a node without batches
    [InlineData(100, 0, 10, 16, 1000, 0, 1)]        // speed unknown
    [InlineData(100, 100, 0, 16, 1000, 0, 1)]       // batching off
    public void A_batch_is_what_the_node_renders_in_the_target_time_within_its_limit_and_its_share_of_the_queue(long work, double rate, double target, int max, int queued,
        double throughput, int expected) =>
        Assert.Equal(expected, DeadlinePolicy.BatchSize(work, rate, TimeSpan.FromSeconds(target), max, queued, throughput));
}
