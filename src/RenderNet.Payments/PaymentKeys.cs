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
        if (!File.Exists(path)) throw new PaymentException($"keystore '{path}' does not exist");
        string? password = Environment.GetEnvironmentVariable(passwordVariable);
        if (string.IsNullOrEmpty(password)) throw new PaymentException($"the password of keystore '{path}' is expected in ${passwordVariable}, which is not set");
        try
        {
            var key = new KeyStoreService().DecryptKeyStoreFromJson(password, File.ReadAllText(path));
            return new EthECKey(key, true).GetPrivateKey();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The inner exception is dropped on purpose: key material must not reach a log through it.
            throw new PaymentException($"keystore '{path}' cannot be opened with the password in ${passwordVariable} ({ex.GetType().Name})");
        }
    }

    /// <summary>The address a key pays from or is paid to.</summary>
    public static string AddressOf(string privateKey) => new EthECKey(privateKey).GetPublicAddress();
}
