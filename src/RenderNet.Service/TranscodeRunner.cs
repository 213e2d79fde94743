using RenderNet.Client.Wire;
using RenderNet.Farm;
using RenderNet.Media;

namespace RenderNet.Service;

/// <summary>
/// Runs one transcode job: probes and cuts the uploaded video (or reopens the cut from an earlier run), farms the
/// segments out on the service's nodes with the job's journal, then joins the renditions (MP4 + HLS) in the job's
/// output directory. Each accepted segment is a "segment" event; the outputs are listed in the receipt.
/// </summary>
sealed class TranscodeRunner(ServiceJob job, JobManager manager, ServiceOptions options) : JobRunnerBase(job, manager, options)
{
    readonly Lock announce = new();
    int announcedDone;

    TranscodeJobPlan Plan => (TranscodeJobPlan)Job.Plan;
    public string OutputDirectory => Path.Combine(Job.Directory, "out");

    protected override async Task WorkAsync(CancellationToken cancellation)
    {
        var tools = FfmpegTools.Locate();
        using var transcode = Directory.Exists(TranscodeJob.StagingFor(OutputDirectory, Job.Id))
            ? await TranscodeJob.ResumeAsync(tools, OutputDirectory, Job.Id, cancellation)
            : await TranscodeJob.PrepareAsync(tools, new MediaInput(Plan.MediaPath), Plan.Ladder, OutputDirectory, Job.Id, Plan.SegmentSeconds, cancellation,
                slots: Math.Max(1, Manager.Nodes.Current.Count));
        foreach (var rendition in transcode.Renditions.Where(r => r.Height > transcode.Info.Height))
            Manager.Append(Job, new JobEvent { Type = "warning", Message = $"rendition {rendition.Name} is larger than the source ({transcode.Info.Width}x{transcode.Info.Height}): it is upscaled" });
        Job.Update(r => r with { TilesTotal = transcode.Segments.Count });
        using var journal = TranscodeJournal.OpenOrCreate(Path.Combine(transcode.Staging, "journal.sqlite"));
        var work = new TranscodeWorkload(transcode, tools, Job.Id, journal);
        var announced = Manager.Store.AnnouncedTiles(Job.Id, 0);
        // Segments take seconds, not milliseconds: the same floor `rendernet transcode` uses.
        await RunFarmAsync(work, journal, e => OnSegment(e, announced, transcode.Segments.Count), cancellation,
            Options.Farm with { MinTileTimeout = TimeSpan.FromSeconds(30) });
        var outputs = await transcode.PackageAsync(work.Results, cancellation);
        foreach (var o in outputs)
        {
            Outputs.Add(new OutputLine { Name = o.Rendition.Name, File = Relative(o.Mp4), Bytes = new FileInfo(o.Mp4).Length, Frames = o.Frames });
            Outputs.Add(new OutputLine { Name = o.Rendition.Name + " (HLS)", File = Relative(o.Playlist), Bytes = new FileInfo(o.Playlist).Length, Frames = o.Frames });
            // The playlist's media segments, so a client that fetches the listed files has a playable HLS ladder.
            foreach (var segment in Directory.EnumerateFiles(Path.GetDirectoryName(o.Playlist)!, "*.ts").Order(StringComparer.Ordinal))
                Outputs.Add(new OutputLine { Name = $"{o.Rendition.Name} (HLS segment)", File = Relative(segment), Bytes = new FileInfo(segment).Length });
        }
        Outputs.Add(new OutputLine { Name = "HLS master playlist", File = Relative(transcode.MasterPlaylist), Bytes = new FileInfo(transcode.MasterPlaylist).Length });
    }

    string Relative(string path) => Path.GetRelativePath(OutputDirectory, path).Replace('\\', '/');

    void OnSegment(TileEvent e, HashSet<int> announced, int total)
    {
        if (e.FromJournal && announced.Contains(e.Index)) return;
        lock (announce)
        {
            announcedDone = Math.Max(announcedDone, e.Done);
            Manager.Append(Job, new JobEvent { Type = "segment", FrameIndex = e.Index, Node = e.Node }, 0, e.Index);
            Manager.Progress(Job, announcedDone, total);
        }
    }
}
