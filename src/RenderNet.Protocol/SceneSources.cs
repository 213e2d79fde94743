namespace RenderNet.Protocol;

/// <summary>
/// Scenes named by content: where a node may fetch a scene instead of the coordinator uploading it to every node — a
/// CDN, a studio's file server, an IPFS gateway. A source is a URL template with <c>{sha256}</c> (hex) or <c>{cid}</c>
/// (the scene's CIDv1: raw codec, SHA-256 multihash, base32 — what an IPFS gateway serves it under) in it. Nodes verify
/// every fetched byte against the SHA-256 the job names, so a source needs no trust, only reach.
/// </summary>
public static class SceneSources
{
    /// <summary>At most this many sources per scene, each at most <see cref="MaxLength"/> characters.</summary>
    public const int MaxCount = 8, MaxLength = 2048;

    /// <summary>The scene's CIDv1 (raw codec 0x55, multihash sha2-256): "b" + base32 (RFC 4648, lower case, no padding).</summary>
    public static string Cid(string sha256Hex)
    {
        var digest = Convert.FromHexString(sha256Hex);
        if (digest.Length != 32) throw new ArgumentException($"a SHA-256 is 32 bytes, not {digest.Length}", nameof(sha256Hex));
        byte[] cid = [0x01, 0x55, 0x12, 0x20, .. digest];
        return "b" + Base32(cid);
    }

    /// <summary>Checks a template: an absolute http(s) URL with {sha256} or {cid} in it; returns it.</summary>
    /// <exception cref="ArgumentException">It is not one.</exception>
    public static string CheckTemplate(string template)
    {
        if (template.Length > MaxLength - 64)
            throw new ArgumentException($"scene source is {template.Length} characters long; at most {MaxLength - 64}");
        if (!template.Contains("{sha256}") && !template.Contains("{cid}"))
            throw new ArgumentException($"scene source '{Printable(template)}' names no scene: put {{sha256}} or {{cid}} where its name goes");
        if (!Uri.TryCreate(Resolve(template, new string('0', 64)), UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            throw new ArgumentException($"scene source '{Printable(template)}' is not an http(s) URL");
        return template;
    }

    /// <summary>The URL of one scene from a template.</summary>
    public static string Resolve(string template, string sha256Hex) =>
        template.Replace("{sha256}", sha256Hex.ToLowerInvariant()).Replace("{cid}", template.Contains("{cid}") ? Cid(sha256Hex) : "");

    static string Printable(string text) => new(text.Take(120).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    static string Base32(ReadOnlySpan<byte> data)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var text = new System.Text.StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (byte b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) text.Append(alphabet[(buffer << (5 - bits)) & 31]);
        return text.ToString();
    }
}
