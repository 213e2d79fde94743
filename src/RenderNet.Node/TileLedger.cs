using System.Numerics;
using RenderNet.Payments;

namespace RenderNet.Node;

/// <summary>A payer's channel is not good for another tile: the message says why (owes too much, cannot cover, not ours).</summary>
public sealed class PaymentRequiredException(string message) : Exception(message);

/// <summary>
/// What each payer owes this node. Before a tile: the channel must be this node's and open, the payer may owe at most
/// <see cref="NodePayment.ExposureBound"/> delivered tiles, and the deposit must cover every tile delivered or in flight
/// plus this one. Vouchers are checked by <see cref="VoucherVerifier"/>; the best one per channel is what gets redeemed.
/// </summary>
public sealed class TileLedger
{
    readonly NodePayment config;
    readonly EscrowClient escrow;
    readonly VoucherVerifier verifier;
    readonly Dictionary<BigInteger, Account> accounts = [];
    readonly VoucherStore? store;
    readonly Lock gate = new();

    sealed class Account(ChannelState state)
    {
        public ChannelState State = state;
        /// <summary>Price units delivered and in flight (a tile is 1; a transcode segment one per started output megapixel).</summary>
        public long Delivered, InFlight;
        /// <summary>The cumulative units owed after each delivered piece of work, to count how many pieces are unpaid.</summary>
        public readonly List<long> Milestones = [];
        public int UnpaidPieces(long paidUnits) => Milestones.Count - Milestones.FindLastIndex(m => m <= paidUnits) - 1;
    }

    public TileLedger(NodePayment config, ulong pricePerTile)
    {
        this.config = config;
        Price = pricePerTile;
        var web3 = new Nethereum.Web3.Web3(new Nethereum.Web3.Accounts.Account(config.NodeKey, config.ChainId), config.RpcUrl);
        escrow = new EscrowClient(web3, config.EscrowAddress, config.TokenAddress);
        Address = PaymentKeys.AddressOf(config.NodeKey);
        verifier = new VoucherVerifier(new EscrowDomain(config.ChainId, config.EscrowAddress), Address, escrow);
        if (config.StateDirectory is { } dir) store = new VoucherStore(dir);
    }

