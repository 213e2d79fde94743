using System.Security.Cryptography;

namespace RenderNet.Node;

/// <summary>
/// Scenes (.glb bytes) by SHA-256, least recently used evicted first once the total passes the cap, so a coordinator
/// sends each scene to a node once. A scene larger than the whole cache is refused by the service before upload.
/// </summary>
public sealed class SceneCache(long capacityBytes)
{
    readonly Lock gate = new();
    readonly LinkedList<(string Hash, byte[] Bytes)> lru = new();
    readonly Dictionary<string, LinkedListNode<(string Hash, byte[] Bytes)>> byHash = new(StringComparer.OrdinalIgnoreCase);
    long bytes;

    public long CapacityBytes => capacityBytes;
    public long Bytes { get { lock (gate) return bytes; } }
    public int Count { get { lock (gate) return byHash.Count; } }

    public static string Hash(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public bool Contains(string hash) { lock (gate) return byHash.ContainsKey(hash); }

    public byte[]? TryGet(string hash)
    {
        lock (gate)
        {
            if (!byHash.TryGetValue(hash, out var node)) return null;
            lru.Remove(node);
            lru.AddFirst(node);
            return node.Value.Bytes;
        }
    }

    public void Add(string hash, byte[] data)
    {
        lock (gate)
        {
            if (byHash.ContainsKey(hash)) return;
            byHash[hash] = lru.AddFirst((hash, data));
            bytes += data.Length;
            while (bytes > capacityBytes && lru.Last is { } oldest && oldest != lru.First)
            {
                lru.RemoveLast();
                byHash.Remove(oldest.Value.Hash);
                bytes -= oldest.Value.Bytes.Length;
            }
        }
    }
}
