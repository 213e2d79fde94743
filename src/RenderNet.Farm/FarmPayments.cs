using Grpc.Core;

namespace RenderNet.Farm;

/// <summary>
/// The payer's side of one job's farm: a channel and a work session per paid node (restored from the journal on a
/// resume, without paying anything twice), deposits topped up as work is handed out, one cumulative voucher per
/// delivery with the last <see cref="FarmOptions.HoldBackUnits"/> held until the job's checks are settled, and the
/// nodes' redeem at the end. Its state lives on each <see cref="FarmNode"/> (channel, session, unit counters); it never
/// takes the farm's lock, so the farm may call it while holding none.
/// </summary>
internal sealed class FarmPayments(FarmWorkload work, FarmOptions options, FarmJournal? journal, Action<string> warn)
{
    /// <summary>What a unit of work costs when this node delivers it (0 for a node that renders for free).</summary>
    public System.Numerics.BigInteger CostOf(FarmNode node, int unit) => CostOfUnits(node, work.PriceUnitsOf(unit));

    /// <summary>What work of <paramref name="units"/> price units (a part of a unit, for a spot check) costs from this node.</summary>
    public System.Numerics.BigInteger CostOfUnits(FarmNode node, int units) =>
        node.Channel.Length == 0 ? System.Numerics.BigInteger.Zero : (System.Numerics.BigInteger)node.Caps!.PricePerTile * units;

    /// <summary>Funds the node for a unit of work and counts it in flight (<see cref="Returned"/> when the attempt ends).</summary>
    public Task DispatchAsync(FarmNode node, int unit) => DispatchUnitsAsync(node, work.PriceUnitsOf(unit));

    /// <summary>As <see cref="DispatchAsync"/>, for work of <paramref name="units"/> price units.</summary>
    public async Task DispatchUnitsAsync(FarmNode node, int units)
    {
        await FundAsync(node, units);
        Interlocked.Add(ref node.InFlightUnits, units);
    }

    /// <param name="resultLost">The attempt was abandoned without a result (superseded, timed out): the node may have finished it anyway.</param>
    public void Returned(FarmNode node, int unit, bool resultLost = false) => ReturnedUnits(node, work.PriceUnitsOf(unit), resultLost);

    public void ReturnedUnits(FarmNode node, int units, bool resultLost = false)
    {
        Interlocked.Add(ref node.InFlightUnits, -units);
        if (resultLost) Interlocked.Add(ref node.UnconfirmedUnits, units);
    }

    /// <summary>A valid result came back: the node counts it as owed, whoever's copy wins.</summary>
    public void Delivered(FarmNode node, int unit) => DeliveredUnits(node, work.PriceUnitsOf(unit));

    public void DeliveredUnits(FarmNode node, int units) => Interlocked.Add(ref node.DeliveredUnits, units);

    /// <summary>Pays for a unit the node delivered (partly held back, see <see cref="PayAsync"/>).</summary>
    public Task PayForAsync(FarmNode node, int unit) => PayAsync(node, work.PriceUnitsOf(unit));

    /// <summary>The nodes with a channel redeem what they were paid (at the end of the job, or when it stops).</summary>
    public Task RedeemAllAsync(IEnumerable<FarmNode> nodes) => Task.WhenAll(nodes.Where(n => n.Channel.Length > 0).Select(RedeemAsync));

    /// <summary>Tokens paid to a node so far.</summary>
    public System.Numerics.BigInteger PaidTo(FarmNode node) => options.Payer?.Account(node.Client.Address)?.Amount ?? 0;

    /// <summary>
    /// Opens the node's work session, signed by the payer (paid node) or the coordinator key (unpaid node with an --allow
    /// list); an unpaid node without a key to offer needs none (it serves callers on its own machine). False, with
    /// the node excluded, when the node refuses.
    /// </summary>
    public async Task<bool> OpenSessionAsync(FarmNode node, CancellationToken cancellation)
    {
        bool paid = node.Channel.Length > 0;
        var signer = paid ? options.Payer?.SessionSigner : options.CoordinatorSigner;
        if (signer is null)
        {
            node.SessionOpen = true;
            return true;
        }
        try
        {
            await node.Client.OpenSessionAsync(paid ? System.Numerics.BigInteger.Parse(node.Channel) : System.Numerics.BigInteger.Zero,
                paid ? node.Caps!.PaymentAddress : RenderNet.Payments.WorkSession.UnpaidDomain.EscrowAddress, signer.SignSession, options.SessionLifetime, cancellation);
            node.SessionOpen = true;
            return true;
        }
        catch (RpcException ex) when (!cancellation.IsCancellationRequested)
        {
            node.Excluded = $"no work session: {Printable.Clean(ex.Status.Detail)}";
            warn($"node {node.Name}: {node.Excluded}");
            return false;
        }
    }

