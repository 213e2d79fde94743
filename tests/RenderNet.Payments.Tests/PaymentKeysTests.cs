using Nethereum.KeyStore;
using Nethereum.KeyStore.Model;
using Nethereum.Signer;

namespace RenderNet.Payments.Tests;

public class PaymentKeysTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-keys").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void A_keystore_opens_with_the_password_from_the_environment_and_errors_never_show_secrets()
    {
        var key = EthECKey.GenerateKey();
        string privateKey = key.GetPrivateKey();
        // Light scrypt parameters keep the test fast; the format is the standard one.
        var scrypt = new KeyStoreScryptService();
        string json = scrypt.EncryptAndGenerateKeyStoreAsJson("correct horse", key.GetPrivateKeyAsBytes(), key.GetPublicAddress(), new ScryptParams { Dklen = 32, N = 1024, R = 8, P = 1 });
        string path = Path.Combine(dir, "payer.json");
        File.WriteAllText(path, json);

        Environment.SetEnvironmentVariable("RN_TEST_KEY_PASSWORD", "correct horse");
        Assert.Equal(privateKey, PaymentKeys.FromKeystore(path, "RN_TEST_KEY_PASSWORD"));
        Assert.Equal(key.GetPublicAddress(), PaymentKeys.AddressOf(privateKey));

        Environment.SetEnvironmentVariable("RN_TEST_KEY_PASSWORD", "wrong");
        var wrong = Assert.Throws<PaymentException>(() => PaymentKeys.FromKeystore(path, "RN_TEST_KEY_PASSWORD"));
        Environment.SetEnvironmentVariable("RN_TEST_KEY_PASSWORD", null);
        var unset = Assert.Throws<PaymentException>(() => PaymentKeys.FromKeystore(path, "RN_TEST_KEY_PASSWORD"));
        Assert.Contains("$RN_TEST_KEY_PASSWORD", unset.Message);
        foreach (var ex in new[] { wrong, unset })
        {
            string everything = ex.ToString();
            Assert.DoesNotContain(privateKey.Replace("0x", ""), everything, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("correct horse", everything);
            Assert.Null(ex.InnerException);
        }
        Assert.Contains("does not exist", Assert.Throws<PaymentException>(() => PaymentKeys.FromKeystore(Path.Combine(dir, "none.json"), "X")).Message);
    }
}
