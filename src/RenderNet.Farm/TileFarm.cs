using Grpc.Core;
using RenderNet.Protocol;

namespace RenderNet.Farm;

/// <summary>
/// Runs one job (a <see cref="FarmWorkload"/>: tiles of a frame, segments of a video) on a set of nodes. Tiles are a
/// pull queue: every node runs as many workers as it has tile slots, and each worker takes the next tile when it frees
/// up, so fast nodes take more. A tile that fails, times out or comes back invalid goes back to the queue for a
/// different node; once the queue is empty, idle nodes re-run the tiles still in flight and the first valid result
/// wins. A tile is journaled before it counts, placed exactly once, and the job fails only when no healthy node is left.
/// The farm orchestrates; its parts decide: <see cref="FarmRoster"/> (which nodes take part, their health),
/// <see cref="DeadlinePolicy"/> (deadlines and stragglers), <see cref="SpotChecks"/> (verification and disputes),
/// <see cref="FarmPayments"/> (channels, vouchers, redeem) and, shared between jobs, <see cref="FairShareScheduler"/>.
/// Nodes are reached through <see cref="INodeConnector"/> and time through <see cref="FarmOptions.Time"/>.
/// </summary>
public sealed class TileFarm
{
    readonly FarmWorkload work;
    readonly FarmOptions options;
    readonly FarmJournal? journal;
    readonly Action<TileEvent>? onTile;
    readonly Action<string>? onWarning;
    readonly Action<FarmAttempt>? onAttempt;
    readonly FarmPayments payments;
    readonly FarmRoster roster;
    readonly SpotChecks checks;
    readonly DeadlinePolicy deadlines;
    readonly TimeProvider time;
    readonly long jobStart;
    readonly Lock gate = new();
    readonly FarmTile[] tiles;
    readonly LinkedList<int> pending = new();
    /// <summary>Whether the run has put the tiles left in <see cref="pending"/> (until then, <see cref="Progress"/> counts them all as queued).</summary>
    bool queueFilled;
    /// <summary>Tiles with an attempt running (under the lock): what deadlines, speculation and slot counts look at, rather than every tile.</summary>
    readonly HashSet<FarmTile> inFlight = [];
    bool checksSkipped;
    readonly List<string> warnings = [];
    TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>
    /// Cancelled once the job has nothing left for any worker (<see cref="WorkOver"/>): ends workers' waits for a shared
    /// node's slot, which another job may hold for as long as it runs.
    /// </summary>
    readonly CancellationTokenSource workOver = new();
    int done;
    /// <summary>Tiles announced through onTile (under <see cref="announceGate"/>); drops when a convicted node's tiles are retracted.</summary>
    int announced;
    int retracted;
    readonly Lock announceGate = new();
    int fromJournal;
    string? failure;
    /// <summary>
    /// Since when (job clock) no healthy node has been left while the job waits for others (<see cref="FarmOptions.WaitForNodes"/>),
    /// and what it fails with if none comes; null while it has nodes.
    /// </summary>
    TimeSpan? orphanedSince;
    string? orphanedReason;
    bool paused;
    bool budgetStop;
    /// <summary>Work of the tiles accepted so far, and the job's throughput (work per second, smoothed), updated by the deadline monitor.</summary>
    long acceptedWork, acceptedWorkSeen;
    /// <summary>When (job clock) the node that last took from the queue should be back for more, its tiles done: faster nodes overdue are busy elsewhere (<see cref="DeadlinePolicy.LeaveToFaster"/>).</summary>
    TimeSpan takerDueBack;
    double throughput;
    /// <summary>The measured median speed of all the job's nodes (deadlines) and of its healthy ones (the end game), refreshed by the monitor each second, not per pull.</summary>
    double fleetRate, healthyFleetRate;
    /// <summary>Work per second the job's healthy nodes are expected to do, every slot busy (refreshed with the fleet figures): what a batch's share of the queue is weighed against.</summary>
    double capacity;
    readonly FarmBudget budget;

    /// <summary>Attempts of one tile that may run at once: the first and two speculative copies.</summary>
    const int MaxCopies = 3;
    /// <summary>Tiles and checks in flight an idle node considers copying; kept by the monitor.</summary>
    readonly StragglerShortlist stragglers;
    static readonly TimeSpan MinIdleWait = TimeSpan.FromMilliseconds(250), MaxIdleWait = TimeSpan.FromSeconds(2);

    /// <summary>The outcome text of a valid result that lost the race to another node's: discarded, but paid (the node did the work).</summary>
    public const string PaidDuplicate = "superseded (valid, paid)";

    /// <summary>A path-traced frame: <see cref="RunAsync"/> returns the assembled image.</summary>
    public TileFarm(FarmJobSpec spec, FarmOptions? options = null, TileJournal? journal = null, Action<TileEvent>? onTile = null, Action<string>? onWarning = null,
        Action<FarmAttempt>? onAttempt = null)
        : this(new RenderWorkload(spec, journal), options, journal, onTile, onWarning, onAttempt)
    {
    }

    /// <param name="journal">Where attempts and payments are journaled (the workload journals its own results).</param>
    /// <param name="onAttempt">Every attempt as it ends, accepted or not (for timelines and monitoring).</param>
    public TileFarm(FarmWorkload work, FarmOptions? options = null, FarmJournal? journal = null, Action<TileEvent>? onTile = null, Action<string>? onWarning = null,
        Action<FarmAttempt>? onAttempt = null)
        : this(work, options, journal, onTile, onWarning, onAttempt, draw: null)
    {
    }

    /// <param name="draw">The random draw of spot checks and checkers (tests make it predictable).</param>
    internal TileFarm(FarmWorkload work, FarmOptions? options, FarmJournal? journal, Action<TileEvent>? onTile, Action<string>? onWarning,
        Action<FarmAttempt>? onAttempt, Func<int, int>? draw)
    {
        this.onAttempt = onAttempt;
        this.work = work;
        this.options = options ?? new FarmOptions();
        this.journal = journal;
        this.onTile = onTile;
        this.onWarning = onWarning;
        time = this.options.Time;
        jobStart = time.GetTimestamp();
        tiles = Enumerable.Range(0, work.Count).Select(i => new FarmTile(i, work.WorkOf(i))).ToArray();
        payments = new FarmPayments(work, this.options, journal, Warn);
        roster = new FarmRoster(work, this.options, Warn);
        // A node whose pay for a disagreeing check could not be held until the verdict is drawn for no check: paid for
        // every answer at once, a liar declaring a small exposure bound would be paid for its lies.
        checks = new SpotChecks(this.options, (tile, node) => payments.CanHoldACheck(node) && Affordable(tile, node), draw);
        deadlines = new DeadlinePolicy(this.options);
        budget = new FarmBudget(this.options.Budget);
        stragglers = new StragglerShortlist(ExpectedRate);
    }

    TimeSpan JobElapsed => time.GetElapsedTime(jobStart);
    DateTime UtcNow => time.GetUtcNow().UtcDateTime;

    /// <summary>Runs a path-traced frame (built with the <see cref="FarmJobSpec"/> constructor) and returns its image.</summary>
    public async Task<FarmResult> RunAsync(IReadOnlyList<string> nodeAddresses, CancellationToken cancellation = default)
    {
        if (work is not RenderWorkload render) throw new InvalidOperationException("RunAsync returns a frame: use RunWorkAsync for other workloads");
        var run = await RunWorkAsync(nodeAddresses, cancellation);
        return new FarmResult(run.JobId, render.Assembler.Frame, run.Nodes, run.TilesFromJournal, run.Warnings, render.PixelSamplesTaken) { Passes = render.Assembler.Passes };
    }

    /// <summary>
    /// Stops handing out tiles (tiles in flight finish and are kept) until <see cref="Resume"/>; deadlines keep running
    /// for the tiles in flight only.
    /// </summary>
    public void Pause()
    {
        lock (gate) paused = true;
    }

    public void Resume()
    {
        options.Share?.Rejoin();
        lock (gate)
        {
            paused = false;
            Pulse();
        }
    }

