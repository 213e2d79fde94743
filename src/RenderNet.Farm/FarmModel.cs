using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Tiles;

namespace RenderNet.Farm;

/// <summary>What to render: the scene as .glb bytes (content-addressed), the frame settings and the tile size.</summary>
public sealed record FarmJobSpec(string JobId, byte[] SceneGlb, string SceneSha256, FrameSettings Frame, int TileWidth, int TileHeight)
{
    public TilePlan Plan { get; } = new(Frame.Width, Frame.Height, TileWidth, TileHeight);

    /// <summary>
    /// Where nodes may fetch the scene instead of the coordinator sending it (<see cref="RenderNet.Protocol.SceneSources"/>
    /// templates, checked, at most <see cref="RenderNet.Protocol.SceneSources.MaxCount"/>): nodes that allow a source's host fetch it and check its hash.
    /// </summary>
    public IReadOnlyList<string> SceneSources { get; init; } = [];

    public static string NewJobId() => DateTime.UtcNow.ToString("yyyyMMdd-HHmmss") + "-" + Guid.NewGuid().ToString("N")[..6];
}

public sealed record FarmOptions
{
    /// <summary>Accept nodes whose pipeline fingerprint differs from the job's (their tiles may differ in the last bits).</summary>
    public bool AllowMixedPipelines { get; init; }
    /// <summary>The fingerprint tiles must have; by default the one most nodes share.</summary>
    public string? ExpectedFingerprint { get; init; }
    /// <summary>
    /// How long a job that has lost every node waits for others to be added (<see cref="TileFarm.AddNodes"/>: a service
    /// hands running jobs the nodes that join, and other jobs' nodes) before it fails; zero: it fails at once, as a job
    /// with a fixed list of nodes should.
    /// </summary>
    public TimeSpan WaitForNodes { get; init; }
    /// <summary>Deadline of a tile before any node's speed is known.</summary>
    public TimeSpan InitialTileTimeout { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>Lower bound of a speed-derived deadline.</summary>
    public TimeSpan MinTileTimeout { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>A speed-derived deadline is this many times the expected render time (plus the minimum).</summary>
    public double TimeoutFactor { get; init; } = 4;
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>The most this job pays per price unit: nodes asking more are not used (security review F-5).</summary>
    public System.Numerics.BigInteger? MaxPrice { get; init; }
    /// <summary>
    /// The registry's entries of the nodes, by endpoint: a node asking more than its registered price, or paid to another
    /// address than it registered, is not used — a man in the middle cannot redirect the deposit.
    /// </summary>
    public IReadOnlyDictionary<string, RenderNet.Payments.RegisteredNode>? Registered { get; init; }
    /// <summary>Price units a paid node's channel is funded for at a time; it is topped up as work is handed out.</summary>
    public int FundingUnits { get; init; } = 16;
    /// <summary>Ask for unused deposits back when the job ends (reclaim them after the unlock delay: rendernet channels reclaim).</summary>
    public bool UnlockWhenDone { get; init; }
    /// <summary>Signs work sessions with unpaid nodes that serve only trusted coordinator keys (their --allow list).</summary>
    public RenderNet.Payments.VoucherSigner? CoordinatorSigner { get; init; }
    /// <summary>With spot checks on, each node's first this many tiles are checked at <see cref="ProbationRate"/> at least.</summary>
    public int ProbationTiles { get; init; } = 3;
    public double ProbationRate { get; init; } = 0.5;
    /// <summary>The nodes this job requires, prefers and denies, by their tags (<see cref="NodeSelector"/>).</summary>
    public NodeSelection? Selection { get; init; }
    /// <summary>The service's pools: pool name → identities (payout addresses) in it; a node's <c>pool</c> tags come only from here.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>>? Pools { get; init; }
    /// <summary>Nodes' records across jobs (<see cref="ReputationPolicy"/>); null: every node is new to every job.</summary>
    public INodeReputation? Reputation { get; init; }
    /// <summary>A node whose results other nodes verified this many times (and never outvoted) is proven.</summary>
    public int ProvenAfterVerified { get; init; } = 20;
    /// <summary>A proven node's deliveries are checked at this fraction of the spot-check rate.</summary>
    public double ProvenCheckFactor { get; init; } = 0.5;
    /// <summary>Tiles a node not yet proven may have in flight at once (its share of a job while it is unknown).</summary>
    public int ProbationSlots { get; init; } = 2;
    /// <summary>
    /// Price units of each paid node's pay held back until the job's spot checks are settled (a convicted node loses
    /// them). Keep it below the nodes' exposure bound minus their slots, or they stop for payment.
    /// </summary>
    public int HoldBackUnits { get; init; } = 1;
    /// <summary>How long a work session lasts (a node caps it at a day).</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(12);
    /// <summary>The most workers run for one node, whatever slot count it advertises.</summary>
    public int MaxSlotsPerNode { get; init; } = 8;
    /// <summary>Slowest a node may take in a scene upload: its deadline is the connect timeout plus the bytes at this rate.</summary>
    public long MinUploadBytesPerSecond { get; init; } = 1 << 20;
    /// <summary>How long a node may keep answering "busy" (slots full, payment pending) before that counts as a failure.</summary>
    public TimeSpan MaxBusyTime { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// How long a spot check waits for the checker drawn for it to take it (a node busy with another job's long tile)
    /// before another is drawn: a job ends only when its checks are settled.
    /// </summary>
    public TimeSpan CheckPatience { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>Consecutive failures after which a node gets no more tiles in this job.</summary>
    public int MaxConsecutiveFailures { get; init; } = 3;
    /// <summary>
    /// Tiles sized per node: a node that serves batches (<c>RenderTiles</c>) takes as many queued tiles in one call as
    /// it renders in about this long (<see cref="DeadlinePolicy.BatchSize"/>), so a fast node pays one round trip per
    /// batch while a slow one takes single tiles and the frame's grid stays fine. Zero: one tile per call.
    /// </summary>
    public TimeSpan BatchTarget { get; init; }
    /// <summary>Re-run the last tiles in flight on idle nodes; the first valid result wins.</summary>
    public bool SpeculativeStragglers { get; init; } = true;
    /// <summary>Pays nodes that render for pay (one voucher per accepted tile); null: only free nodes can be used.</summary>
    public FarmPayer? Payer { get; init; }
    /// <summary>
    /// The most the job may spend, in the token's smallest unit (null: no cap). A tile is only handed to a node when
    /// what is paid plus the price of every tile in flight stays within it; when no tile fits, the job stops with
    /// <see cref="FarmBudgetException"/> and keeps what was delivered.
    /// </summary>
    public System.Numerics.BigInteger? Budget { get; init; }
    /// <summary>
    /// Share of accepted tiles (0…1) rendered again on another node and compared bit for bit: nodes are untrusted, and a
    /// well-formed tile with wrong pixels passes every other check. A disagreement is settled by a third node; the node
    /// outvoted is excluded and every tile it delivered is redone. Checks are paid like tiles.
    /// </summary>
    public double SpotCheckRate { get; init; }
    /// <summary>
    /// Share of a tile's area (0…1] a spot check renders, at a place drawn after delivery, where the work allows it
    /// (<see cref="FarmWorkload.ChecksByPart"/>: pictures render any rectangle exactly). A part that differs puts the
    /// whole tile to other nodes, so disputes are settled, and liars slashed, on whole tiles. 1: whole tiles only.
    /// </summary>
    public double CheckShare
    {
        get;
        init => field = value is > 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(CheckShare), value, "the share of a tile a spot check renders must be above 0 and at most 1");
    } = FarmDefaults.CheckShare;
    /// <summary>
    /// This job's place among others sharing the same nodes (the service runs several jobs at once); null: the job has
    /// the nodes' slots to itself.
    /// </summary>
    public JobShare? Share { get; init; }
    /// <summary>How the job reaches its nodes: gRPC by default; tests use in-process fakes.</summary>
    public INodeConnector Connector { get; init; } = GrpcNodeConnector.Instance;
    /// <summary>Where a conviction's evidence (three signed results) is presented so the liar's stake is slashed; null: nowhere.</summary>
    public IEvidencePresenter? Evidence { get; init; }
    /// <summary>The clock of deadlines, speculation, busy time and polling (a fake one in scheduling tests).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// One attempt at a tile on a node, as it ended: when it started and how long it ran (from the job's start), how it
/// ended (<paramref name="Kind"/>) and that in words (<paramref name="Outcome"/>: the node's error, the check's verdict).
/// </summary>
public sealed record FarmAttempt(int Tile, string Node, TimeSpan Start, TimeSpan Duration, AttemptOutcome Kind, string Outcome, bool Speculative)
{
    public bool Accepted => Kind == AttemptOutcome.Accepted;
    /// <summary>A spot check of a tile another node delivered (or the third opinion that settles one).</summary>
    public bool SpotCheck { get; init; }
}

/// <summary>One tile accepted into the frame.</summary>
public sealed record TileEvent(int Index, TileRect Rect, string Node, TimeSpan Duration, long Bytes, bool Speculative, bool FromJournal, int Done, int Total);

/// <summary>What one node did in a job, or why it took no part.</summary>
public sealed record NodeReport(string Address, string? NodeId, string? Device, string? Fingerprint, int Tiles, TimeSpan RenderTime, int Failures, string? Excluded)
{
    /// <summary>Tokens owed for the tiles accepted (price × tiles), in the token's smallest unit; 0 for free nodes.</summary>
    public System.Numerics.BigInteger Paid { get; init; }
    /// <summary>The node's redeem transaction at the end of the job, when it was paid.</summary>
    public string? RedeemTransaction { get; init; }
    /// <summary>Spot checks of other nodes' tiles this node rendered (paid like tiles).</summary>
    public int SpotChecks { get; init; }
    /// <summary>Valid results that lost the race to another node's: discarded, but paid like a tile (the node did the work).</summary>
    public int PaidDuplicates { get; init; }
    /// <summary>Outvoted in a spot check: its tiles were redone elsewhere and it was excluded (<see cref="Excluded"/> says which tile).</summary>
    public bool Convicted { get; init; }
}

/// <summary>What a finished job's nodes did; the results themselves are wherever the workload keeps them.</summary>
public sealed record FarmRun(string JobId, IReadOnlyList<NodeReport> Nodes, int TilesFromJournal, IReadOnlyList<string> Warnings);

/// <param name="PixelSamples">Pixel-samples the tiles delivered in this run took (not those from the journal).</param>
public sealed record FarmResult(string JobId, FloatImage Image, IReadOnlyList<NodeReport> Nodes, int TilesFromJournal, IReadOnlyList<string> Warnings, long PixelSamples)
{
    /// <summary>The frame's render passes (empty without them), assembled like <see cref="Image"/>.</summary>
    public IReadOnlyList<PassImage> Passes { get; init; } = [];
    public RenderedFrame Frame => new(Image, Passes);
}

/// <summary>The job cannot finish: the message says why, and the report says what each node did.</summary>
public class FarmException(string message, IReadOnlyList<NodeReport> nodes, Exception? inner = null) : Exception(message, inner)
{
    public IReadOnlyList<NodeReport> Nodes { get; } = nodes;
}

/// <summary>No node could take part at all (unreachable, another pipeline, not payable…): nothing was rendered.</summary>
public sealed class NoUsableNodeException(string message, IReadOnlyList<NodeReport> nodes) : FarmException(message, nodes);

/// <summary>The budget is spent before the job finished: the tiles delivered so far are kept (and paid for).</summary>
public sealed class FarmBudgetException(string message, IReadOnlyList<NodeReport> nodes, int delivered, int total) : Exception(message)
{
    public IReadOnlyList<NodeReport> Nodes { get; } = nodes;
    public int Delivered { get; } = delivered;
    public int Total { get; } = total;
}

/// <summary>Defaults the CLI and the plugin share.</summary>
public static class FarmDefaults
{
    /// <summary>Share of accepted units rendered again on another node (security review V-1: never zero by default).</summary>
    public const double SpotCheckRate = 0.05;
    /// <summary>A quarter of each tile: a check costs a quarter of a tile (<see cref="FarmOptions.CheckShare"/>).</summary>
    public const double CheckShare = 0.25;
    /// <summary>
    /// Seconds of work a node takes in one call (<see cref="FarmOptions.BatchTarget"/>): a round trip of up to 300 ms
    /// then costs a fast node a few per cent, and the grid stays fine enough for slow nodes' single tiles.
    /// </summary>
    public const double BatchSeconds = 10;
}
