// Members of the wire shapes are named as the JSON fields they are; the types carry the documentation.
#pragma warning disable CS1591
using System.Collections.Generic;

// The service's HTTP/JSON shapes (camelCase on the wire), shared by the client and `rendernet serve` so the two cannot
// drift apart. Plain classes with settable properties: they compile at C# 9 and serialise with System.Text.Json's
// defaults everywhere. The service's OpenAPI document (/openapi/v1.json) describes the same shapes.
namespace RenderNet.Client.Wire
{
    /// <summary>A job to submit (<c>POST /v1/jobs</c>) or estimate (<c>POST /v1/estimates</c>).</summary>
    public sealed class JobSubmission
    {
        /// <summary>
        /// The job's id, chosen by the client so a submission can be retried safely (the same id twice is one job);
        /// null: the service picks one. Letters, digits and '-', 8…64 characters.
        /// </summary>
        public string? Id { get; set; }
        /// <summary>"render" (the only kind the client submits; transcodes come from the CLI).</summary>
        public string Kind { get; set; } = "render";
        /// <summary>A label for lists and logs.</summary>
        public string? Name { get; set; }
        /// <summary>Weight in the fair share of the nodes, 1…100 (50 by default): twice the priority, twice the share.</summary>
        public int Priority { get; set; } = 50;
        /// <summary>The most the job may spend, in tokens, as a decimal string; null: no cap.</summary>
        public string? MaxCost { get; set; }
        /// <summary>The nodes the job requires, prefers and denies, by tag; null: any node of the service.</summary>
        public NodeSelectionSettings? Nodes { get; set; }
        /// <summary>The render's settings (kind "render").</summary>
        public RenderSettings? Render { get; set; }
        /// <summary>The transcode's settings (kind "transcode").</summary>
        public TranscodeSettings? Transcode { get; set; }
    }

    /// <summary>
    /// Node selectors: terms key=value, key!=value, key&gt;=N, key&lt;=N joined by ',' (all hold), alternatives by ';'.
    /// Tags: what nodes declare (vram=24…), gpu (nvidia, amd, intel, cpu), id (the node's payout address), pool (the
    /// service's pools). E.g. Require "pool=studio-a", Prefer "gpu=nvidia,vram&gt;=16", Deny "id=0xab…".
    /// </summary>
    public sealed class NodeSelectionSettings
    {
        public string? Require { get; set; }
        public string? Prefer { get; set; }
        public string? Deny { get; set; }
    }

    /// <summary>What to transcode; the video is uploaded first (<c>PUT /v1/media/{sha256}</c>) and named by its hash.</summary>
    public sealed class TranscodeSettings
    {
        public string MediaSha256 { get; set; } = "";
        /// <summary>The rendition ladder, e.g. "1080p,720p,480p:crf=26" (as `rendernet transcode --renditions`).</summary>
        public string Renditions { get; set; } = "720p";
        /// <summary>Seconds per segment (0.5…600), the unit of work sent to one node; 0 (the default): the service picks
        /// it from the video's length and its nodes (about two segments per node, 2–10 s).</summary>
        public double SegmentSeconds { get; set; }
    }

    /// <summary>A file a finished job produced: <c>GET /v1/jobs/{id}/outputs/{File}</c>.</summary>
    public sealed class OutputLine
    {
        public string Name { get; set; } = "";
        public string File { get; set; } = "";
        public long Bytes { get; set; }
        public int Frames { get; set; }
    }

