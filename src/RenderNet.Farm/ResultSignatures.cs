using RenderNet.Payments;

namespace RenderNet.Farm;

/// <summary>
/// Checks that a delivered result is signed by the node's own key: its payout address (which a joined node proved when
/// it joined). A node with an identity must sign what it delivers; a result signed by anyone else is invalid, so what
/// is kept as evidence (or counted in a node's record) is always the node's own claim.
/// </summary>
internal static class ResultSignatures
{
    /// <summary>The node's identity: its payout address, else the key it joined with; null for an anonymous unpaid node.</summary>
    public static string? IdentityOf(FarmNode node) =>
        node.Caps is { PaymentAddress.Length: > 0 } caps ? caps.PaymentAddress : JoinedNodeAddress.PayoutOf(node.Client.Address);

    /// <returns>The signed claim, or null where there is nothing to check (an anonymous node, a workload without claims).</returns>
    /// <exception cref="InvalidDataException">The signature is missing, malformed, or another key's.</exception>
    public static SignedWorkResult? Verify(FarmNode node, FarmDelivery delivery)
    {
        if (IdentityOf(node) is not { } identity || delivery.Claim is not { } claim) return null;
        var caps = node.Caps!;
        var domain = caps.RegistryAddress.Length > 0 ? new RegistryDomain((long)caps.ChainId, caps.RegistryAddress) : RegistryDomain.None;
        string? signer = claim.RecoverSigner(delivery.Signature, domain);
        if (!string.Equals(signer, identity, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException(delivery.Signature.Length == 0 ? $"its result is not signed (a node paid at {identity} signs what it delivers)"
                : $"its result is not signed by its key {identity}");
        return new SignedWorkResult(claim, identity, delivery.Signature);
    }
}
