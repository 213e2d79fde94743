namespace RenderNet.Farm;

/// <summary>
/// How a node that joined a coordinator service by dialling out is named in a job: <c>join:</c> and its payout address,
/// which it proved by signing the service's challenge. Nothing can dial such a node; the service reaches it over the
/// connection the node opened. The address is also the identity its payments must go to.
/// </summary>
public static class JoinedNodeAddress
{
    public const string Prefix = "join:";

    public static string For(string payoutAddress) => Prefix + payoutAddress.ToLowerInvariant();

    /// <summary>The payout address a joined node proved, or null for any other kind of node address.</summary>
    public static string? PayoutOf(string address) =>
        address.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? address[Prefix.Length..] : null;
}
