using System.Net;
using System.Net.Sockets;
using RenderNet.Payments;

namespace RenderNet.Farm;

/// <summary>
/// Which registry entries a coordinator dials (security review C-2). Anyone can register anything, so: entries below the
/// minimum stake are skipped; endpoints that point into the coordinator's own machine or private network are skipped
/// (a registrant could otherwise make every coordinator send requests to its loopback or LAN) unless the registry itself
/// is on a local chain; the rest are ranked by stake, then price, and only the best <see cref="MaxNodes"/> are used.
/// </summary>
public sealed record RegistryDiscovery
{
    public System.Numerics.BigInteger MinStake { get; init; }
    public int MaxNodes { get; init; } = 32;
    /// <summary>Accept loopback and private-range endpoints (a development chain on this machine lists local nodes).</summary>
    public bool AllowPrivateEndpoints { get; init; }

    public IReadOnlyList<RegisteredNode> Choose(IEnumerable<RegisteredNode> entries) =>
        entries.Where(e => e.Stake >= MinStake && Reachable(e.Endpoint))
            .GroupBy(e => e.Endpoint).Select(g => g.OrderByDescending(e => e.Stake).First())
            .OrderByDescending(e => e.Stake).ThenBy(e => e.PricePerTile).ThenBy(e => e.Endpoint, StringComparer.Ordinal)
            .Take(MaxNodes).ToList();

    /// <summary>Whether an endpoint names a host this coordinator may dial.</summary>
    public bool Reachable(string endpoint)
    {
        if (endpoint.Length is 0 or > 256 || endpoint.Any(char.IsControl) || endpoint == Protocol.JoinMessages.RegisteredEndpoint) return false; // it dials in
        var bare = endpoint.Split('#')[0];
        var withScheme = bare.Contains("://") ? bare : "http://" + bare;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Port <= 0) return false;
        if (AllowPrivateEndpoints) return true;
        if (uri.IsLoopback || uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return false;
        return !IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) || !Private(ip);
    }

    static bool Private(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (IPAddress.IsLoopback(ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)) return true;
        if (ip.AddressFamily == AddressFamily.InterNetworkV6) return ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || ip.IsIPv6UniqueLocal;
        var b = ip.GetAddressBytes();
        return b[0] == 10 || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254)
               || (b[0] == 100 && b[1] is >= 64 and <= 127) || b[0] == 0;
    }

    /// <summary>The policy for a registry read through <paramref name="rpcUrl"/>: private endpoints only from a chain on this machine.</summary>
    public static RegistryDiscovery For(string rpcUrl, System.Numerics.BigInteger minStake) => new()
    {
        MinStake = minStake,
        AllowPrivateEndpoints = Uri.TryCreate(rpcUrl, UriKind.Absolute, out var rpc) && (rpc.IsLoopback || rpc.Host == "localhost"),
    };
}
