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
    public void A_timeout_stretches_that_nodes_next_deadline_so_a_loaded_node_gets_through_and_a_dead_one_still_runs_out()
    {
        // Rate 200 → 3 + 4·0.5 = 5 s; it timed out at 5 s, so its rate is at most 100/5 = 20 → next deadline 3 + 4·5 = 23 s.
        double rate = DeadlinePolicy.AfterTimeout(200, 100, TimeSpan.FromSeconds(5));
        Assert.Equal(20, rate, 9);
        Assert.Equal(TimeSpan.FromSeconds(23), policy.LimitFor(100, rate, fleetRate: 200));
        Assert.Equal(20, DeadlinePolicy.AfterTimeout(0, 100, TimeSpan.FromSeconds(5)), 9); // unknown before: the bound
        Assert.Equal(1, DeadlinePolicy.AfterTimeout(1, 100, TimeSpan.FromSeconds(5))); // never raises a known-slow rate
        // Three consecutive timeouts of a hung node: 5 + 23 + 95 s, then it is out (FarmRoster's consecutive failures).
        double r = 200, total = 0;
        for (int i = 0; i < 3; i++)
        {
            var limit = policy.LimitFor(100, r, 200);
            total += limit.TotalSeconds;
            r = DeadlinePolicy.AfterTimeout(r, 100, limit);
        }
        Assert.Equal(5 + 23 + 95, total, 6);
    }

    [Fact]
    public void A_node_busy_for_longer_than_the_maximum_is_failing()
    {
        var busy = new DeadlinePolicy(new FarmOptions { MaxBusyTime = TimeSpan.FromSeconds(30) });
        Assert.False(busy.BusyTooLong(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(40)));
        Assert.True(busy.BusyTooLong(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(40.5)));
    }
}
