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
    public void A_straggler_has_run_one_and_a_half_times_its_expected_time_at_the_fleets_speed()
    {
        Assert.False(policy.IsStraggler(TimeSpan.FromSeconds(1.6), 100, fleetRate: 100));
        Assert.True(policy.IsStraggler(TimeSpan.FromSeconds(1.8), 100, fleetRate: 100));
        Assert.False(policy.IsStraggler(TimeSpan.FromSeconds(60), 100, fleetRate: 0)); // no speed known yet
        Assert.False(new DeadlinePolicy(new FarmOptions { SpeculativeStragglers = false }).IsStraggler(TimeSpan.FromSeconds(60), 100, 100));
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
        // Rate 200: 3 + 4·0.5 = 5 s; after one timeout 3 + 4·1 = 7 s; after two or more 3 + 4·2 = 11 s.
        Assert.Equal([5, 7, 11, 11], Enumerable.Range(0, 4).Select(n => policy.LimitFor(100, 200, fleetRate: 50, timeoutsInARow: n).TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(120), policy.LimitFor(100, 0, 0, timeoutsInARow: 3)); // nothing known: the initial timeout
    }

    [Fact]
    public void A_node_busy_for_longer_than_the_maximum_is_failing()
    {
        var busy = new DeadlinePolicy(new FarmOptions { MaxBusyTime = TimeSpan.FromSeconds(30) });
        Assert.False(busy.BusyTooLong(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(40)));
        Assert.True(busy.BusyTooLong(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(40.5)));
    }
}