    /// <summary>Tiles not delivered yet, and of those the ones waiting to be handed out (for the service's node allotment).</summary>
    public (int Left, int Queued) Progress
    {
        get
        {
            // Before the run fills the queue every tile left waits to be handed out: a job that asks for nodes as it
            // starts wants them for all of its tiles.
            lock (gate) return (tiles.Length - done, queueFilled ? pending.Count : tiles.Length - done);
        }
    }

    /// <summary>
    /// Spot checks waiting for a checker or running: work the job still wants nodes for once its tiles are in (the
    /// service's node allotment counts them, or a job ends on whichever slow nodes it kept as its queue ran dry). Running
    /// ones count too: a fast node given to the job copies a check straggling on a slow one.
    /// </summary>
    public int ChecksOpen
    {
        get { lock (gate) return checks.Queued + checks.Running.Count; }
    }

    /// <summary>Tokens spent on delivered work so far (accepted tiles, valid duplicates, spot checks started), in the token's smallest unit.</summary>
    public System.Numerics.BigInteger Spent
    {
        get
        {
            lock (gate) return budget.Spent;
        }
    }

    /// <summary>Runs every unit of the workload to completion; the results are wherever the workload keeps them.</summary>
    public async Task<FarmRun> RunWorkAsync(IReadOnlyList<string> nodeAddresses, CancellationToken cancellation = default)
    {
        if (nodeAddresses.Count == 0) throw new ArgumentException("no render nodes were given");
        // Under the lock: the service may read the roster (NodeRates, LostNodes) or release nodes as the frame starts.
        lock (gate) roster.Add(nodeAddresses);
        try
        {
            RestoreFromJournal();
            lock (gate)
            {
                for (int i = 0; i < tiles.Length; i++) if (!tiles[i].Done) pending.AddLast(i);
                queueFilled = true;
            }

            if (journal?.Convicted() is { Count: > 0 } convicted) roster.ExcludeConvicted(convicted);
            await roster.ConnectAllAsync(cancellation);
            roster.ApplyFingerprintPolicy();
            if (done < tiles.Length)
            {
                work.Plan(roster.Healthy.Select(n => n.Caps!).ToList());
                // Channel and session first: a paid node takes scenes, work and vouchers only within a payer-signed session.
                int unitsLeft = UnitsLeft();
                foreach (var n in roster.Healthy.ToList()) await payments.OpenChannelAsync(n, unitsLeft);
                await Task.WhenAll(roster.Healthy.Where(n => !n.SessionOpen).ToList().Select(n => payments.OpenSessionAsync(n, cancellation)));
                await Task.WhenAll(roster.Healthy.ToList().Select(n => PrepareAsync(n, cancellation)));
                if (!roster.AnyHealthy)
                    throw new NoUsableNodeException($"no usable render node: {roster.Describe()}", Reports());

                using var jobCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                lock (gate) RefreshFleetFigures(TimeSpan.FromMilliseconds(100));
                foreach (var n in roster.Healthy.ToList()) StartWorkers(n, jobCancel.Token);
                var monitor = MonitorDeadlinesAsync(jobCancel.Token);
                var arrivals = JoinArrivalsAsync(jobCancel.Token);
                try
                {
                    await AllWorkersAsync(jobCancel.Token);
                }
                catch (Exception) when (cancellation.IsCancellationRequested)
                {
                    // Calls cut short by the cancellation surface as RpcException(Cancelled): report the cancellation
                    // itself. The nodes redeem what they were paid for the tiles they delivered.
                    await payments.SettleHeldAsync(roster.All);
                    await payments.RedeemAllAsync(roster.All);
                    throw new OperationCanceledException("the job was cancelled", cancellation);
                }
                finally
                {
                    jobCancel.Cancel();
                    await monitor.ContinueWith(_ => { }, TaskScheduler.Default);
                    await arrivals.ContinueWith(_ => { }, TaskScheduler.Default);
                }
                cancellation.ThrowIfCancellationRequested();
                if (failure is not null)
                {
                    await payments.SettleHeldAsync(roster.All); // the honest nodes' held share is theirs even when the job fails
                    throw new FarmException(failure, Reports());
                }
                if (budgetStop)
                {
                    await payments.SettleHeldAsync(roster.All);
                    await payments.RedeemAllAsync(roster.All);
                    throw new FarmBudgetException(
                        $"the budget of {options.Budget} is spent: {done} of {tiles.Length} tiles delivered for {Spent}, and no node can take another tile within it",
                        Reports(), done, tiles.Length);
                }
            }
            await payments.SettleHeldAsync(roster.All);
            await payments.RedeemAllAsync(roster.All);
            await PresentationsAsync();
            journal?.MarkCompleted();
            if (options.UnlockWhenDone && options.Payer is { } finishedPayer)
            {
                try { await finishedPayer.RequestUnlocksAsync(); }
                catch (RenderNet.Payments.PaymentException ex) { Warn($"could not ask for the unused deposits back: {ex.Message}; use rendernet channels reclaim"); }
            }
            return new FarmRun(work.JobId, Reports(), fromJournal, warnings);
        }
        catch (Exception ex) when (cancellation.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // Cancelled while connecting or preparing: the calls cut short surface as RpcException(Cancelled).
            throw new OperationCanceledException("the job was cancelled", ex, cancellation);
        }
        finally
        {
            roster.Dispose();
        }
    }

    readonly List<Task> workers = [];
    /// <summary>Set (under <see cref="workers"/>) once every worker has ended: no node joins the job after that.</summary>
    bool workersClosed;
    readonly System.Threading.Channels.Channel<string> arriving = System.Threading.Channels.Channel.CreateUnbounded<string>();

    /// <summary>
    /// Adds nodes to the running job — nodes that joined the service after the job started, or that the service moved
    /// to it from a job that ended: each is probed, checked, paid and prepared like the first ones, then takes tiles.
    /// Nodes already in the job are ignored; after the job's last tile, so are all.
    /// </summary>
    public void AddNodes(IEnumerable<string> addresses)
    {
        foreach (var address in addresses) arriving.Writer.TryWrite(address);
    }

    /// <summary>
    /// Gives nodes up while the job runs (the service re-allots them to a job below its share): no new tile or check
    /// goes to them, what they have in flight finishes and counts, and they are not lost — <see cref="AddNodes"/> gives
    /// them back.
    /// </summary>
    public void ReleaseNodes(IEnumerable<string> addresses)
    {
        var released = addresses.ToHashSet(StringComparer.OrdinalIgnoreCase);
        lock (gate)
        {
            foreach (var node in roster.All.Where(n => !n.Released && released.Contains(n.Client.Address)))
            {
                node.Released = true;
                node.Generation++;
            }
            Pulse(); // idle workers of those nodes wake and stop
        }
    }

    void StartWorkers(FarmNode node, CancellationToken cancellation)
    {
        lock (workers)
        {
            if (workersClosed) return;
            node.Slots = SlotsOf(node);
            node.MaxBatch = work.MaxBatch(node.Caps!);
            for (int i = 0; i < node.Slots; i++) workers.Add(WorkerAsync(node, cancellation));
        }
    }

    /// <summary>
    /// Waits for every worker, including those of nodes that join while it waits — and, while the job has lost every
    /// node but may be given others (<see cref="FarmOptions.WaitForNodes"/>), for the next node to join.
    /// </summary>
    async Task AllWorkersAsync(CancellationToken cancellation)
    {
        while (true)
        {
            Task[] running;
            lock (workers) running = [.. workers];
            bool awaiting = false;
            try { await Task.WhenAll(running); }
            finally
            {
                lock (gate) awaiting = AwaitingNodes && !cancellation.IsCancellationRequested;
                lock (workers)
                    if (workers.Count == running.Length && !awaiting) workersClosed = true;
            }
            lock (workers)
                if (workersClosed) return;
            if (awaiting)
            {
                lock (workers)
                    if (workers.Count > running.Length) continue; // a node joined meanwhile
                try { await Task.Delay(MinIdleWait, time, cancellation); }
                catch (OperationCanceledException) { }
            }
        }
    }

