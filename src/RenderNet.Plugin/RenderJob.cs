using System.Diagnostics;
using System.Numerics;
using RenderNet.Farm;

namespace RenderNet.Plugin;

/// <summary>
/// One render on the farm. Subscribe to its events, then <see cref="Start"/> it and await <see cref="Completion"/>.
/// Events are raised on the <see cref="SynchronizationContext"/> that called <see cref="Start"/> (an engine's main
/// thread), else on the thread pool; one at a time, in order, and all of them before <see cref="Completion"/> ends.
/// </summary>
public sealed class RenderJob
{
    readonly RenderFarm farm;
    readonly RenderRequest request;
    readonly TaskCompletionSource<RenderResult> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly Lock gate = new();
    readonly CancellationTokenSource cancel = new();
    EventDispatcher? events;
    TileFarm? current;
    bool started, paused;
    int tilesDone, tilesTotal, tilesBefore;
    BigInteger spentBefore;
    readonly Stopwatch clock = new();

    internal RenderJob(RenderFarm farm, RenderRequest request)
    {
        this.farm = farm;
        this.request = request;
        Id = FarmJobSpec.NewJobId();
    }

    /// <summary>The job's id (also the nodes' log key).</summary>
    public string Id { get; }
    /// <summary>Where the job stands.</summary>
    public RenderJobState State { get; private set; } = RenderJobState.Queued;
    /// <summary>Why the job failed, when <see cref="State"/> is <see cref="RenderJobState.Failed"/>.</summary>
    public Exception? Error { get; private set; }
    /// <summary>The result; faults with the typed errors of <see cref="RenderFarm.RenderAsync"/>, or is cancelled.</summary>
    public Task<RenderResult> Completion => completion.Task;

    /// <summary>
    /// A tile was delivered, verified and placed: its pixels and rectangle, ready for a region texture upload. Once per
    /// tile, except that a tile is raised again when a spot check replaced its pixels (its first node was outvoted).
    /// </summary>
    public event Action<RenderTile>? TileCompleted;
    /// <summary>After every tile: tiles done, cost so far, ETA.</summary>
    public event Action<RenderProgress>? ProgressChanged;
    /// <summary>A whole frame is assembled (frame number, image).</summary>
    public event Action<int, RenderImage>? FrameCompleted;
    /// <summary>The state changed.</summary>
    public event Action<RenderJobState>? StateChanged;

