using System.Numerics;
using System.Text.Json;
using RenderNet.Payments;

namespace RenderNet.Node;

/// <summary>
/// The best voucher of every channel, kept on disk before the node acknowledges it: a node that crashes and restarts
/// with the same state directory still redeems exactly what it was paid. Writes go to a temporary file that replaces
/// the old one, so a crash mid-write leaves the previous state intact.
/// </summary>
public sealed class VoucherStore(string directory)
{
    sealed record Entry(string Channel, string CumulativeAmount, string Tiles, string Signature);
    readonly string path = Path.Combine(directory, "vouchers.json");
    readonly Lock gate = new();

    public IReadOnlyList<Voucher> Load()
    {
        lock (gate)
        {
            if (!File.Exists(path)) return [];
            var entries = JsonSerializer.Deserialize<List<Entry>>(File.ReadAllText(path)) ?? [];
            return entries.Select(e => new Voucher(BigInteger.Parse(e.Channel), BigInteger.Parse(e.CumulativeAmount), BigInteger.Parse(e.Tiles), e.Signature)).ToList();
        }
    }

    public void Save(Voucher voucher)
    {
        lock (gate)
        {
            var all = Load().Where(v => v.Channel != voucher.Channel).Append(voucher)
                .Select(v => new Entry(v.Channel.ToString(), v.CumulativeAmount.ToString(), v.Tiles.ToString(), v.Signature)).ToList();
            Directory.CreateDirectory(directory);
            string temp = path + ".tmp";
            using (var stream = File.Create(temp))
            {
                JsonSerializer.Serialize(stream, all);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
    }
}
