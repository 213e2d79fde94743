using RenderNet.Farm;

namespace RenderNet.Service;

/// <summary>
/// Nodes the service is handed as a whole rather than listed or dialled in: who is present now, who arrives, and how
/// to reach them. The scale benchmark's simulated network is one; a discovery source could be another.
/// </summary>
public interface INodeFleet : INodeConnector
{
    /// <summary>The nodes present now (a node that left is not listed; its connections fail).</summary>
    IReadOnlyList<string> Present { get; }

    /// <summary>Raised for each node that arrives after the service started.</summary>
    event Action<string>? Arrived;
}
