using System.Security.Cryptography;

namespace RenderNet.Service;

/// <summary>
/// Uploaded videos by content address (media/SHA256): streamed to disk while hashed — never held in memory, never sized
/// from Content-Length — and kept only when the bytes hash to the name.
/// </summary>
public sealed class MediaStore(string directory, long maxBytes)
{
    readonly Lock gate = new();

    public long MaxBytes => maxBytes;

    public string PathOf(string sha256) => Path.Combine(directory, sha256);

    public bool Has(string sha256) => SceneStore.ValidHash(sha256) && File.Exists(PathOf(sha256));

    /// <summary>Streams an upload of at most <see cref="MaxBytes"/> to disk; false when its hash is not <paramref name="sha256"/>.</summary>
    /// <exception cref="InvalidDataException">The upload is larger than the limit.</exception>
    public async Task<bool> PutAsync(string sha256, Stream body, CancellationToken cancellation)
    {
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".upload-{Guid.NewGuid():N}");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var chunk = new byte[1 << 16];
                long total = 0;
                int read;
                while ((read = await body.ReadAsync(chunk, cancellation)) > 0)
                {
                    total += read;
                    if (total > maxBytes) throw new InvalidDataException($"the video is larger than the service's limit of {maxBytes:N0} bytes");
                    hash.AppendData(chunk, 0, read);
                    await file.WriteAsync(chunk.AsMemory(0, read), cancellation);
                }
                await file.FlushAsync(cancellation);
                file.Flush(flushToDisk: true);
            }
            if (Convert.ToHexStringLower(hash.GetHashAndReset()) != sha256) return false;
            lock (gate) if (!File.Exists(PathOf(sha256))) File.Move(temp, PathOf(sha256));
            return true;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
