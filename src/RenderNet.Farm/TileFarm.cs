using System.Diagnostics;
using Grpc.Core;
using RenderNet.Protocol;

namespace RenderNet.Farm;

/// <summary>
/// Runs one job (a <see cref="FarmWorkload"/>: tiles of a frame, segments of a video) on a set of nodes. Tiles are a pull queue: every node runs as many workers as it has tile
/// slots, and each worker takes the next tile when it frees up, so fast nodes take more. A tile that fails, times out
/// (deadline derived from observed speed) or comes back invalid goes back to the queue for a different node; once the
/// queue is empty, idle nodes re-run the tiles still in flight and the first valid result wins. A tile is journaled
/// before it counts, placed exactly once, and the job fails only when no healthy node is left.
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
    readonly Stopwatch jobClock = Stopwatch.StartNew();
    readonly Lock gate = new();
    readonly TileState[] tiles;
    readonly LinkedList<int> pending = new();
    /// <summary>Accepted tiles waiting for a spot check (or for the third opinion on one that disagreed).</summary>
    readonly LinkedList<int> checks = new();
    /// <summary>Spot checks in flight, watched by the same deadlines as tiles.</summary>
    readonly List<Attempt> runningChecks = [];
    bool checksSkipped;
    readonly List<FarmNode> nodes = [];
    readonly List<string> warnings = [];
    TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int done;
    int fromJournal;
    string? failure;
    bool paused;
    bool budgetStop;
    /// <summary>Tokens paid plus tokens reserved for tiles in flight: never above <see cref="FarmOptions.Budget"/>.</summary>
    System.Numerics.BigInteger committed;

    sealed class TileState(int index)
    {
        public int Index { get; } = index;
        public bool Done;
        public int Failures;
        public readonly HashSet<FarmNode> FailedOn = [];
        public readonly List<Attempt> Active = [];
        public long Work;
        /// <summary>The most any attempt in flight could cost when accepted (reserved against the budget).</summary>
        public System.Numerics.BigInteger Reserved;
        /// <summary>The accepted result's content hash and the node it came from (null: restored from the journal).</summary>
        public string? Content;
        public FarmNode? DeliveredBy;
        /// <summary>Checks that disagreed with the tile, each node with its result, until two nodes agree on one answer.</summary>
        public readonly List<(FarmNode Node, string Content)> Dissent = [];
        /// <summary>The node drawn (at random) to run this tile's next check.</summary>
        public FarmNode? Checker;

        public bool Disputed => Dissent.Count > 0;
        public bool Involves(FarmNode node) => DeliveredBy == node || Dissent.Any(d => d.Node == node);

        public void EndDispute()
        {
            Dissent.Clear();
            Checker = null;
        }
    }

    sealed class Attempt(TileState tile, FarmNode node, bool speculative)
    {
        public TileState Tile { get; } = tile;
        public FarmNode Node { get; } = node;
        public bool Speculative { get; } = speculative;
        public Stopwatch Clock { get; } = Stopwatch.StartNew();
        public TimeSpan Began { get; init; }
        public DateTime Started { get; } = DateTime.UtcNow;
        public CancellationTokenSource Cancel { get; set; } = null!;
        public bool TimedOut;
        /// <summary>A spot check of a tile already in the frame, with the tokens reserved for paying it.</summary>
        public bool Check { get; init; }
        public System.Numerics.BigInteger CheckReserved;
        /// <summary>A speculative duplicate's own reservation: if it loses the race but is valid, it is paid too.</summary>
        public System.Numerics.BigInteger ExtraReserved;
        /// <summary>Counted in its node's in-flight units (to be taken off when it ends).</summary>
        public bool Counted;
    }

    /// <summary>The outcome of a valid result that lost the race to another node's: discarded, but paid (the node did the work).</summary>
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
    {
        this.onAttempt = onAttempt;
        this.work = work;
        this.options = options ?? new FarmOptions();
        this.journal = journal;
        this.onTile = onTile;
        this.onWarning = onWarning;
        tiles = Enumerable.Range(0, work.Count).Select(i => new TileState(i) { Work = work.WorkOf(i) }).ToArray();
        payments = new FarmPayments(work, this.options, journal, Warn);
    }

    /// <summary>Runs a path-traced frame (built with the <see cref="FarmJobSpec"/> constructor) and returns its image.</summary>
    public async Task<FarmResult> RunAsync(IReadOnlyList<string> nodeAddresses, CancellationToken cancellation = default)
    {
        if (work is not RenderWorkload render) throw new InvalidOperationException("RunAsync returns a frame: use RunWorkAsync for other workloads");
        var run = await RunWorkAsync(nodeAddresses, cancellation);
        return new FarmResult(run.JobId, render.Assembler.Frame, run.Nodes, run.TilesFromJournal, run.Warnings);
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

    /// <summary>Tokens spent on accepted tiles so far, in the token's smallest unit.</summary>
    public System.Numerics.BigInteger Spent
    {
        get
        {
            lock (gate)
                return committed - tiles.Aggregate(System.Numerics.BigInteger.Zero, (sum, t) => sum + t.Reserved + t.Active.Aggregate(System.Numerics.BigInteger.Zero, (s, a) => s + a.ExtraReserved));
        }
    }

    /// <summary>Runs every unit of the workload to completion; the results are wherever the workload keeps them.</summary>
    public async Task<FarmRun> RunWorkAsync(IReadOnlyList<string> nodeAddresses, CancellationToken cancellation = default)
    {
        if (nodeAddresses.Count == 0) throw new ArgumentException("no render nodes were given");
        foreach (var address in nodeAddresses.Distinct()) nodes.Add(new FarmNode(new NodeClient(address, maxReplyBytes: work.MaxReplyBytes)));
        try
        {
            RestoreFromJournal();
            for (int i = 0; i < tiles.Length; i++) if (!tiles[i].Done) pending.AddLast(i);

            // A node outvoted in an earlier run of this job stays out (its tiles were dropped from the journal then).
            if (journal?.Convicted() is { Count: > 0 } convicted)
                foreach (var n in nodes.Where(n => convicted.ContainsKey(n.Client.Address)))
                {
                    n.Convicted = true;
                    n.Excluded = $"convicted in an earlier run of this job: {convicted[n.Client.Address]}";
                }
            await Task.WhenAll(nodes.Where(n => n.Healthy).Select(n => ConnectAsync(n, cancellation)));
            ApplyFingerprintPolicy();
            if (done < tiles.Length)
            {
                // Channel and session first: a paid node takes scenes, work and vouchers only within a payer-signed session.
                int unitsLeft = tiles.Where(t => !t.Done).Sum(t => work.PriceUnitsOf(t.Index));
                foreach (var n in nodes.Where(n => n.Healthy)) await payments.OpenChannelAsync(n, unitsLeft);
                await Task.WhenAll(nodes.Where(n => n.Healthy && !n.SessionOpen).Select(n => payments.OpenSessionAsync(n, cancellation)));
                await Task.WhenAll(nodes.Where(n => n.Healthy).Select(n => PrepareAsync(n, cancellation)));
                if (!nodes.Any(n => n.Healthy))
                    throw new NoUsableNodeException($"no usable render node: {Describe()}", Reports());

                using var jobCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                var workers = nodes.Where(n => n.Healthy)
                    .SelectMany(n => Enumerable.Range(0, n.Slots = NodeReported.Slots(n.Caps!.MaxConcurrentTiles, options.MaxSlotsPerNode)).Select(_ => WorkerAsync(n, jobCancel.Token)))
                    .ToList();
                var monitor = MonitorDeadlinesAsync(jobCancel.Token);
                try
                {
                    await Task.WhenAll(workers);
                }
                catch (Exception) when (cancellation.IsCancellationRequested)
                {
                    // Calls cut short by the cancellation surface as RpcException(Cancelled): report the cancellation
                    // itself. The nodes redeem what they were paid for the tiles they delivered.
                    await payments.SettleHeldAsync(nodes);
                    await payments.RedeemAllAsync(nodes);
                    throw new OperationCanceledException("the job was cancelled", cancellation);
                }
                finally
                {
                    jobCancel.Cancel();
                    await monitor.ContinueWith(_ => { }, TaskScheduler.Default);
                }
                cancellation.ThrowIfCancellationRequested();
                if (failure is not null)
                {
                    await payments.SettleHeldAsync(nodes); // the honest nodes' held share is theirs even when the job fails
                    throw new FarmException(failure, Reports());
                }
                if (budgetStop)
                {
                    await payments.SettleHeldAsync(nodes);
                    await payments.RedeemAllAsync(nodes);
                    throw new FarmBudgetException(
                        $"the budget of {options.Budget} is spent: {done} of {tiles.Length} tiles delivered for {Spent}, and no node can take another tile within it",
                        Reports(), done, tiles.Length);
                }
            }
            await payments.SettleHeldAsync(nodes);
            await payments.RedeemAllAsync(nodes);
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
            foreach (var n in nodes) n.Client.Dispose();
        }
    }

    void RestoreFromJournal()
    {
        foreach (var (index, node, bytes) in work.Restore())
        {
            var tile = tiles[index];
            tile.Done = true;
            done++;
            fromJournal++;
            onTile?.Invoke(new TileEvent(index, work.RectOf(index), node, TimeSpan.Zero, bytes, false, true, done, tiles.Length));
        }
    }

    async Task ConnectAsync(FarmNode node, CancellationToken cancellation)
    {
        try
        {
            node.Caps = await node.Client.GetCapabilitiesAsync(options.ConnectTimeout, cancellation);
            if (!node.Caps.JobKinds.Contains(work.JobKind)) node.Excluded = $"does not offer {work.JobKind} jobs";
            else if (PriceProblem(node.Client.Address, node.Caps) is { } problem) node.Excluded = problem;
        }
        catch (RpcException ex) when (!cancellation.IsCancellationRequested)
        {
            node.Excluded = ex.StatusCode == StatusCode.FailedPrecondition ? Printable.Clean(ex.Status.Detail) : $"unreachable: {Printable.Clean(ex.Status.Detail)}";
        }
    }

    /// <summary>Why a node's asking price or payee is not acceptable to this job, or null.</summary>
    string? PriceProblem(string address, Capabilities caps)
    {
        if (caps.PaymentAddress.Length == 0) return null;
        if (options.MaxPrice is { } max && caps.PricePerTile > max)
            return $"asks {caps.PricePerTile} per price unit, above this job's maximum of {max}";
        if (options.Registered?.GetValueOrDefault(address) is { } entry)
        {
            if (caps.PricePerTile > entry.PricePerTile)
                return $"asks {caps.PricePerTile} per price unit, more than the {entry.PricePerTile} it registered";
            if (!string.Equals(caps.PaymentAddress, entry.Address, StringComparison.OrdinalIgnoreCase))
                return $"wants to be paid at {Printable.Short(caps.PaymentAddress, 42)}, not at its registered address {entry.Address}";
        }
        return null;
    }

    void ApplyFingerprintPolicy()
    {
        var reachable = nodes.Where(n => n.Healthy).ToList();
        if (reachable.Count == 0) return;
        string expected = options.ExpectedFingerprint
            ?? reachable.GroupBy(n => work.FingerprintOf(n.Caps!)).OrderByDescending(g => g.Count()).ThenBy(g => reachable.IndexOf(g.First())).First().Key;
        foreach (var node in reachable.Where(n => work.FingerprintOf(n.Caps!) != expected))
        {
            string message = $"node {node.Name} has pipeline fingerprint {Short(work.FingerprintOf(node.Caps!))}, the job's is {Short(expected)}: its tiles would not be bit-identical";
            if (options.AllowMixedPipelines)
                Warn(message + " (allowed)");
            else
            {
                node.Excluded = message;
                Warn(message + "; it is excluded (allow with --allow-mixed-pipelines)");
            }
        }
    }

    async Task PrepareAsync(FarmNode node, CancellationToken cancellation)
    {
        try
        {
            var deadline = DateTime.UtcNow + options.ConnectTimeout + TimeSpan.FromSeconds((double)work.PrepareBytes / Math.Max(1, options.MinUploadBytesPerSecond));
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
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                Attempt? attempt;
                Task wake;
                SlotLease? lease = null;
                if (options.Share is { } share)
                {
                    // Shared nodes: wait for this job's turn at one of the node's slots before taking a tile; only ask
                    // while there is something to take.
                    bool wanted;
                    lock (gate) wanted = !paused && node.Healthy && failure is null && !budgetStop && HasWorkFor(node);
                    if (wanted)
                    {
                        try { lease = held is null ? await share.AcquireAsync(node.Client.Address, node.Slots, cancellation) : await share.RenewAsync(held, cancellation); }
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
                        SettleUnrunnableChecks();
                        if ((done == tiles.Length && checks.Count == 0 && runningChecks.Count == 0) || failure is not null || budgetStop || !node.Healthy) return;
                        bool mayTake = !paused && (options.Share is null || lease is not null);
                        attempt = mayTake ? NextFor(node) : null;
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
                        await Task.WhenAny(wake, Task.Delay(250, cancellation)).ContinueWith(_ => { }, TaskScheduler.Default);
                        continue;
                    }
                    lease?.Charge(attempt.Tile.Work);
                    if (attempt.Check) await RunCheckAsync(attempt, cancellation);
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
        finally
        {
            held?.Dispose();
        }
    }

    /// <summary>The next tile for a node (under the lock): a queued tile that has not failed there, else a straggler to duplicate.</summary>
    Attempt? NextFor(FarmNode node)
    {
        for (var item = pending.First; item is not null; item = item.Next)
        {
            var tile = tiles[item.Value];
            if (tile.FailedOn.Contains(node) || !Affordable(tile, node)) continue;
            pending.Remove(item);
            return Start(tile, node, speculative: false);
        }
        // Every queued tile failed on this node. If it failed on every healthy node, give it another round everywhere.
        var healthy = nodes.Where(n => n.Healthy).ToList();
        foreach (int index in pending)
        {
            var tile = tiles[index];
            if (healthy.All(tile.FailedOn.Contains)) tile.FailedOn.Clear();
        }
        for (var item = checks.First; item is not null; item = item.Next)
        {
            var tile = tiles[item.Value];
            // Each check goes to a checker drawn at random among the eligible nodes, not to whoever asks first, so a
            // node cannot grab the checks of its own (or a colluding identity's) tiles.
            if (tile.Checker is null || !CanCheck(tile, tile.Checker)) tile.Checker = DrawChecker(tile);
            if (tile.Checker != node) continue;
            checks.Remove(item);
            tile.Checker = null;
            var check = new Attempt(tile, node, speculative: false) { Began = jobClock.Elapsed, Check = true };
            check.CheckReserved = CostOf(tile, node);
            committed += check.CheckReserved;
            runningChecks.Add(check);
            return check;
        }
        if (pending.Count > 0 || !options.SpeculativeStragglers) return null;

        // A straggler is a tile running well past what its work should take at the fleet's observed speed.
        double fleet = FleetRate();
        if (fleet <= 0) return null;
        var straggler = tiles.Where(t => !t.Done && t.Active.Count == 1 && t.Active[0].Node != node && !t.FailedOn.Contains(node)
                                         && t.Active[0].Clock.Elapsed.TotalSeconds > 1.5 * t.Work / fleet + 0.2
                                         && (options.Budget is not { } budget || committed + CostOf(t, node) <= budget))
            .OrderByDescending(t => t.Active[0].Clock.Elapsed).FirstOrDefault();
        return straggler is null ? null : Start(straggler, node, speculative: true);
    }

    /// <summary>
    /// Whether <see cref="NextFor"/> might find something for the node (under the lock): queued tiles or checks, or
    /// tiles in flight that could be duplicated. Cheap and generous: a worker that asks for a shared slot and then
    /// finds nothing gives it straight back.
    /// </summary>
    bool HasWorkFor(FarmNode node) =>
        pending.Count > 0 || checks.Count > 0 || (options.SpeculativeStragglers && tiles.Any(t => !t.Done && t.Active.Count == 1 && t.Active[0].Node != node));

    /// <summary>
    /// Whether a node may check a tile (under the lock): healthy, not already involved, within the budget, and not paid
    /// to the same address as anyone involved — identities sharing a payout address are one party.
    /// </summary>
    bool CanCheck(TileState tile, FarmNode node) =>
        node.Healthy && !tile.Involves(node) && Affordable(tile, node)
        && !(tile.DeliveredBy is { } d ? [d, .. tile.Dissent.Select(x => x.Node)] : tile.Dissent.Select(x => x.Node)).Any(other => SamePayee(other, node));

    static bool SamePayee(FarmNode a, FarmNode b) =>
        a.Caps?.PaymentAddress is { Length: > 0 } pa && string.Equals(pa, b.Caps?.PaymentAddress, StringComparison.OrdinalIgnoreCase);

    FarmNode? DrawChecker(TileState tile)
    {
        var eligible = nodes.Where(n => CanCheck(tile, n)).ToList();
        return eligible.Count == 0 ? null : eligible[System.Security.Cryptography.RandomNumberGenerator.GetInt32(eligible.Count)];
    }

    Attempt Start(TileState tile, FarmNode node, bool speculative)
    {
        var attempt = new Attempt(tile, node, speculative) { Began = jobClock.Elapsed };
        tile.Active.Add(attempt);
        var cost = CostOf(tile, node);
        if (speculative)
        {
            attempt.ExtraReserved = cost;
            committed += cost;
        }
        else if (cost > tile.Reserved)
        {
            committed += cost - tile.Reserved;
            tile.Reserved = cost;
        }
        return attempt;
    }

    /// <summary>What a tile costs when this node delivers it (0 for a node that renders for free).</summary>
    System.Numerics.BigInteger CostOf(TileState tile, FarmNode node) => payments.CostOf(node, tile.Index);

    /// <summary>Whether the budget leaves room for this node to take this tile (under the lock).</summary>
    bool Affordable(TileState tile, FarmNode node)
    {
        if (options.Budget is not { } budget) return true;
        var cost = CostOf(tile, node);
        return cost <= tile.Reserved || committed + (cost - tile.Reserved) <= budget;
    }

    /// <summary>Nothing in flight, tiles left, and none of them affordable on any healthy node (under the lock).</summary>
    bool BudgetExhausted() =>
        options.Budget is not null && pending.Count > 0 && tiles.All(t => t.Active.Count == 0)
        && !pending.Any(i => nodes.Any(n => n.Healthy && Affordable(tiles[i], n)));

    async Task RunAsync(Attempt attempt, CancellationToken cancellation)
    {
        var tile = attempt.Tile;
        var node = attempt.Node;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        attempt.Cancel = cancel;
        string outcome = "ok";
        try
        {
            await payments.DispatchAsync(node, tile.Index);
            attempt.Counted = true;
            // The node cancels by itself too if the coordinator vanishes: an outer deadline that no estimate can exceed.
            var result = await work.RunAsync(node.Client, tile.Index, node.Channel, DateTime.UtcNow + options.InitialTileTimeout, cancel.Token);
            lock (gate)
            {
                payments.Delivered(node, tile.Index); // a valid result: the node counts it as owed
                if (tile.Done) { outcome = "superseded"; }
                else if (node.Convicted) { outcome = "rejected: outvoted in a spot check"; }
                else tile.Done = true; // claimed: no other attempt may place it
            }
            if (outcome != "ok")
            {
                if (outcome == "superseded" && !node.Convicted) outcome = PaidDuplicate;
                work.Discard(result);
                // A valid result that lost the race was still delivered work: the node counts it as owed, so it is paid
                // (else an honest node refuses this payer after a few lost races). An outvoted node's is not.
                if (!node.Convicted)
                {
                    lock (gate)
                    {
                        committed += CostOf(tile, node);
                        node.PaidDuplicates++;
                    }
                    await payments.PayForAsync(node, tile.Index);
                }
                return;
            }
            work.Accept(tile.Index, node.Name, result);
            TileEvent tileEvent;
            lock (gate)
            {
                done++;
                node.Tiles++;
                node.ConsecutiveFailures = 0;
                node.BusySince = null;
                node.RenderTime += TimeSpan.FromSeconds(result.NodeSeconds);
                double rate = tile.Work / Math.Max(attempt.Clock.Elapsed.TotalSeconds, 1e-3);
                node.Rate = node.Rate > 0 ? 0.7 * node.Rate + 0.3 * rate : rate;
                committed += CostOf(tile, node) - tile.Reserved; // the winner's price; the rest of the reservation is freed
                tile.Reserved = 0;
                tile.Content = result.ContentHash;
                tile.DeliveredBy = node;
                tile.EndDispute();
                // Probation: a node's first tiles are checked at a higher rate, so a cheat is caught before it earns much.
                double checkRate = options.SpotCheckRate > 0 && node.Tiles <= options.ProbationTiles ? Math.Max(options.SpotCheckRate, options.ProbationRate) : options.SpotCheckRate;
                if (tile.Content is not null && checkRate > 0
                    && System.Security.Cryptography.RandomNumberGenerator.GetInt32(1_000_000) < checkRate * 1_000_000)
                    checks.AddLast(tile.Index); // unpredictable to the node: it cannot tell which tiles will be checked
                foreach (var other in tile.Active.Where(a => a != attempt)) other.Cancel?.Cancel();
                tileEvent = new TileEvent(tile.Index, work.RectOf(tile.Index), node.Name, attempt.Clock.Elapsed, result.Bytes, attempt.Speculative, false, done, tiles.Length);
            }
            onTile?.Invoke(tileEvent);
            await payments.PayForAsync(node, tile.Index);
        }
        catch (Exception ex) when (ex is RpcException or InvalidDataException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            outcome = attempt.TimedOut ? "timeout" : ex switch
            {
                RpcException rpc when rpc.StatusCode == StatusCode.Cancelled && tile.Done => "superseded",
                RpcException rpc => $"{rpc.StatusCode}: {Printable.Clean(rpc.Status.Detail)}",
                OperationCanceledException when tile.Done => "superseded",
                _ => $"invalid: {Printable.Clean(ex.Message)}",
            };
            if (ex is RpcException refused && NodeRefusal.Of(refused) is not null)
            {
                // Slots full (a just-cancelled tile still counts as in flight there) or a payment not yet seen: not a
                // failure at first, but a node that stays "busy" for longer than MaxBusyTime is failing this job.
                bool tooLong;
                lock (gate)
                {
                    node.BusySince ??= jobClock.Elapsed;
                    tooLong = jobClock.Elapsed - node.BusySince.Value > options.MaxBusyTime;
                    if (tooLong) node.BusySince = null;
                }
                if (tooLong)
                {
                    outcome = $"busy for over {options.MaxBusyTime.TotalSeconds:0.#} s: {Printable.Clean(refused.Status.Detail)}";
                    Failed(attempt, outcome, ex);
                }
                else if (NodeRefusal.Of(refused) == RefusalKind.SessionRequired && !await payments.OpenSessionAsync(node, CancellationToken.None))
                    outcome = $"no work session: {Printable.Clean(refused.Status.Detail)}"; // excluded by OpenSessionAsync
                else
                {
                    // A session that lapsed (the node restarted) was just reopened above; try again shortly.
                    outcome = "busy";
                    if (NodeRefusal.Of(refused) == RefusalKind.AwaitingPayment) await payments.ResendLatestVoucherAsync(node);
                    await Task.Delay(50, CancellationToken.None);
                }
            }
            else if (outcome != "superseded") Failed(attempt, outcome, ex);
        }
        finally
        {
            lock (gate)
            {
                if (attempt.Counted) payments.Returned(node, tile.Index);
                tile.Active.Remove(attempt);
                committed -= attempt.ExtraReserved;
                attempt.ExtraReserved = 0;
                if (!tile.Done && tile.Active.Count == 0)
                {
                    committed -= tile.Reserved;
                    tile.Reserved = 0;
                    if (!pending.Contains(tile.Index)) pending.AddFirst(tile.Index);
                }
                Pulse();
            }
            if ((!cancellation.IsCancellationRequested || outcome == "ok") && outcome != "busy") // busy retries are not worth a synced row each
                journal?.RecordAttempt(tile.Index, node.Name, attempt.Started, outcome);
            onAttempt?.Invoke(new FarmAttempt(tile.Index, node.Name, attempt.Began, attempt.Clock.Elapsed, outcome, attempt.Speculative));
        }
    }

    /// <summary>
    /// Renders an accepted tile again on another node and compares the two results bit for bit. A disagreement goes
    /// back in the queue for a third node; whoever it outvotes is convicted.
    /// </summary>
    async Task RunCheckAsync(Attempt attempt, CancellationToken cancellation)
    {
        var tile = attempt.Tile;
        var node = attempt.Node;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        attempt.Cancel = cancel;
        string outcome;
        try
        {
            await payments.DispatchAsync(node, tile.Index);
            attempt.Counted = true;
            var result = await work.RunAsync(node.Client, tile.Index, node.Channel, DateTime.UtcNow + options.InitialTileTimeout, cancel.Token);
            string content = result.ContentHash ?? "";
            var convicts = new List<FarmNode>();
            var paid = new List<FarmNode>();
            bool replace = false;
            TileEvent? replaced = null;
            lock (gate)
            {
                node.SpotChecks++;
                payments.Delivered(node, tile.Index);
                node.ConsecutiveFailures = 0;
                node.RenderTime += TimeSpan.FromSeconds(result.NodeSeconds);
                attempt.CheckReserved = 0; // spent: paid below once its answer is confirmed
                if (!tile.Done || tile.Content is null)
                {
                    outcome = "spot check: superseded (the tile is being redone)";
                    paid.Add(node); // honest work whose answer is no longer needed: paid like a losing duplicate
                }
                else if (node.Convicted) outcome = "spot check: ignored (outvoted in another)";
                else if (!tile.Disputed && content == tile.Content)
                {
                    outcome = "spot check: identical";
                    paid.Add(node);
                }
                else if (!tile.Disputed)
                {
                    // Not paid yet: a checker is paid for a disagreement only if another node confirms it.
                    outcome = $"spot check: differs from {tile.DeliveredBy?.Name}";
                    tile.Dissent.Add((node, content));
                    checks.AddFirst(tile.Index); // another opinion, before anything else
                }
                else if (content == tile.Content || tile.Dissent.Any(d => d.Content == content))
                {
                    // Two nodes agree: that answer wins; whoever said otherwise is outvoted.
                    bool tileWins = content == tile.Content;
                    outcome = tileWins ? "spot check: third opinion, sides with the tile" : "spot check: third opinion, sides with the checker";
                    paid.Add(node);
                    foreach (var (other, said) in tile.Dissent)
                        if (said == content) paid.Add(other);
                        else convicts.Add(other);
                    if (!tileWins)
                    {
                        convicts.Add(tile.DeliveredBy!);
                        replace = true;
                    }
                    tile.EndDispute();
                }
                else
                {
                    // A third distinct answer: no majority yet. Ask one more node rather than fail the job; only when
                    // no eligible node is left does the dispute end the job (SettleUnrunnableChecks).
                    outcome = $"spot check: differs from the tile and from {tile.Dissent.Count} other check(s); asking another node";
                    tile.Dissent.Add((node, content));
                    checks.AddFirst(tile.Index);
                }
                if (replace)
                {
                    tile.Content = content;
                    tile.DeliveredBy = node;
                    replaced = new TileEvent(tile.Index, work.RectOf(tile.Index), node.Name, attempt.Clock.Elapsed, result.Bytes, false, false, done, tiles.Length);
                }
            }
            if (replace)
            {
                work.Retract(tile.Index);
                work.Accept(tile.Index, node.Name, result); // the majority's pixels replace the outvoted node's
            }
            else work.Discard(result);
            foreach (var liar in convicts) Convict(liar, tile.Index);
            if (replaced is not null) onTile?.Invoke(replaced);
            foreach (var checker in paid) await payments.PayForAsync(checker, tile.Index); // each did the work of a tile
        }
        catch (RpcException ex) when (NodeRefusal.Of(ex) is not null && !attempt.TimedOut && !cancellation.IsCancellationRequested)
        {
            // Busy, awaiting payment or a lapsed session: the check goes back to the queue; not the checker's failure.
            outcome = $"spot check: deferred ({NodeRefusal.Of(ex)})";
            if (NodeRefusal.Of(ex) == RefusalKind.SessionRequired) await payments.OpenSessionAsync(node, CancellationToken.None);
            lock (gate)
                if (tile.Done && !checks.Contains(tile.Index)) checks.AddFirst(tile.Index);
            await Task.Delay(50, CancellationToken.None);
        }
        catch (Exception ex) when (ex is RpcException or InvalidDataException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            outcome = attempt.TimedOut ? "spot check: timeout" : ex is RpcException rpc ? $"spot check: {rpc.StatusCode}: {Printable.Clean(rpc.Status.Detail)}" : $"spot check: invalid: {Printable.Clean(ex.Message)}";
            Failed(attempt, outcome, ex); // counted against the node as a failed tile would be
            lock (gate)
                if (tile.Done && !checks.Contains(tile.Index)) checks.AddLast(tile.Index); // another node checks it
        }
        finally
        {
            lock (gate)
            {
                if (attempt.Counted) payments.Returned(node, tile.Index);
                runningChecks.Remove(attempt);
                committed -= attempt.CheckReserved;
                Pulse();
            }
        }
        if (!cancellation.IsCancellationRequested) journal?.RecordAttempt(tile.Index, node.Name, attempt.Started, outcome);
        onAttempt?.Invoke(new FarmAttempt(tile.Index, node.Name, attempt.Began, attempt.Clock.Elapsed, outcome, false) { SpotCheck = true });
    }

    /// <summary>A node outvoted in a spot check: excluded, and every other tile it delivered is redone elsewhere.</summary>
    void Convict(FarmNode liar, int tileIndex)
    {
        int redo;
        lock (gate)
        {
            if (liar.Convicted) return;
            liar.Convicted = true;
            liar.Excluded = $"failed a spot check: its tile {tileIndex} differs from what two other nodes rendered";
            var suspect = tiles.Where(t => t.DeliveredBy == liar && t.Index != tileIndex).ToList();
            foreach (var t in suspect)
            {
                t.Done = false;
                t.Content = null;
                t.DeliveredBy = null;
                t.EndDispute();
                done--;
                checks.Remove(t.Index);
                work.Retract(t.Index);
                pending.AddFirst(t.Index);
            }
            redo = suspect.Count;
            // Journaled with the retractions in one transaction, before anything else happens.
            journal?.RecordConviction(liar.Client.Address, liar.Excluded, suspect.Select(t => t.Index));
            // Its objections to other nodes' tiles carry no weight now: those tiles get an ordinary check instead.
            foreach (var t in tiles.Where(t => t.Dissent.Any(d => d.Node == liar)))
            {
                t.Dissent.RemoveAll(d => d.Node == liar);
                if (!checks.Contains(t.Index)) checks.AddLast(t.Index);
            }
            foreach (var t in tiles) foreach (var a in t.Active.Where(a => a.Node == liar)) a.Cancel?.Cancel();
            if (nodes.All(n => !n.Healthy)) failure = $"no healthy render node remains: {Describe()}";
            Pulse();
        }
        Warn($"node {liar.Name} is out of this job: {liar.Excluded}; its {redo} other tile(s) are redone elsewhere");
    }

    /// <summary>
    /// Drops spot checks that no node left can run (under the lock): a plain check is skipped with a warning; a
    /// disagreement that no third node can settle fails the job.
    /// </summary>
    void SettleUnrunnableChecks()
    {
        for (var item = checks.First; item is not null;)
        {
            var next = item.Next;
            var tile = tiles[item.Value];
            if (!nodes.Any(n => CanCheck(tile, n)))
            {
                checks.Remove(item);
                if (tile.Disputed)
                    failure = $"tile {tile.Index} came out {tile.Dissent.Count + 1} ways on {tile.DeliveredBy?.Name} and {string.Join(", ", tile.Dissent.Select(d => d.Node.Name))}, " +
                              "and no other node (with its own payout address) is left to settle it";
                else if (!checksSkipped)
                {
                    checksSkipped = true;
                    warnings.Add("some spot checks were skipped: no other healthy node (within the budget) could run them");
                }
            }
            item = next;
        }
    }

    void Failed(Attempt attempt, string outcome, Exception ex)
    {
        var node = attempt.Node;
        bool excludedNow;
        lock (gate)
        {
            bool wasHealthy = node.Healthy;
            attempt.Tile.FailedOn.Add(node);
            attempt.Tile.Failures++;
            node.Failures++;
            node.ConsecutiveFailures++;
            if (ex is RpcException { StatusCode: StatusCode.NotFound })
            {
                // The node evicted the scene: it gets no more tiles here rather than a surprise upload mid-job.
                node.Excluded = "lost the scene from its cache";
            }
            else if (node.ConsecutiveFailures >= options.MaxConsecutiveFailures)
            {
                node.Excluded = $"{node.ConsecutiveFailures} consecutive failures, last: {outcome}";
            }
            excludedNow = wasHealthy && !node.Healthy;
            if (nodes.All(n => !n.Healthy) && done < tiles.Length)
                failure = $"no healthy render node remains with {tiles.Length - done} of {tiles.Length} tiles left: {Describe()}";
        }
        if (excludedNow) Warn($"node {node.Name} is out of this job: {node.Excluded}");
    }

    /// <summary>Median work per second over the nodes that delivered tiles (0 before any did).</summary>
    double FleetRate()
    {
        var rates = nodes.Where(n => n.Rate > 0).Select(n => n.Rate).Order().ToList();
        return rates.Count > 0 ? rates[rates.Count / 2] : 0;
    }

    /// <summary>Cancels attempts that overrun the deadline derived from their node's (or the fleet's) observed speed.</summary>
    async Task MonitorDeadlinesAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            await Task.Delay(100, cancellation);
            lock (gate)
            {
                double fleet = FleetRate();
                foreach (var attempt in tiles.SelectMany(t => t.Active).Concat(runningChecks))
                {
                    var tile = attempt.Tile;
                    double rate = attempt.Node.Rate > 0 ? attempt.Node.Rate : fleet;
                    var limit = rate > 0
                        ? options.MinTileTimeout + TimeSpan.FromSeconds(options.TimeoutFactor * tile.Work / rate)
                        : options.InitialTileTimeout;
                    if (attempt.Clock.Elapsed > limit && !attempt.TimedOut)
                    {
                        attempt.TimedOut = true;
                        attempt.Cancel?.Cancel();
                    }
                }
            }
        }
    }

    void Pulse()
    {
        var previous = changed;
        changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    void Warn(string message)
    {
        lock (gate) warnings.Add(message);
        onWarning?.Invoke(message);
    }

    string Describe() => string.Join("; ", nodes.Select(n => $"{n.Name}: {(n.Excluded ?? $"{n.Tiles} tiles")}"));

    IReadOnlyList<NodeReport> Reports()
    {
        lock (gate)
            return nodes.Select(n => new NodeReport(n.Client.Address, n.Caps?.NodeId, n.Caps?.DeviceName, n.Caps?.PipelineFingerprint,
                n.Tiles, n.RenderTime, n.Failures, n.Excluded)
            {
                Paid = payments.PaidTo(n),
                RedeemTransaction = n.RedeemTransaction,
                SpotChecks = n.SpotChecks,
                PaidDuplicates = n.PaidDuplicates,
            }).ToList();
    }

    static string Short(string fingerprint) => Printable.Short(fingerprint);
}
