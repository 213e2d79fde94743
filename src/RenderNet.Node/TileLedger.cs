using System.Numerics;
using RenderNet.Payments;

namespace RenderNet.Node;

/// <summary>Why a node will not take a piece of work on a channel now.</summary>
public enum PaymentRefusal { UnknownChannel, NotThisNode, Closed, UnlockPending, TooLarge, AwaitingPayment, CannotCover }

/// <summary>A payer's channel is not good for another piece of work: the typed reason and a sentence for the payer.</summary>
public sealed class PaymentRequiredException(PaymentRefusal reason, string message) : Exception(message)
{
    public PaymentRefusal Reason { get; } = reason;
}

/// <summary>
/// What each payer owes this node, in money. Every piece of work is priced by its size (<c>units × price</c>); before one
/// starts, the channel must be this node's, open, not unlocking, and able to cover everything earned and in flight on
/// it plus this piece; and the payer — across all its channels — must owe less than <see cref="NodePayment.ExposureBound"/>
/// units' worth, counting work in flight, before a new piece starts (so exposure stays below the bound plus one piece). Earnings are persisted in the state directory (with the vouchers), so a
/// restart forgets no debt; payments made before this node first served a channel never count for new work.
/// </summary>
/// <summary>One channel's earnings (token base units); <see cref="Pending"/> is vouchered but not yet redeemed.</summary>
public sealed record ChannelEarnings(BigInteger Channel, string Payer, BigInteger Earned, BigInteger Vouchered, BigInteger Redeemed, string? LastRedeemTransaction)
{
    public BigInteger Pending => Vouchered - Redeemed;
}

public sealed class TileLedger
{
    readonly NodePayment config;
    readonly EscrowClient escrow;
    readonly VoucherVerifier verifier;
    readonly VoucherStore store;
    readonly LedgerStore ledgerStore;
    readonly Dictionary<BigInteger, ChannelAccount> channels = [];
    readonly Lock gate = new();

    sealed class ChannelAccount(string payer, BigInteger baseline, BigInteger earned)
    {
        public string Payer { get; } = payer;
        /// <summary>Paid on the channel before this node first served it (not payment for anything it tracks).</summary>
        public BigInteger Baseline { get; } = baseline;
        public BigInteger Earned = earned, InFlight;
        public ChannelState? State;
        public string? LastRedeemTransaction;
    }

    public TileLedger(NodePayment config, ulong pricePerUnit, string stateDirectory)
    {
        this.config = config;
        Price = pricePerUnit;
        var web3 = new Nethereum.Web3.Web3(new Nethereum.Web3.Accounts.Account(config.NodeKey, config.ChainId), config.RpcUrl);
        escrow = new EscrowClient(web3, config.EscrowAddress, config.TokenAddress);
        Address = PaymentKeys.AddressOf(config.NodeKey);
        verifier = new VoucherVerifier(new EscrowDomain(config.ChainId, config.EscrowAddress), Address, escrow);
        store = new VoucherStore(stateDirectory);
        ledgerStore = new LedgerStore(stateDirectory);
        foreach (var (id, record) in ledgerStore.Load()) channels[id] = new ChannelAccount(record.Payer, record.Baseline, record.Earned);
    }

    public string Address { get; }
    public BigInteger Price { get; }
    /// <summary>The most one payer may owe, work in flight included.</summary>
    public BigInteger Bound => Price * config.ExposureBound;

    /// <summary>
    /// The state directory's sub-directory for this chain and escrow: channel ids are per escrow, and a local chain
    /// started again reuses ids and addresses, so the genesis hash is part of the name. Checks the RPC's chain id.
    /// </summary>
    public static async Task<string> ScopeAsync(NodePayment config)
    {
        var escrow = new EscrowClient(new Nethereum.Web3.Web3(config.RpcUrl), config.EscrowAddress, config.TokenAddress);
        var (chainId, genesis) = await escrow.ChainIdentityAsync();
        if (chainId != config.ChainId)
            throw new PaymentException($"the RPC endpoint serves chain {chainId}, not the configured chain {config.ChainId}");
        return $"{chainId}-{config.EscrowAddress.ToLowerInvariant()}-{genesis.ToLowerInvariant().Replace("0x", "")[..16]}";
    }

