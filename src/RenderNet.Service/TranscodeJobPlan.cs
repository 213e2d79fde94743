using RenderNet.Client.Wire;
using RenderNet.Core.Media;

namespace RenderNet.Service;

/// <summary>
/// A submitted transcode checked before anything runs: the video uploaded, the ladder well-formed (against a 16:9
/// stand-in size; the real source size is applied once the video is probed), the segment length in range.
/// </summary>
public sealed class TranscodeJobPlan : JobPlan
{
    public string MediaPath { get; private set; } = "";
    public string Ladder { get; private set; } = "";
    public double SegmentSeconds { get; private set; }
    public decimal? MaxCost { get; private set; }
    public override int UnitsTotal => 0; // segments are cut when the job starts
    public override int FrameCount => 0;
    public override (int Width, int Height) FrameSize => (0, 0);

    public static TranscodeJobPlan For(JobSubmission submission, MediaStore media)
    {
        var plan = new TranscodeJobPlan();
        plan.MaxCost = plan.CheckCommon(submission);
        if (submission.Transcode is not { } t)
        {
            plan.Error("transcode", "a transcode job needs its transcode settings");
            return plan;
        }
        if (!SceneStore.ValidHash(t.MediaSha256)) plan.Error("transcode.mediaSha256", "the video's SHA-256 must be 64 lower-case hex digits");
        else if (!media.Has(t.MediaSha256)) plan.Error("transcode.mediaSha256", $"no video {t.MediaSha256} on the service: upload it first (PUT /v1/media/{t.MediaSha256})");
        else plan.MediaPath = media.PathOf(t.MediaSha256);
        if (!(t.SegmentSeconds == 0 || t.SegmentSeconds is >= 0.5 and <= 600))
            plan.Error("transcode.segmentSeconds", $"segment length must be 0.5–600 s (or 0: the service picks it), got {t.SegmentSeconds}");
        plan.SegmentSeconds = t.SegmentSeconds;
        try
        {
            Rendition.ParseLadder(t.Renditions ?? "", 1920, 1080);
            plan.Ladder = t.Renditions!;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            plan.Error("transcode.renditions", ex.Message);
        }
        return plan;
    }
}
