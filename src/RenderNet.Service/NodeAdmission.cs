namespace RenderNet.Service;

/// <summary>
/// Which nodes may join this service by dialling out (<c>rendernet serve --accept-nodes</c>): anyone who proves a key
/// (strangers' GPUs: checks and payment make them safe to use, but they see the scenes), or only the listed payout
/// addresses (a studio's own pool).
/// </summary>
public sealed record NodeAdmission(bool Anyone, IReadOnlySet<string> Addresses)
{
    /// <summary>"any", or payout addresses separated by commas.</summary>
    /// <exception cref="ArgumentException">Neither; the message names the bad entry.</exception>
    public static NodeAdmission Parse(string text)
    {
        if (text.Trim().Equals("any", StringComparison.OrdinalIgnoreCase)) return new(true, new HashSet<string>());
        var addresses = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            addresses.Add(Nethereum.Util.AddressUtil.Current.IsValidEthereumAddressHexFormat(entry) ? entry
                : throw new ArgumentException($"--accept-nodes '{entry}' is neither 'any' nor an address (0x and 40 hex digits)"));
        return addresses.Count > 0 ? new(false, addresses) : throw new ArgumentException("--accept-nodes needs 'any' or at least one address");
    }

    /// <summary>Why a node with this payout address may not join, or null.</summary>
    public string? Refusal(string payoutAddress) =>
        Anyone || Addresses.Contains(payoutAddress) ? null : $"{payoutAddress} is not among the nodes this service accepts";
}
