using System.Numerics;
using RenderNet.Client.Wire;
using RenderNet.Farm;

namespace RenderNet.Service;

/// <summary>
/// What every job's run shares: its state events, its clock, its receipt (per node, added up over the farms it ran)
/// and how each way a run can end becomes the job's final state and typed error. A kind supplies <see cref="WorkAsync"/>.
/// </summary>
abstract class JobRunnerBase(ServiceJob job, JobManager manager, ServiceOptions options)
{
    readonly Dictionary<string, NodeReceiptLine> receipt = [];
    /// <summary>Tile and progress events of concurrent workers go out one pair at a time, counts never going back.</summary>
    readonly Lock announce = new();
    int announcedDone;
    protected readonly List<string> Warnings = [];
    protected readonly List<OutputLine> Outputs = [];
    protected ServiceJob Job => job;
    protected JobManager Manager => manager;
    protected ServiceOptions Options => options;

    protected abstract Task WorkAsync(CancellationToken cancellation);

    public async Task RunAsync()
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(job.Cancellation.Token, manager.Stopping);
        foreach (var line in job.Row.Receipt?.Nodes ?? []) receipt[line.Address] = line;
        Warnings.AddRange(job.Row.Receipt?.Warnings ?? job.Plan.Warnings);
        manager.SetState(job, job.Paused ? JobStateNames.Paused : JobStateNames.Running);
        job.Clock.Start();
        try
        {
            Directory.CreateDirectory(job.Directory);
            await WorkAsync(linked.Token);
            manager.Finish(job, JobStateNames.Completed, null, Receipt());
        }
        catch (OperationCanceledException) when (job.Cancellation.IsCancellationRequested)
        {
            manager.Finish(job, JobStateNames.Cancelled, null, Receipt());
        }
        catch (OperationCanceledException) when (manager.Stopping.IsCancellationRequested)
        {
            manager.SaveReceipt(job, Receipt()); // the service is stopping: the job resumes on its next start
        }
        catch (FarmBudgetException ex)
        {
            Add(ex.Nodes);
            manager.Finish(job, JobStateNames.Failed, new JobError { Kind = "BudgetExhausted", Message = ex.Message }, Receipt());
        }
        catch (NoUsableNodeException ex)
        {
            manager.Finish(job, JobStateNames.Failed, new JobError { Kind = "NoCompatibleNode", Message = ex.Message }, Receipt());
        }
        catch (FarmException ex)
        {
            Add(ex.Nodes);
            manager.Finish(job, JobStateNames.Failed, new JobError { Kind = "RenderFailed", Message = ex.Message }, Receipt());
        }
        catch (RenderNet.Media.MediaException ex)
        {
            manager.Finish(job, JobStateNames.Failed, new JobError { Kind = "InvalidMedia", Message = ex.Message }, Receipt());
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or Microsoft.Data.Sqlite.SqliteException)
        {
            manager.Finish(job, JobStateNames.Failed, new JobError { Kind = "RenderFailed", Message = $"the service could not run the job: {ex.Message}" }, Receipt());
        }
        finally
        {
            job.Clock.Stop();
        }
    }

    /// <summary>Runs one farm for the job (its own payer, the budget left, the job's fair share) and adds its nodes to the receipt.</summary>
    /// <param name="frameIndex">The frame the farm renders (0 for a transcode): its attempt events name it.</param>
    /// <param name="journal">Where the farm keeps what survives a restart; null: nothing does (a simulated job).</param>
    protected async Task RunFarmAsync(FarmWorkload work, FarmJournal? journal, Action<TileEvent> onUnit, CancellationToken cancellation, FarmOptions? tuned = null,
        int frameIndex = 0)
    {
        // A frame that loses every node waits two refreshes for the service to hand it others before it fails.
        var farmOptions = (tuned ?? options.Farm) with { Payer = options.Payer?.ForAnotherJob(), Budget = BudgetLeft(), Share = job.Share, Connector = manager.Nodes.Connector,
            Selection = job.Plan.Selection, WaitForNodes = options.NodeRefreshInterval * 2, Time = options.Time };
        var farm = new TileFarm(work, farmOptions, journal, onTile: onUnit, onWarning: w =>
        {
            lock (Warnings) Warnings.Add(w);
            manager.Append(job, new JobEvent { Type = "warning", Message = w });
        }, onAttempt: a => OnAttempt(a, work, frameIndex));
        job.SetFarm(farm);
        try
        {
            var run = await farm.RunWorkAsync(manager.JobNodes.For(job, manager.RunningJobs()), cancellation);
            Add(run.Nodes);
        }
        catch (OperationCanceledException) when (job.Cancellation.IsCancellationRequested)
        {
            // A cancelled job never resumes: its receipt must name the nodes that delivered (and were paid for) the
            // partial frame. (A stopping service adds nothing: the frame resumes and reports them when it ends.)
            Add(farm.Reports());
            throw;
        }
        finally
        {
            job.SpentBefore += farm.Spent;
            job.SetFarm(null);
            // A job whose last frame ended frees its nodes' places: hand them to the running jobs now, not at the next refresh.
            manager.JobNodes.Refresh(manager.RunningJobs());
        }
    }

    /// <summary>A delivered tile becomes a tile event and a progress event, in the store before anyone is told.</summary>
    /// <param name="total">Tiles of every frame of the job.</param>
    protected void AnnounceTile(TileEvent e, int frameIndex, int frameNumber, int frameWidth, int frameHeight, int total)
    {
        lock (announce)
        {
            announcedDone = Math.Max(announcedDone, job.TilesBefore + e.Done);
            manager.Append(job, new JobEvent
            {
                Type = "tile", Frame = frameNumber, FrameIndex = frameIndex, X = e.Rect.X, Y = e.Rect.Y, Width = e.Rect.Width, Height = e.Rect.Height,
                FrameWidth = frameWidth, FrameHeight = frameHeight, Node = e.Node,
            }, frameIndex, e.Index);
            manager.Progress(job, announcedDone, total);
        }
    }

    /// <summary>
    /// Every attempt that ran on a node becomes an event (the dashboard draws the timeline and the per-node work from
    /// them while the job runs). A "busy" refusal ran nothing and is retried every few milliseconds: not recorded.
    /// </summary>
    void OnAttempt(FarmAttempt attempt, FarmWorkload work, int frameIndex)
    {
        if (!attempt.Kind.DidWork()) return;
        var rect = work.RectOf(attempt.Tile);
        manager.Append(job, new JobEvent
        {
            Type = "attempt", FrameIndex = frameIndex, Unit = attempt.Tile, X = rect.X, Y = rect.Y, Width = rect.Width, Height = rect.Height,
            Node = attempt.Node, DurationSeconds = Math.Round(attempt.Duration.TotalSeconds, 3), Outcome = OutcomeName(attempt.Kind),
            SpotCheck = attempt.SpotCheck, Speculative = attempt.Speculative, Message = attempt.Outcome,
        });
    }

    /// <summary>An outcome's name on the wire: accepted, paid_duplicate, timed_out, check_identical…</summary>
    public static string OutcomeName(AttemptOutcome kind) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(kind.ToString());

    /// <summary>What the job may still spend: its own cap and what is left of the service's budget, whichever is less.</summary>
    BigInteger? BudgetLeft()
    {
        decimal? cap = job.Plan switch { RenderJobPlan r => r.MaxCost, TranscodeJobPlan t => t.MaxCost, _ => null };
        BigInteger? left = cap is { } max ? ServiceMapping.Wei(max) - job.SpentBefore : null;
        if (options.Budget is { } service)
        {
            var serviceLeft = service - manager.SpentByOthers(job);
            left = left is { } l ? BigInteger.Min(l, serviceLeft) : serviceLeft;
        }
        return left is { } value ? BigInteger.Max(0, value) : null;
    }

    protected void Add(IReadOnlyList<NodeReport> nodes)
    {
        lock (receipt)
            foreach (var n in nodes)
            {
                var line = receipt.TryGetValue(n.Address, out var known) ? known : receipt[n.Address] = new NodeReceiptLine { Node = n.NodeId ?? n.Address, Address = n.Address };
                line.Tiles += n.Tiles;
                line.SpotChecks += n.SpotChecks;
                line.Duplicates += n.PaidDuplicates;
                if (n.RedeemTransaction is { } tx) line.RedeemTransactions.Add(tx);
                line.Failures += n.Failures;
                line.Convicted |= n.Convicted;
                line.Excluded = n.Excluded ?? line.Excluded;
                line.Paid = ServiceMapping.Tokens(ServiceMapping.Wei(decimal.Parse(line.Paid, System.Globalization.CultureInfo.InvariantCulture)) + n.Paid);
            }
    }

    protected JobReceipt Receipt()
    {
        lock (receipt)
            return new JobReceipt
            {
                Nodes = receipt.Values.ToList(),
                Cost = ServiceMapping.Tokens(job.Spent),
                TilesDelivered = job.Row.TilesDone,
                TilesTotal = Math.Max(job.Row.TilesTotal, job.Row.TilesDone),
                DurationSeconds = job.ElapsedSeconds,
                Warnings = Warnings.ToList(),
                Outputs = Outputs.ToList(),
            };
    }
}
