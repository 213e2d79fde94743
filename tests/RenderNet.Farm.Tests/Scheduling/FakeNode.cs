using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using RenderNet.Protocol;

namespace RenderNet.Farm.Tests.Scheduling;

/// <summary>
/// An in-process render node for scheduling tests: it "renders" a unit by waiting <see cref="Seconds"/> on the fake
/// clock and answers <see cref="Answer"/>'s content hash — or hangs, fails, lies, as a test tells it.
/// </summary>
sealed class FakeNode(string name, FakeTimeProvider clock) : INodeConnection
{
    public string Address { get; } = name;
    public string Fingerprint { get; init; } = "fp-1";
    public uint Slots { get; init; } = 1;
    /// <summary>How long a unit takes here, on the fake clock.</summary>
    public Func<int, double> Seconds { get; init; } = _ => 1;
    /// <summary>The content hash this node delivers for a unit (an honest node: the unit's own).</summary>
    public Func<int, string> Answer { get; init; } = Honest;
    /// <summary>Thrown instead of answering (after the wait), or null.</summary>
    public Func<int, RpcException?> Failure { get; init; } = _ => null;
    /// <summary>Thrown at once instead of checking a unit another node delivered (a spot check), or null.</summary>
    public Func<int, RpcException?> CheckRefusal { get; init; } = _ => null;
    /// <summary>Never answers: waits until cancelled.</summary>
    public bool Hangs { get; init; }
    /// <summary>What it declares of itself (key=value).</summary>
    public string[] Tags { get; init; } = [];
    public int Started;

    public static string Honest(int unit) => $"content-{unit}";

    public async Task<FakeDelivery> WorkAsync(int unit, CancellationToken cancellation, bool check = false)
    {
        if (check && CheckRefusal(unit) is { } refusal) throw refusal;
        Interlocked.Increment(ref Started);
        if (Hangs) await Task.Delay(Timeout.InfiniteTimeSpan, cancellation);
        await Task.Delay(TimeSpan.FromSeconds(Seconds(unit)), clock, cancellation);
        if (Failure(unit) is { } failure) throw failure;
        return new FakeDelivery(Seconds(unit), Answer(unit));
    }

    public Task<Capabilities> GetCapabilitiesAsync(TimeSpan timeout, CancellationToken cancellation, bool calibrate = false) =>
        Task.FromResult(new Capabilities
        {
            ProtocolVersion = ProtocolVersion.Current, PipelineFingerprint = Fingerprint, MaxConcurrentTiles = Slots, JobKinds = { FakeWorkload.Kind }, Tags = { Tags },
        });

    static Exception NotHere => new RpcException(new Status(StatusCode.Unimplemented, "not used by scheduling tests"));
    public Task OpenSessionAsync(System.Numerics.BigInteger channel, string expectedNode, Func<RenderNet.Payments.WorkSession, string> sign, TimeSpan lifetime, CancellationToken cancellation) => throw NotHere;
    public Task<HealthReply> HealthAsync(TimeSpan timeout, CancellationToken cancellation) => throw NotHere;
    public Task<bool> EnsureSceneAsync(string sha256, ReadOnlyMemory<byte> glb, DateTime deadline, CancellationToken cancellation, IReadOnlyList<string>? sources = null) => throw NotHere;
    public Task<TileResult> RenderTileAsync(TileRequest request, DateTime deadline, CancellationToken cancellation) => throw NotHere;
    public AsyncDuplexStreamingCall<SegmentUpload, SegmentOutput> TranscodeSegment(DateTime deadline, CancellationToken cancellation) => throw NotHere;
    public Task<VoucherReceipt> SubmitVoucherAsync(RenderNet.Payments.Voucher voucher, CancellationToken cancellation) => throw NotHere;
    public Task<RedeemReply> RedeemAsync(System.Numerics.BigInteger channel, CancellationToken cancellation) => throw NotHere;
    public void Dispose() { }
}

sealed record FakeDelivery(double Seconds, string Content) : FarmDelivery(Seconds, 1)
{
    public override string? ContentHash => Content;
}

/// <summary>Hands the farm's addresses to the fake nodes of that name.</summary>
sealed class FakeConnector(params FakeNode[] nodes) : INodeConnector
{
    public INodeConnection Connect(string address, int maxReplyBytes) => nodes.Single(n => n.Address == address);
}

/// <summary>
/// A workload of <paramref name="count"/> equal units run on <see cref="FakeNode"/>s; it keeps what was accepted (unit →
/// node and content), as the frame assembler keeps pixels.
/// </summary>
sealed class FakeWorkload(int count) : FarmWorkload
{
    public const string Kind = "fake";
    public readonly Dictionary<int, (string Node, string Content)> Accepted = [];
    public int Retracted;

    public override string JobId => "fake-job";
    public override string JobKind => Kind;
    public override int Count => count;
    public override long WorkOf(int unit) => 100;
    public override string FingerprintOf(Capabilities caps) => caps.PipelineFingerprint;
    public override int MaxReplyBytes => 1 << 20;

    /// <summary>The most units a node takes in one call (<see cref="FarmWorkload.MaxBatch"/>).</summary>
    public int BatchLimit { get; init; } = 1;
    /// <summary>Every batch call: the node and the units it was given.</summary>
    public readonly List<(string Node, int[] Units)> Batches = [];

    public override async Task<FarmDelivery> RunAsync(INodeConnection node, int unit, string paymentChannel, DateTime deadline, CancellationToken cancellation) =>
        await ((FakeNode)node).WorkAsync(unit, cancellation, check: IsAccepted(unit));

    bool IsAccepted(int unit)
    {
        lock (Accepted) return Accepted.ContainsKey(unit);
    }

    public override int MaxBatch(Capabilities caps) => BatchLimit;

    public override IAsyncEnumerable<FarmDelivery> RunBatchAsync(INodeConnection node, IReadOnlyList<int> units, string paymentChannel, DateTime deadline, CancellationToken cancellation)
    {
        lock (Batches) Batches.Add((node.Address, units.ToArray()));
        return base.RunBatchAsync(node, units, paymentChannel, deadline, cancellation); // one unit after another, as a node runs a batch
    }

    public override void Accept(int unit, string node, FarmDelivery delivery)
    {
        lock (Accepted) Accepted.Add(unit, (node, ((FakeDelivery)delivery).Content));
    }

    public override void Retract(int unit)
    {
        lock (Accepted)
        {
            Accepted.Remove(unit);
            Retracted++;
        }
    }
}