    /// <param name="unitsLeft">Price units of the job not delivered yet: a first share of them is funded.</param>
    public async Task OpenChannelAsync(FarmNode node, int unitsLeft)
    {
        var caps = node.Caps!;
        if (string.IsNullOrEmpty(caps.PaymentAddress)) return; // renders for free
        var payer = options.Payer;
        if (payer is null)
        {
            node.Excluded = "renders for pay, and this job has no payer";
            warn($"node {node.Name}: {node.Excluded}");
            return;
        }
        if (!string.Equals(caps.EscrowAddress, payer.EscrowAddress, StringComparison.OrdinalIgnoreCase) || (long)caps.ChainId != payer.ChainId)
        {
            node.Excluded = $"takes vouchers on escrow {caps.EscrowAddress} (chain {caps.ChainId}), not this job's {payer.EscrowAddress} (chain {payer.ChainId})";
            warn($"node {node.Name}: {node.Excluded}");
            return;
        }
        try
        {
            // A resumed job keeps paying on the channel it opened before, from its last journaled voucher, and re-sends
            // that voucher in case the crash came between journaling and sending it. No tile is ever paid twice.
            if (journal?.PaymentState(node.Client.Address, payer.EscrowAddress, payer.ChainId) is var (channel, price, latest))
            {
                payer.Restore(node.Client.Address, channel, price, latest);
                node.Channel = channel.ToString();
                if (!await OpenSessionAsync(node, CancellationToken.None)) return;
                // Units it delivered whose voucher the crash prevented (or that were held back) are paid now, in one
                // cumulative voucher: price units on both sides, compared like with like.
                int delivered = journal.DeliveredBy(node.Client.Address).Sum(work.PriceUnitsOf);
                int paid = latest is null ? 0 : (int)latest.Tiles;
                var resend = delivered > paid ? payer.PayTile(node.Client.Address, delivered - paid) : latest;
                if (resend is not null)
                {
                    if (resend != latest) journal.SaveVoucher(node.Client.Address, resend);
                    try { await node.Client.SubmitVoucherAsync(resend, CancellationToken.None); }
                    catch (RpcException) { } // it had it already; the next tile's voucher carries the total anyway
                }
                return;
            }
            // Funded for a first share of the job only; EnsureFundedAsync tops it up as work is handed out.
            int units = Math.Min(unitsLeft, Math.Max(1, options.FundingUnits));
            var opened = await payer.OpenAsync(node.Client.Address, caps.PaymentAddress, caps.PricePerTile, units);
            journal?.SaveChannel(node.Client.Address, opened, caps.PricePerTile, payer.EscrowAddress, payer.ChainId);
            node.Channel = opened.ToString();
        }
        catch (RenderNet.Payments.PaymentException ex)
        {
            node.Excluded = $"no channel could be opened: {ex.Message}";
            warn($"node {node.Name}: {node.Excluded}");
        }
    }

    /// <summary>
    /// Pays a delivered tile. Not cut short by the job's cancellation: a tile that was delivered is paid in full, even
    /// by a job cancelled a moment later (the voucher is bounded by the connect timeout instead).
    /// </summary>
    public async Task PayAsync(FarmNode node, int units)
    {
        if (node.Channel.Length == 0 || options.Payer is null) return;
        // The last HoldBackUnits of a node's pay wait until the job's checks are settled (SettleHeldAsync): a node
        // convicted before then loses them. The rest is paid at once, so an honest node never waits on it.
        lock (node.PaymentGate)
        {
            node.HeldUnits += units;
            int now = Math.Max(0, node.HeldUnits - options.HoldBackUnits);
            node.HeldUnits -= now;
            node.UnsentUnits += now;
            // One voucher at a time per node: what is delivered while one is signed and sent goes in the next, in one
            // signature (vouchers are cumulative), so signing keeps pace with any tile rate. The caller already sending
            // sends it; every caller is a farm worker, so the job's end waits for it.
            if (node.UnsentUnits == 0 || node.VoucherInFlight) return;
            node.VoucherInFlight = true;
        }
        try
        {
            while (true)
            {
                int batch;
                lock (node.PaymentGate)
                {
                    batch = node.UnsentUnits;
                    node.UnsentUnits = 0;
                    if (batch == 0)
                    {
                        node.VoucherInFlight = false;
                        return;
                    }
                }
                await SendVoucherAsync(node, batch);
            }
        }
        catch
        {
            lock (node.PaymentGate) node.VoucherInFlight = false;
            throw;
        }
    }

    /// <summary>
    /// Whether the node's disagreeing checks may stay unpaid until their verdict (under the farm's lock, the latest
    /// counted in <see cref="FarmNode.HeldDissentUnits"/>): only while what this payer holds back from it leaves room for
    /// a piece of work under the bound it declared (<see cref="RenderNet.Protocol.Capabilities.ExposureBoundUnits"/>).
    /// Beyond that the node would refuse every piece, the checks that bring the verdict among them, and the job would
    /// wait for ever; a node that declares no bound is held nothing.
    /// </summary>
    public bool CanHold(FarmNode node) => LeavesRoom(node, node.HeldDissentUnits);

