using System.Numerics;
using RenderNet.Payments;

namespace RenderNet.Farm;

/// <summary>
/// The payer's side of a farm job: one channel per paid node, funded for every tile of the job (the rest is reclaimed
/// after the job through the escrow's unlock delay), and one cumulative voucher per accepted tile.
/// </summary>
public sealed class FarmPayer(EscrowClient escrow, VoucherSigner signer, long chainId)
{
    FarmPayer(EscrowClient escrow, VoucherSigner signer, long chainId, SemaphoreSlim chainLane) : this(escrow, signer, chainId) => chain = chainLane;

    readonly Dictionary<string, (BigInteger Channel, BigInteger Price, int Tiles)> channels = [];
    /// <summary>What each channel holds, as this payer funded it (deposit only grows: top-ups).</summary>
    readonly Dictionary<string, BigInteger> deposits = [];
    readonly Lock gate = new();
    /// <summary>One chain transaction of this payer at a time: approve-then-call pairs and nonces must not interleave.</summary>
    readonly SemaphoreSlim chain = new(1, 1);

    /// <summary>
    /// A payer for another job running at the same time from the same wallet: its own channels and vouchers, the same
    /// lane for chain transactions (one nonce sequence per account).
    /// </summary>
    public FarmPayer ForAnotherJob() => new(escrow, signer, chainId, chain);

    /// <summary>A payer on <paramref name="escrowAddress"/> paying from <paramref name="payerKey"/>'s account through <paramref name="web3"/>.</summary>
    public static FarmPayer Create(Nethereum.Web3.Web3 web3, string payerKey, long chainId, string escrowAddress, string tokenAddress) =>
        new(new EscrowClient(web3, escrowAddress, tokenAddress), new VoucherSigner(new EscrowDomain(chainId, escrowAddress), payerKey), chainId);

    /// <summary>A (redeem) transaction as the chain holds it, for receipts that link to it; null when the chain has none.</summary>
    public Task<RedeemTransaction?> TransactionAsync(string hash) => escrow.RedeemTransactionAsync(hash);

    public string EscrowAddress => escrow.Address;
    public long ChainId => chainId;
    public string PayerAddress => signer.PayerAddress;
    /// <summary>Signs work sessions for this payer's channels (same key and escrow domain as the vouchers).</summary>
    public VoucherSigner SessionSigner => signer;

    /// <summary>Opens the channel a node will be paid through, funded for <paramref name="units"/> price units to start with; returns its id.</summary>
    public async Task<BigInteger> OpenAsync(string nodeKey, string payeeAddress, BigInteger pricePerTile, int units)
    {
        var deposit = pricePerTile * Math.Max(1, units);
        BigInteger channel = BigInteger.Zero;
        if (!deposit.IsZero)
        {
            await chain.WaitAsync();
            try { channel = (await escrow.OpenAsync(payeeAddress, deposit)).Channel; }
            finally { chain.Release(); }
        }
        lock (gate)
        {
            channels[nodeKey] = (channel, pricePerTile, 0);
            deposits[nodeKey] = deposit;
        }
        return channel;
    }

    /// <summary>
    /// Tops the node's channel up so it covers <paramref name="units"/> price units in all (paid, held and in flight),
    /// adding at least <paramref name="chunkUnits"/> at a time: deposits grow with the work instead of locking the
    /// whole job's cost in every node's channel up front.
    /// </summary>
    public async Task EnsureFundedAsync(string nodeKey, int units, int chunkUnits)
    {
        BigInteger channel, price, have;
        lock (gate)
        {
            if (!channels.TryGetValue(nodeKey, out var c) || c.Price.IsZero) return;
            (channel, price) = (c.Channel, c.Price);
            have = deposits.TryGetValue(nodeKey, out var d) ? d : BigInteger.Zero;
        }
        var need = price * units;
        if (have >= need || have.IsZero && channel.IsZero) return;
        if (have.IsZero) have = (await escrow.ChannelAsync(channel)).Deposit; // a resumed job: what the chain holds
        if (have >= need)
        {
            lock (gate) deposits[nodeKey] = have;
            return;
        }
        var add = BigInteger.Max(need - have, price * Math.Max(1, chunkUnits));
        await chain.WaitAsync();
        try { await escrow.TopUpAsync(channel, add); }
        finally { chain.Release(); }
        lock (gate) deposits[nodeKey] = have + add;
    }

    /// <summary>Asks for the deposits of every channel of this job back (reclaimable after the escrow's unlock delay).</summary>
    public async Task RequestUnlocksAsync()
    {
        List<BigInteger> ids;
        lock (gate) ids = channels.Values.Where(c => !c.Channel.IsZero).Select(c => c.Channel).ToList();
        await chain.WaitAsync();
        try { foreach (var id in ids) await escrow.RequestUnlockAsync(id); }
        finally { chain.Release(); }
    }

    /// <summary>Continues paying on a channel opened earlier in this job (a resumed job), from its last voucher.</summary>
    public void Restore(string nodeKey, BigInteger channel, BigInteger pricePerTile, Voucher? latest)
    {
        lock (gate)
        {
            channels[nodeKey] = (channel, pricePerTile, latest is null ? 0 : (int)latest.Tiles);
            deposits.Remove(nodeKey); // read from chain when first needed
        }
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
