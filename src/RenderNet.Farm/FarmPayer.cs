using System.Numerics;
using RenderNet.Payments;

namespace RenderNet.Farm;

/// <summary>
/// The payer's side of a farm job: one channel per paid node, funded for every tile of the job (the rest is reclaimed
/// after the job through the escrow's unlock delay), and one cumulative voucher per accepted tile.
/// </summary>
public sealed class FarmPayer(EscrowClient escrow, VoucherSigner signer, long chainId)
{
    readonly Dictionary<string, (BigInteger Channel, BigInteger Price, int Tiles)> channels = [];
    readonly Lock gate = new();

    /// <summary>A payer on <paramref name="escrowAddress"/> paying from <paramref name="payerKey"/>'s account through <paramref name="web3"/>.</summary>
    public static FarmPayer Create(Nethereum.Web3.Web3 web3, string payerKey, long chainId, string escrowAddress, string tokenAddress) =>
        new(new EscrowClient(web3, escrowAddress, tokenAddress), new VoucherSigner(new EscrowDomain(chainId, escrowAddress), payerKey), chainId);

    public string EscrowAddress => escrow.Address;
    public long ChainId => chainId;
    public string PayerAddress => signer.PayerAddress;
    /// <summary>Signs work sessions for this payer's channels (same key and escrow domain as the vouchers).</summary>
    public VoucherSigner SessionSigner => signer;

    /// <summary>Opens (and funds) the channel a node will be paid through; returns its id.</summary>
    public async Task<BigInteger> OpenAsync(string nodeKey, string payeeAddress, BigInteger pricePerTile, int maxTiles)
    {
        var deposit = pricePerTile * Math.Max(1, maxTiles);
        BigInteger channel = deposit.IsZero ? BigInteger.Zero : (await escrow.OpenAsync(payeeAddress, deposit)).Channel;
        lock (gate) channels[nodeKey] = (channel, pricePerTile, 0);
        return channel;
    }

    /// <summary>Continues paying on a channel opened earlier in this job (a resumed job), from its last voucher.</summary>
    public void Restore(string nodeKey, BigInteger channel, BigInteger pricePerTile, Voucher? latest)
    {
        lock (gate) channels[nodeKey] = (channel, pricePerTile, latest is null ? 0 : (int)latest.Tiles);
    }

    /// <summary>
    /// The voucher for one more accepted tile of a node, worth <paramref name="units"/> tiles' price (a transcode segment
    /// is priced by its output pixels); cumulative: it replaces all earlier ones.
    /// </summary>
    public Voucher PayTile(string nodeKey, int units = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(units, 1);
        lock (gate)
        {
            var (channel, price, tiles) = channels[nodeKey];
            tiles += units;
            channels[nodeKey] = (channel, price, tiles);
            return signer.Sign(channel, price * tiles, tiles);
        }
    }

    /// <summary>The cumulative voucher for everything paid to a node so far (signing is deterministic: the same bytes again), or null.</summary>
    public Voucher? LatestVoucher(string nodeKey)
    {
        lock (gate)
            return channels.TryGetValue(nodeKey, out var c) && c.Tiles > 0 ? signer.Sign(c.Channel, c.Price * c.Tiles, c.Tiles) : null;
    }

    public (BigInteger Channel, BigInteger Amount, int Tiles)? Account(string nodeKey)
    {
        lock (gate) return channels.TryGetValue(nodeKey, out var c) ? (c.Channel, c.Price * c.Tiles, c.Tiles) : null;
    }
}
