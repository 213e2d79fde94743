using System;
using System.Collections.Generic;
using System.Linq;

namespace RenderNet.Client
{
    /// <summary>The life of a <see cref="RenderJob"/>.</summary>
    public enum RenderJobState
    {
        /// <summary>Submitted; waiting for the service to start it.</summary>
        Queued,
        /// <summary>Tiles are being rendered.</summary>
        Running,
        /// <summary>No new tiles are handed out; tiles in flight finish and are kept.</summary>
        Paused,
        /// <summary>Cancellation was requested; tiles in flight are being called off.</summary>
        Cancelling,
        /// <summary>Stopped by cancellation; only delivered tiles were paid.</summary>
        Cancelled,
        /// <summary>Every tile of every frame was delivered.</summary>
        Completed,
        /// <summary>Stopped by an error (see <see cref="RenderJob.Error"/>), the budget included.</summary>
        Failed,
    }

    /// <summary>One tile delivered, verified and placed: ready for a region texture upload.</summary>
    public sealed class RenderTile
    {
        internal RenderTile(int frame, RenderImage image, string node, int frameWidth, int frameHeight, long sequence, DateTimeOffset accepted)
        {
            Frame = frame; Image = image; Node = node; FrameWidth = frameWidth; FrameHeight = frameHeight; Sequence = sequence; Accepted = accepted;
        }

        /// <summary>When the service verified and recorded the tile (its clock): with the time it arrives, the event latency.</summary>
        public DateTimeOffset Accepted { get; }

        /// <summary>Frame number (0 for a still).</summary>
        public int Frame { get; }
        /// <summary>The tile's pixels and rectangle in final-image coordinates (origin top-left).</summary>
        public RenderImage Image { get; }
        /// <summary>The id of the node that rendered it.</summary>
        public string Node { get; }
        /// <summary>Width of the whole frame.</summary>
        public int FrameWidth { get; }
        /// <summary>Height of the whole frame.</summary>
        public int FrameHeight { get; }
        /// <summary>The event's sequence number in the job's stream (to resume a stream after it).</summary>
        public long Sequence { get; }
    }

    /// <summary>Where a job stands.</summary>
    public sealed class RenderProgress
    {
        internal RenderProgress(int tilesDone, int tilesTotal, decimal cost, TimeSpan elapsed, TimeSpan? eta)
        {
            TilesDone = tilesDone; TilesTotal = tilesTotal; Cost = cost; Elapsed = elapsed; Eta = eta;
        }

        /// <summary>Tiles delivered, over all frames.</summary>
        public int TilesDone { get; }
        /// <summary>Tiles of the whole job.</summary>
        public int TilesTotal { get; }
        /// <summary>Tokens spent so far.</summary>
        public decimal Cost { get; }
        /// <summary>Time since the job started running.</summary>
        public TimeSpan Elapsed { get; }
        /// <summary>Expected time left; null before the first tile.</summary>
        public TimeSpan? Eta { get; }
        /// <summary>Fraction done, 0…1.</summary>
        public double Fraction => TilesTotal == 0 ? 1 : (double)TilesDone / TilesTotal;
    }

    /// <summary>What one node did for a job and was paid.</summary>
    public sealed class NodeReceipt
    {
        internal NodeReceipt(string node, string address, int tiles, decimal paid, int spotChecks, int duplicates)
        {
            Node = node; Address = address; Tiles = tiles; Paid = paid; SpotChecks = spotChecks; Duplicates = duplicates;
        }

        /// <summary>Its id.</summary>
        public string Node { get; }
        /// <summary>Its address.</summary>
        public string Address { get; }
        /// <summary>Tiles it delivered.</summary>
        public int Tiles { get; }
        /// <summary>Tokens paid for its tiles, spot checks and superseded duplicates.</summary>
        public decimal Paid { get; }
        /// <summary>Other nodes' tiles it rendered again to check them.</summary>
        public int SpotChecks { get; }
        /// <summary>Valid copies of slow tiles that another node delivered first.</summary>
        public int Duplicates { get; }
    }

    /// <summary>A finished job: its frames (in the request's pixel format) and its receipt.</summary>
    public sealed class RenderResult
    {
        internal RenderResult(IReadOnlyList<RenderImage> frames, IReadOnlyList<NodeReceipt> receipt, int delivered, int total, TimeSpan duration, IReadOnlyList<string> warnings,
            IReadOnlyList<RenderOutputFile> outputs)
        {
            Frames = frames; Receipt = receipt; TilesDelivered = delivered; TilesTotal = total; Duration = duration; Warnings = warnings; Outputs = outputs;
        }

        /// <summary>Files the job produced on the service (with render passes: one multi-layer EXR per frame); fetch with <see cref="RenderServiceClient.DownloadOutputAsync"/>.</summary>
        public IReadOnlyList<RenderOutputFile> Outputs { get; }

