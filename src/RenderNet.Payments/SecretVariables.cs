namespace RenderNet.Payments;

/// <summary>
/// The environment variables that carry keys and passwords. Each is read once and then removed from this process's
/// environment, so no child process (ffmpeg, a local render node, a shell) can inherit it; children that need a secret
/// are handed it explicitly.
/// </summary>
public static class SecretVariables
{
    public const string NodeKey = "RENDERNET_NODE_KEY";
    public const string KeystorePassword = "RENDERNET_KEYSTORE_PASSWORD";
    public const string PayerPassword = "RENDERNET_PAYER_PASSWORD";
    public const string CertificatePassword = "RENDERNET_CERT_PASSWORD";
    public const string CoordinatorKey = "RENDERNET_COORDINATOR_KEY";
    public const string ServiceCertificatePassword = "RENDERNET_SERVICE_CERT_PASSWORD";

    /// <summary>Every variable this project treats as secret.</summary>
    public static IReadOnlyList<string> All { get; } = [NodeKey, KeystorePassword, PayerPassword, CertificatePassword, CoordinatorKey, ServiceCertificatePassword];

    /// <summary>The variable's value (null when unset), removed from the environment as it is read.</summary>
    public static string? Take(string name)
    {
        string? value = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, null);
        return string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>Removes every secret variable from a child's environment (before the caller adds what it hands on on purpose).</summary>
    public static void RemoveFrom(IDictionary<string, string?> environment)
    {
        foreach (var name in All) environment.Remove(name);
    }
}
