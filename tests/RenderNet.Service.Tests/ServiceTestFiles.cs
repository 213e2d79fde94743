using Microsoft.Data.Sqlite;

namespace RenderNet.Service.Tests;

/// <summary>Files a service test makes or reads: a payer's keystore, a frame journal.</summary>
static class ServiceTestFiles
{
    /// <summary>A keystore for <paramref name="privateKey"/> in <paramref name="dir"/>, password "payer-pass" (cheap scrypt: it is a test).</summary>
    public static string Keystore(string dir, string privateKey)
    {
        var key = new Nethereum.Signer.EthECKey(privateKey);
        string path = Path.Combine(dir, "payer.json");
        File.WriteAllText(path, new Nethereum.KeyStore.KeyStoreScryptService().EncryptAndGenerateKeyStoreAsJson("payer-pass", key.GetPrivateKeyAsBytes(),
            key.GetPublicAddress(), new Nethereum.KeyStore.Model.ScryptParams { Dklen = 32, N = 1024, R = 8, P = 1 }));
        return path;
    }

    /// <summary>One number from a frame journal (read-only).</summary>
    public static int Count(string journal, string sql)
    {
        using var db = new SqliteConnection($"Data Source={journal};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var q = db.CreateCommand();
        q.CommandText = sql;
        return Convert.ToInt32(q.ExecuteScalar());
    }

    /// <summary>Rows of a frame journal's query, each as its columns joined by " | " (for failure messages).</summary>
    public static string Rows(string journal, string sql)
    {
        using var db = new SqliteConnection($"Data Source={journal};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var q = db.CreateCommand();
        q.CommandText = sql;
        using var reader = q.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read()) rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(reader.GetValue)));
        return string.Join("\n", rows);
    }
}
