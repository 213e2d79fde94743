using System.Numerics;
using Nethereum.ABI.EIP712;
using Nethereum.Signer.EIP712;
using Nethereum.Util;

namespace RenderNet.Payments;

/// <summary>Why a node refuses a voucher.</summary>
public enum VoucherRejection
{
    MalformedSignature, NonCanonicalSignature, UnknownChannel, WrongSigner, NotThisNode, ChannelClosed, ExceedsDeposit, NotIncreasing,
    TilesDecrease, RefusedByChain,
}

/// <summary>A voucher the node will not count as payment, with the typed reason and a sentence for logs.</summary>
public sealed class VoucherRejectedException(VoucherRejection reason, string message) : Exception(message)
{
    public VoucherRejection Reason { get; } = reason;
}

/// <summary>What the verifier needs of the chain: a channel's state, and a dry run of the escrow's own redeem.</summary>
public interface IVoucherChain
{
    Task<ChannelState> ChannelAsync(BigInteger channel);

    /// <summary>Runs <c>redeem(voucher)</c> as an <c>eth_call</c> from the node: null when the escrow would pay it, else the
    /// contract's reason. Throws <see cref="PaymentException"/> when the chain cannot be asked.</summary>
    Task<string?> SimulateRedeemAsync(Voucher voucher);
}

/// <summary>
/// The node's side of a channel: a voucher counts as payment only if the escrow would honour it. Before anything
/// reaches the chain, the signature must be canonical exactly as OpenZeppelin demands and recover the channel's payer
/// under this chain's and this escrow's EIP-712 domain; the channel must be this node's, open and able to cover the
/// amount; amount and tile count must not go back. Then the escrow's own <c>redeem</c> is simulated with
/// <c>eth_call</c>, so whatever rule the contract applies, the node applies too. It remembers the best voucher per
/// channel (what it redeems) and never replaces it with a worse one.
/// </summary>
/// <remarks>Checking and recording are separate so the caller can persist a voucher before it counts
/// (<see cref="CheckAsync"/>, then <see cref="Commit"/>).</remarks>
public sealed class VoucherVerifier(EscrowDomain domain, string nodeAddress, IVoucherChain chain)
{
    readonly Eip712TypedDataSigner signer = new();
    readonly TypedData<Domain> typedData = domain.TypedData();
    readonly Dictionary<BigInteger, Voucher> best = [];
    readonly Lock gate = new();

    /// <summary>The best accepted voucher of a channel, or null.</summary>
    public Voucher? Latest(BigInteger channel)
    {
        lock (gate) return best.GetValueOrDefault(channel);
    }

    /// <summary>The address whose key signed <paramref name="voucher"/> under this domain (no chain access).</summary>
    public string RecoverSigner(Voucher voucher)
    {
        var message = new VoucherMessage { Channel = voucher.Channel, CumulativeAmount = voucher.CumulativeAmount, Tiles = voucher.Tiles };
        // Nethereum's typed-data signer keeps encoding state: concurrent recoveries must take turns.
        lock (signer) return signer.RecoverFromSignatureV4(message, typedData, voucher.Signature);
    }

    /// <summary>Checks <paramref name="voucher"/> as the escrow would, without recording it; returns the amount it adds.</summary>
    /// <exception cref="VoucherRejectedException">The voucher does not pay this node, with the reason.</exception>
    /// <exception cref="PaymentException">The chain could not be read.</exception>
    public async Task<BigInteger> CheckAsync(Voucher voucher)
    {
        if (VoucherSignature.Problem(voucher.Signature) is { } problem)
            throw new VoucherRejectedException(VoucherRejection.NonCanonicalSignature, $"voucher for channel {voucher.Channel}: its signature {problem}; the escrow would refuse it");
        string signerAddress;
        try
        {
            signerAddress = RecoverSigner(voucher);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException)
        {
            throw new VoucherRejectedException(VoucherRejection.MalformedSignature, $"voucher for channel {voucher.Channel} has a malformed signature");
        }
        var channel = await chain.ChannelAsync(voucher.Channel);
        if (channel.Payer == AddressUtil.ZERO_ADDRESS || string.IsNullOrEmpty(channel.Payer))
            throw new VoucherRejectedException(VoucherRejection.UnknownChannel, $"channel {voucher.Channel} does not exist on escrow {domain.EscrowAddress}");
        if (!AddressUtil.Current.AreAddressesTheSame(signerAddress, channel.Payer))
            throw new VoucherRejectedException(VoucherRejection.WrongSigner, $"voucher for channel {voucher.Channel} is not signed by its payer (or not for chain {domain.ChainId} and escrow {domain.EscrowAddress})");
        if (!AddressUtil.Current.AreAddressesTheSame(channel.Node, nodeAddress))
            throw new VoucherRejectedException(VoucherRejection.NotThisNode, $"channel {voucher.Channel} pays {channel.Node}, not this node");
        if (channel.Closed)
            throw new VoucherRejectedException(VoucherRejection.ChannelClosed, $"channel {voucher.Channel} is closed");
        if (voucher.CumulativeAmount > channel.Deposit)
            throw new VoucherRejectedException(VoucherRejection.ExceedsDeposit, $"voucher of {voucher.CumulativeAmount} exceeds the channel's deposit of {channel.Deposit}");
        var previous = Improves(voucher, channel);
        if (await chain.SimulateRedeemAsync(voucher) is { } refusal)
            throw new VoucherRejectedException(VoucherRejection.RefusedByChain, $"voucher for channel {voucher.Channel} would be refused by the escrow ({refusal})");
        return voucher.CumulativeAmount - previous;
    }

    /// <summary>Records a checked voucher as the channel's best, unless a better one was recorded meanwhile.</summary>
    public void Commit(Voucher voucher)
    {
        lock (gate)
            if (!best.TryGetValue(voucher.Channel, out var current) || voucher.CumulativeAmount > current.CumulativeAmount)
                best[voucher.Channel] = voucher;
    }

    /// <summary>Checks and records <paramref name="voucher"/>; returns the amount it adds over the previous one.</summary>
    public async Task<BigInteger> AcceptAsync(Voucher voucher)
    {
        var added = await CheckAsync(voucher);
        Commit(voucher);
        return added;
    }

    /// <summary>The amount the voucher must beat (the best accepted, else what was claimed); throws if it does not.</summary>
    BigInteger Improves(Voucher voucher, ChannelState channel)
    {
        lock (gate)
        {
            var current = best.GetValueOrDefault(voucher.Channel);
            var previous = BigInteger.Max(current?.CumulativeAmount ?? 0, channel.Claimed);
            if (voucher.CumulativeAmount <= previous)
                throw new VoucherRejectedException(VoucherRejection.NotIncreasing, $"voucher of {voucher.CumulativeAmount} does not increase on {previous} already accepted");
            var tiles = BigInteger.Max(current?.Tiles ?? 0, channel.Tiles);
            if (voucher.Tiles < tiles)
                throw new VoucherRejectedException(VoucherRejection.TilesDecrease, $"voucher for channel {voucher.Channel} counts {voucher.Tiles} tiles, fewer than the {tiles} already accepted");
            return previous;
        }
    }
}
