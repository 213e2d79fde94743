using System.Security.Cryptography;
using RenderNet.Core.Storage;

namespace RenderNet.Service;

/// <summary>
/// Uploaded scenes by content address (scenes/SHA256.glb): a scene is stored once however many jobs use it, and the
/// bytes are hashed on arrival, so a name always means the same bytes.
/// </summary>
public sealed class SceneStore(string directory, long maxBytes)
{
    public long MaxBytes => maxBytes;

    public static bool ValidHash(string? sha256) => sha256 is { Length: 64 } && sha256.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    string PathOf(string sha256) => Path.Combine(directory, sha256 + ".glb");

    public bool Has(string sha256) => ValidHash(sha256) && File.Exists(PathOf(sha256));

    public byte[]? Read(string sha256) => Has(sha256) ? File.ReadAllBytes(PathOf(sha256)) : null;

    /// <summary>Reads an upload of at most <see cref="MaxBytes"/>, checks its hash and stores it; false when the hash differs.</summary>
    /// <exception cref="InvalidDataException">The upload is larger than the limit.</exception>
    readonly Lock writing = new();

    public async Task<bool> PutAsync(string sha256, Stream body, CancellationToken cancellation)
    {
        Directory.CreateDirectory(directory);
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int read;
        // Never trust Content-Length: count what actually arrives.
        while ((read = await body.ReadAsync(chunk, cancellation)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw new InvalidDataException($"the scene is larger than the service's limit of {maxBytes:N0} bytes");
            buffer.Write(chunk, 0, read);
        }
        var bytes = buffer.ToArray();
        if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != sha256) return false;
        // One writer at a time: two jobs uploading the same scene at once both wrote its .tmp file, and the second
        // failed (a 500 for a correct upload). The content is the same, so whoever comes second finds it there.
        lock (writing)
            if (!File.Exists(PathOf(sha256))) DurableFile.Replace(PathOf(sha256), s => s.Write(bytes));
        return true;
    }
}
