using RenderNet.Protocol;

namespace RenderNet.Farm;

/// <summary>
/// A node's tags, for <see cref="NodeSelector"/>: the ones it declares (lower-case keys; <c>id</c> and <c>pool</c>
/// it cannot declare), <c>gpu</c> from its device's name unless declared, <c>id</c> (its identity) and <c>pool</c>
/// for each of the service's pools that lists it.
/// </summary>
public sealed class NodeTags
{
    /// <summary>The most tags a node may declare, and their lengths.</summary>
    public const int MaxDeclared = 16, MaxKey = 32, MaxValue = 64;
    readonly Dictionary<string, HashSet<string>> tags = new(StringComparer.Ordinal);

    public IReadOnlySet<string> ValuesOf(string key) => tags.TryGetValue(key, out var v) ? v : new HashSet<string>();

    void Add(string key, string value)
    {
        if (!tags.TryGetValue(key, out var set)) tags[key] = set = new HashSet<string>(StringComparer.Ordinal);
        set.Add(value);
    }

    public static bool ValidKey(string key) => key.Length is > 0 and <= MaxKey && key.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' or '-');

    /// <summary>Checks a tag a node declares (key=value); null when acceptable, else the problem.</summary>
    public static string? Problem(string tag)
    {
        int eq = tag.IndexOf('=');
        if (eq <= 0) return $"--tag '{Printable.Clean(tag, 60)}' is not key=value";
        string key = tag[..eq];
        if (!ValidKey(key)) return $"--tag '{Printable.Clean(tag, 60)}': a key is 1-{MaxKey} of a-z, 0-9, '_' and '-'";
        if (key is "id" or "pool") return $"--tag '{Printable.Clean(tag, 60)}': '{key}' is the service's to say, not the node's";
        string value = tag[(eq + 1)..];
        if (value.Length is 0 or > MaxValue || value.Any(char.IsControl)) return $"--tag '{Printable.Clean(tag, 60)}': a value is 1-{MaxValue} printable characters";
        return null;
    }

    /// <param name="pools">The service's pools by identity (<see cref="FarmOptions.Pools"/>).</param>
    public static NodeTags Of(string identity, Capabilities caps, IReadOnlyDictionary<string, IReadOnlySet<string>>? pools)
    {
        var t = new NodeTags();
        // A node's word is bounded and filtered like any other: invalid or reserved tags are ignored.
        foreach (var tag in caps.Tags.Take(MaxDeclared).Where(tag => Problem(tag) is null))
        {
            int eq = tag.IndexOf('=');
            t.Add(tag[..eq], tag[(eq + 1)..].ToLowerInvariant());
        }
        if (!t.tags.ContainsKey("gpu")) t.Add("gpu", VendorOf(caps.DeviceName));
        t.Add("id", identity.ToLowerInvariant());
        foreach (var (pool, members) in pools ?? new Dictionary<string, IReadOnlySet<string>>())
            if (members.Contains(identity)) t.Add("pool", pool.ToLowerInvariant());
        return t;
    }

    static string VendorOf(string device)
    {
        string d = device.ToLowerInvariant();
        return d.Contains("nvidia") || d.Contains("geforce") || d.Contains("rtx") ? "nvidia"
            : d.Contains("amd") || d.Contains("radeon") ? "amd"
            : d.Contains("intel") ? "intel"
            : d.Contains("llvmpipe") || d.Contains("lavapipe") || d.Contains("swiftshader") ? "cpu"
            : "other";
    }
}
