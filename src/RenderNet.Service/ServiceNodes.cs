using RenderNet.Farm;

namespace RenderNet.Service;

/// <summary>
/// The nodes a job may use when it starts: those the service was given (<see cref="ServiceOptions.Nodes"/>) and those
/// joined right now (<see cref="JoinedNodes"/>), with the connector that reaches both kinds.
/// </summary>
public sealed class ServiceNodes(IReadOnlyList<string> listed, JoinedNodes? joined)
{
    public JoinedNodes? Joined => joined;

    public IReadOnlyList<string> Current => joined is null ? listed : listed.Concat(joined.Connected).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    public INodeConnector Connector => (INodeConnector?)joined ?? GrpcNodeConnector.Instance;
}
