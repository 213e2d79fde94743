using System.Numerics;
using Nethereum.ABI.EIP712;
using Nethereum.Signer.EIP712;
using Nethereum.Util;

namespace RenderNet.Payments;

/// <summary>Why a node refuses a voucher.</summary>
public sealed class VoucherRejectedException(string message) : Exception(message);

/// <summary>
/// The node's side of a channel: before it counts a voucher as payment it checks that the signature recovers the
/// channel's payer under this chain's and this escrow's EIP-712 domain, that the channel on chain is for this node and
/// holds enough deposit, and that the amount strictly increases over the last voucher it accepted. It remembers the best
/// voucher per channel: that is what it redeems.
/// </summary>
public sealed class VoucherVerifier(EscrowDomain domain, string nodeAddress, Func<BigInteger, Task<ChannelState>> readChannel)
{
    readonly Eip712TypedDataSigner signer = new();
    readonly TypedData<Domain> typedData = domain.TypedData();
    readonly Dictionary<BigInteger, Voucher> best = [];
    readonly Lock gate = new();

    public VoucherVerifier(EscrowDomain domain, string nodeAddress, EscrowClient escrow) : this(domain, nodeAddress, escrow.ChannelAsync) { }

    /// <summary>The highest accepted voucher of a channel, or null.</summary>
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

    /// <summary>Verifies and records <paramref name="voucher"/>; returns the amount it adds over the previous one.</summary>
    /// <exception cref="VoucherRejectedException">The voucher does not pay this node, with the reason.</exception>
    public async Task<BigInteger> AcceptAsync(Voucher voucher)
    {
        string signerAddress;
        try
        {
            signerAddress = RecoverSigner(voucher);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException)
        {
            throw new VoucherRejectedException($"voucher for channel {voucher.Channel} has a malformed signature");
        }
        var channel = await readChannel(voucher.Channel);
        if (channel.Payer == AddressUtil.ZERO_ADDRESS || string.IsNullOrEmpty(channel.Payer))
            throw new VoucherRejectedException($"channel {voucher.Channel} does not exist on escrow {domain.EscrowAddress}");
        if (!AddressUtil.Current.AreAddressesTheSame(signerAddress, channel.Payer))
            throw new VoucherRejectedException($"voucher for channel {voucher.Channel} is not signed by its payer (or not for chain {domain.ChainId} and escrow {domain.EscrowAddress})");
        if (!AddressUtil.Current.AreAddressesTheSame(channel.Node, nodeAddress))
            throw new VoucherRejectedException($"channel {voucher.Channel} pays {channel.Node}, not this node");
        if (channel.Closed)
            throw new VoucherRejectedException($"channel {voucher.Channel} is closed");
        if (voucher.CumulativeAmount > channel.Deposit)
            throw new VoucherRejectedException($"voucher of {voucher.CumulativeAmount} exceeds the channel's deposit of {channel.Deposit}");
        lock (gate)
        {
            var previous = best.GetValueOrDefault(voucher.Channel)?.CumulativeAmount ?? channel.Claimed;
            if (voucher.CumulativeAmount <= previous)
                throw new VoucherRejectedException($"voucher of {voucher.CumulativeAmount} does not increase on {previous} already accepted");
            best[voucher.Channel] = voucher;
            return voucher.CumulativeAmount - previous;
        }
    }
}
