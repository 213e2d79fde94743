using System.Numerics;

namespace RenderNet.Payments;

/// <summary>
/// The signature rules the escrow applies (OpenZeppelin's <c>ECDSA.tryRecover</c>): exactly 65 bytes r‖s‖v, v ∈ {27, 28},
/// 0 &lt; r, 0 &lt; s ≤ n/2. Libraries that recover signers off chain are more lenient (they accept a high s, or v ∈ {0, 1});
/// a node that used them would count as payment signatures the chain refuses.
/// </summary>
public static class VoucherSignature
{
    /// <summary>Half the order of secp256k1: OpenZeppelin rejects any s above it (EIP-2 malleability rule).</summary>
    static readonly BigInteger HalfOrder = BigInteger.Parse("07FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0", System.Globalization.NumberStyles.HexNumber);

    /// <summary>Null when the signature is canonical, else what is wrong with it.</summary>
    public static string? Problem(string signature)
    {
        var hex = signature.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? signature[2..] : signature;
        if (hex.Length != 130 || !hex.All(Uri.IsHexDigit)) return $"is not 65 bytes of hex ({hex.Length / 2} bytes)";
        var bytes = Convert.FromHexString(hex);
        var r = new BigInteger(bytes.AsSpan(0, 32), isUnsigned: true, isBigEndian: true);
        var s = new BigInteger(bytes.AsSpan(32, 32), isUnsigned: true, isBigEndian: true);
        byte v = bytes[64];
        if (v is not (27 or 28)) return $"has v = {v}, not 27 or 28";
        if (r.IsZero || s.IsZero) return "has a zero r or s";
        if (s > HalfOrder) return "has a high s (a malleated signature)";
        return null;
    }
}
