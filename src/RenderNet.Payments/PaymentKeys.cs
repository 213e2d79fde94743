using Nethereum.KeyStore;
using Nethereum.Signer;

namespace RenderNet.Payments;

/// <summary>
/// Where payer and node keys come from: an encrypted keystore file (Web3 Secret Storage, via Nethereum.KeyStore) whose
/// password is read from an environment variable — never from the command line, where a process listing would show it.
/// Errors name the file and the variable, never the key or the password.
/// </summary>
public static class PaymentKeys
{
    public static string FromKeystore(string path, string passwordVariable)
    {
        string? password = SecretVariables.Take(passwordVariable); // read once: children never inherit it
        if (File.Exists(path) && string.IsNullOrEmpty(password)) throw new PaymentException($"the password of keystore '{path}' is expected in ${passwordVariable}, which is not set");
        return Decrypt(path, password ?? "", $"the password in ${passwordVariable}");
    }

    /// <summary>Decrypts a keystore file with a password the caller holds (an engine's secure storage).</summary>
    public static string Decrypt(string path, string password, string passwordSource = "the given password")
    {
        if (!File.Exists(path)) throw new PaymentException($"keystore '{path}' does not exist");
        try
        {
            var key = new KeyStoreService().DecryptKeyStoreFromJson(password, File.ReadAllText(path));
            return new EthECKey(key, true).GetPrivateKey();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The inner exception is dropped on purpose: key material must not reach a log through it.
            throw new PaymentException($"keystore '{path}' cannot be opened with {passwordSource} ({ex.GetType().Name})");
        }
    }

    /// <summary>Checks a hex private key and returns it in canonical form; the error never repeats the key.</summary>
    public static string Normalize(string hexKey)
    {
        // A key is 32 bytes: a shorter string would be zero-padded into a weak key, so it is refused.
        var digits = hexKey.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hexKey[2..] : hexKey;
        if (digits.Length != 64 || !digits.All(Uri.IsHexDigit))
            throw new PaymentException($"a private key is 64 hex digits (32 bytes), optionally after 0x; this one has {digits.Length} characters");
        try
        {
            return new EthECKey(hexKey).GetPrivateKey();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new PaymentException($"the private key is not a valid secp256k1 key ({ex.GetType().Name})");
        }
    }

    /// <summary>The address a key pays from or is paid to.</summary>
    public static string AddressOf(string privateKey) => new EthECKey(privateKey).GetPublicAddress();
}