    async Task JoinArrivalsAsync(CancellationToken cancellation)
    {
        await foreach (var address in arriving.Reader.ReadAllAsync(cancellation))
        {
            FarmNode? back = null;
            lock (gate)
            {
                if (done == tiles.Length && checks.Idle) continue;
                if (roster.Contains(address))
                {
                    // A node given up and given back works again (under a new generation: its old workers stop).
                    back = roster.All.FirstOrDefault(n => n.Released && n.Healthy && string.Equals(n.Client.Address, address, StringComparison.OrdinalIgnoreCase));
                    if (back is null) continue;
                    back.Released = false;
                    back.Generation++;
                }
            }
            if (back is not null) StartWorkers(back, cancellation);
            else _ = JoinAsync(address, cancellation); // probing one node must not hold up the next
        }
    }

    async Task JoinAsync(string address, CancellationToken cancellation)
    {
        try { await JoinOneAsync(address, cancellation); }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested) { } // the job ended while it joined
        catch (Exception ex)
        {
            Warn($"node {Printable.Clean(address, 80)} could not join the job: {ex.GetType().Name}: {Printable.Clean(ex.Message)}");
        }
    }

    async Task JoinOneAsync(string address, CancellationToken cancellation)
    {
        FarmNode node;
        try { node = roster.Open(address); }
        catch (ArgumentException ex)
        {
            Warn($"node {Printable.Clean(address, 80)} could not join the job: {ex.Message}");
            return;
        }
        await roster.ConnectAsync(node, cancellation);
        if (node.Healthy) roster.CheckFingerprint(node);
        if (node.Healthy)
        {
            int unitsLeft;
            lock (gate) unitsLeft = UnitsLeft();
            await payments.OpenChannelAsync(node, unitsLeft);
        }
        if (node.Healthy && !node.SessionOpen) await payments.OpenSessionAsync(node, cancellation);
        if (node.Healthy) await PrepareAsync(node, cancellation);
        lock (gate)
        {
            if (roster.Contains(address) || cancellation.IsCancellationRequested)
            {
                node.Client.Dispose();
                return;
            }
            roster.Attach(node);
            if (node.Healthy) orphanedSince = null;
        }
        if (node.Healthy) StartWorkers(node, cancellation);
        else Warn($"node {node.Name} could not join the job: {node.Excluded}");
    }

    /// <summary>Price units of the tiles not delivered yet (a new channel is funded for a first share of them).</summary>
    int UnitsLeft() => tiles.Where(t => !t.Done).Sum(t => work.PriceUnitsOf(t.Index));

    void RestoreFromJournal()
    {
        foreach (var (index, node, bytes) in work.Restore())
        {
            var tile = tiles[index];
            tile.Done = true;
            done++;
            fromJournal++;
            Announce(new TileEvent(index, work.RectOf(index), node, TimeSpan.Zero, bytes, false, true, done, tiles.Length), +1);
        }
    }

    async Task PrepareAsync(FarmNode node, CancellationToken cancellation)
    {
        try
        {
            var deadline = UtcNow + options.ConnectTimeout + TimeSpan.FromSeconds((double)work.PrepareBytes / Math.Max(1, options.MinUploadBytesPerSecond));
            if (await work.PrepareAsync(node.Client, node.Caps!, deadline, cancellation) is { } reason)
            {
                node.Excluded = reason;
                Warn($"node {node.Name}: {node.Excluded}");
            }
        }
        catch (RpcException ex) when (!cancellation.IsCancellationRequested)
        {
            node.Excluded = $"could not be prepared for the job ({work.JobKind}): {Printable.Clean(ex.Status.Detail)}";
            Warn($"node {node.Name}: {node.Excluded}");
        }
    }

    async Task WorkerAsync(FarmNode node, CancellationToken cancellation)
    {
        // With shared nodes, the slot of the last attempt is renewed rather than given back and asked for again, so this
        // job is weighed when its own slot is handed on (see FairShareScheduler.RenewAsync).
        SlotLease? held = null;
        var idle = MinIdleWait;
        // A slot is waited for until the job's end too: the last tile may come in elsewhere while this worker waits on a
        // node another job keeps busy, and the job must not wait for that job to give the slot up.
        using var slotWait = options.Share is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellation, workOver.Token);
        int generation;
        lock (gate) generation = node.Generation;
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                TileAttempt? attempt;
                List<FarmTile>? batch = null;
                Task wake;
                SlotLease? lease = null;
                if (options.Share is { } share)
                {
                    // Shared nodes: wait for this job's turn at one of the node's slots before taking a tile; only ask
                    // while there is something to take.
                    bool wanted;
                    lock (gate) wanted = !paused && node.Healthy && node.Generation == generation && failure is null && !budgetStop && HasWorkFor(node);
                    if (wanted)
                    {
                        try { lease = held is null ? await share.AcquireAsync(node.Client.Address, node.Slots, slotWait!.Token) : await share.RenewAsync(held, slotWait!.Token); }
                        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException) { return; }
                        finally { held = null; }
                    }
                    else
                    {
                        held?.Dispose();
                        held = null;
                    }
                }
                try
                {
                    lock (gate)
                    {
                        DrawCheckers(all: false);
                        if (WorkOver || !node.Healthy || node.Generation != generation) return;
                        bool mayTake = !paused && (options.Share is null || lease is not null);
                        attempt = mayTake ? NextFor(node) : null;
                        if (attempt is { Check: false, Speculative: false })
                        {
                            batch = TakeBatch(node, attempt);
                            NoteQueueTaker(node, attempt.Tile.Work + (batch?.Sum(t => t.Work) ?? 0)); // away for the whole batch
                        }
                        wake = changed.Task;
                        if (attempt is null && mayTake && BudgetExhausted())
                        {
                            budgetStop = true;
                            Pulse();
                            return;
                        }
                    }
                    if (attempt is null)
                    {
                        lease?.Dispose();
                        lease = null;
                        // Nothing for this node: wait for news, else look again after a while that grows (to 2 s)
                        // while there is still nothing — stragglers are found by looking, and looking is not free.
                        await Task.WhenAny(wake, Task.Delay(idle, time, cancellation)).ContinueWith(_ => { }, TaskScheduler.Default);
                        idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, MaxIdleWait.Ticks));
                        continue;
                    }
                    idle = MinIdleWait;
                    lease?.Charge(attempt.Work + (batch?.Sum(t => t.Work) ?? 0)); // a batch holds the slot for all its tiles
                    if (attempt.Check) await RunCheckAsync(attempt, cancellation);
                    else if (batch is not null) await RunBatchAsync(attempt, batch, cancellation);
                    else await RunAsync(attempt, cancellation);
                    held = lease; // kept for renewal on the next round
                    lease = null;
                }
                finally
                {
                    lease?.Dispose();
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A worker must never vanish quietly: checks drawn for its node would wait for it for ever. The job fails
            // with the cause instead (a bug, not a node's doing: nodes' answers are caught where they are judged).
            lock (gate)
            {
                failure ??= $"the coordinator failed while working with node {node.Name}: {ex.GetType().Name}: {ex.Message}";
                Pulse();
            }
        }
        finally
        {
            held?.Dispose();
        }
    }

    /// <summary>
    /// The next tile for a node (under the lock): a spot check drawn for it, a queued tile that has not failed there,
    /// else a straggler to duplicate.
    /// </summary>
    TileAttempt? NextFor(FarmNode node)
    {
        // Checks before tiles: checks left until the tiles ran out were the job's tail, a queue of re-renders after its
        // last tile (bench scale --service). Not while one of the node's checks awaits a verdict: it is unpaid till
        // then, and a node owed too much stops for payment — tiles are paid at once.
        // (A disputed tile's check it takes still: that is what brings the verdict.)
        if (TakeCheck(node, disputesOnly: SpotChecks.AwaitsVerdict(node)) is { } first) return first;

        // A job that prefers some nodes leaves them the queued tiles they have free slots for.
        bool yields = !node.Preferred && options.Selection?.Prefer is not null && PreferredNodesTakeAll();
        double rate = ExpectedRate(node);
        bool failedHere = false;
        for (var item = yields ? null : pending.First; item is not null; item = item.Next)
        {
            var tile = tiles[item.Value];
            if (tile.FailedOn.Contains(node))
            {
                failedHere = true;
                continue;
            }
            if (!Affordable(tile, node)) continue;
            // Tiles are alike in a frame: if this one is better left to a faster node, so are the others.
            if (DeadlinePolicy.LeaveToFaster(tile.Work, rate, healthyFleetRate, pending.Count * tile.Work, throughput, JobElapsed - takerDueBack)) break;
            pending.Remove(item);
            return Start(tile, node, speculative: false);
        }
        // Queued tiles failed on this node. One that failed on every healthy node gets another round everywhere. (Only
        // looked at when it matters, and without listing the healthy nodes: All stops at the first that has not failed
        // it — slow nodes left idle by the end game come here every few seconds, and with thousands of nodes a list per
        // visit made each one O(nodes).)
        if (failedHere)
            foreach (int index in pending)
            {
                var tile = tiles[index];
                if (tile.FailedOn.Count > 0 && roster.Working.All(tile.FailedOn.Contains)) tile.FailedOn.Clear();
            }
        if (TakeCheck(node) is { } check) return check;
        if (pending.Count > 0) return null;

        // A straggler is a tile this node would finish well before every node running it (or whose copies all run far
        // past their pace). Up to MaxCopies run at once: a first copy on a middling node must not keep a fast one from
        // rescuing the tile. Only the monitor's shortlist is looked at (the tiles expected to finish last, refreshed each
        // tick), so an idle node's visit costs the same with ten tiles in flight or ten thousand.
        foreach (var t in stragglers.Tiles)
        {
            if (Duplicable(t) && t.Active.All(a => a.Node != node) && !t.FailedOn.Contains(node)
                && t.Active.All(a => deadlines.IsStraggler(a.Elapsed, t.Work, ExpectedRate(a.Node), rate))
                && budget.Fits(CostOf(t, node)))
                return Start(t, node, speculative: true);
        }
        // So is a straggling spot check: checks drawn among the slow nodes a job kept ran for minutes after its last
        // tile (bench scale --service). One copy at most; whichever settles the tile first cancels the other.
        foreach (var c in stragglers.Checks)
        {
            if (StragglerShortlist.Copyable(c) && c.Node != node && checks.CanCheck(c.Tile, node)
                && deadlines.IsStraggler(c.Elapsed, c.Work, ExpectedRate(c.Node), rate))
                return StartCheck(c.Tile, node, copyOf: c);
        }
        return null;
    }

    /// <summary>
    /// Notes when a node that took <paramref name="work"/> from the queue should be back for more (under the lock).
    /// Only nodes slow ones leave tiles to count: a slow node's take must not hold the others off for its own (long)
    /// tile while the fast ones are busy elsewhere.
    /// </summary>
    void NoteQueueTaker(FarmNode node, long work)
    {
        double rate = ExpectedRate(node);
        if (rate >= healthyFleetRate) takerDueBack = JobElapsed + (rate > 0 ? TimeSpan.FromSeconds(work / rate) : TimeSpan.Zero);
    }

    // Checkers are drawn by measured speed; a node not measured yet counts at what it declared (within reason) but
    // never above the fleet's median, so a newcomer cannot claim its way into checking others.
    double CheckerWeight(FarmNode node) => node.Rate > 0 ? node.Rate : fleetRate > 0 ? Math.Min(ExpectedRate(node), fleetRate) : ExpectedRate(node);

    /// <summary>A spot check drawn for the node, started (under the lock).</summary>
    TileAttempt? TakeCheck(FarmNode node, bool disputesOnly = false) =>
        checks.TakeFor(node, tiles, disputesOnly) is { } checkedTile ? StartCheck(checkedTile, node, copyOf: null) : null;

    /// <summary>
    /// Starts a spot check of a tile on a node (under the lock), its cost reserved: one drawn for it, or a copy of a
    /// straggling one. The first opinion on an undisputed tile renders a part of it where the work allows; a dispute is
    /// settled on whole tiles; a copy renders what the check it copies does.
    /// </summary>
    TileAttempt StartCheck(FarmTile tile, FarmNode node, TileAttempt? copyOf)
    {
        // (An accused tile's check is whole: its claim and the redo's are about the whole tile.)
        var part = copyOf is not null ? copyOf.Part : !tile.Disputed && tile.Accused is null && work.ChecksByPart ? checks.PartOf(work.RectOf(tile.Index)) : null;
        var check = new TileAttempt(tile, node, speculative: copyOf is not null, time, JobElapsed)
        {
            Check = true,
            Part = part,
            Work = part is { } p ? work.WorkOf(tile.Index, p) : tile.Work,
            Units = UnitsOf(tile, part),
        };
        budget.HoldOwn(check, payments.CostOfUnits(node, check.Units));
        checks.Running.Add(check);
        tile.ActiveChecks.Add(check);
        return check;
    }

    /// <summary>
    /// The speed this job expects of each of its healthy nodes (measured, else declared within reason), by address: what
    /// the service allots nodes to jobs by (<see cref="NodeAllotment.NodeOffer"/>). Nodes with no known speed are left out.
    /// </summary>
    public IReadOnlyList<(string Address, double Rate)> NodeRates()
    {
        lock (gate)
            return roster.Healthy.Select(n => (n.Client.Address, Rate: ExpectedRate(n))).Where(r => r.Rate > 0 && double.IsFinite(r.Rate)).ToList();
    }

    /// <summary>A node's expected speed in this job (under the lock): measured, else declared within reason, else the fleet's.</summary>
    double ExpectedRate(FarmNode node) => DeadlinePolicy.ExpectedRate(node.Rate, node.DeclaredRate, fleetRate);

    /// <summary>
    /// Whether the preferred nodes' free slots can take every queued tile (under the lock): none failed on all of them,
    /// and there are slots enough. Otherwise the other nodes take tiles too, so a job never waits on a preference.
    /// </summary>
    bool PreferredNodesTakeAll()
    {
        var free = roster.Working.Where(n => n.Preferred)
            .Select(n => (Node: n, Slots: n.Slots - inFlight.Sum(t => t.Active.Count(a => a.Node == n)) - checks.Running.Count(a => a.Node == n)))
            .Where(f => f.Slots > 0).ToList();
        return pending.Count <= free.Sum(f => f.Slots) && pending.All(i => free.Any(f => !tiles[i].FailedOn.Contains(f.Node)));
    }

    /// <summary>
    /// Whether <see cref="NextFor"/> might find something for the node (under the lock): queued tiles or checks, or
    /// tiles in flight that could be duplicated. Cheap and generous: a worker that asks for a shared slot and then
    /// finds nothing gives it straight back.
    /// </summary>
    bool HasWorkFor(FarmNode node) =>
        pending.Count > 0 || checks.HasFor(node)
        || (options.SpeculativeStragglers && (stragglers.Tiles.Any(t => Duplicable(t) && t.Active.All(a => a.Node != node)) || stragglers.Checks.Count > 0));

    /// <summary>A tile in flight that may take another copy (under the lock): not placed yet, and fewer than <see cref="MaxCopies"/> running.</summary>
    static bool Duplicable(FarmTile tile) => !tile.Done && tile.Active.Count is > 0 and < MaxCopies;

    TileAttempt Start(FarmTile tile, FarmNode node, bool speculative)
    {
        var attempt = new TileAttempt(tile, node, speculative, time, JobElapsed);
        tile.Active.Add(attempt);
        inFlight.Add(tile);
        var cost = CostOf(tile, node);
        if (speculative) budget.HoldOwn(attempt, cost);
        else budget.HoldTile(tile, cost);
        return attempt;
    }

    /// <summary>Price units of a tile, or of the part of it a check renders.</summary>
    int UnitsOf(FarmTile tile, RenderNet.Core.Tiles.TileRect? part) => part is { } p ? work.PriceUnitsOf(tile.Index, p) : work.PriceUnitsOf(tile.Index);

    /// <summary>What a tile costs when this node delivers it (0 for a node that renders for free).</summary>
    System.Numerics.BigInteger CostOf(FarmTile tile, FarmNode node) => payments.CostOf(node, tile.Index);

    /// <summary>Whether the budget leaves room for this node to take this tile (under the lock).</summary>
    bool Affordable(FarmTile tile, FarmNode node) => !budget.Capped || budget.Affordable(tile, CostOf(tile, node));

    /// <summary>Nothing in flight, tiles left, and none of them affordable on any healthy node (under the lock).</summary>
    bool BudgetExhausted() =>
        budget.Capped && pending.Count > 0 && inFlight.Count == 0
        && !pending.Any(i => roster.Healthy.Any(n => Affordable(tiles[i], n)));

    /// <summary>
    /// The queued tiles a node takes with <paramref name="first"/> in one call (under the lock), sized by its measured
    /// speed (<see cref="DeadlinePolicy.BatchSize"/>); null when it takes one. They leave the queue now and get their
    /// attempts one after another as the batch's results come in (<see cref="RunBatchAsync"/>).
    /// </summary>
    List<FarmTile>? TakeBatch(FarmNode node, TileAttempt first)
    {
        // By measured speed only: a node's word (or the fleet's speed) must not win it a batch it would sit on.
        if (options.BatchTarget <= TimeSpan.Zero || node.MaxBatch <= 1 || node.Rate <= 0) return null;
        int size = DeadlinePolicy.BatchSize(first.Tile.Work, node.Rate, options.BatchTarget, node.MaxBatch, pending.Count + 1, Math.Max(capacity, throughput));
        List<FarmTile>? more = null;
        for (var item = pending.First; item is not null && (more?.Count ?? 0) < size - 1;)
        {
            var next = item.Next;
            var tile = tiles[item.Value];
            if (!tile.FailedOn.Contains(node) && Affordable(tile, node))
            {
                pending.Remove(item);
                (more ??= []).Add(tile);
            }
            item = next;
        }
        return more;
    }

    /// <summary>
    /// Runs <paramref name="first"/> and <paramref name="rest"/> on one node in one call. Each tile is an attempt of its
    /// own, started when the one before it came in, so deadlines, checks and payment stay per tile; a tile that fails,
    /// times out or loses to a faster copy ends the call, and the tiles it had not reached go back to the queue.
    /// </summary>
    async Task RunBatchAsync(TileAttempt first, List<FarmTile> rest, CancellationToken cancellation)
    {
        var node = first.Node;
        var units = new List<int>(rest.Count + 1) { first.Tile.Index };
        units.AddRange(rest.Select(t => t.Index));
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        int dispatched = 0, started = 0;
        IAsyncEnumerator<FarmDelivery>? results = null;
        try
        {
            // Funded for the whole batch before the node starts it: it renders each tile as soon as the one before is sent.
            foreach (int unit in units)
            {
                await payments.DispatchAsync(node, unit);
                dispatched++;
            }
            // The node cancels by itself too if the coordinator vanishes: an outer deadline no estimate can exceed.
            results = work.RunBatchAsync(node.Client, units, node.Channel, UtcNow + options.InitialTileTimeout * units.Count, call.Token).GetAsyncEnumerator(call.Token);
            var attempt = first;
            while (true)
            {
                var kind = await RunAsync(attempt, cancellation, async token =>
                {
                    using var stop = token.Register(call.Cancel); // this tile's deadline, or a faster copy, ends the call
                    return await results.MoveNextAsync() ? results.Current : throw new InvalidDataException($"the batch of {units.Count} tiles ended early");
                });
                if (kind is not (AttemptOutcome.Accepted or AttemptOutcome.PaidDuplicate) || started == rest.Count) break;
                lock (gate)
                {
                    var tile = rest[started];
                    if (WorkOver || paused || !node.Healthy || tile.Done || !Affordable(tile, node)) break;
                    started++;
                    attempt = Start(tile, node, speculative: false);
                }
            }
        }
        finally
        {
            await call.CancelAsync(); // the node stops rendering tiles nobody will take
            if (results is not null)
            {
                try { await results.DisposeAsync(); }
                catch (Exception ex) when (ex is RpcException or OperationCanceledException or InvalidDataException) { }
            }
            // Dispatched first, the tiles never started were not the node's work after all.
            for (int i = 1 + started; i < dispatched; i++) payments.Returned(node, units[i]);
            lock (gate)
            {
                for (int i = rest.Count - 1; i >= started; i--)
                    if (!rest[i].Done && !pending.Contains(rest[i].Index)) pending.AddFirst(rest[i].Index);
                if (started < rest.Count) Pulse();
            }
        }
    }

    /// <param name="deliver">Where the result comes from: a batch call already under way (dispatched with it); null: a call of its own.</param>
    async Task<AttemptOutcome> RunAsync(TileAttempt attempt, CancellationToken cancellation, Func<CancellationToken, Task<FarmDelivery>>? deliver = null)
    {
        var tile = attempt.Tile;
        var node = attempt.Node;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        attempt.Cancel = cancel;
        var kind = AttemptOutcome.Accepted;
        string outcome = "ok";
        try
        {
            if (deliver is null) await payments.DispatchAsync(node, tile.Index);
            attempt.Counted = true;
            // The node cancels by itself too if the coordinator vanishes: an outer deadline that no estimate can exceed.
            var result = deliver is not null ? await deliver(cancel.Token) : await work.RunAsync(node.Client, tile.Index, node.Channel, UtcNow + options.InitialTileTimeout, cancel.Token);
            var signed = ResultSignatures.Verify(node, result); // a node with a key signs what it delivers, or it is invalid
            lock (gate)
            {
                payments.Delivered(node, tile.Index); // a valid result: the node counts it as owed
                if (tile.Done) (kind, outcome) = node.Convicted ? (AttemptOutcome.Rejected, "rejected: outvoted in a spot check") : (AttemptOutcome.PaidDuplicate, PaidDuplicate);
                else if (node.Convicted) (kind, outcome) = (AttemptOutcome.Rejected, "rejected: outvoted in a spot check");
                else tile.Done = true; // claimed: no other attempt may place it
            }
            if (kind != AttemptOutcome.Accepted)
            {
                work.Discard(result);
                // A valid result that lost the race was still delivered work: the node counts it as owed, so it is paid
                // (else an honest node refuses this payer after a few lost races). An outvoted node's is not.
                if (kind == AttemptOutcome.PaidDuplicate)
                {
                    lock (gate)
                    {
                        budget.Spend(CostOf(tile, node));
                        node.PaidDuplicates++;
                    }
                    await payments.PayForAsync(node, tile.Index);
                }
                return kind;
            }
            work.Accept(tile.Index, node.Name, result);
            TileEvent tileEvent;
            lock (gate)
            {
                done++;
                acceptedWork += tile.Work;
                FarmRoster.RecordDelivery(node, tile.Work, attempt.Elapsed, result.NodeSeconds);
                budget.Settle(tile, CostOf(tile, node)); // the winner's price; the rest of the reservation is freed
                tile.Content = result.ContentHash;
                tile.DeliveredBy = node;
                if (signed is not null) tile.Claims[node] = signed;
                tile.EndDispute();
                if (tile.Content is not null && (tile.Accused is not null || checks.Draw(node))) checks.Enqueue(tile.Index);
                foreach (var other in tile.Active.Where(a => a != attempt)) other.Cancel?.Cancel();
                tileEvent = new TileEvent(tile.Index, work.RectOf(tile.Index), node.Name, attempt.Elapsed, result.Bytes, attempt.Speculative, false, done, tiles.Length);
            }
            Announce(tileEvent, +1);
            await payments.PayForAsync(node, tile.Index);
        }
        catch (Exception ex) when (ex is RpcException or InvalidDataException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            (kind, outcome) = attempt.TimedOut ? (AttemptOutcome.TimedOut, "timeout") : ex switch
            {
                RpcException rpc when rpc.StatusCode == StatusCode.Cancelled && tile.Done => (AttemptOutcome.Superseded, "superseded"),
                RpcException rpc => (AttemptOutcome.Failed, $"{rpc.StatusCode}: {Printable.Clean(rpc.Status.Detail)}"),
                OperationCanceledException when tile.Done => (AttemptOutcome.Superseded, "superseded"),
                _ => (AttemptOutcome.Invalid, $"invalid: {Printable.Clean(ex.Message)}"),
            };
            if (ex is RpcException refused && NodeRefusal.Of(refused) is { } refusal)
                (kind, outcome) = await HandleRefusalAsync(attempt, refused, refusal);
            else if (kind != AttemptOutcome.Superseded) Failed(attempt, outcome, ex);
        }
        finally
        {
            lock (gate)
            {
                if (attempt.Counted) payments.Returned(node, tile.Index, resultLost: kind is AttemptOutcome.Superseded or AttemptOutcome.TimedOut);
                tile.Active.Remove(attempt);
                if (tile.Active.Count == 0) inFlight.Remove(tile);
                budget.ReleaseOwn(attempt);
                bool requeued = false;
                if (!tile.Done && tile.Active.Count == 0)
                {
                    budget.ReleaseTile(tile);
                    if (!pending.Contains(tile.Index))
                    {
                        pending.AddFirst(tile.Index);
                        requeued = true;
                    }
                }
                // Idle workers wake for what they could act on — a tile back in the queue, a check drawn for one of them,
                // the job's end — not for every delivery: with thousands of nodes, waking them all per tile (or per
                // tile while any check was queued) made dispatch O(nodes).
                DrawCheckers(all: false);
                if (requeued || done == tiles.Length || failure is not null) Pulse();
            }
            if ((!cancellation.IsCancellationRequested || kind == AttemptOutcome.Accepted) && kind != AttemptOutcome.Busy) // busy retries are not worth a synced row each
                journal?.RecordAttempt(tile.Index, node.Name, attempt.Started, outcome);
            onAttempt?.Invoke(new FarmAttempt(tile.Index, node.Name, attempt.Began, attempt.Elapsed, kind, outcome, attempt.Speculative));
            if (!cancellation.IsCancellationRequested)
            {
                if (kind == AttemptOutcome.Accepted) Note(node, ReputationEvent.Delivered, tile.Work / Math.Max(attempt.Elapsed.TotalSeconds, 1e-3));
                else NoteFailure(node, kind);
            }
        }
        return kind;
    }

    /// <summary>A node's tile slots in this job: what it offers (bounded), limited while its record has not proven it.</summary>
    int SlotsOf(FarmNode node)
    {
        int offered = NodeReported.Slots(node.Caps!.MaxConcurrentTiles, options.MaxSlotsPerNode);
        return options.Reputation is null ? offered : new ReputationPolicy(options).SlotsFor(node.History, offered);
    }

    /// <summary>Adds to the node's record across jobs (<see cref="FarmOptions.Reputation"/>).</summary>
    void Note(FarmNode node, ReputationEvent e, double rate = 0, string? reason = null) => options.Reputation?.Record(node.Identity, e, rate, reason);

    void NoteFailure(FarmNode node, AttemptOutcome kind)
    {
        if (kind is AttemptOutcome.Failed or AttemptOutcome.Invalid or AttemptOutcome.TimedOut)
            Note(node, kind switch { AttemptOutcome.Invalid => ReputationEvent.Invalid, AttemptOutcome.TimedOut => ReputationEvent.TimedOut, _ => ReputationEvent.Failed });
    }

    /// <summary>
    /// A node's "not now" (slots full — a just-cancelled tile still counts as in flight there —, a payment not yet seen,
    /// a lapsed session): not a failure at first, but a node that stays busy for longer than MaxBusyTime is failing the job.
    /// </summary>
    async Task<(AttemptOutcome, string)> HandleRefusalAsync(TileAttempt attempt, RpcException refused, RefusalKind refusal)
    {
        var node = attempt.Node;
        bool tooLong;
        lock (gate)
        {
            node.BusySince ??= JobElapsed;
            tooLong = deadlines.BusyTooLong(node.BusySince.Value, JobElapsed);
            if (tooLong) node.BusySince = null;
        }
        if (tooLong)
        {
            string outcome = $"busy for over {options.MaxBusyTime.TotalSeconds:0.#} s: {Printable.Clean(refused.Status.Detail)}";
            Failed(attempt, outcome, refused);
            return (AttemptOutcome.Failed, outcome);
        }
        if (refusal == RefusalKind.SessionRequired && !await payments.OpenSessionAsync(node, CancellationToken.None))
            return (AttemptOutcome.Failed, $"no work session: {Printable.Clean(refused.Status.Detail)}"); // excluded by OpenSessionAsync
        // A session that lapsed (the node restarted) was just reopened above; try again shortly.
        if (refusal == RefusalKind.AwaitingPayment) await payments.ResendLatestVoucherAsync(node);
        await Task.Delay(TimeSpan.FromMilliseconds(50), time, CancellationToken.None);
        return (AttemptOutcome.Busy, "busy");
    }

    /// <summary>
    /// Renders an accepted tile again on another node and compares the two results bit for bit (<see cref="SpotChecks.Judge"/>).
    /// A disagreement goes back in the queue for a third node; whoever it outvotes is convicted.
    /// </summary>
    async Task RunCheckAsync(TileAttempt attempt, CancellationToken cancellation)
    {
        var tile = attempt.Tile;
        var node = attempt.Node;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        attempt.Cancel = cancel;
        AttemptOutcome kind;
        string outcome;
        try
        {
            await payments.DispatchUnitsAsync(node, attempt.Units);
            attempt.Counted = true;
            FarmDelivery result;
            var deadline = UtcNow + options.InitialTileTimeout;
            try
            {
                result = attempt.Part is { } part ? await work.RunPartAsync(node.Client, tile.Index, part, node.Channel, deadline, cancel.Token)
                    : await work.RunAsync(node.Client, tile.Index, node.Channel, deadline, cancel.Token);
            }
            finally { attempt.Answered = true; } // from here it is judged or handed back: no idle node copies it any more
            var signed = ResultSignatures.Verify(node, result);
            CheckVerdict verdict;
            int paidAhead = 0;
            FarmNode? verified = null;
            TileEvent? replaced = null;
            lock (gate)
            {
                // A check whose copy settled the tile first, answered anyway: valid work, paid as a duplicate that lost
                // its race (as a tile's would be), not a second check of the tile.
                if (attempt.Superseded) node.PaidDuplicates++;
                else node.SpotChecks++;
                payments.DeliveredUnits(node, attempt.Units);
                node.ConsecutiveFailures = 0;
                node.TimeoutsInARow = 0;
                node.RenderTime += TimeSpan.FromSeconds(result.NodeSeconds);
                // A check is a tile's work, so it measures the checker as a tile would: a node given to a job for its
                // checks alone (its tiles all in) is otherwise never measured there, and counts at the median of the
                // job's nodes — slow ones, at a job's end — however fast it is (bench scale --service: a job's checks
                // ran for 11 minutes after its last tile on nodes a tenth of the fleet's mean speed).
                node.Rate = DeadlinePolicy.Smooth(node.Rate, attempt.Work, attempt.Elapsed);
                budget.SpendOwn(attempt); // paid below once its answer is confirmed
                verdict = attempt.Superseded ? new CheckVerdict(AttemptOutcome.PaidDuplicate, "spot check: " + PaidDuplicate, [new CheckOpinion(node, "", attempt.Part)], [], false)
                    : attempt.Part is { } part
                        ? checks.Judge(tile, new CheckOpinion(node, work.ContentOf(result, part) ?? "", part, attempt.Units), signed,
                            accepted: tile.Done && tile.Content is not null ? work.AcceptedContentOf(tile.Index, part) : null)
                        : checks.Judge(tile, new CheckOpinion(node, result.ContentHash ?? "", Units: attempt.Units), signed, project: p => work.ContentOf(result, p));
                // An answer that disagreed is paid at the verdict — unless holding its pay would leave the node owed so
                // much that it takes no more work from this payer, not even the checks that would bring the verdict.
                if (verdict.Kind is AttemptOutcome.CheckDiffers or AttemptOutcome.CheckUndecided && !payments.CanHold(node)) paidAhead = tile.PayAhead(node);
                // Settled: a copy still running (or the straggler it copied) has nothing left to answer.
                if (verdict.Kind is AttemptOutcome.CheckIdentical or AttemptOutcome.CheckSettled)
                    foreach (var other in tile.ActiveChecks.Where(a => a != attempt))
                    {
                        other.Superseded = true;
                        other.Cancel?.Cancel();
                    }
                // The deliverer's result stood a check: it counts towards the deliverer's proven standing.
                if (verdict.Kind == AttemptOutcome.CheckIdentical || verdict.Kind == AttemptOutcome.CheckSettled && !verdict.Replace) verified = tile.DeliveredBy;
                if (verdict.Replace)
                {
                    tile.Content = result.ContentHash;
                    tile.DeliveredBy = node;
                    replaced = new TileEvent(tile.Index, work.RectOf(tile.Index), node.Name, attempt.Elapsed, result.Bytes, false, false, done, tiles.Length);
                }
            }
            (kind, outcome) = (verdict.Kind, verdict.Outcome);
            if (verdict.Replace)
            {
                work.Retract(tile.Index);
                work.Accept(tile.Index, node.Name, result); // the majority's pixels replace the outvoted node's
            }
            else work.Discard(result);
            var owed = new List<CheckOpinion>();
            foreach (var liar in verdict.Convicts) owed.AddRange(Convict(liar, tile.Index, evidenced: verdict.Evidence?.Any(e => e.Node == liar.Name) == true));
            foreach (var agreed in verdict.Paid.Where(p => verdict.Kind is AttemptOutcome.CheckIdentical or AttemptOutcome.CheckSettled)) Note(agreed.Node, ReputationEvent.CheckAgreed);
            if (verdict.Kind == AttemptOutcome.CheckDiffers) Note(node, ReputationEvent.CheckDisputed);
            if (verified is not null) Note(verified, ReputationEvent.Verified);
            foreach (var evidence in verdict.Evidence ?? []) Present(evidence);
            if (replaced is not null) Announce(replaced, 0);
            foreach (var paid in verdict.Paid) await payments.PayAsync(paid.Node, UnitsOf(tile, paid.Part)); // each for what it rendered
            foreach (var disputed in owed.Where(o => !o.Node.Convicted)) await payments.PayAsync(disputed.Node, disputed.Units);
            if (paidAhead > 0) await payments.PayAsync(node, paidAhead);
        }
        catch (Exception ex) when (attempt.Superseded && !attempt.TimedOut && ex is RpcException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            (kind, outcome) = (AttemptOutcome.Superseded, "spot check: superseded (another checker settled the tile first)");
        }
        catch (RpcException ex) when (NodeRefusal.Of(ex) is { } refusal && !attempt.TimedOut && !cancellation.IsCancellationRequested)
        {
            // Busy, awaiting payment or a lapsed session: the check goes back to the queue; not the checker's failure
            // until the node has said nothing else for MaxBusyTime (a node that only ever refused kept a job open for
            // ever, its disputes waiting on it: SlashingFarmTests in CI).
            (kind, outcome) = await HandleRefusalAsync(attempt, ex, refusal);
            if (kind == AttemptOutcome.Failed)
            {
                outcome = "spot check: " + outcome;
                lock (gate) CheckFailed(attempt);
            }
            else
            {
                outcome = $"spot check: deferred ({refusal})";
                lock (gate)
                    if (tile.Done && tile.ActiveChecks.Count == 1) // unless its copy (or original) still runs
                    {
                        tile.DeferredBy = node;
                        checks.Enqueue(tile.Index, first: true);
                    }
            }
        }
        catch (Exception ex) when (ex is RpcException or InvalidDataException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            (kind, outcome) = attempt.TimedOut ? (AttemptOutcome.TimedOut, "spot check: timeout")
                : ex is RpcException rpc ? (AttemptOutcome.Failed, $"spot check: {rpc.StatusCode}: {Printable.Clean(rpc.Status.Detail)}")
                : (AttemptOutcome.Invalid, $"spot check: invalid: {Printable.Clean(ex.Message)}");
            Failed(attempt, outcome, ex); // counted against the node as a failed tile would be
            lock (gate) CheckFailed(attempt);
        }
        finally
        {
            lock (gate)
            {
                if (attempt.Counted) payments.ReturnedUnits(node, attempt.Units, resultLost: attempt.TimedOut || attempt.Superseded);
                checks.Running.Remove(attempt);
                tile.ActiveChecks.Remove(attempt);
                budget.ReleaseOwn(attempt);
                DrawCheckers(all: false); // for a dispute's next opinion, or a check handed back
                if (done == tiles.Length || failure is not null) Pulse();
            }
        }
        if (!cancellation.IsCancellationRequested) journal?.RecordAttempt(tile.Index, node.Name, attempt.Started, outcome);
        onAttempt?.Invoke(new FarmAttempt(tile.Index, node.Name, attempt.Began, attempt.Elapsed, kind, outcome, false) { SpotCheck = true });
        if (!cancellation.IsCancellationRequested) NoteFailure(node, kind);
    }

    /// <summary>
    /// A node outvoted in a spot check: excluded, and every other tile it delivered is redone elsewhere. Returns the
    /// checks whose pay was held for disputing those tiles: they disagreed with a node now convicted, and are paid.
    /// </summary>
    /// <param name="evidenced">The verdict carries evidence against it. Without (it was outvoted on its answer about a part
    /// of a tile, a claim nothing else covers), the first of its tiles with a signed claim is accused: redone, and checked
    /// whole, the redo and its check are the witnesses against that claim (<see cref="FarmTile.Accused"/>).</param>
    List<CheckOpinion> Convict(FarmNode liar, int tileIndex, bool evidenced)
    {
        int redo;
        var owed = new List<CheckOpinion>();
        lock (gate)
        {
            if (liar.Convicted) return owed;
            liar.Convicted = true;
            liar.Excluded = $"failed a spot check: its tile {tileIndex} differs from what two other nodes rendered";
            var suspect = tiles.Where(t => t.DeliveredBy == liar && t.Index != tileIndex).ToList();
            foreach (var t in suspect)
            {
                if (!evidenced && options.Evidence is not null && t.Claims.GetValueOrDefault(liar) is { } claim)
                {
                    t.Accused = (liar, claim);
                    evidenced = true;
                }
                owed.AddRange(t.Reopen());
                done--;
                checks.Remove(t);
                work.Retract(t.Index);
                pending.AddFirst(t.Index);
            }
            redo = suspect.Count;
            Interlocked.Add(ref retracted, redo); // taken off the announced count at the next announcement (no lock order to keep)
            // Journaled with the retractions in one transaction, before anything else happens.
            journal?.RecordConviction(liar.Client.Address, liar.Excluded, suspect.Select(t => t.Index));
            checks.Discount(liar, tiles);
            foreach (var t in tiles) foreach (var a in t.Active.Where(a => a.Node == liar)) a.Cancel?.Cancel();
            if (!roster.AnyHealthy) NoNodeLeft($"no healthy render node remains: {roster.Describe()}");
            Pulse();
        }
        Warn($"node {liar.Name} is out of this job: {liar.Excluded}; its {redo} other tile(s) are redone elsewhere");
        Note(liar, ReputationEvent.Convicted, reason: $"outvoted in a spot check of job {work.JobId}");
        return owed;
    }

    /// <summary>
    /// Draws checkers for queued spot checks (under the lock; see <see cref="SpotChecks.DrawCheckers"/>): at each pull
    /// for checks not drawn yet, and from the monitor for all. A check no node left can run is dropped: a skipped check
    /// is a warning, an unsettleable dispute the job's failure. The nodes drawn are woken.
    /// </summary>
    void DrawCheckers(bool all)
    {
        if (checks.Queued == 0) return;
        var draw = checks.DrawCheckers(tiles, roster.All, CheckerWeight, UtcNow, all);
        failure ??= draw.Failure;
        if (draw.Skipped) NoteChecksSkipped();
        if (draw.Drawn > 0 || draw.Failure is not null || draw.Skipped) Pulse();
    }

    void NoteChecksSkipped()
    {
        if (checksSkipped) return;
        checksSkipped = true;
        warnings.Add($"some spot checks were skipped: no other healthy node (within the budget) could run them, or they failed on {SpotChecks.MaxCheckFailures} checkers");
    }

    void Failed(TileAttempt attempt, string outcome, Exception ex)
    {
        var node = attempt.Node;
        bool excludedNow;
        lock (gate)
        {
            attempt.Tile.FailedOn.Add(node);
            attempt.Tile.Failures++;
            if (attempt.TimedOut) node.TimeoutsInARow++;
            // A node that evicted the scene gets no more tiles here rather than a surprise upload mid-job.
            excludedNow = roster.RecordFailure(node, outcome, lostScene: ex is RpcException { StatusCode: StatusCode.NotFound });
            if (!roster.AnyHealthy && done < tiles.Length)
                NoNodeLeft($"no healthy render node remains with {tiles.Length - done} of {tiles.Length} tiles left: {roster.Describe()}");
        }
        if (excludedNow) Warn($"node {node.Name} is out of this job: {node.Excluded}");
    }

    /// <summary>
    /// The job's last healthy node is gone (under the lock): it fails — at once, or, when nodes may still be added
    /// (<see cref="FarmOptions.WaitForNodes"/>: the service hands a job others), once that wait has passed with none.
    /// </summary>
    void NoNodeLeft(string reason)
    {
        if (options.WaitForNodes <= TimeSpan.Zero) failure ??= reason;
        else
        {
            orphanedSince ??= JobElapsed;
            orphanedReason = reason;
        }
    }

    /// <summary>Whether the job has no healthy node and is still waiting for one to be added (under the lock).</summary>
    bool AwaitingNodes => orphanedSince is not null && failure is null && done < tiles.Length;

    /// <summary>
    /// The nodes this job can no longer use (excluded: failed, refused, convicted, or not fit to join), by address: the
    /// service takes them out of the job's allotment and gives it others (<see cref="NodeAllotment.JobDemand.Lost"/>).
    /// </summary>
    public IReadOnlyList<string> LostNodes()
    {
        lock (gate) return roster.All.Where(n => !n.Healthy).Select(n => n.Client.Address).ToList();
    }

    /// <summary>
    /// A check failed on its node (under the lock): another node checks the tile — unless the check's copy (or the
    /// original) still runs and answers for it; an undisputed tile's check that failed on enough checkers is skipped.
    /// </summary>
    void CheckFailed(TileAttempt attempt)
    {
        var tile = attempt.Tile;
        tile.CheckFailedOn.Add(attempt.Node);
        bool otherRuns = tile.ActiveChecks.Count > 1;
        if (!otherRuns && tile.Done && (tile.Disputed || tile.CheckFailedOn.Count < SpotChecks.MaxCheckFailures)) checks.Enqueue(tile.Index);
        else if (!otherRuns && tile.Done) NoteChecksSkipped();
    }

    readonly List<Task> presentations = [];

    /// <summary>Hands a conviction's evidence to <see cref="FarmOptions.Evidence"/> (in the background: a chain may take a while) and warns with the outcome.</summary>
    void Present(ConvictionEvidence evidence)
    {
        if (options.Evidence is not { } presenter) return;
        lock (presentations)
            presentations.Add(Task.Run(async () =>
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                try { Warn(await presenter.PresentAsync(evidence, limit.Token)); }
                catch (OperationCanceledException) { Warn($"presenting the evidence against node {evidence.Node} took over 2 minutes; it was given up"); }
            }));
    }

    /// <summary>Waits for evidence still being presented, so the job's warnings say how each slashing went.</summary>
    async Task PresentationsAsync()
    {
        Task[] pending;
        lock (presentations) pending = [.. presentations];
        await Task.WhenAll(pending);
    }

    /// <summary>Cancels attempts that overrun the deadline derived from their node's (or the fleet's) observed speed.</summary>
    async Task MonitorDeadlinesAsync(CancellationToken cancellation)
    {
        var tick = TimeSpan.FromMilliseconds(100);
        for (int ticks = 1; !cancellation.IsCancellationRequested; ticks++)
        {
            await Task.Delay(tick, time, cancellation);
            lock (gate)
            {
                if (ticks % 10 == 0)
                {
                    RefreshFleetFigures(tick * 10); // medians over thousands of nodes: once a second is plenty
                    DrawCheckers(all: true); // checkers gone or keeping a check waiting past the patience are replaced
                }
                if (AwaitingNodes && JobElapsed - orphanedSince!.Value > options.WaitForNodes)
                {
                    failure = $"{orphanedReason}; no other node was added within {options.WaitForNodes.TotalSeconds:0.#} s";
                    Pulse();
                }
                if (WorkOver && !workOver.IsCancellationRequested) Pulse(); // ends for whatever ended it without a pulse
                RefreshStragglerShortlist(); // as often as deadlines are looked at: idle nodes duplicate within a tick
                foreach (var attempt in inFlight.SelectMany(t => t.Active).Concat(checks.Running))
                {
                    if (!attempt.TimedOut && attempt.Elapsed > deadlines.LimitFor(attempt.Work, attempt.Node.Rate, fleetRate, attempt.Node.TimeoutsInARow))
                    {
                        attempt.TimedOut = true;
                        attempt.Cancel?.Cancel();
                    }
                }
            }
        }
    }

    /// <summary>
    /// The fleet's median speeds and the job's throughput (under the lock), once per monitor tick rather than on every
    /// pull: a median over thousands of nodes per tile would make dispatch O(nodes log nodes).
    /// </summary>
    void RefreshFleetFigures(TimeSpan tick)
    {
        fleetRate = roster.FleetRate();
        healthyFleetRate = DeadlinePolicy.FleetRate(roster.Healthy.Select(n => n.Rate));
        if (options.BatchTarget > TimeSpan.Zero) capacity = roster.Working.Sum(n => ExpectedRate(n) * Math.Max(1, n.Slots));
        // Work accepted per second, smoothed over about half a minute of job time.
        double instant = (acceptedWork - acceptedWorkSeen) / tick.TotalSeconds;
        acceptedWorkSeen = acceptedWork;
        throughput += (instant - throughput) * Math.Min(1, tick.TotalSeconds / 30);
    }

    /// <summary>Refreshes what idle nodes consider copying (under the lock): nothing while tiles are queued, as speculation starts once the queue is empty.</summary>
    void RefreshStragglerShortlist()
    {
        if (!options.SpeculativeStragglers || pending.Count > 0) stragglers.Clear();
        else stragglers.Refresh(inFlight, Duplicable, checks.Running);
    }

    /// <summary>
    /// Raises a tile event (outside the farm's lock: handlers do I/O) with <see cref="TileEvent.Done"/> counted at
    /// announcement, so concurrent deliveries are announced 1, 2, 3… rather than in the order their threads got here.
    /// </summary>
    void Announce(TileEvent tileEvent, int delivered)
    {
        if (onTile is null) return;
        lock (announceGate)
        {
            announced += delivered - Interlocked.Exchange(ref retracted, 0);
            onTile(tileEvent with { Done = announced });
        }
    }

    void Pulse()
    {
        var previous = changed;
        changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
        if (WorkOver && !workOver.IsCancellationRequested) workOver.Cancel(); // the scheduler's callbacks take only its own lock
    }

    /// <summary>Every tile in and checked, or the job failed or hit its budget (under the lock): no worker has anything left to do.</summary>
    bool WorkOver => (done == tiles.Length && checks.Idle) || failure is not null || budgetStop;

    void Warn(string message)
    {
        lock (gate) warnings.Add(message);
        onWarning?.Invoke(message);
    }

    /// <summary>What each node has done in this farm so far (also after a cancelled run: who delivered the partial frame).</summary>
    public IReadOnlyList<NodeReport> Reports()
    {
        lock (gate) return roster.Reports(payments);
    }
}