    /// <summary>Checks that the escrow leaves the node time to redeem after a payer asks to unlock.</summary>
    public async Task CheckEscrowAsync()
    {
        var delay = await escrow.UnlockDelayAsync();
        if (delay < (ulong)config.MinUnlockDelay.TotalSeconds)
            throw new PaymentException($"escrow {config.EscrowAddress} lets payers reclaim {delay} s after asking; this node needs at least {config.MinUnlockDelay.TotalSeconds:F0} s to redeem safely");
    }

    /// <summary>
    /// Follows the escrow's <c>UnlockRequested</c> events for this node's channels — one <c>eth_getLogs</c> per interval,
    /// however many channels there are — and on each: marks the channel as unlocking (no more work on it) and redeems
    /// what it holds, so the payer's reclaim can never take what the node earned. Runs until <paramref name="stopping"/>
    /// is cancelled; a chain that cannot be read is asked again next round, from the same block.
    /// </summary>
    public async Task WatchUnlocksAsync(TimeSpan interval, CancellationToken stopping)
    {
        ulong? from = null;
        while (!stopping.IsCancellationRequested)
        {
            try { await Task.Delay(interval, stopping); }
            catch (OperationCanceledException) { return; }
            List<BigInteger> ids;
            lock (gate) ids = channels.Keys.ToList();
            try
            {
                ulong latest = await escrow.BlockNumberAsync();
                from ??= latest > 1000 ? latest - 1000 : 0; // a restarted node also catches requests made just before
                if (ids.Count > 0)
                    foreach (var channel in await escrow.UnlocksRequestedAsync(ids, from.Value, latest))
                    {
                        var state = await RefreshAsync(channel);
                        if (!state.Closed && verifier.Latest(channel) is { } best && best.CumulativeAmount > state.Claimed)
                        {
                            await RedeemAsync(channel);
                            await RefreshAsync(channel);
                        }
                    }
                from = latest + 1;
            }
            catch (PaymentException) { } // the chain is unreachable or refused: try again next round
        }
    }

    /// <summary>Redeems what a previous run of this node was paid and had not redeemed (after a crash, say).</summary>
    public async Task<IReadOnlyList<(BigInteger Channel, string? Transaction, BigInteger Paid)>> RedeemStoredAsync()
    {
        var results = new List<(BigInteger, string?, BigInteger)>();
        foreach (var voucher in store.Load())
        {
            try { await verifier.AcceptAsync(voucher); }
            catch (VoucherRejectedException) { continue; } // already redeemed, or the channel closed: the chain refuses it now
            var (tx, paid) = await RedeemAsync(voucher.Channel);
            results.Add((voucher.Channel, tx, paid));
        }
        return results;
    }

    /// <summary>Redeems every channel with an unredeemed voucher (on drain: a node going away must not leave money behind).</summary>
    public async Task RedeemAllAsync()
    {
        List<BigInteger> ids;
        lock (gate) ids = channels.Keys.ToList();
        foreach (var id in ids)
        {
            try { await RedeemAsync(id); }
            catch (PaymentException) { } // kept in the voucher store: the next start redeems it
        }
    }

    async Task<ChannelState> RefreshAsync(BigInteger channel)
    {
        var state = await escrow.ChannelAsync(channel);
        lock (gate) if (channels.TryGetValue(channel, out var account)) account.State = state;
        return state;
    }

