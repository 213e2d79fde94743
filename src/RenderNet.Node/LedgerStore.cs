using System.Numerics;
using System.Text.Json;
using RenderNet.Core.Storage;

namespace RenderNet.Node;

/// <summary>
/// What this node earned on each channel, kept in its state directory so a restart does not forget what payers owe.
/// <c>Baseline</c> is what had already been paid on the channel when this node first served it: payments up to there
/// were for earlier work and never count as paying for new work.
/// </summary>
public sealed class LedgerStore(string directory)
{
    public sealed record ChannelRecord(string Payer, BigInteger Baseline, BigInteger Earned);
    sealed record Entry(string Channel, string Payer, string Baseline, string Earned);

    readonly string path = Path.Combine(directory, "ledger.json");
    readonly Lock gate = new();

    public Dictionary<BigInteger, ChannelRecord> Load()
    {
        lock (gate)
        {
            if (!File.Exists(path)) return [];
            try
            {
                return (JsonSerializer.Deserialize<List<Entry>>(File.ReadAllText(path)) ?? [])
                    .ToDictionary(e => BigInteger.Parse(e.Channel), e => new ChannelRecord(e.Payer, BigInteger.Parse(e.Baseline), BigInteger.Parse(e.Earned)));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
            {
                // Refuse to start rather than forget debts: the operator decides what the file should say.
                throw new InvalidDataException($"the node's ledger {path} cannot be read ({ex.Message}); fix or move it", ex);
            }
        }
    }

    public void Save(IReadOnlyDictionary<BigInteger, ChannelRecord> channels)
    {
        var entries = channels.Select(c => new Entry(c.Key.ToString(), c.Value.Payer, c.Value.Baseline.ToString(), c.Value.Earned.ToString())).ToList();
        lock (gate)
        {
            Directory.CreateDirectory(directory);
            DurableFile.Replace(path, stream => JsonSerializer.Serialize(stream, entries));
        }
    }
}
