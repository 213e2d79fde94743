using System.Numerics;
using RenderNet.Payments;

namespace RenderNet.Node.Tests;

/// <summary>Security review P-6: the voucher store never loses a good voucher, and never overwrites what it cannot read.</summary>
public class VoucherStoreTests
{
    [Fact]
    public void P6_keeps_the_best_voucher_per_channel_and_sets_an_unreadable_file_aside()
    {
        var dir = Directory.CreateTempSubdirectory("rendernet-vouchers-").FullName;
        try
        {
            var store = new VoucherStore(dir);
            store.Save(new Voucher(1, 300, 3, "0xaa"));
            store.Save(new Voucher(1, 200, 2, "0xbb")); // a worse one never replaces it
            store.Save(new Voucher(2, 50, 1, "0xcc"));
            var again = new VoucherStore(dir).Load().OrderBy(v => v.Channel).ToList();
            Assert.Equal([new BigInteger(300), new BigInteger(50)], again.Select(v => v.CumulativeAmount));
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "vouchers.json")));

            File.WriteAllText(Path.Combine(dir, "vouchers.json"), "{ not json");
            var damaged = new VoucherStore(dir);
            Assert.Empty(damaged.Load());
            Assert.NotNull(damaged.SetAside);
            Assert.Equal("{ not json", File.ReadAllText(damaged.SetAside!)); // kept for the operator, not overwritten
            damaged.Save(new Voucher(3, 10, 1, "0xdd"));
            Assert.Single(new VoucherStore(dir).Load());
        }
        finally { Directory.Delete(dir, true); }
    }
}
