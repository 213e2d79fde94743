namespace RenderNet.Node;

/// <summary>
/// Caps uploads (scenes, segments) in progress: per client address and overall, so nobody can hold every buffer or
/// stream of a node with slow or parallel uploads.
/// </summary>
public sealed class UploadGate(int perClient, int overall)
{
    readonly Lock gate = new();
    readonly Dictionary<string, int> byClient = [];
    int total;

    /// <summary>A token to dispose when the upload ends, or null when a cap is reached.</summary>
    public IDisposable? TryEnter(string client)
    {
        lock (gate)
        {
            int mine = byClient.GetValueOrDefault(client);
            if (total >= overall || mine >= perClient) return null;
            byClient[client] = mine + 1;
            total++;
            return new Slot(this, client);
        }
    }

    void Leave(string client)
    {
        lock (gate)
        {
            total--;
            if (--byClient[client] == 0) byClient.Remove(client);
        }
    }

    sealed class Slot(UploadGate owner, string client) : IDisposable
    {
        int disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) owner.Leave(client);
        }
    }

    /// <summary>The client part of a gRPC peer string ("ipv4:127.0.0.1:5000" → "ipv4:127.0.0.1").</summary>
    public static string ClientOf(string peer)
    {
        int colon = peer.LastIndexOf(':');
        return colon > 0 ? peer[..colon] : peer;
    }
}
