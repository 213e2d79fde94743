using System.Numerics;
using System.Text.Json;
using RenderNet.Core.Storage;
using RenderNet.Payments;

namespace RenderNet.Node;

/// <summary>
/// The best voucher of every channel, kept on disk before the node counts or acknowledges it: a node that crashes and
/// restarts with the same state directory still redeems exactly what it was paid. Writes go to a temporary file that
/// is fsynced, renamed over the old one, and the directory fsynced, so a crash at any point leaves a complete file. A
/// file that cannot be parsed is set aside (never overwritten) and the store starts empty.
/// </summary>
public sealed class VoucherStore
{
    sealed record Entry(string Channel, string CumulativeAmount, string Tiles, string Signature);
    readonly string directory;
    readonly string path;
    readonly Lock gate = new();
    Dictionary<BigInteger, Voucher>? vouchers;

    public VoucherStore(string directory)
    {
        this.directory = directory;
        path = Path.Combine(directory, "vouchers.json");
    }

    /// <summary>A file found unreadable at load, moved aside to this path (null if none).</summary>
    public string? SetAside { get; private set; }

    public IReadOnlyList<Voucher> Load()
    {
        lock (gate) return Vouchers().Values.ToList();
    }

    Dictionary<BigInteger, Voucher> Vouchers()
    {
        if (vouchers is not null) return vouchers;
        vouchers = [];
        if (!File.Exists(path)) return vouchers;
        try
        {
            foreach (var e in JsonSerializer.Deserialize<List<Entry>>(File.ReadAllText(path)) ?? [])
            {
                var v = new Voucher(BigInteger.Parse(e.Channel), BigInteger.Parse(e.CumulativeAmount), BigInteger.Parse(e.Tiles), e.Signature);
                if (!vouchers.TryGetValue(v.Channel, out var seen) || v.CumulativeAmount > seen.CumulativeAmount) vouchers[v.Channel] = v;
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentNullException)
        {
            SetAside = $"{path}.unreadable-{DateTime.UtcNow:yyyyMMddTHHmmss}";
            File.Move(path, SetAside);
            vouchers = [];
        }
        return vouchers;
    }

    /// <summary>Keeps <paramref name="voucher"/> if it beats the channel's stored one; durable when this returns.</summary>
    public void Save(Voucher voucher)
    {
        lock (gate)
        {
            var all = Vouchers();
            if (all.TryGetValue(voucher.Channel, out var stored) && stored.CumulativeAmount >= voucher.CumulativeAmount) return;
            var next = new Dictionary<BigInteger, Voucher>(all) { [voucher.Channel] = voucher };
            Directory.CreateDirectory(directory);
            var entries = next.Values.Select(v => new Entry(v.Channel.ToString(), v.CumulativeAmount.ToString(), v.Tiles.ToString(), v.Signature)).ToList();
            DurableFile.Replace(path, stream => JsonSerializer.Serialize(stream, entries));
            vouchers = next;
        }
    }
}
