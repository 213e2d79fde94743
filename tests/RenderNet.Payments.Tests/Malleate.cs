using System.Numerics;

namespace RenderNet.Payments.Tests;

/// <summary>Signature variants ecrecover accepts for the same signer but the escrow (OpenZeppelin) refuses.</summary>
public static class Malleate
{
    static readonly BigInteger N = BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);

    static byte[] Bytes(Voucher v) => Convert.FromHexString(v.Signature.StartsWith("0x") ? v.Signature[2..] : v.Signature);

    /// <summary>(r, n − s, v flipped): the same signer, a high s.</summary>
    public static Voucher HighS(Voucher v)
    {
        var bytes = Bytes(v);
        var s = new BigInteger(bytes.AsSpan(32, 32), isUnsigned: true, isBigEndian: true);
        var flipped = (N - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        Array.Clear(bytes, 32, 32);
        flipped.CopyTo(bytes, 64 - flipped.Length);
        bytes[64] = (byte)(bytes[64] == 27 ? 28 : 27);
        return v with { Signature = "0x" + Convert.ToHexStringLower(bytes) };
    }

    /// <summary>v − 27 (0 or 1), as some libraries write it.</summary>
    public static Voucher LowV(Voucher v)
    {
        var bytes = Bytes(v);
        bytes[64] -= 27;
        return v with { Signature = "0x" + Convert.ToHexStringLower(bytes) };
    }
}
