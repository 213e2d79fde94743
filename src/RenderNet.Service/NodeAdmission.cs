namespace RenderNet.Service;

/// <summary>
/// Which nodes may join this service by dialling out (<c>rendernet serve --accept-nodes</c>): anyone who proves a key
/// (strangers' GPUs: checks and payment make them safe to use, but they see the scenes), nodes registered in the
/// service's NodeRegistry with at least the minimum stake (strangers whose lies cost them their stake), or only the
/// listed payout addresses (a studio's own pool).
/// </summary>
public sealed record NodeAdmission(bool Anyone, IReadOnlySet<string> Addresses, bool Registered = false)
{
    /// <summary>Reads a node's registry standing (stake, registered, slashed); set for <see cref="Registered"/> admission.</summary>
    public Func<string, Task<(System.Numerics.BigInteger Stake, bool Registered, bool Slashed)>>? Registry { get; init; }
    /// <summary>The stake a registered node needs to join.</summary>
    public System.Numerics.BigInteger MinStake { get; init; }

    /// <summary>"any", "registered", or payout addresses separated by commas.</summary>
    /// <exception cref="ArgumentException">Neither; the message names the bad entry.</exception>
    public static NodeAdmission Parse(string text)
    {
        if (text.Trim().Equals("any", StringComparison.OrdinalIgnoreCase)) return new(true, new HashSet<string>());
        if (text.Trim().Equals("registered", StringComparison.OrdinalIgnoreCase)) return new(false, new HashSet<string>(), Registered: true);
        var addresses = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            addresses.Add(Nethereum.Util.AddressUtil.Current.IsValidEthereumAddressHexFormat(entry) ? entry
                : throw new ArgumentException($"--accept-nodes '{entry}' is neither 'any', 'registered' nor an address (0x and 40 hex digits)"));
        return addresses.Count > 0 ? new(false, addresses) : throw new ArgumentException("--accept-nodes needs 'any', 'registered' or at least one address");
    }

    /// <summary>Why a node with this payout address may not join, or null (reads the registry for <see cref="Registered"/> admission).</summary>
    public async Task<string?> RefusalAsync(string payoutAddress)
    {
        if (!Registered) return Refusal(payoutAddress);
        if (Registry is null) return "this service admits registered nodes but has no registry";
        var (stake, registered, slashed) = await Registry(payoutAddress);
        return slashed ? $"{payoutAddress} was slashed for a lie"
            : !registered ? $"{payoutAddress} is not registered in this service's NodeRegistry"
            : stake < MinStake ? $"{payoutAddress} stakes {stake}, less than the {MinStake} this service requires" : null;
    }

    /// <summary>Why a node with this payout address may not join, or null.</summary>
    public string? Refusal(string payoutAddress) =>
        Anyone || Addresses.Contains(payoutAddress) ? null : $"{payoutAddress} is not among the nodes this service accepts";
}
