using System.Numerics;
using Nethereum.ABI.EIP712;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Signer;
using Nethereum.Signer.EIP712;

namespace RenderNet.Payments;

/// <summary>The EIP-712 message a payer signs: "this channel's node has earned <c>CumulativeAmount</c> for <c>Tiles</c> tiles".</summary>
[Struct("Voucher")]
public sealed class VoucherMessage
{
    [Parameter("uint256", "channel", 1)] public BigInteger Channel { get; set; }
    [Parameter("uint256", "cumulativeAmount", 2)] public BigInteger CumulativeAmount { get; set; }
    [Parameter("uint256", "tiles", 3)] public BigInteger Tiles { get; set; }
}

/// <summary>A signed voucher as it travels from payer to node.</summary>
public sealed record Voucher(BigInteger Channel, BigInteger CumulativeAmount, BigInteger Tiles, string Signature);

/// <summary>The EIP-712 domain of one TileEscrow deployment: vouchers are bound to its chain and address.</summary>
public sealed record EscrowDomain(long ChainId, string EscrowAddress)
{
    public const string Name = "RenderNet TileEscrow";
    public const string Version = "1";

    public TypedData<Domain> TypedData() => new()
    {
        Domain = new Domain { Name = Name, Version = Version, ChainId = ChainId, VerifyingContract = EscrowAddress },
        Types = MemberDescriptionFactory.GetTypesMemberDescription(typeof(Domain), typeof(VoucherMessage)),
        PrimaryType = "Voucher",
    };
}

/// <summary>Signs vouchers with the payer's key (Nethereum's EIP-712 signer). The key never leaves this object.</summary>
public sealed class VoucherSigner(EscrowDomain domain, string payerPrivateKey)
{
    readonly EthECKey key = new(payerPrivateKey);
    readonly Eip712TypedDataSigner signer = new();
    readonly TypedData<Domain> typedData = domain.TypedData();

    public string PayerAddress => key.GetPublicAddress();

    public Voucher Sign(BigInteger channel, BigInteger cumulativeAmount, BigInteger tiles)
    {
        var message = new VoucherMessage { Channel = channel, CumulativeAmount = cumulativeAmount, Tiles = tiles };
        // Nethereum's typed-data signer keeps encoding state: concurrent signatures must take turns.
        lock (signer) return new Voucher(channel, cumulativeAmount, tiles, signer.SignTypedDataV4(message, typedData, key));
    }

    /// <summary>Signs a work session for a node under this signer's domain (see <see cref="WorkSession"/>).</summary>
    public string SignSession(WorkSession session)
    {
        lock (signer) return signer.SignTypedDataV4(session.Message(), WorkSession.TypedData(domain), key);
    }

    public override string ToString() => $"VoucherSigner({PayerAddress})"; // never the key
}
