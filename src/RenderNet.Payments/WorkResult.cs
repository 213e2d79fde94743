using Nethereum.ABI.EIP712;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Signer;
using Nethereum.Signer.EIP712;

namespace RenderNet.Payments;

/// <summary>The EIP-712 struct a node signs over every result it delivers (NodeRegistry's WORK_RESULT_TYPEHASH).</summary>
[Struct("WorkResult")]
public sealed class WorkResultMessage
{
    [Parameter("bytes32", "job", 1)] public byte[] Job { get; set; } = [];
    [Parameter("bytes32", "spec", 2)] public byte[] Spec { get; set; } = [];
    [Parameter("bytes32", "unit", 3)] public byte[] Unit { get; set; } = [];
    [Parameter("bytes32", "result", 4)] public byte[] Result { get; set; } = [];
    [Parameter("bytes32", "pipeline", 5)] public byte[] Pipeline { get; set; } = [];
}

/// <summary>
/// The domain results are signed under: one NodeRegistry deployment, whose <c>slash</c> accepts them as evidence. A node
/// with no registry signs under <see cref="None"/>: its signatures prove who delivered a result, but slash nothing.
/// </summary>
public sealed record RegistryDomain(long ChainId, string RegistryAddress)
{
    public const string Name = "RenderNet NodeRegistry";
    public static RegistryDomain None { get; } = new(0, "0x0000000000000000000000000000000000000000");

    internal TypedData<Domain> TypedData() => new()
    {
        Domain = new Domain { Name = Name, Version = "1", ChainId = ChainId, VerifyingContract = RegistryAddress },
        Types = MemberDescriptionFactory.GetTypesMemberDescription(typeof(Domain), typeof(WorkResultMessage)),
        PrimaryType = "WorkResult",
    };
}

/// <summary>
/// "I delivered <c>Result</c> for this work": the job, the spec (everything that decides the pixels or bytes), the unit
/// (a tile's rectangle, a segment), the result's hash and the pipeline fingerprint, each 32 bytes. Honest nodes on one
/// pipeline sign the same result for the same spec and unit; two that agree against a third are the registry's evidence.
/// </summary>
public sealed record WorkResult(byte[] Job, byte[] Spec, byte[] Unit, byte[] Result, byte[] Pipeline)
{
    WorkResultMessage Message() => new() { Job = Job, Spec = Spec, Unit = Unit, Result = Result, Pipeline = Pipeline };

    /// <summary>
    /// Nethereum's EIP-712 type descriptions and signers are not documented as thread-safe (VoucherSigner locks too), and
    /// a farm verifies results on many workers at once: one at a time here. Signing takes about a millisecond.
    /// </summary>
    internal static readonly Lock Eip712Gate = new();

    bool WellFormed => Job.Length == 32 && Spec.Length == 32 && Unit.Length == 32 && Result.Length == 32 && Pipeline.Length == 32;

    /// <summary>Signs with the node's key (canonical: low s, v 27/28, as the registry's ECDSA.recover requires).</summary>
    public string Sign(string nodePrivateKey, RegistryDomain domain)
    {
        if (!WellFormed) throw new ArgumentException("every field of a work result is 32 bytes");
        lock (Eip712Gate) return new Eip712TypedDataSigner().SignTypedDataV4(Message(), domain.TypedData(), new EthECKey(nodePrivateKey));
    }

    /// <summary>Who signed, or null for a malformed or non-canonical signature (one the registry would refuse).</summary>
    public string? RecoverSigner(string signature, RegistryDomain domain)
    {
        if (!WellFormed || VoucherSignature.Problem(signature) is not null) return null;
        try
        {
            lock (Eip712Gate) return new Eip712TypedDataSigner().RecoverFromSignatureV4(Message(), domain.TypedData(), signature);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null; // whatever a node sent, a signature that does not recover is simply not its signature
        }
    }

    /// <summary>Whether two results are claims about the same work (spec, unit and pipeline; the job may differ).</summary>
    public bool SameWork(WorkResult other) => Spec.AsSpan().SequenceEqual(other.Spec) && Unit.AsSpan().SequenceEqual(other.Unit) && Pipeline.AsSpan().SequenceEqual(other.Pipeline);
}

/// <summary>A result with its node's signature and the address that signature recovers to: a piece of slashing evidence.</summary>
public sealed record SignedWorkResult(WorkResult Result, string Signer, string Signature);
