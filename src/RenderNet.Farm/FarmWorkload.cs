using RenderNet.Core.Tiles;
using RenderNet.Protocol;

namespace RenderNet.Farm;

/// <summary>
/// What a <see cref="TileFarm"/> farms out: a number of independent units ("tiles": rectangles of a frame, segments of a
/// video), how to run one on a node and check what comes back, and what to do with an accepted result. The farm owns
/// the scheduling, deadlines, retries, speculation and payment; a workload owns everything about its kind of work.
/// </summary>
public abstract class FarmWorkload
{
    public abstract string JobId { get; }
    /// <summary>The job kind a node must list in its capabilities ("path-trace", "transcode").</summary>
    public abstract string JobKind { get; }
    public abstract int Count { get; }
    /// <summary>Relative cost of a unit; deadlines come from each node's observed work per second.</summary>
    public abstract long WorkOf(int unit);
    /// <summary>How many tiles' price a unit costs.</summary>
    public virtual int PriceUnitsOf(int unit) => 1;
    /// <summary>Where a unit lands in the frame (empty for work without a picture).</summary>
    public virtual TileRect RectOf(int unit) => default;
    /// <summary>
    /// What a node says of its own speed, in work units per second (0: nothing) — a first guess for its deadlines and for
    /// speculation until it has delivered. Unauthenticated, so the farm bounds it by the fleet's measured speed.
    /// </summary>
    public virtual double DeclaredRate(Capabilities caps) => 0;
    /// <summary>The fingerprint results must share to be interchangeable (the pipeline's, for this kind of work).</summary>
    public abstract string FingerprintOf(Capabilities caps);

    /// <summary>
    /// Settles what depends on the nodes as a whole, once, after they are probed and before any is prepared or given
    /// work (<paramref name="nodes"/>: the usable ones' capabilities).
    /// </summary>
    public virtual void Plan(IReadOnlyList<Capabilities> nodes) { }

    /// <summary>Bytes <see cref="PrepareAsync"/> sends a node (deadlines grow with them).</summary>
    public virtual long PrepareBytes => 0;

    /// <summary>Largest single reply a node may send for this work (gRPC refuses anything bigger before it is buffered).</summary>
    public abstract int MaxReplyBytes { get; }

    /// <summary>Gets a node ready (e.g. uploads the scene) before <paramref name="deadline"/>; returns why the node cannot take part, or null.</summary>
    public virtual Task<string?> PrepareAsync(INodeConnection node, Capabilities caps, DateTime deadline, CancellationToken cancellation) => Task.FromResult<string?>(null);

    /// <summary>
    /// Runs one unit on a node and checks the result; throws <see cref="Grpc.Core.RpcException"/> for the node's
    /// refusals and failures and <see cref="InvalidDataException"/> for a result that fails the checks.
    /// </summary>
    public abstract Task<FarmDelivery> RunAsync(INodeConnection node, int unit, string paymentChannel, DateTime deadline, CancellationToken cancellation);

    /// <summary>
    /// Whether a spot check may render a rectangle within a unit (<see cref="RectOf"/>) rather than all of it: pictures
    /// render any rectangle exactly, so a part of a tile is compared bit for bit at a fraction of a whole check's cost.
    /// </summary>
    public virtual bool ChecksByPart => false;

    /// <summary>Relative cost of a part of a unit (see <see cref="ChecksByPart"/>): its share of the unit's pixels.</summary>
    public virtual long WorkOf(int unit, TileRect part) => Math.Max(1, (long)(WorkOf(unit) * ((double)part.PixelCount / Math.Max(1, RectOf(unit).PixelCount))));

    /// <summary>How many tiles' price a part of a unit costs (as the node charges it).</summary>
    public virtual int PriceUnitsOf(int unit, TileRect part) => PriceUnitsOf(unit);

    /// <summary>Runs a part of a unit on a node (a spot check, <see cref="ChecksByPart"/>) and checks the result as <see cref="RunAsync"/> does.</summary>
    public virtual Task<FarmDelivery> RunPartAsync(INodeConnection node, int unit, TileRect part, string paymentChannel, DateTime deadline, CancellationToken cancellation) =>
        throw new NotSupportedException($"{JobKind} units are not checked by part");

    /// <summary>
    /// The content of a delivery (of a unit, or of a part of it) within <paramref name="part"/>: what two nodes' answers
    /// about the same part are compared by. Null where the work is not checked by part.
    /// </summary>
    public virtual string? ContentOf(FarmDelivery delivery, TileRect part) => null;

    /// <summary>The accepted result of a unit within <paramref name="part"/>, as <see cref="ContentOf"/> hashes it.</summary>
    public virtual string? AcceptedContentOf(int unit, TileRect part) => null;

    /// <summary>The most units this node may take in one <see cref="RunBatchAsync"/> call (1: one unit a call).</summary>
    public virtual int MaxBatch(Capabilities caps) => 1;

    /// <summary>
    /// Runs several units on a node in one call, each result checked as <see cref="RunAsync"/> checks it and yielded in
    /// the order asked as it arrives; an exception ends the batch (the units not yielded are the caller's to hand out again).
    /// </summary>
    public virtual async IAsyncEnumerable<FarmDelivery> RunBatchAsync(INodeConnection node, IReadOnlyList<int> units, string paymentChannel, DateTime deadline,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        foreach (int unit in units) yield return await RunAsync(node, unit, paymentChannel, deadline, cancellation);
    }

    /// <summary>Keeps an accepted result (journal first, then the output); called once per unit.</summary>
    public abstract void Accept(int unit, string node, FarmDelivery delivery);

    /// <summary>Discards a valid result that lost the race to another node's.</summary>
    public virtual void Discard(FarmDelivery delivery) { }

    /// <summary>Takes an accepted unit back out, to be accepted again (a spot check replaced it, or its node was outvoted).</summary>
    public virtual void Retract(int unit) => throw new NotSupportedException($"{JobKind} units cannot be retracted");

    /// <summary>Units delivered in an earlier run of the job (from its journal), with the node that delivered each.</summary>
    public virtual IEnumerable<(int Unit, string Node, long Bytes)> Restore() => [];
}

/// <summary>A checked result of one unit: how long the node worked on it and how many bytes came back.</summary>
public abstract record FarmDelivery(double NodeSeconds, long Bytes)
{
    /// <summary>
    /// A hash of what was delivered, equal for every honest node (pipelines are bit-exact), so a spot check can compare
    /// two nodes' results; null where the workload cannot be compared that way.
    /// </summary>
    public virtual string? ContentHash => null;

    /// <summary>What the node's signature covers (<see cref="Protocol.ResultClaims"/>); null where the workload has no claims.</summary>
    public virtual RenderNet.Payments.WorkResult? Claim => null;

    /// <summary>The node's signature over <see cref="Claim"/> ("" when it sent none).</summary>
    public virtual string Signature => "";
}
