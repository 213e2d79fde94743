using RenderNet.Client.Wire;
using RenderNet.Service;

namespace RenderNet.Bench.Scale;

/// <summary>
/// A render job of `bench scale --service`, run by the service: every frame of its plan, with the tiles the service
/// planned, goes through the service's own farm path (<see cref="JobRunnerBase"/>: the job's budget and fair share, the
/// nodes its allotment gives it, every attempt, tile and progress event written to the job store) — only rendered by
/// simulated nodes, with no journal and no pixels to keep.
/// </summary>
sealed class SimulatedJobRunner(ServiceJob job, JobManager manager, ServiceOptions options, long tileWork, long tileBytes) : JobRunnerBase(job, manager, options)
{
    protected override async Task WorkAsync(CancellationToken cancellation)
    {
        var plan = (RenderJobPlan)Job.Plan;
        for (int index = 0; index < plan.Frames.Count; index++)
        {
            int frame = index;
            var work = new SimulatedWorkload(Job.FrameJobId(frame), plan.TilesPerFrame, tileWork, tileBytes);
            await RunFarmAsync(work, null, e => AnnounceTile(e, frame, plan.FrameNumbers[frame], plan.Frames[frame].Width, plan.Frames[frame].Height, plan.UnitsTotal),
                cancellation, frameIndex: frame);
            Job.TilesBefore += plan.TilesPerFrame;
            Manager.SaveReceipt(Job, Receipt());
            Manager.Append(Job, new JobEvent { Type = "frame", Frame = plan.FrameNumbers[frame], FrameIndex = frame, FrameWidth = plan.Frames[frame].Width, FrameHeight = plan.Frames[frame].Height });
        }
    }
}