    /// <summary>What to render; the scene is uploaded first (<c>PUT /v1/scenes/{sha256}</c>) and named by its hash.</summary>
    public sealed class RenderSettings
    {
        public string SceneSha256 { get; set; } = "";
        public string? SceneName { get; set; }
        public int Width { get; set; } = 640;
        public int Height { get; set; } = 480;
        /// <summary>"path-trace" or "raster".</summary>
        public string Mode { get; set; } = "path-trace";
        public int SamplesPerPixel { get; set; } = 64;
        public int MaxBounces { get; set; } = 6;
        /// <summary>Adaptive sampling's noise threshold (0: off); <see cref="SamplesPerPixel"/> is then the most a pixel takes.</summary>
        public float NoiseThreshold { get; set; }
        /// <summary>With a noise threshold: samples every pixel takes before it may stop (0: the default, 16).</summary>
        public int MinSamplesPerPixel { get; set; }
        /// <summary>Render passes by name (albedo, normal, depth, position, object, material, emission, direct, indirect, variance, all): each frame is also written as a multi-layer EXR output.</summary>
        public List<string>? Passes { get; set; }
        /// <summary>Denoise each assembled frame (path tracing only): the frame's pixels are the denoised ones.</summary>
        public bool Denoise { get; set; }
        public int TileSize { get; set; } = 64;
        public string? Camera { get; set; }
        public ViewSettings? View { get; set; }
        public uint Seed { get; set; }
        /// <summary>Environment radiance [r, g, b]; null: black when the scene has lights, else white.</summary>
        public float[]? Background { get; set; }
        public FrameRangeSettings? Frames { get; set; }
        /// <summary>URL templates with {sha256} or {cid} (at most 8): nodes that allow a source's host fetch the scene there, checked against its hash, instead of from the service.</summary>
        public List<string>? SceneSources { get; set; }
    }

    /// <summary>A caller's camera: eye, target, vertical field of view (radians), optional up.</summary>
    public sealed class ViewSettings
    {
        public float[] Position { get; set; } = new float[3];
        public float[] Target { get; set; } = new float[3];
        public float VerticalFieldOfView { get; set; } = 0.8f;
        public float[]? Up { get; set; }
    }

    /// <summary>Animation frames first…last (inclusive) at fps of animation time.</summary>
    public sealed class FrameRangeSettings
    {
        public int First { get; set; }
        public int Last { get; set; }
        public double FramesPerSecond { get; set; } = 24;
        public string Animation { get; set; } = "0";
    }

    /// <summary>A job as the service sees it (<c>GET /v1/jobs/{id}</c>).</summary>
    public sealed class JobStatus
    {
        public string Id { get; set; } = "";
        public string Kind { get; set; } = "render";
        public string? Name { get; set; }
        public int Priority { get; set; }
        /// <summary>queued, running, paused, cancelling, cancelled, completed, failed.</summary>
        public string State { get; set; } = "queued";
        public int TilesDone { get; set; }
        public int TilesTotal { get; set; }
        public int Frames { get; set; }
        public int FrameWidth { get; set; }
        public int FrameHeight { get; set; }
        /// <summary>Tokens spent so far, decimal string.</summary>
        public string Cost { get; set; } = "0";
        public double ElapsedSeconds { get; set; }
        public double? EtaSeconds { get; set; }
        /// <summary>Sequence number of the job's last event.</summary>
        public long LastEvent { get; set; }
        public JobError? Error { get; set; }
        public string CreatedUtc { get; set; } = "";
        /// <summary>The job's accounting and output files, once it has ended (null before).</summary>
        public JobReceipt? Receipt { get; set; }
    }

    /// <summary>Why a job failed; <see cref="Kind"/> is one of the <see cref="RenderNet.Client.RenderErrorKind"/> names.</summary>
    public sealed class JobError
    {
        public string Kind { get; set; } = "";
        public string Message { get; set; } = "";
    }

