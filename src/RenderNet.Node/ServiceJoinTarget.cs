using System.Net;

namespace RenderNet.Node;

/// <summary>
/// Where a node joins: an http(s) URL of a coordinator service; <c>https://host:port#sha256=FINGERPRINT</c> pins the
/// service's certificate (nothing else is trusted), a plain https URL uses the system's CAs, and plain http is allowed
/// to loopback only (a node's key signs the join, but its work and its scenes would cross the network in clear).
/// </summary>
public sealed record ServiceJoinTarget(Uri Url, string? PinnedSha256)
{
    public Uri JoinUrl => new(new Uri(Url.GetLeftPart(UriPartial.Authority).Replace("https://", "wss://").Replace("http://", "ws://")), "/v1/nodes/join");

    /// <exception cref="ArgumentException">Not such a URL; the message names the problem.</exception>
    public static ServiceJoinTarget Parse(string text)
    {
        int hash = text.IndexOf("#sha256=", StringComparison.OrdinalIgnoreCase);
        string? pin = hash >= 0 ? text[(hash + 8)..].ToLowerInvariant() : null;
        string bare = hash >= 0 ? text[..hash] : text;
        if (!Uri.TryCreate(bare, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--join '{text}' is not an http(s):// URL of a coordinator service");
        if (pin is not null && (pin.Length != 64 || !pin.All(Uri.IsHexDigit) || url.Scheme != "https"))
            throw new ArgumentException($"--join '{text}': a pinned certificate is https://host:port#sha256= and 64 hex digits");
        bool loopback = url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
        if (url.Scheme == "http" && !loopback)
            throw new ArgumentException($"--join '{text}': plain http reaches beyond this machine; join over https:// (pin a self-signed certificate with #sha256=)");
        return new ServiceJoinTarget(url, pin);
    }
}