    /// <summary>Whether the node's bound leaves room to hold a disagreeing check at all (one unit beyond the held-back share).</summary>
    public bool CanHoldACheck(FarmNode node) => LeavesRoom(node, heldChecks: 1);

    /// <summary>Whether, with the held-back share and <paramref name="heldChecks"/> units of checks unpaid, the node can still start a piece.</summary>
    bool LeavesRoom(FarmNode node, long heldChecks) =>
        node.Channel.Length == 0 || options.HoldBackUnits + heldChecks < (long)(node.Caps?.ExposureBoundUnits ?? 0);

    /// <summary>Pays what was held back, to every node not convicted (at the end of the job, checks settled).</summary>
    public async Task SettleHeldAsync(IEnumerable<FarmNode> nodes)
    {
        var owed = new List<(FarmNode Node, int Units)>();
        foreach (var n in nodes.Where(n => !n.Convicted))
            lock (n.PaymentGate)
                if (n.HeldUnits > 0)
                {
                    owed.Add((n, n.HeldUnits));
                    n.HeldUnits = 0;
                }
        await Task.WhenAll(owed.Select(o => SendVoucherAsync(o.Node, o.Units)));
    }

    async Task SendVoucherAsync(FarmNode node, int units)
    {
        if (options.Payer is not { } payer) return;
        await node.PayLock.WaitAsync(CancellationToken.None);
        try
        {
            var voucher = payer.PayTile(node.Client.Address, units);
            journal?.SaveVoucher(node.Client.Address, voucher);
            try
            {
                using var deadline = new CancellationTokenSource(options.ConnectTimeout);
                await node.Client.SubmitVoucherAsync(voucher, deadline.Token);
            }
            catch (RpcException ex)
            {
                // The node still gets paid: a later voucher (or this one from the journal) carries the cumulative amount.
                warn($"node {node.Name}: voucher for {voucher.Tiles} tiles not delivered: {Printable.Clean(ex.Status.Detail)}");
            }
        }
        finally
        {
            node.PayLock.Release();
        }
    }

    /// <summary>Makes the node's channel cover everything delivered to it, everything in flight (or abandoned unconfirmed) and <paramref name="units"/> more.</summary>
    public async Task FundAsync(FarmNode node, int units)
    {
        if (node.Channel.Length == 0 || options.Payer is not { } payer) return;
        await node.FundLock.WaitAsync(CancellationToken.None);
        try
        {
            int delivered = Math.Max(Volatile.Read(ref node.DeliveredUnits), payer.Account(node.Client.Address)?.Tiles ?? 0);
            int inFlight = Volatile.Read(ref node.InFlightUnits) + Volatile.Read(ref node.UnconfirmedUnits);
            await payer.EnsureFundedAsync(node.Client.Address, delivered + inFlight + units, options.FundingUnits);
        }
        catch (RenderNet.Payments.PaymentException ex)
        {
            // Not fatal here: the node refuses work its channel cannot cover, and that counts against it as usual.
            warn($"node {node.Name}: its channel could not be topped up: {ex.Message}");
        }
        finally
        {
            node.FundLock.Release();
        }
    }

    /// <summary>A node says it awaits payment: the voucher it lacks may have been lost on the way, so it goes again.</summary>
    public async Task ResendLatestVoucherAsync(FarmNode node)
    {
        if (node.Channel.Length == 0 || options.Payer?.LatestVoucher(node.Client.Address) is not { } voucher) return;
        await node.PayLock.WaitAsync(CancellationToken.None);
        try
        {
            using var deadline = new CancellationTokenSource(options.ConnectTimeout);
            await node.Client.SubmitVoucherAsync(voucher, deadline.Token);
        }
        catch (RpcException) { } // it has it already, or cannot take it now: the busy budget decides
        finally
        {
            node.PayLock.Release();
        }
    }

    static bool IsTransactionHash(string value) =>
        value.Length == 66 && value.StartsWith("0x", StringComparison.Ordinal) && value.Skip(2).All(Uri.IsHexDigit);

    async Task RedeemAsync(FarmNode node)
    {
        try
        {
            var reply = await node.Client.RedeemAsync(System.Numerics.BigInteger.Parse(node.Channel), CancellationToken.None);
            // The node's word, shown in receipts and linked from dashboards: only a well-formed hash is kept.
            node.RedeemTransaction = IsTransactionHash(reply.TransactionHash) ? reply.TransactionHash.ToLowerInvariant() : null;
            if (reply.TransactionHash.Length > 0 && node.RedeemTransaction is null)
                warn($"node {node.Name}: its redeem transaction '{Printable.Clean(reply.TransactionHash, 80)}' is not a transaction hash");
        }
        catch (RpcException ex)
        {
            warn($"node {node.Name}: did not redeem at the end of the job ({Printable.Clean(ex.Status.Detail)}); it can still redeem its vouchers later");
        }
    }
}