    /// <summary>The channel's account, read from chain (and created, with its baseline) the first time it is used.</summary>
    async Task<ChannelAccount> AccountFor(BigInteger channel, bool refresh)
    {
        ChannelAccount? account;
        lock (gate) channels.TryGetValue(channel, out account);
        if (account?.State is not null && !refresh) return account;
        var state = await escrow.ChannelAsync(channel);
        if (string.IsNullOrEmpty(state.Payer) || state.Payer == Nethereum.Util.AddressUtil.ZERO_ADDRESS)
            throw new PaymentRequiredException(PaymentRefusal.UnknownChannel, $"channel {channel} does not exist on escrow {config.EscrowAddress}");
        if (!string.Equals(state.Node, Address, StringComparison.OrdinalIgnoreCase))
            throw new PaymentRequiredException(PaymentRefusal.NotThisNode, $"channel {channel} pays {state.Node}, not this node ({Address})");
        bool created = false;
        lock (gate)
        {
            if (!channels.TryGetValue(channel, out account))
            {
                var paidBefore = BigInteger.Max(state.Claimed, verifier.Latest(channel)?.CumulativeAmount ?? 0);
                channels[channel] = account = new ChannelAccount(state.Payer.ToLowerInvariant(), paidBefore, 0);
                created = true;
            }
            account.State = state;
        }
        if (created) Persist();
        return account;
    }

    /// <summary>Paid on a channel for work this node tracks (under the lock).</summary>
    BigInteger PaidOn(BigInteger id, ChannelAccount account) =>
        BigInteger.Max(0, BigInteger.Max(account.State?.Claimed ?? 0, verifier.Latest(id)?.CumulativeAmount ?? 0) - account.Baseline);

    /// <summary>What a payer owes across all its channels, and what it has in flight (under the lock).</summary>
    (BigInteger Owed, BigInteger InFlight) Exposure(string payer)
    {
        BigInteger owed = 0, inFlight = 0;
        foreach (var (id, a) in channels)
            if (a.Payer == payer)
            {
                owed += BigInteger.Max(0, a.Earned - PaidOn(id, a));
                inFlight += a.InFlight;
            }
        return (owed, inFlight);
    }

    /// <summary>The payer of a channel of this node's, from chain; null when the channel does not exist or pays another node.</summary>
    public async Task<string?> PayerOfAsync(BigInteger channel)
    {
        var state = await escrow.ChannelAsync(channel);
        return string.Equals(state.Node, Address, StringComparison.OrdinalIgnoreCase) && state.Payer != Nethereum.Util.AddressUtil.ZERO_ADDRESS ? state.Payer : null;
    }

    /// <summary>Reserves credit for one piece of work of <paramref name="units"/> price units, or says why not.</summary>
    /// <exception cref="PaymentRequiredException">The typed reason the work is refused now.</exception>
    public async Task ReserveAsync(BigInteger channel, long units)
    {
        if (units > config.MaxUnitsPerPiece)
            throw new PaymentRequiredException(PaymentRefusal.TooLarge, $"a piece of {units} price units exceeds this node's limit of {config.MaxUnitsPerPiece}; split the work into smaller tiles");
        var cost = Price * units;
        var account = await AccountFor(channel, refresh: false);
        for (int pass = 0; ; pass++)
        {
            lock (gate)
            {
                var state = account.State!;
                if (state.Closed) throw new PaymentRequiredException(PaymentRefusal.Closed, $"channel {channel} is closed");
                if (state.UnlockAt != 0)
                {
                    _ = RedeemQuietlyAsync(channel); // the payer is leaving: collect before the unlock completes
                    throw new PaymentRequiredException(PaymentRefusal.UnlockPending, $"channel {channel} is unlocking (its payer asked for the deposit back): this node takes no more work on it");
                }
                var (owed, inFlight) = Exposure(account.Payer);
                // What is already exposed must be within the bound before more work starts; the new piece adds at most
                // MaxUnitsPerPiece. (Counting the new piece too would make pieces larger than the bound impossible
                // whenever a payer holds back its last share until its checks are settled.)
                if (owed + inFlight >= Bound)
                    throw new PaymentRequiredException(PaymentRefusal.AwaitingPayment,
                        $"the payer owes {owed} and has {inFlight} in flight on this node; it starts no more work with {Bound} or more unpaid");
                if (account.Baseline + account.Earned + account.InFlight + cost <= state.Deposit)
                {
                    account.InFlight += cost;
                    return;
                }
            }
            if (pass > 0)
                throw new PaymentRequiredException(PaymentRefusal.CannotCover, $"channel {channel} cannot cover {units} more unit(s) at {Price} per unit (deposit {account.State!.Deposit})");
            account = await AccountFor(channel, refresh: true); // maybe topped up since
        }
    }