    /// <summary>
    /// Watches the channels this node holds unredeemed vouchers for and redeems as soon as a payer requests an unlock, so
    /// the payer's reclaim can never take what the node earned. Runs until <paramref name="stopping"/> is cancelled.
    /// </summary>
    public async Task WatchUnlocksAsync(TimeSpan interval, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try { await Task.Delay(interval, stopping); }
            catch (OperationCanceledException) { return; }
            List<BigInteger> channels;
            lock (gate) channels = accounts.Keys.ToList();
            foreach (var channel in channels)
            {
                var best = verifier.Latest(channel);
                if (best is null) continue;
                try
                {
                    var account = await AccountFor(channel, refresh: true);
                    if (account.State.UnlockAt != 0 && !account.State.Closed && best.CumulativeAmount > account.State.Claimed)
                    {
                        await RedeemAsync(channel);
                        await AccountFor(channel, refresh: true);
                    }
                }
                catch (PaymentException) { } // the chain is unreachable or refused: try again next round
            }
        }
    }

    /// <summary>Redeems what a previous run of this node was paid and had not redeemed (after a crash, say).</summary>
    public async Task<IReadOnlyList<(BigInteger Channel, string? Transaction, BigInteger Paid)>> RedeemStoredAsync()
    {
        var results = new List<(BigInteger, string?, BigInteger)>();
        if (store is null) return results;
        foreach (var voucher in store.Load())
        {
            try { await verifier.AcceptAsync(voucher); }
            catch (VoucherRejectedException) { continue; } // already redeemed, or the channel closed: the chain refuses it now
            var (tx, paid) = await RedeemAsync(voucher.Channel);
            results.Add((voucher.Channel, tx, paid));
        }
        return results;
    }

    public string Address { get; }
    public BigInteger Price { get; }

    async Task<Account> AccountFor(BigInteger channel, bool refresh)
    {
        Account? account;
        lock (gate) accounts.TryGetValue(channel, out account);
        if (account is not null && !refresh) return account;
        var state = await escrow.ChannelAsync(channel);
        if (string.IsNullOrEmpty(state.Payer) || state.Payer == Nethereum.Util.AddressUtil.ZERO_ADDRESS)
            throw new PaymentRequiredException($"channel {channel} does not exist on escrow {config.EscrowAddress}");
        if (!string.Equals(state.Node, Address, StringComparison.OrdinalIgnoreCase))
            throw new PaymentRequiredException($"channel {channel} pays {state.Node}, not this node ({Address})");
        lock (gate)
        {
            if (accounts.TryGetValue(channel, out account)) account.State = state;
            else accounts[channel] = account = new Account(state);
            return account;
        }
    }

    long PaidUnits(BigInteger channel) => Price.IsZero ? long.MaxValue : (long)((verifier.Latest(channel)?.CumulativeAmount ?? 0) / Price);

    /// <summary>Reserves the channel's credit for one piece of work worth <paramref name="units"/> tiles, or says why not.</summary>
    public async Task ReserveAsync(BigInteger channel, int units = 1)
    {
        var account = await AccountFor(channel, refresh: false);
        for (int pass = 0; ; pass++)
        {
            lock (gate)
            {
                if (account.State.Closed) throw new PaymentRequiredException($"channel {channel} is closed");
                int unpaid = account.UnpaidPieces(PaidUnits(channel));
                if (unpaid >= config.ExposureBound)
                    throw new PaymentRequiredException($"the payer owes {unpaid} delivered tiles on channel {channel}; this node works on at most {config.ExposureBound} unpaid");
                if (account.State.Deposit >= Price * (account.Delivered + account.InFlight + units))
                {
                    account.InFlight += units;
                    return;
                }
            }
            if (pass > 0) throw new PaymentRequiredException($"channel {channel} cannot cover {units} more tile(s) at {Price} per tile (deposit {account.State.Deposit})");
            account = await AccountFor(channel, refresh: true); // maybe topped up since
        }
    }

    public void Release(BigInteger channel, bool delivered, int units = 1)
    {
        lock (gate)
        {
            var account = accounts[channel];
            account.InFlight -= units;
            if (!delivered) return;
            account.Delivered += units;
            account.Milestones.Add(account.Delivered);
        }
    }

    /// <summary>Checks and records a voucher; returns the total accepted on its channel and the tiles still unpaid.</summary>
    public async Task<(BigInteger Total, int Unpaid)> AcceptAsync(Voucher voucher)
    {
        await verifier.CheckAsync(voucher); // exactly what the escrow would accept, simulated on chain
        store?.Save(voucher);               // on disk before it counts, and before the payer hears it was accepted
        verifier.Commit(voucher);
        var account = await AccountFor(voucher.Channel, refresh: false);
        if (config.RedeemThresholdTiles > 0 && voucher.CumulativeAmount - account.State.Claimed >= Price * config.RedeemThresholdTiles)
            _ = RedeemInBackground(voucher.Channel);
        lock (gate) return (voucher.CumulativeAmount, account.UnpaidPieces(PaidUnits(voucher.Channel)));
    }

    async Task RedeemInBackground(BigInteger channel)
    {
        try
        {
            await RedeemAsync(channel);
            await AccountFor(channel, refresh: true); // the new claimed amount resets the threshold
        }
        catch (PaymentException) { } // the voucher is kept: the next threshold or the end of the job redeems it
    }

    /// <summary>Redeems the best voucher of a channel, if it pays more than was claimed; returns the transaction and the amount paid.</summary>
    public async Task<(string? Transaction, BigInteger Paid)> RedeemAsync(BigInteger channel)
    {
        var best = verifier.Latest(channel);
        if (best is null) return (null, 0);
        var state = await escrow.ChannelAsync(channel);
        if (best.CumulativeAmount <= state.Claimed) return (null, 0);
        var receipt = await escrow.RedeemAsync(best);
        return (receipt.TransactionHash, best.CumulativeAmount - state.Claimed);
    }
}
