namespace RenderNet.Plugin;

/// <summary>How bad a problem is.</summary>
public enum ProblemSeverity
{
    /// <summary>The request renders, perhaps not as intended (e.g. an unsupported glTF feature is ignored).</summary>
    Warning,
    /// <summary>The request cannot render as it is.</summary>
    Error,
}

/// <summary>One thing wrong with a request, in words that name it.</summary>
/// <param name="Severity">Warning or error.</param>
/// <param name="Message">What is wrong.</param>
public sealed record RenderProblem(ProblemSeverity Severity, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Severity.ToString().ToLowerInvariant()}: {Message}";
}

/// <summary>
/// What <see cref="RenderFarm.ValidateAsync"/> found before anything is spent: the problems, the work, and what it
/// should cost and take on the nodes that can render it.
/// </summary>
public sealed record RenderEstimate
{
    /// <summary>Everything wrong with the request; it can be submitted when none is an error.</summary>
    public required IReadOnlyList<RenderProblem> Problems { get; init; }
    /// <summary>True when no problem is an error.</summary>
    public bool CanRender => Problems.All(p => p.Severity != ProblemSeverity.Error);
    /// <summary>Tiles per frame.</summary>
    public int TilesPerFrame { get; init; }
    /// <summary>Frames to render.</summary>
    public int Frames { get; init; }
    /// <summary>Nodes that can take the job (reachable, offering the work, on the majority pipeline, payable).</summary>
    public IReadOnlyList<RenderNodeInfo> CompatibleNodes { get; init; } = [];
    /// <summary>Expected cost in tokens, tiles shared among the compatible nodes in proportion to their speed.</summary>
    public decimal EstimatedCost { get; init; }
    /// <summary>
    /// The most honest nodes can charge: every tile on the dearest compatible node, and a spot check of each when
    /// checks are on. A budget (<see cref="RenderFarmOptions.Budget"/>, <see cref="RenderRequest.MaxCost"/>) is the hard cap.
    /// </summary>
    public decimal MaximumCost { get; init; }
    /// <summary>Expected wall time on the compatible nodes from their measured speed; null when no speed is known.</summary>
    public TimeSpan? EstimatedDuration { get; init; }
}

/// <summary>A render node as the farm sees it.</summary>
/// <param name="Id">The node's id.</param>
/// <param name="Address">host:port.</param>
/// <param name="Device">Its GPU (or CPU Vulkan device).</param>
/// <param name="PricePerTile">Tokens per tile; 0 for a node that renders for free.</param>
/// <param name="SamplesPerSecond">Measured path-tracing speed (pixel samples per second), 0 until measured.</param>
public sealed record RenderNodeInfo(string Id, string Address, string Device, decimal PricePerTile, double SamplesPerSecond);