    /// <summary>
    /// One event of a job's stream (<c>GET /v1/jobs/{id}/events</c>, a WebSocket): a JSON text message, and for a
    /// "tile" event one binary message right after it with the tile's pixels. Sequence numbers start at 1 and have no
    /// gaps; reconnect with <c>?after=N</c> to get everything after event N.
    /// </summary>
    public sealed class JobEvent
    {
        public long Seq { get; set; }
        /// <summary>When the service recorded the event (Unix milliseconds, the service's clock).</summary>
        public long AtUnixMs { get; set; }
        /// <summary>state, tile, segment, attempt, progress, frame, warning, completed, failed, cancelled.</summary>
        public string Type { get; set; } = "";
        public string? State { get; set; }
        /// <summary>The frame's number (animation frame; 0 for a still).</summary>
        public int Frame { get; set; }
        /// <summary>The frame's index in the job (0…frames − 1): <c>GET /v1/jobs/{id}/frames/{index}</c>.</summary>
        public int FrameIndex { get; set; }
        public int X { get; set; }
        public int Y { get; set; }
        public int Width { get; set; }
        public int Height { get; set; }
        public int FrameWidth { get; set; }
        public int FrameHeight { get; set; }
        public string? Node { get; set; }
        /// <summary>Pixel format of the binary message that follows a tile event: "rgba8-srgb" or "rgba32f-linear".</summary>
        public string? Format { get; set; }
        public int TilesDone { get; set; }
        public int TilesTotal { get; set; }
        public string? Cost { get; set; }
        public double ElapsedSeconds { get; set; }
        public double? EtaSeconds { get; set; }
        public string? Message { get; set; }
        public JobError? Error { get; set; }
        public JobReceipt? Receipt { get; set; }
        /// <summary>An attempt event's tile (or segment) index in its frame.</summary>
        public int? Unit { get; set; }
        /// <summary>
        /// How long an attempt ran on its node (it ended at <see cref="AtUnixMs"/>); <see cref="Outcome"/> says how it
        /// ended: accepted, superseded, paid_duplicate, rejected, timed_out, failed, invalid, or for a spot check
        /// check_identical, check_differs, check_settled, check_undecided, check_ignored; <see cref="Message"/> in words.
        /// </summary>
        public double? DurationSeconds { get; set; }
        public string? Outcome { get; set; }
        public bool? SpotCheck { get; set; }
        public bool? Speculative { get; set; }
    }

    /// <summary>A finished job's accounting.</summary>
    public sealed class JobReceipt
    {
        public List<NodeReceiptLine> Nodes { get; set; } = new List<NodeReceiptLine>();
        public string Cost { get; set; } = "0";
        public int TilesDelivered { get; set; }
        public int TilesTotal { get; set; }
        public double DurationSeconds { get; set; }
        public List<string> Warnings { get; set; } = new List<string>();
        /// <summary>Files the job produced (transcodes: one MP4 and one HLS playlist per rendition, and the master playlist).</summary>
        public List<OutputLine> Outputs { get; set; } = new List<OutputLine>();
    }

    /// <summary>What one node did for a job and was paid.</summary>
    public sealed class NodeReceiptLine
    {
        public string Node { get; set; } = "";
        public string Address { get; set; } = "";
        public int Tiles { get; set; }
        public string Paid { get; set; } = "0";
        public int SpotChecks { get; set; }
        public int Duplicates { get; set; }
        /// <summary>The node's redeem transactions for this job (one per frame it was paid in).</summary>
        public List<string> RedeemTransactions { get; set; } = new List<string>();
        /// <summary>Attempts that failed on the node (timeouts, refusals, invalid results) and were sent elsewhere.</summary>
        public int Failures { get; set; }
        /// <summary>Outvoted in a spot check (a wrong tile that passed every per-tile check).</summary>
        public bool Convicted { get; set; }
        /// <summary>Why the job stopped using the node, if it did.</summary>
        public string? Excluded { get; set; }
    }

    /// <summary>What a request would need and cost (<c>POST /v1/estimates</c>).</summary>
    public sealed class EstimateReply
    {
        public List<ProblemLine> Problems { get; set; } = new List<ProblemLine>();
        public int TilesPerFrame { get; set; }
        /// <summary>Frames to render; for a transcode, the video's frames.</summary>
        public int Frames { get; set; }
        /// <summary>A transcode's segments at the requested length (approximate: the cuts fall on keyframes).</summary>
        public int Segments { get; set; }
        public List<NodeLine> CompatibleNodes { get; set; } = new List<NodeLine>();
        public string EstimatedCost { get; set; } = "0";
        public string MaximumCost { get; set; } = "0";
        /// <summary>Seconds on the compatible nodes at their measured speed, every pixel taking its most samples.</summary>
        public double? EstimatedSeconds { get; set; }
        /// <summary>
        /// With adaptive sampling: the seconds if every pixel stopped at its minimum samples, the least the render can
        /// take (null without it). The cost stays <see cref="EstimatedCost"/>: a tile is priced by its most samples.
        /// </summary>
        public double? FastestSeconds { get; set; }
    }