    /// <summary>Ends a reservation; delivered work is owed from now on (and persisted before this returns).</summary>
    public void Release(BigInteger channel, long units, bool delivered)
    {
        var cost = Price * units;
        lock (gate)
        {
            var account = channels[channel];
            account.InFlight -= cost;
            if (!delivered) return;
            account.Earned += cost;
        }
        Persist();
    }

    void Persist()
    {
        Dictionary<BigInteger, LedgerStore.ChannelRecord> snapshot;
        lock (gate) snapshot = channels.ToDictionary(c => c.Key, c => new LedgerStore.ChannelRecord(c.Value.Payer, c.Value.Baseline, c.Value.Earned));
        ledgerStore.Save(snapshot);
    }

    /// <summary>Checks a voucher exactly as the escrow would, stores it, then counts it; returns the channel's total and what its payer still owes.</summary>
    public async Task<(BigInteger Total, BigInteger Owed)> AcceptAsync(Voucher voucher)
    {
        await verifier.CheckAsync(voucher); // exactly what the escrow would accept, simulated on chain
        store.Save(voucher);                // on disk before it counts, and before the payer hears it was accepted
        verifier.Commit(voucher);
        var account = await AccountFor(voucher.Channel, refresh: false);
        if (config.RedeemThresholdTiles > 0 && voucher.CumulativeAmount - account.State!.Claimed >= Price * config.RedeemThresholdTiles)
            _ = RedeemQuietlyAsync(voucher.Channel);
        lock (gate) return (voucher.CumulativeAmount, Exposure(account.Payer).Owed);
    }

    async Task RedeemQuietlyAsync(BigInteger channel)
    {
        try
        {
            await RedeemAsync(channel);
            await RefreshAsync(channel); // the new claimed amount resets the threshold
        }
        catch (PaymentException) { } // the voucher is kept: the next threshold, the unlock watcher or the next start redeems it
    }

    /// <summary>Redeems the best voucher of a channel, if it pays more than was claimed; returns the transaction and the amount paid.</summary>
    public async Task<(string? Transaction, BigInteger Paid)> RedeemAsync(BigInteger channel)
    {
        var best = verifier.Latest(channel);
        if (best is null) return (null, 0);
        var state = await escrow.ChannelAsync(channel);
        if (best.CumulativeAmount <= state.Claimed) return (null, 0);
        var receipt = await escrow.RedeemAsync(best);
        lock (gate)
            if (channels.TryGetValue(channel, out var account))
            {
                account.LastRedeemTransaction = receipt.TransactionHash;
                account.State = (account.State ?? state) with { Claimed = best.CumulativeAmount }; // what the chain now holds
            }
        return (receipt.TransactionHash, best.CumulativeAmount - state.Claimed);
    }

    /// <summary>
    /// What each channel has brought this node, in token base units, counted from when the node first served it:
    /// work delivered, vouchers the payer signed, what is redeemed on chain (as last seen).
    /// </summary>
    public IReadOnlyList<ChannelEarnings> Earnings()
    {
        lock (gate)
            return channels.Select(c =>
            {
                var a = c.Value;
                var vouchered = BigInteger.Max(0, (verifier.Latest(c.Key)?.CumulativeAmount ?? 0) - a.Baseline);
                var redeemed = BigInteger.Max(0, (a.State?.Claimed ?? 0) - a.Baseline);
                return new ChannelEarnings(c.Key, a.Payer, a.Earned, vouchered, BigInteger.Min(redeemed, vouchered), a.LastRedeemTransaction);
            }).OrderBy(e => e.Channel).ToList();
    }
}
