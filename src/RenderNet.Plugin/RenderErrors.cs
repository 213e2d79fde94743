namespace RenderNet.Plugin;

/// <summary>Something stopped a render; the subclasses say what. The message always names the problem.</summary>
public abstract class RenderFarmException(string message) : Exception(message);

/// <summary>The request cannot render: a malformed scene, an absurd size, an unknown camera…</summary>
public sealed class InvalidSceneException(string message, IReadOnlyList<RenderProblem> problems) : RenderFarmException(message)
{
    /// <summary>Every problem found.</summary>
    public IReadOnlyList<RenderProblem> Problems { get; } = problems;
}

/// <summary>No node can take the job (unreachable, another pipeline, needs pay and there is no wallet…); the message says why for each.</summary>
public sealed class NoCompatibleNodeException(string message) : RenderFarmException(message);

/// <summary>The budget (the farm's or the request's) was spent before the job finished; <see cref="Partial"/> holds what was delivered.</summary>
public sealed class BudgetExhaustedException(string message, RenderResult partial) : RenderFarmException(message)
{
    /// <summary>The tiles delivered and paid for before the budget ran out (missing tiles are transparent black).</summary>
    public RenderResult Partial { get; } = partial;
}

/// <summary>The job failed on the network (every node failed or left); the message tells each node's story.</summary>
public sealed class RenderFailedException(string message) : RenderFarmException(message);

/// <summary>A local network could not be started (no anvil, no rendernet program…).</summary>
public sealed class LocalNetworkException(string message, Exception? inner = null) : RenderFarmException(message + (inner is null ? "" : $": {inner.Message}"));
