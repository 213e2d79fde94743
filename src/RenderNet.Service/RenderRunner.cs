using System.Runtime.InteropServices;
using RenderNet.Client.Wire;
using RenderNet.Core.Denoising;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Storage;
using RenderNet.Exr;
using RenderNet.Farm;

namespace RenderNet.Service;

/// <summary>
/// Runs one render job: frame after frame, each on a farm over the service's nodes with its own journal (so a killed
/// service resumes without re-rendering or re-paying a delivered tile). Every tile, progress step and frame becomes an
/// event in the store before anyone is told; finished frames are kept as raw floats for the frame endpoint.
/// </summary>
sealed class RenderRunner(ServiceJob job, JobManager manager, ServiceOptions options, byte[] glb) : JobRunnerBase(job, manager, options)
{
    RenderJobPlan Plan => (RenderJobPlan)Job.Plan;

    protected override async Task WorkAsync(CancellationToken cancellation)
    {
        for (int index = 0; index < Plan.Frames.Count; index++)
        {
            if (!File.Exists(Job.FramePath(index))) await RunFrameAsync(index, cancellation); // else finished in an earlier run
            Job.TilesBefore += Plan.TilesPerFrame;
        }
    }

    async Task RunFrameAsync(int index, CancellationToken cancellation)
    {
        var spec = new FarmJobSpec(Job.FrameJobId(index), glb, Job.Row.Submission.Render!.SceneSha256, Plan.Frames[index], Plan.TileSize, Plan.TileSize);
        using var journal = File.Exists(Job.JournalPath(index)) ? TileJournal.Open(Job.Directory, spec.JobId) : TileJournal.Create(Job.Directory, spec);
        // Sources come from the submission on every run: a journal keeps what was rendered, not where scenes live.
        var work = new RenderWorkload(journal.Spec with { SceneSources = Plan.SceneSources }, journal);
        var announced = Manager.Store.AnnouncedTiles(Job.Id, index);
        try
        {
            await RunFarmAsync(work, journal, e => OnTile(e, index, announced), cancellation, frameIndex: index);
        }
        catch (FarmBudgetException)
        {
            SaveFrame(index, work); // the partial frame: what was delivered and paid for
            throw;
        }
        SaveFrame(index, work);
        Manager.SaveReceipt(Job, Receipt());
        Manager.Append(Job, new JobEvent
        {
            Type = "frame", Frame = Plan.FrameNumbers[index], FrameIndex = index, FrameWidth = spec.Frame.Width, FrameHeight = spec.Frame.Height,
        });
    }

    void OnTile(TileEvent e, int index, HashSet<int> announced)
    {
        // A resumed frame replays its journaled tiles: those already in the event log are not announced twice.
        if (e.FromJournal && announced.Contains(e.Index)) return;
        AnnounceTile(e, index, Plan.FrameNumbers[index], Plan.Frames[index].Width, Plan.Frames[index].Height, Plan.TilesPerFrame * Plan.Frames.Count);
    }

    /// <summary>
    /// Keeps a frame: denoised when asked (on the CPU: a coordinator has no GPU, and the integer filter gives a device's
    /// bits), its EXR with the passes when asked, then the raw beauty the frame endpoint serves — last, since its file
    /// marks the frame finished for a resumed job.
    /// </summary>
    void SaveFrame(int index, RenderWorkload work)
    {
        var rendered = RenderedFrame.From(work.Assembler);
        var beauty = Plan.Denoise && work.Assembler.IsComplete ? new CpuDenoiser().Denoise(rendered) : rendered.Beauty;
        if (Plan.Passes != RenderPasses.None)
        {
            Directory.CreateDirectory(OutputDirectory);
            FrameExr.Write(Path.Combine(OutputDirectory, ExrName(index)), new RenderedFrame(beauty, rendered.Passes), Plan.Frames[index],
                new ExrWriteOptions { Compression = ExrCompression.Zip }, ExrPixelType.Half, noisyBeauty: ReferenceEquals(beauty, rendered.Beauty) ? null : rendered.Beauty,
                extra: [new ExrAttribute.Int("rendernet/denoised", ReferenceEquals(beauty, rendered.Beauty) ? 0 : 1)]);
        }
        DurableFile.Replace(Job.FramePath(index), stream => stream.Write(MemoryMarshal.AsBytes(beauty.Pixels.AsSpan())));
        ListOutputs();
    }

    string OutputDirectory => Path.Combine(Job.Directory, "out");
    string ExrName(int index) => $"frame-{Plan.FrameNumbers[index]:D4}.exr";

    /// <summary>The receipt lists every frame EXR written so far (a resumed job's earlier frames included).</summary>
    void ListOutputs()
    {
        Outputs.Clear();
        for (int i = 0; i < Plan.Frames.Count; i++)
        {
            var file = new FileInfo(Path.Combine(OutputDirectory, ExrName(i)));
            if (file.Exists)
                Outputs.Add(new OutputLine { Name = $"frame {Plan.FrameNumbers[i]} (EXR: beauty and {RenderPassLayout.Format(Plan.Frames[i].Passes)})", File = file.Name, Bytes = file.Length, Frames = 1 });
        }
    }
}
