using System.Security.Cryptography;

namespace RenderNet.Node;

/// <summary>
/// Scenes (.glb bytes) by SHA-256, so a coordinator sends each scene to a node once. Past the capacity, the least recently
/// used scene goes first — but never a pinned one: a scene rendered from within <see cref="PinWindow"/> (a job in
/// progress) or uploaded within <see cref="UploadGrace"/> (a job about to start). When only pinned scenes are left the
/// new scene is refused instead, so junk uploads can never push a running job's scene out.
/// </summary>
public sealed class SceneCache(long capacityBytes, TimeProvider? clock = null)
{
    public static readonly TimeSpan PinWindow = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan UploadGrace = TimeSpan.FromMinutes(1);

    sealed class Entry(string hash, byte[] bytes, DateTimeOffset added)
    {
        public string Hash { get; } = hash;
        public byte[] Bytes { get; } = bytes;
        public DateTimeOffset Added { get; } = added;
        public DateTimeOffset LastRendered = DateTimeOffset.MinValue;
    }

    readonly TimeProvider clock = clock ?? TimeProvider.System;
    readonly Lock gate = new();
    readonly LinkedList<Entry> lru = new();
    readonly Dictionary<string, LinkedListNode<Entry>> byHash = new(StringComparer.OrdinalIgnoreCase);
    long bytes;

    public long CapacityBytes => capacityBytes;
    public long Bytes { get { lock (gate) return bytes; } }
    public int Count { get { lock (gate) return byHash.Count; } }

    public static string Hash(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public bool Contains(string hash) { lock (gate) return byHash.ContainsKey(hash); }

    /// <summary>The scene's bytes for a render (which pins it for <see cref="PinWindow"/>), or null.</summary>
    public byte[]? TryGet(string hash)
    {
        lock (gate)
        {
            if (!byHash.TryGetValue(hash, out var node)) return null;
            node.Value.LastRendered = clock.GetUtcNow();
            lru.Remove(node);
            lru.AddFirst(node);
            return node.Value.Bytes;
        }
    }

    bool Pinned(Entry e, DateTimeOffset now) => now - e.LastRendered < PinWindow || now - e.Added < UploadGrace;

    /// <summary>Whether <paramref name="size"/> more bytes could be cached now without evicting a pinned scene.</summary>
    public bool HasRoomFor(long size)
    {
        lock (gate)
        {
            var now = clock.GetUtcNow();
            long evictable = lru.Where(e => !Pinned(e, now)).Sum(e => (long)e.Bytes.Length);
            return bytes - evictable + size <= capacityBytes;
        }
    }

    /// <summary>Caches a scene; false when it does not fit beside the pinned ones (nothing is evicted then).</summary>
    public bool Add(string hash, byte[] data)
    {
        lock (gate)
        {
            if (byHash.ContainsKey(hash)) return true;
            var now = clock.GetUtcNow();
            var victims = new List<LinkedListNode<Entry>>();
            long free = capacityBytes - bytes;
            for (var node = lru.Last; node is not null && free < data.Length; node = node.Previous)
                if (!Pinned(node.Value, now))
                {
                    victims.Add(node);
                    free += node.Value.Bytes.Length;
                }
            if (free < data.Length) return false;
            foreach (var victim in victims)
            {
                lru.Remove(victim);
                byHash.Remove(victim.Value.Hash);
                bytes -= victim.Value.Bytes.Length;
            }
            byHash[hash] = lru.AddFirst(new Entry(hash, data, now));
            bytes += data.Length;
            return true;
        }
    }
}