        /// <summary>One image per frame, whole-frame (X = Y = 0).</summary>
        public IReadOnlyList<RenderImage> Frames { get; }
        /// <summary>Per node: tiles and tokens.</summary>
        public IReadOnlyList<NodeReceipt> Receipt { get; }
        /// <summary>Tokens spent in all.</summary>
        public decimal Cost => Receipt.Sum(r => r.Paid);
        /// <summary>Tiles delivered.</summary>
        public int TilesDelivered { get; }
        /// <summary>Tiles the job asked for.</summary>
        public int TilesTotal { get; }
        /// <summary>Wall time of the job.</summary>
        public TimeSpan Duration { get; }
        /// <summary>Warnings about the scene or the nodes.</summary>
        public IReadOnlyList<string> Warnings { get; }
    }

    /// <summary>How bad a problem is.</summary>
    public enum ProblemSeverity
    {
        /// <summary>The request renders, perhaps not as intended.</summary>
        Warning,
        /// <summary>The request cannot render as it is.</summary>
        Error,
    }

    /// <summary>One thing wrong with a request, in words that name it.</summary>
    public sealed class RenderProblem
    {
        internal RenderProblem(ProblemSeverity severity, string message)
        {
            Severity = severity;
            Message = message;
        }

        /// <summary>Warning or error.</summary>
        public ProblemSeverity Severity { get; }
        /// <summary>What is wrong.</summary>
        public string Message { get; }
        /// <inheritdoc/>
        public override string ToString() => (Severity == ProblemSeverity.Error ? "error: " : "warning: ") + Message;
    }

    /// <summary>A render node as the service sees it.</summary>
    public sealed class RenderNodeInfo
    {
        internal RenderNodeInfo(string id, string address, string device, decimal price, double samplesPerSecond, bool healthy, string? problem)
        {
            Id = id; Address = address; Device = device; Price = price; SamplesPerSecond = samplesPerSecond; Healthy = healthy; Problem = problem;
        }

        /// <summary>The node's id.</summary>
        public string Id { get; }
        /// <summary>Its address.</summary>
        public string Address { get; }
        /// <summary>Its GPU (or CPU Vulkan device).</summary>
        public string Device { get; }
        /// <summary>Tokens per price unit of work; 0 for a node that renders for free.</summary>
        public decimal Price { get; }
        /// <summary>Measured path-tracing speed (pixel samples per second), 0 until measured.</summary>
        public double SamplesPerSecond { get; }
        /// <summary>Whether the service can use it now.</summary>
        public bool Healthy { get; }
        /// <summary>Why not, when it cannot.</summary>
        public string? Problem { get; }
    }

    /// <summary>What the service found before anything is spent: the problems, the work, the expected cost and time.</summary>
    public sealed class RenderEstimate
    {
        internal RenderEstimate(IReadOnlyList<RenderProblem> problems, int tilesPerFrame, int frames, IReadOnlyList<RenderNodeInfo> nodes, decimal estimated, decimal maximum, TimeSpan? duration, TimeSpan? fastest)
        {
            Problems = problems; TilesPerFrame = tilesPerFrame; Frames = frames; CompatibleNodes = nodes;
            EstimatedCost = estimated; MaximumCost = maximum; EstimatedDuration = duration; FastestDuration = fastest;
        }

        /// <summary>Everything wrong with the request; it can be submitted when none is an error.</summary>
        public IReadOnlyList<RenderProblem> Problems { get; }
        /// <summary>True when no problem is an error.</summary>
        public bool CanRender => Problems.All(p => p.Severity != ProblemSeverity.Error);
        /// <summary>Tiles per frame.</summary>
        public int TilesPerFrame { get; }
        /// <summary>Frames to render.</summary>
        public int Frames { get; }
        /// <summary>Nodes that can take the job.</summary>
        public IReadOnlyList<RenderNodeInfo> CompatibleNodes { get; }
        /// <summary>Expected cost in tokens.</summary>
        public decimal EstimatedCost { get; }
        /// <summary>The most honest nodes can charge (a budget is the hard cap).</summary>
        public decimal MaximumCost { get; }
        /// <summary>Expected wall time, every pixel taking its most samples; null when no speed is known.</summary>
        public TimeSpan? EstimatedDuration { get; }
        /// <summary>
        /// With adaptive sampling (<see cref="RenderRequest.NoiseThreshold"/>): the wall time if every pixel stopped at its
        /// minimum samples; the render ends between this and <see cref="EstimatedDuration"/>. Null without it.
        /// </summary>
        public TimeSpan? FastestDuration { get; }
    }

    /// <summary>A file a finished job produced on the service: what it is, its name for download, its size.</summary>
    public sealed class RenderOutputFile
    {
        internal RenderOutputFile(string name, string file, long bytes) { Name = name; File = file; Bytes = bytes; }

        /// <summary>What the file holds, e.g. "frame 0 (EXR: beauty and passes)".</summary>
        public string Name { get; }
        /// <summary>The name to pass to <see cref="RenderServiceClient.DownloadOutputAsync"/>.</summary>
        public string File { get; }
        /// <summary>Size in bytes.</summary>
        public long Bytes { get; }
    }
}
