using RenderNet.Client.Wire;

namespace RenderNet.Service;

/// <summary>
/// A submission checked and turned into work, or the problems that stop it, each naming its field. One subclass per
/// job kind: <see cref="RenderJobPlan"/> (frames of tiles), <see cref="TranscodeJobPlan"/> (segments of a video).
/// </summary>
public abstract class JobPlan
{
    public List<(string Field, string Message)> Errors { get; } = [];
    public List<string> Warnings { get; } = [];
    public bool CanRender => Errors.Count == 0;
    /// <summary>Units of work known at submission (tiles of every frame; 0 when the work is cut later, as segments are).</summary>
    public abstract int UnitsTotal { get; }
    public abstract int FrameCount { get; }
    public abstract (int Width, int Height) FrameSize { get; }

    protected void Error(string field, string message) => Errors.Add((field, message));

    /// <summary>The nodes the job requires, prefers and denies (null: any node of the service).</summary>
    public Farm.NodeSelection? Selection { get; private set; }

    Farm.NodeSelector? Selector(string field, string? text)
    {
        if (text is null) return null;
        try { return Farm.NodeSelector.Parse(text); }
        catch (ArgumentException ex)
        {
            Error(field, ex.Message);
            return null;
        }
    }

    /// <summary>Checks what every kind shares (priority, id, name, cost cap); the kind's own fields are its plan's.</summary>
    protected decimal? CheckCommon(JobSubmission submission)
    {
        if (submission.Priority is < Farm.FairShareScheduler.MinPriority or > Farm.FairShareScheduler.MaxPriority)
            Error("priority", $"priority must be between {Farm.FairShareScheduler.MinPriority} and {Farm.FairShareScheduler.MaxPriority}, got {submission.Priority}");
        if (submission.Id is { } id && !JobIds.Valid(id)) Error("id", $"a job id is 8–64 letters, digits or '-', got '{Farm.Printable.Clean(id, 80)}'");
        if (submission.Name is { Length: > 200 }) Error("name", "the name is longer than 200 characters");
        if (submission.Nodes is { } nodes)
            Selection = new Farm.NodeSelection(Selector("nodes.require", nodes.Require), Selector("nodes.prefer", nodes.Prefer), Selector("nodes.deny", nodes.Deny));
        if (submission.MaxCost is not { } cost) return null;
        if (decimal.TryParse(cost, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var max) && max >= 0) return max;
        Error("maxCost", $"the maximum cost must be a non-negative decimal number of tokens, got '{Farm.Printable.Clean(cost, 40)}'");
        return null;
    }

    /// <summary>The plan for a submission of any kind.</summary>
    public static JobPlan For(JobSubmission submission, SceneStore scenes, MediaStore media) => submission.Kind switch
    {
        "transcode" => TranscodeJobPlan.For(submission, media),
        _ => RenderJobPlan.For(submission, scenes),
    };
}

/// <summary>Job ids: chosen by clients (so a submission can be retried), hence checked like any input; they name directories.</summary>
static class JobIds
{
    public static bool Valid(string id) => id.Length is >= 8 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
