using RenderNet.Farm;

namespace RenderNet.Service.Tests;

/// <summary>The fair-share arithmetic, without nodes: grants follow the weights, late jobs start at once, pauses bank no credit.</summary>
public sealed class FairShareSchedulerTests
{
    /// <summary>
    /// <paramref name="slots"/> workers per job on one node of that many slots, driven one grant at a time without
    /// threads (so the count measures the scheduler, not the thread pool): the lease granted first finishes first, is
    /// charged one unit and renewed, as TileFarm's workers do, until <paramref name="grants"/> grants.
    /// </summary>
    static async Task<Dictionary<string, int>> Compete(FairShareScheduler scheduler, IReadOnlyList<JobShare> jobs, int slots, int grants)
    {
        var counts = jobs.ToDictionary(j => j.JobId, _ => 0);
        var granted = new Queue<(JobShare Job, SlotLease Lease)>();
        var waiting = new List<(JobShare Job, Task<SlotLease> Grant)>();
        foreach (var job in jobs)
            for (int i = 0; i < slots; i++) waiting.Add((job, job.AcquireAsync("node-a", slots, CancellationToken.None)));
        async Task Collect()
        {
            foreach (var w in waiting.Where(w => w.Grant.IsCompletedSuccessfully).ToList())
            {
                granted.Enqueue((w.Job, await w.Grant));
                waiting.Remove(w);
            }
        }
        await Collect();
        for (int total = 0; total < grants; total++)
        {
            var (job, lease) = granted.Dequeue();
            counts[job.JobId]++;
            lease.Charge(1);
            waiting.Add((job, job.RenewAsync(lease, CancellationToken.None)));
            await Collect();
        }
        foreach (var (_, lease) in granted) lease.Dispose();
        return counts;
    }

    [Fact]
    public async Task Slots_are_shared_in_proportion_to_priority()
    {
        var scheduler = new FairShareScheduler();
        using var high = scheduler.Join("high", 80);
        using var low = scheduler.Join("low", 40);
        var counts = await Compete(scheduler, [high, low], slots: 2, grants: 1500);
        double ratio = (double)counts["high"] / counts["low"];
        Assert.InRange(ratio, 1.7, 2.3); // stated tolerance: ±15% of the 2:1 weights (thread-pool timing on a loaded machine)
    }

    [Fact]
    public async Task A_job_that_arrives_late_gets_the_next_free_slot_and_then_its_share()
    {
        var scheduler = new FairShareScheduler();
        using var big = scheduler.Join("big", 50);
        // The big job has had the node to itself for a long while: 10 000 units of work.
        for (int i = 0; i < 100; i++)
            using (var lease = await big.AcquireAsync("node-a", 1, CancellationToken.None)) lease.Charge(100);
        var holding = await big.AcquireAsync("node-a", 1, CancellationToken.None);
        var bigNext = big.AcquireAsync("node-a", 1, CancellationToken.None);
        using var small = scheduler.Join("small", 50);
        var smallFirst = small.AcquireAsync("node-a", 1, CancellationToken.None);
        holding.Dispose();
        // The newcomer asked later but is served first: it starts at the front runner's clock, with no debt.
        Assert.True(smallFirst.IsCompletedSuccessfully, "the small job waited behind the big one");
        Assert.False(bigNext.IsCompleted);
        var smallLease = await smallFirst;
        smallLease.Charge(1);
        smallLease.Dispose();
        Assert.True(bigNext.IsCompletedSuccessfully);
        (await bigNext).Dispose();
        // From then on they alternate at equal priority; the newcomer does not bank the big job's 10 000 units.
        var counts = await Compete(scheduler, [big, small], slots: 1, grants: 400);
        Assert.InRange((double)counts["small"] / counts["big"], 0.75, 1.33);
    }

    [Fact]
    public async Task A_resumed_job_does_not_starve_the_others_with_credit_from_its_pause()
    {
        var scheduler = new FairShareScheduler();
        using var a = scheduler.Join("a", 50);
        using var b = scheduler.Join("b", 50);
        for (int i = 0; i < 50; i++)
            using (var lease = await a.AcquireAsync("node-a", 1, CancellationToken.None)) lease.Charge(10); // b paused meanwhile
        b.Rejoin();
        var counts = await Compete(scheduler, [a, b], slots: 1, grants: 200);
        Assert.InRange((double)counts["b"] / counts["a"], 0.75, 1.33);
    }

    [Fact]
    public async Task Raising_a_priority_changes_the_share_from_the_next_grant()
    {
        var scheduler = new FairShareScheduler();
        using var a = scheduler.Join("a", 50);
        using var b = scheduler.Join("b", 50);
        a.SetPriority(100);
        b.SetPriority(25);
        var counts = await Compete(scheduler, [a, b], slots: 2, grants: 1000);
        Assert.InRange((double)counts["a"] / counts["b"], 3.4, 4.6);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.SetPriority(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Join("c", 101));
    }

    [Fact]
    public async Task A_node_never_runs_more_than_its_slots_and_a_cancelled_wait_takes_no_slot()
    {
        var scheduler = new FairShareScheduler();
        using var a = scheduler.Join("a", 50);
        var first = await a.AcquireAsync("node-a", 2, CancellationToken.None);
        var second = await a.AcquireAsync("node-a", 2, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var third = a.AcquireAsync("node-a", 2, cancel.Token);
        Assert.False(third.IsCompleted);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third);
        var fourth = a.AcquireAsync("node-a", 2, CancellationToken.None);
        first.Dispose();
        Assert.True(fourth.IsCompletedSuccessfully);
        second.Dispose();
        (await fourth).Dispose();
        Assert.Equal((0, 0), scheduler.Snapshot()["a"]);
    }

    [Fact]
    public async Task A_job_with_one_worker_per_slot_keeps_its_share_by_renewing_its_slot()
    {
        // As TileFarm on shared nodes: one worker per node slot and job, each renewing its lease after every tile.
        var scheduler = new FairShareScheduler();
        using var high = scheduler.Join("high", 90);
        using var big = scheduler.Join("big", 50);
        using var low = scheduler.Join("low", 30);
        var counts = await Compete(scheduler, [high, big, low], slots: 2, grants: 1800);
        Assert.InRange((double)counts["high"] / counts["low"], 3.0 * 0.85, 3.0 * 1.15);
        Assert.InRange((double)counts["big"] / counts["low"], 50.0 / 30 * 0.85, 50.0 / 30 * 1.15);
    }
}
