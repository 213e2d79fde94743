using Prometheus;

namespace RenderNet.Node;

/// <summary>Why a piece of work did not end in a delivered result: the <c>reason</c> label of the failure counter.</summary>
public enum WorkFailure { Cancelled, Busy, PaymentRequired, InvalidScene, SceneNotCached, Device, Error }

/// <summary>
/// The node's Prometheus metrics (prometheus-net), in a registry of its own so that nodes hosted in one process (tests,
/// <c>--local-nodes</c>) each report their own. Counters move as work happens; gauges that mirror other state (work in
/// flight, the scene cache, earnings) are read from it at each scrape.
/// </summary>
public sealed class NodeMetrics
{
    readonly Counter tiles, segments, busySeconds, failures, cacheLookups, uploadedBytes, pixelSamples;

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public NodeMetrics(string device, string fingerprint, NodeState state, SceneCache cache, TileLedger? ledger)
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        factory.CreateGauge("rendernet_node_info", "The node's device and pipeline fingerprint (value 1).", "device", "fingerprint")
            .WithLabels(device, fingerprint).Set(1);
        tiles = factory.CreateCounter("rendernet_node_tiles_rendered_total", "Tiles rendered and delivered.", "mode");
        segments = factory.CreateCounter("rendernet_node_segments_transcoded_total", "Video segments transcoded and delivered.");
        busySeconds = factory.CreateCounter("rendernet_node_busy_seconds_total", "Seconds spent rendering or transcoding delivered work.", "kind");
        pixelSamples = factory.CreateCounter("rendernet_node_pixel_samples_total", "Pixel-samples of delivered path-traced tiles.");
        failures = factory.CreateCounter("rendernet_node_failures_total", "Work that ended without a result, by reason.", "kind", "reason");
        cacheLookups = factory.CreateCounter("rendernet_node_scene_cache_lookups_total", "Scene cache lookups by coordinators (hit: no upload needed).", "result");
        uploadedBytes = factory.CreateCounter("rendernet_node_scene_upload_bytes_total", "Scene bytes received and cached.");
        var inFlight = factory.CreateGauge("rendernet_node_work_in_flight", "Tiles and segments being worked on now (the queue depth).");
        var cachedBytes = factory.CreateGauge("rendernet_node_scene_cache_bytes", "Bytes of scenes cached now.");
        var cachedScenes = factory.CreateGauge("rendernet_node_scene_cache_scenes", "Scenes cached now.");
        var uptime = factory.CreateGauge("rendernet_node_uptime_seconds", "Seconds since the node started.");
        var tokens = factory.CreateGauge("rendernet_node_tokens", "Token base units per payer: earned (work delivered), vouchered (signed by the payer), redeemed (claimed on chain), pending (vouchered, not yet redeemed).", "payer", "state");
        Registry.AddBeforeCollectCallback(() =>
        {
            inFlight.Set(state.InFlight);
            cachedBytes.Set(cache.Bytes);
            cachedScenes.Set(cache.Count);
            uptime.Set(state.Uptime.TotalSeconds);
            if (ledger is null) return;
            foreach (var payer in ledger.Earnings().GroupBy(e => e.Payer))
            {
                tokens.WithLabels(payer.Key, "earned").Set((double)payer.Aggregate(System.Numerics.BigInteger.Zero, (s, e) => s + e.Earned));
                tokens.WithLabels(payer.Key, "vouchered").Set((double)payer.Aggregate(System.Numerics.BigInteger.Zero, (s, e) => s + e.Vouchered));
                tokens.WithLabels(payer.Key, "redeemed").Set((double)payer.Aggregate(System.Numerics.BigInteger.Zero, (s, e) => s + e.Redeemed));
                tokens.WithLabels(payer.Key, "pending").Set((double)payer.Aggregate(System.Numerics.BigInteger.Zero, (s, e) => s + e.Pending));
            }
        });
    }

    public long TilesDelivered => (long)(tiles.WithLabels("path").Value + tiles.WithLabels("raster").Value);
    public long SegmentsDelivered => (long)segments.Value;

    public void TileDelivered(bool raster, double seconds, long samples)
    {
        tiles.WithLabels(raster ? "raster" : "path").Inc();
        busySeconds.WithLabels("tile").Inc(seconds);
        if (!raster) pixelSamples.Inc(samples);
    }

    public void SegmentDelivered(double seconds)
    {
        segments.Inc();
        busySeconds.WithLabels("segment").Inc(seconds);
    }

    public void Failed(bool segment, WorkFailure reason) => failures.WithLabels(segment ? "segment" : "tile", Label(reason)).Inc();

    public void SceneLookup(bool hit) => cacheLookups.WithLabels(hit ? "hit" : "miss").Inc();

    public void SceneUploaded(long bytes) => uploadedBytes.Inc(bytes);

    static string Label(WorkFailure reason) => reason switch
    {
        WorkFailure.Cancelled => "cancelled",
        WorkFailure.Busy => "busy",
        WorkFailure.PaymentRequired => "payment_required",
        WorkFailure.InvalidScene => "invalid_scene",
        WorkFailure.SceneNotCached => "scene_not_cached",
        WorkFailure.Device => "device",
        _ => "error",
    };
}
