using System.Numerics;
using System.Runtime.InteropServices;
using RenderNet.Client.Wire;
using RenderNet.Core.Storage;
using RenderNet.Farm;

namespace RenderNet.Service;

/// <summary>
/// Runs one render job to its end: frame after frame, each on a <see cref="TileFarm"/> over the service's nodes with
/// its own journal (so a killed service resumes without re-rendering or re-paying a delivered tile), its own payment
/// channels from the service's wallet, and the job's place in the fair share. Every tile, progress step, frame and
/// state becomes an event in the store before anyone is told.
/// </summary>
sealed class JobRunner(ServiceJob job, JobManager manager, ServiceOptions options, byte[] glb)
{
    readonly Dictionary<string, NodeReceiptLine> receipt = [];
    readonly List<string> warnings = [];
    /// <summary>Tile and progress events of concurrent workers go out one pair at a time, counts never going back.</summary>
    readonly Lock announce = new();
    int announcedDone;

    public async Task RunAsync()
    {
        var plan = job.Plan;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(job.Cancellation.Token, manager.Stopping);
        var token = linked.Token;
        foreach (var line in job.Row.Receipt?.Nodes ?? []) receipt[line.Address] = line;
        warnings.AddRange(job.Row.Receipt?.Warnings ?? plan.Warnings);
        manager.SetState(job, job.Paused ? JobStateNames.Paused : JobStateNames.Running);
        job.Clock.Start();
        try
        {
            Directory.CreateDirectory(job.Directory);
            for (int index = 0; index < plan.Frames.Count; index++)
            {
                if (File.Exists(job.FramePath(index)))
                {
                    job.TilesBefore += plan.TilesPerFrame; // finished in an earlier run
                    continue;
                }
                await RunFrameAsync(index, token);
                job.TilesBefore += plan.TilesPerFrame;
            }
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
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or Microsoft.Data.Sqlite.SqliteException)
        {
            manager.Finish(job, JobStateNames.Failed, new JobError { Kind = "RenderFailed", Message = $"the service could not run the job: {ex.Message}" }, Receipt());
        }
        finally
        {
            job.Clock.Stop();
        }
    }

    async Task RunFrameAsync(int index, CancellationToken token)
    {
        var plan = job.Plan;
        var spec = new FarmJobSpec(job.FrameJobId(index), glb, job.Row.Submission.Render!.SceneSha256, plan.Frames[index], plan.TileSize, plan.TileSize);
        using var journal = File.Exists(job.JournalPath(index)) ? TileJournal.Open(job.Directory, spec.JobId) : TileJournal.Create(job.Directory, spec);
        var work = new RenderWorkload(journal.Spec, journal);
        var announced = manager.Store.AnnouncedTiles(job.Id, index);
        var farmOptions = options.Farm with
        {
            Payer = options.Payer?.ForAnotherJob(),
            Budget = BudgetLeft(),
            Share = job.Share,
        };
        var farm = new TileFarm(work, farmOptions, journal,
            onTile: e => OnTile(e, index, announced),
            onWarning: w =>
            {
                lock (warnings) warnings.Add(w);
                manager.Append(job, new JobEvent { Type = "warning", Message = w });
            });
        job.SetFarm(farm);
        try
        {
            var run = await farm.RunWorkAsync(options.Nodes, token);
            Add(run.Nodes);
        }
        catch (FarmBudgetException)
        {
            SaveFrame(index, work); // the partial frame: what was delivered and paid for
            throw;
        }
        finally
        {
            job.SpentBefore += farm.Spent;
            job.SetFarm(null);
        }
        SaveFrame(index, work);
        manager.SaveReceipt(job, Receipt());
        manager.Append(job, new JobEvent
        {
            Type = "frame", Frame = plan.FrameNumbers[index], FrameIndex = index, FrameWidth = spec.Frame.Width, FrameHeight = spec.Frame.Height,
        });
    }

    /// <summary>What the job may still spend: its own cap and what is left of the service's budget, whichever is less.</summary>
    BigInteger? BudgetLeft()
    {
        BigInteger? left = job.Plan.MaxCost is { } max ? ServiceMapping.Wei(max) - job.SpentBefore : null;
        if (options.Budget is { } service)
        {
            var serviceLeft = service - manager.SpentByOthers(job);
            left = left is { } l ? BigInteger.Min(l, serviceLeft) : serviceLeft;
        }
        return left is { } value ? BigInteger.Max(0, value) : null;
    }

    void OnTile(TileEvent e, int index, HashSet<int> announced)
    {
        // A resumed frame replays its journaled tiles: those already in the event log are not announced twice.
        if (e.FromJournal && announced.Contains(e.Index)) return;
        var plan = job.Plan;
        int total = plan.TilesPerFrame * plan.Frames.Count;
        lock (announce)
        {
            announcedDone = Math.Max(announcedDone, job.TilesBefore + e.Done);
            manager.Append(job, new JobEvent
            {
                Type = "tile", Frame = plan.FrameNumbers[index], FrameIndex = index, X = e.Rect.X, Y = e.Rect.Y, Width = e.Rect.Width, Height = e.Rect.Height,
                FrameWidth = plan.Frames[index].Width, FrameHeight = plan.Frames[index].Height, Node = e.Node,
            }, index, e.Index);
            manager.Progress(job, announcedDone, total);
        }
    }

    void SaveFrame(int index, RenderWorkload work)
    {
        var pixels = work.Assembler.Frame.Pixels;
        DurableFile.Replace(job.FramePath(index), stream => stream.Write(MemoryMarshal.AsBytes(pixels.AsSpan())));
    }

    void Add(IReadOnlyList<NodeReport> nodes)
    {
        lock (receipt)
            foreach (var n in nodes)
            {
                var line = receipt.TryGetValue(n.Address, out var known) ? known : receipt[n.Address] = new NodeReceiptLine { Node = n.NodeId ?? n.Address, Address = n.Address };
                line.Tiles += n.Tiles;
                line.SpotChecks += n.SpotChecks;
                line.Duplicates += n.PaidDuplicates;
                line.Paid = ServiceMapping.Tokens(ServiceMapping.Wei(decimal.Parse(line.Paid, System.Globalization.CultureInfo.InvariantCulture)) + n.Paid);
            }
    }

    JobReceipt Receipt()
    {
        lock (receipt)
        {
            var plan = job.Plan;
            return new JobReceipt
            {
                Nodes = receipt.Values.ToList(),
                Cost = ServiceMapping.Tokens(job.Spent),
                TilesDelivered = job.Row.TilesDone,
                TilesTotal = plan.TilesPerFrame * plan.Frames.Count,
                DurationSeconds = job.ElapsedSeconds,
                Warnings = warnings.ToList(),
            };
        }
    }
}
