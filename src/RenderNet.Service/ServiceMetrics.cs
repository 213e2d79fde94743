using Prometheus;
using RenderNet.Client.Wire;

namespace RenderNet.Service;

/// <summary>
/// The service's Prometheus metrics (<c>/metrics</c>, behind the service token like every other path): jobs by state,
/// tiles and segments delivered (a counter: tiles/s is its <c>rate()</c>), node health as last probed, and spending.
/// A registry of its own, so services hosted in one process report their own.
/// </summary>
public sealed class ServiceMetrics
{
    static readonly string[] States =
        [JobStateNames.Queued, JobStateNames.Running, JobStateNames.Paused, JobStateNames.Cancelling, JobStateNames.Cancelled, JobStateNames.Completed, JobStateNames.Failed];
    /// <summary>Node health is probed at most this often (a scrape must not cost every node a call each time).</summary>
    static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(10);

    readonly Counter delivered;
    readonly Gauge nodeUp;
    readonly NodeRoster roster;
    readonly TimeProvider clock;
    readonly SemaphoreSlim probing = new(1, 1);
    DateTimeOffset probedAt = DateTimeOffset.MinValue;

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public ServiceMetrics(JobManager manager, NodeRoster roster, ServiceOptions options, TimeProvider? clock = null)
    {
        this.roster = roster;
        this.clock = clock ?? TimeProvider.System;
        var factory = Metrics.WithCustomRegistry(Registry);
        var jobs = factory.CreateGauge("rendernet_service_jobs", "Jobs by state.", "state");
        delivered = factory.CreateCounter("rendernet_service_units_delivered_total", "Tiles and segments delivered by nodes and accepted.", "kind");
        nodeUp = factory.CreateGauge("rendernet_service_node_up", "1 when the node answered the last probe and can take this service's work, else 0.", "address");
        var spent = factory.CreateGauge("rendernet_service_spent_tokens", "Tokens spent on all jobs (vouchers signed), in whole tokens.");
        var budget = factory.CreateGauge("rendernet_service_budget_tokens", "The service's budget in whole tokens (absent without one).");
        Registry.AddBeforeCollectCallback(async cancellation =>
        {
            var all = manager.All();
            foreach (var state in States) jobs.WithLabels(state).Set(all.Count(j => j.State == state));
            spent.Set((double)ServiceMapping.TokensDecimal(manager.SpentInAll()));
            if (options.Budget is { } b) budget.Set((double)ServiceMapping.TokensDecimal(b));
            await ProbeNodesAsync(cancellation);
        });
    }

    /// <summary>Counts a delivered tile (kind "tile") or segment ("segment").</summary>
    public void Delivered(string kind) => delivered.WithLabels(kind).Inc();

    async Task ProbeNodesAsync(CancellationToken cancellation)
    {
        await probing.WaitAsync(cancellation);
        try
        {
            if (clock.GetUtcNow() - probedAt < ProbeInterval) return;
            foreach (var probe in await roster.ProbeAsync(calibrate: false, cancellation))
                nodeUp.WithLabels(probe.Address).Set(probe.Usable ? 1 : 0);
            probedAt = clock.GetUtcNow();
        }
        finally { probing.Release(); }
    }
}
