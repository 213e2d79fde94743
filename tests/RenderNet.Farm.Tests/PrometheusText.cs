using System.Globalization;
using System.Text.RegularExpressions;

namespace RenderNet.Farm.Tests;

/// <summary>
/// A strict reader of the Prometheus text exposition format (version 0.0.4) for tests: every sample line must parse, and
/// every sample must belong to a metric family announced by a # TYPE line before it.
/// </summary>
public static partial class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)( \d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(\\.|[^"\\])*)",?""")]
    private static partial Regex LabelPair();

    public static IReadOnlyList<Sample> Parse(string text)
    {
        var types = new Dictionary<string, string>();
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0) continue;
            if (line.StartsWith("# TYPE "))
            {
                var parts = line.Split(' ');
                Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram", "summary", "untyped" });
                types[parts[2]] = parts[3];
                continue;
            }
            if (line.StartsWith('#')) continue;
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a Prometheus sample line: {line}");
            string name = m.Groups["name"].Value;
            Assert.True(types.ContainsKey(name) || types.Keys.Any(t => name.StartsWith(t + "_")), $"{name} has no # TYPE line before it");
            var labels = new Dictionary<string, string>();
            string labelText = m.Groups["labels"].Value;
            int matched = 0;
            foreach (Match pair in LabelPair().Matches(labelText))
            {
                labels[pair.Groups["key"].Value] = pair.Groups["value"].Value.Replace("\\\"", "\"").Replace("\\n", "\n").Replace("\\\\", "\\");
                matched += pair.Length;
            }
            Assert.Equal(labelText.Length, matched);
            string value = m.Groups["value"].Value;
            samples.Add(new Sample(name, labels, value switch
            {
                "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, "NaN" => double.NaN,
                _ => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture),
            }));
        }
        return samples;
    }

    /// <summary>The value of the one sample of that name whose labels include these (0 when there is none, as for a counter never moved).</summary>
    public static double Value(this IReadOnlyList<Sample> samples, string name, params (string Key, string Value)[] labels)
    {
        var found = samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        Assert.True(found.Count <= 1, $"{found.Count} samples of {name} match");
        return found.Count == 0 ? 0 : found[0].Value;
    }
}
