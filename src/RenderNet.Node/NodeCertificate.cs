using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RenderNet.Node;

/// <summary>
/// The node's TLS certificate: the operator's (<c>--cert</c>), or a self-signed one created on first start and kept
/// (owner-only) so its fingerprint stays the same across restarts. Coordinators pin the fingerprint — from the address
/// the node prints and announces (<c>https://host:port#sha256=…</c>, in its registry entry, which its payout key
/// signed) — so a man in the middle can neither read the traffic nor stand in for the node.
/// </summary>
public static class NodeCertificate
{
    /// <summary>Where a node keeps its self-signed certificate when none is given.</summary>
    public static string DefaultPath()
    {
        string data = Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(data, "rendernet", "node-tls.pfx");
    }

    /// <summary>The certificate at <paramref name="path"/>, created (self-signed, ECDSA P-256, ten years) if absent.</summary>
    public static X509Certificate2 LoadOrCreate(string path)
    {
        if (File.Exists(path)) return X509CertificateLoader.LoadPkcs12FromFile(path, null);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=rendernet-node", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // server auth
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        var pfx = created.Export(X509ContentType.Pfx);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Owner-only (it holds the private key), written aside and moved into place without overwriting: two nodes
        // starting at once on one machine end up with the same certificate.
        string temp = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(temp, options))
        {
            file.Write(pfx);
            file.Flush(flushToDisk: true);
        }
        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
            return X509CertificateLoader.LoadPkcs12FromFile(path, null);
        }
        return X509CertificateLoader.LoadPkcs12(pfx, null);
    }

    /// <summary>SHA-256 of the certificate's DER encoding, lower-case hex: what coordinators pin.</summary>
    public static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
}