    /// <summary>One problem with a request: "error" or "warning".</summary>
    public sealed class ProblemLine
    {
        public string Severity { get; set; } = "error";
        public string Message { get; set; } = "";
    }

    /// <summary>A render node as the service sees it (<c>GET /v1/nodes</c>).</summary>
    public sealed class NodeLine
    {
        public string Id { get; set; } = "";
        public string Address { get; set; } = "";
        public string Device { get; set; } = "";
        /// <summary>Tokens per price unit, decimal string.</summary>
        public string Price { get; set; } = "0";
        public double SamplesPerSecond { get; set; }
        public bool Healthy { get; set; }
        public string? Problem { get; set; }
        /// <summary>The node's render pipeline fingerprint (tiles match bit for bit only between equal fingerprints).</summary>
        public string Fingerprint { get; set; } = "";
        /// <summary>Over every job of this service, the running frames included: tiles accepted, spot checks, failed attempts, jobs it was convicted in.</summary>
        public int Tiles { get; set; }
        public int SpotChecks { get; set; }
        public int Failures { get; set; }
        public int Convictions { get; set; }
        /// <summary>Tokens paid to the node by this service, decimal string.</summary>
        public string Paid { get; set; } = "0";
        /// <summary>Who the node is across jobs: its payout address (proven by its signatures), else its address.</summary>
        public string Identity { get; set; } = "";
        /// <summary>What its record says: "probation" (new: more checks, a limited share), "proven" (fewer checks) or "denied".</summary>
        public string Standing { get; set; } = "probation";
        /// <summary>Its results that other nodes' checks confirmed, over every job of this service.</summary>
        public int Verified { get; set; }
        /// <summary>Its attempts that ran past their deadline, over every job of this service.</summary>
        public int TimedOut { get; set; }
        /// <summary>Why it gets no work, when denied.</summary>
        public string? Denied { get; set; }
        /// <summary>Whether it joined by dialling out (it listens nowhere the service could reach).</summary>
        public bool Joined { get; set; }
    }

    /// <summary>The service itself (<c>GET /v1/service</c>).</summary>
    public sealed class ServiceInfo
    {
        public string Version { get; set; } = "";
        /// <summary>The wallet's address when the service pays nodes (never its key).</summary>
        public string? Payer { get; set; }
        public int Nodes { get; set; }
        /// <summary>The nodes' addresses, in the order the service was given them.</summary>
        public List<string> NodeAddresses { get; set; } = new List<string>();
        public string? Budget { get; set; }
        public string Spent { get; set; } = "0";
        /// <summary>A block explorer's transaction page with <c>{tx}</c> for the hash, if the service was given one.</summary>
        public string? ExplorerTransactionUrl { get; set; }
    }

    /// <summary>A transaction as the service's chain holds it (<c>GET /v1/transactions/{hash}</c>): a receipt's redeem, say.</summary>
    public sealed class TransactionInfo
    {
        public string Hash { get; set; } = "";
        public ulong Block { get; set; }
        public bool Succeeded { get; set; }
        public string From { get; set; } = "";
        public string To { get; set; } = "";
        public string GasUsed { get; set; } = "0";
        /// <summary>The escrow's Redeemed events in it: each channel, its node, and what the node was paid (tokens).</summary>
        public List<RedeemLine> Redeemed { get; set; } = new List<RedeemLine>();
    }

    /// <summary>One redeem: a node was paid on its channel, up to a cumulative amount for so many price units.</summary>
    public sealed class RedeemLine
    {
        public string Channel { get; set; } = "";
        public string Node { get; set; } = "";
        public string Paid { get; set; } = "0";
        public string CumulativeAmount { get; set; } = "0";
        public string Units { get; set; } = "0";
    }

    /// <summary>A new priority (<c>PUT /v1/jobs/{id}/priority</c>).</summary>
    public sealed class PriorityChange
    {
        public int Priority { get; set; }
    }
}
