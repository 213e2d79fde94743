using RenderNet.Payments;

namespace RenderNet.Farm;

/// <summary>
/// What convicts a node beyond this job: its signed result and two other nodes' signed results for the same work that
/// agree with each other and not with it — exactly what NodeRegistry.slash takes.
/// </summary>
public sealed record ConvictionEvidence(string Node, SignedWorkResult Accused, SignedWorkResult WitnessA, SignedWorkResult WitnessB);

/// <summary>Where a conviction's evidence is presented (the registry that holds the node's stake); returns a one-line outcome.</summary>
public interface IEvidencePresenter
{
    Task<string> PresentAsync(ConvictionEvidence evidence, CancellationToken cancellation);
}

/// <summary>Presents evidence to a NodeRegistry from the coordinator's account (which receives the presenter's share).</summary>
public sealed class RegistryEvidencePresenter(RegistryClient registry) : IEvidencePresenter
{
    public async Task<string> PresentAsync(ConvictionEvidence evidence, CancellationToken cancellation)
    {
        try
        {
            var receipt = await registry.SlashAsync(evidence.Accused, evidence.WitnessA, evidence.WitnessB).WaitAsync(cancellation);
            return $"node {evidence.Node}'s stake was slashed on chain for its lie (transaction {receipt.TransactionHash})";
        }
        catch (PaymentException ex)
        {
            return $"node {evidence.Node} could not be slashed on chain: {ex.Message}";
        }
    }
}
