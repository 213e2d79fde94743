using System.Numerics;
using Nethereum.ABI.EIP712;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Signer.EIP712;

namespace RenderNet.Payments;

/// <summary>
/// The EIP-712 message a payer signs to let a coordinator spend its channel on one node for a while: "node N may take
/// work on channel C until <c>expires</c>", bound to a single-use challenge the node issued. Signed under the escrow's
/// domain, so it cannot be replayed on another chain or escrow; an unpaid node uses channel 0 under a zero domain.
/// </summary>
[Struct("WorkSession")]
public sealed class WorkSessionMessage
{
    [Parameter("address", "node", 1)] public string Node { get; set; } = "";
    [Parameter("uint256", "channel", 2)] public BigInteger Channel { get; set; }
    [Parameter("bytes32", "nonce", 3)] public byte[] Nonce { get; set; } = [];
    [Parameter("uint64", "expires", 4)] public ulong Expires { get; set; }
}

/// <summary>A work session as the payer signs it.</summary>
public sealed record WorkSession(string Node, BigInteger Channel, byte[] Nonce, ulong Expires)
{
    internal WorkSessionMessage Message() => new() { Node = Node, Channel = Channel, Nonce = Nonce, Expires = Expires };

    internal static TypedData<Domain> TypedData(EscrowDomain domain) => new()
    {
        Domain = new Domain { Name = EscrowDomain.Name, Version = EscrowDomain.Version, ChainId = domain.ChainId, VerifyingContract = domain.EscrowAddress },
        Types = MemberDescriptionFactory.GetTypesMemberDescription(typeof(Domain), typeof(WorkSessionMessage)),
        PrimaryType = "WorkSession",
    };

    /// <summary>The address that signed this session (canonical signatures only), or null for a malformed one.</summary>
    public string? RecoverSigner(EscrowDomain domain, string signature)
    {
        if (VoucherSignature.Problem(signature) is not null || Nonce.Length != 32) return null;
        try
        {
            return new Eip712TypedDataSigner().RecoverFromSignatureV4(Message(), TypedData(domain), signature);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The domain of sessions with unpaid nodes (no chain, no escrow).</summary>
    public static EscrowDomain UnpaidDomain { get; } = new(0, "0x0000000000000000000000000000000000000000");
}