    /// <summary>Queues the job on its farm. Events go to the current <see cref="SynchronizationContext"/>, if any.</summary>
    /// <param name="cancellationToken">Cancels the job, as <see cref="Cancel"/> does.</param>
    public void Start(CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            if (started) throw new InvalidOperationException("the job was started already");
            started = true;
        }
        events = new EventDispatcher(SynchronizationContext.Current);
        cancellationToken.Register(Cancel);
        _ = Task.Run(RunAsync);
    }

    /// <summary>Hands out no more tiles; those in flight finish and are kept (and paid). Resume with <see cref="Resume"/>.</summary>
    public void Pause()
    {
        lock (gate)
        {
            if (State is not (RenderJobState.Running or RenderJobState.Queued)) return;
            paused = true;
            current?.Pause();
            if (State == RenderJobState.Running) SetState(RenderJobState.Paused);
        }
    }

    /// <summary>Continues a paused job.</summary>
    public void Resume()
    {
        lock (gate)
        {
            if (!paused) return;
            paused = false;
            current?.Resume();
            if (State == RenderJobState.Paused) SetState(RenderJobState.Running);
        }
    }

    /// <summary>Stops the job: tiles in flight are called off, delivered tiles are kept and paid, nothing more is.</summary>
    public void Cancel()
    {
        lock (gate)
        {
            if (State is RenderJobState.Completed or RenderJobState.Failed or RenderJobState.Cancelled or RenderJobState.Cancelling) return;
            if (started) SetState(RenderJobState.Cancelling);
        }
        cancel.Cancel();
    }

    void SetState(RenderJobState state)
    {
        // Under the gate: states are raised in the order they happen.
        State = state;
        events?.Post(() => StateChanged?.Invoke(state));
    }

    async Task RunAsync()
    {
        var token = cancel.Token;
        var frames = new List<RenderImage>();
        var receipts = new Dictionary<string, (string Node, int Tiles, BigInteger Paid, int Checks, int Duplicates)>();
        var warnings = new List<string>();
        var plan = RenderPlan.For(request);
        bool haveTurn = false;
        try
        {
            if (!plan.CanRender)
            {
                var errors = plan.Problems.Where(p => p.Severity == ProblemSeverity.Error).ToList();
                throw new InvalidSceneException(string.Join("; ", errors.Select(e => e.Message)), plan.Problems);
            }
            warnings.AddRange(plan.Problems.Select(p => p.Message));
            await farm.WaitForTurnAsync(token);
            haveTurn = true;
            tilesTotal = plan.TilesPerFrame * plan.Frames.Count;
            lock (gate) SetState(paused ? RenderJobState.Paused : RenderJobState.Running);
            clock.Start();
            decimal? limit = farm.LimitFor(request);

            for (int f = 0; f < plan.Frames.Count; f++)
            {
                int frameNumber = request.Frames?.First + f ?? 0;
                var spec = new FarmJobSpec($"{Id}-f{frameNumber}", request.Scene.Glb, request.Scene.Sha256, plan.Frames[f], request.TileSize, request.TileSize);
                var work = new RenderWorkload(spec, journal: null);
                var budget = limit is { } l ? RenderFarm.ToWei(l) - spentBefore : (BigInteger?)null;
                var tileFarm = new TileFarm(work, new FarmOptions { Payer = farm.Payer, Budget = budget, ConnectTimeout = farm.ConnectTimeout, SpotCheckRate = farm.SpotCheckRate }, journal: null,
                    onTile: e => OnTile(e, frameNumber, work, spec), onWarning: w => { lock (warnings) warnings.Add(w); });
                lock (gate)
                {
                    current = tileFarm;
                    if (paused) tileFarm.Pause();
                }
                try
                {
                    var run = await tileFarm.RunWorkAsync(farm.Addresses, token);
                    AddReceipts(receipts, run.Nodes);
                }
                catch (FarmBudgetException ex)
                {
                    AddReceipts(receipts, ex.Nodes);
                    frames.Add(RenderImage.From(work.Assembler.Frame, 0, 0, spec.Frame.Width, spec.Frame.Height, request.PixelFormat));
                    throw new BudgetExhaustedException(ex.Message, Result(frames, receipts, warnings));
                }
                catch (NoUsableNodeException ex)
                {
                    throw new NoCompatibleNodeException(ex.Message);
                }
                catch (FarmException ex)
                {
                    throw new RenderFailedException(ex.Message);
                }
                finally
                {
                    spentBefore += tileFarm.Spent;
                    farm.AddSpent(tileFarm.Spent);
                    lock (gate) current = null;
                }
                var image = RenderImage.From(work.Assembler.Frame, 0, 0, spec.Frame.Width, spec.Frame.Height, request.PixelFormat);
                frames.Add(image);
                tilesBefore += plan.TilesPerFrame;
                events!.Post(() => FrameCompleted?.Invoke(frameNumber, image));
            }
            var result = Result(frames, receipts, warnings);
            lock (gate) SetState(RenderJobState.Completed);
            events!.Complete(() => completion.TrySetResult(result));
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            lock (gate) SetState(RenderJobState.Cancelled);
            events!.Complete(() => completion.TrySetCanceled(token));
        }
        catch (Exception ex)
        {
            lock (gate)
            {
                Error = ex;
                SetState(RenderJobState.Failed);
            }
            events!.Complete(() => completion.TrySetException(ex));
        }
        finally
        {
            if (haveTurn) farm.EndTurn();
        }
    }

    void OnTile(TileEvent e, int frameNumber, RenderWorkload work, FarmJobSpec spec)
    {
        // Called on the farm's threads right after the tile was placed: copy its pixels out now, before raising.
        var rect = e.Rect;
        var image = RenderImage.From(work.Assembler.Frame, rect.X, rect.Y, rect.Width, rect.Height, request.PixelFormat);
        var tile = new RenderTile(frameNumber, image, e.Node, spec.Frame.Width, spec.Frame.Height);
        RenderProgress progress;
        lock (gate)
        {
            // The farm's count: a tile replaced after a spot check is raised again without counting twice.
            tilesDone = tilesBefore + e.Done;
            var elapsed = clock.Elapsed;
            var eta = elapsed * ((double)(tilesTotal - tilesDone) / tilesDone);
            progress = new RenderProgress(tilesDone, tilesTotal, RenderFarm.ToTokens(spentBefore + (current?.Spent ?? 0)), elapsed, eta);
            events!.Post(() => TileCompleted?.Invoke(tile));
            events.Post(() => ProgressChanged?.Invoke(progress));
        }
    }

    static void AddReceipts(Dictionary<string, (string Node, int Tiles, BigInteger Paid, int Checks, int Duplicates)> receipts, IReadOnlyList<NodeReport> nodes)
    {
        foreach (var n in nodes)
        {
            var had = receipts.TryGetValue(n.Address, out var known) ? known : (Node: n.NodeId ?? n.Address, Tiles: 0, Paid: BigInteger.Zero, Checks: 0, Duplicates: 0);
            receipts[n.Address] = (had.Node, had.Tiles + n.Tiles, had.Paid + n.Paid, had.Checks + n.SpotChecks, had.Duplicates + n.PaidDuplicates);
        }
    }

    RenderResult Result(List<RenderImage> frames, Dictionary<string, (string Node, int Tiles, BigInteger Paid, int Checks, int Duplicates)> receipts, List<string> warnings)
    {
        lock (gate)
            return new RenderResult
            {
                Frames = frames.ToList(),
                Receipt = receipts.Select(r => new NodeReceipt(r.Value.Node, r.Key, r.Value.Tiles, RenderFarm.ToTokens(r.Value.Paid), r.Value.Checks, r.Value.Duplicates)).ToList(),
                TilesDelivered = tilesDone,
                TilesTotal = tilesTotal,
                Duration = clock.Elapsed,
                Warnings = warnings.ToList(),
            };
    }
}
