using Nethereum.ABI.EIP712;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Signer;
using Nethereum.Signer.EIP712;

namespace RenderNet.Payments;

/// <summary>The EIP-712 struct a node signs to join a coordinator service over an outbound connection.</summary>
[Struct("NodeJoin")]
public sealed class NodeJoinMessage
{
    [Parameter("string", "service", 1)] public string Service { get; set; } = "";
    [Parameter("bytes32", "nonce", 2)] public byte[] Nonce { get; set; } = [];
    [Parameter("bytes32", "channelBinding", 3)] public byte[] ChannelBinding { get; set; } = [];
}

/// <summary>
/// "The holder of this key joins service S, answering its single-use challenge N, over the TLS connection whose server
/// certificate hashes to B." Signed with the node's payout key, so a service learns which identity (and payee) it is
/// talking to; the channel binding (the SHA-256 of the certificate the node saw; zero over plain loopback HTTP) means a
/// service that relays another service's challenge to a node cannot pass the node's answer on: the node saw the relay's
/// certificate, not the real service's. Not a chain message: the domain names no chain and no contract.
/// </summary>
public sealed record NodeJoin(string Service, byte[] Nonce, byte[] ChannelBinding)
{
    public const string DomainName = "RenderNet NodeJoin";

    NodeJoinMessage Message() => new() { Service = Service, Nonce = Nonce, ChannelBinding = ChannelBinding };

    static TypedData<Domain> TypedData() => new()
    {
        Domain = new Domain { Name = DomainName, Version = "1", ChainId = 0, VerifyingContract = "0x0000000000000000000000000000000000000000" },
        Types = MemberDescriptionFactory.GetTypesMemberDescription(typeof(Domain), typeof(NodeJoinMessage)),
        PrimaryType = "NodeJoin",
    };

    /// <summary>Signs with the node's key (the key stays with the caller).</summary>
    public string Sign(string nodePrivateKey)
    {
        CheckShape();
        lock (WorkResult.Eip712Gate) return new Eip712TypedDataSigner().SignTypedDataV4(Message(), TypedData(), new EthECKey(nodePrivateKey));
    }

    /// <summary>The address that signed, or null for a malformed or non-canonical signature.</summary>
    public string? RecoverSigner(string signature)
    {
        if (VoucherSignature.Problem(signature) is not null || Nonce.Length != 32 || ChannelBinding.Length != 32) return null;
        try
        {
            lock (WorkResult.Eip712Gate) return new Eip712TypedDataSigner().RecoverFromSignatureV4(Message(), TypedData(), signature);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null;
        }
    }

    void CheckShape()
    {
        if (Nonce.Length != 32 || ChannelBinding.Length != 32) throw new ArgumentException("a join's nonce and channel binding are 32 bytes each");
    }

    /// <summary>The binding for a connection: the SHA-256 of the server certificate's DER bytes, or 32 zero bytes without TLS.</summary>
    public static byte[] BindingOf(byte[]? serverCertificateDer) =>
        serverCertificateDer is null ? new byte[32] : System.Security.Cryptography.SHA256.HashData(serverCertificateDer);
}
