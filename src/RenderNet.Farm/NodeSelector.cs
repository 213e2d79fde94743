using System.Globalization;

namespace RenderNet.Farm;

/// <summary>
/// Which nodes a job wants, by their tags: terms joined by ',' must all hold, alternatives separated by ';' (any may
/// hold) — "pool=studio-a", "gpu=nvidia,vram>=16", "id=0xab…;id=0xcd…". A term is key=value, key!=value, or a number
/// compared with key>=N / key&lt;=N. A node's tags are what it declares (<c>rendernet node --tag</c>), its device's
/// vendor (<c>gpu</c>), its identity (<c>id</c>) and the pools the service put it in (<c>pool</c>: only the service's
/// word counts there, never the node's).
/// </summary>
public sealed class NodeSelector
{
    enum Op { Equal, NotEqual, AtLeast, AtMost }
    sealed record Term(string Key, Op Op, string Value);

    readonly IReadOnlyList<IReadOnlyList<Term>> alternatives;
    readonly string text;

    NodeSelector(IReadOnlyList<IReadOnlyList<Term>> alternatives, string text)
    {
        this.alternatives = alternatives;
        this.text = text;
    }

    public override string ToString() => text;

    /// <exception cref="ArgumentException">A term that is not key=value, key!=value, key&gt;=N or key&lt;=N; the message names it.</exception>
    public static NodeSelector Parse(string text)
    {
        if (text.Length > 1000) throw new ArgumentException("a node selector is at most 1000 characters");
        var alternatives = new List<IReadOnlyList<Term>>();
        foreach (var alternative in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            alternatives.Add(alternative.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseTerm).ToList());
        if (alternatives.Count == 0) throw new ArgumentException($"the node selector '{Printable.Clean(text, 60)}' has no terms");
        return new NodeSelector(alternatives, string.Join(";", alternatives.Select(a => string.Join(",", a.Select(t => $"{t.Key}{Symbol(t.Op)}{t.Value}")))));
    }

    static string Symbol(Op op) => op switch { Op.NotEqual => "!=", Op.AtLeast => ">=", Op.AtMost => "<=", _ => "=" };

    static Term ParseTerm(string term)
    {
        foreach (var (symbol, op) in new[] { ("!=", Op.NotEqual), (">=", Op.AtLeast), ("<=", Op.AtMost), ("=", Op.Equal) })
        {
            int at = term.IndexOf(symbol, StringComparison.Ordinal);
            if (at <= 0) continue;
            string key = term[..at].Trim().ToLowerInvariant(), value = term[(at + symbol.Length)..].Trim();
            if (!NodeTags.ValidKey(key) || value.Length is 0 or > 64)
                break;
            if (op is Op.AtLeast or Op.AtMost && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                throw new ArgumentException($"node selector term '{Printable.Clean(term, 60)}': {symbol} compares numbers");
            return new Term(key, op, op is Op.Equal or Op.NotEqual ? value.ToLowerInvariant() : value);
        }
        throw new ArgumentException($"node selector term '{Printable.Clean(term, 60)}' is not key=value, key!=value, key>=N or key<=N");
    }

    public bool Matches(NodeTags tags) => alternatives.Any(all => all.All(t => Holds(t, tags)));

    static bool Holds(Term t, NodeTags tags)
    {
        var values = tags.ValuesOf(t.Key);
        return t.Op switch
        {
            Op.Equal => values.Contains(t.Value),
            Op.NotEqual => !values.Contains(t.Value),
            _ => values.Any(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double n)
                                 && (t.Op == Op.AtLeast ? n >= double.Parse(t.Value, CultureInfo.InvariantCulture) : n <= double.Parse(t.Value, CultureInfo.InvariantCulture))),
        };
    }
}

/// <summary>What a studio asks of the nodes of one job: nodes it requires (pins), prefers, and denies.</summary>
public sealed record NodeSelection(NodeSelector? Require = null, NodeSelector? Prefer = null, NodeSelector? Deny = null);
