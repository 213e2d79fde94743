using RenderNet.Farm;

namespace RenderNet.Service;

/// <summary>
/// The nodes a job may use when it starts: those the service was given (<see cref="ServiceOptions.Nodes"/>), those
/// joined right now (<see cref="JoinedNodes"/>) or a fleet's present ones (<see cref="ServiceOptions.Fleet"/>), with the
/// connector that reaches them.
/// </summary>
public sealed class ServiceNodes(IReadOnlyList<string> listed, JoinedNodes? joined, INodeFleet? fleet = null)
{
    public JoinedNodes? Joined => joined;
    public INodeFleet? Fleet => fleet;

    public IReadOnlyList<string> Current =>
        joined is null && fleet is null ? listed : listed.Concat(joined?.Connected ?? []).Concat(fleet?.Present ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    public INodeConnector Connector => (INodeConnector?)joined ?? (INodeConnector?)fleet ?? GrpcNodeConnector.Instance;
}
