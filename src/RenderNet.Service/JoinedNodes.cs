using RenderNet.Farm;

namespace RenderNet.Service;

/// <summary>
/// The nodes that joined this service by dialling out (<see cref="NodeJoinEndpoint"/>), and the connector that reaches
/// them: each joined node has one HTTP/2 handler whose every connection is the node's latest link, so every job's
/// <see cref="NodeClient"/> for it multiplexes over the link the node opened — scheduling, payment and checks cannot
/// tell it from a node they dialled. A link that drops fails the calls on it (their tiles are redone elsewhere); the
/// next call waits, up to the connect timeout, for the node to join again. Other addresses are dialled as usual.
/// </summary>
public sealed class JoinedNodes(TimeSpan connectTimeout) : INodeConnector, IDisposable
{
    sealed class Node(string address)
    {
        public readonly string Address = address;
        public string NodeId = "";
        /// <summary>A link not yet taken by the handler; <see cref="InUse"/> is the one it runs on.</summary>
        public LinkStream? Waiting, InUse;
        public TaskCompletionSource Arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public SocketsHttpHandler? Handler;
        public int Joins;
        public DateTimeOffset LastJoined;
        public bool Linked => Waiting is not null || InUse is { Closed: false };
    }

    readonly Dictionary<string, Node> nodes = new(StringComparer.OrdinalIgnoreCase);
    readonly Lock gate = new();

    /// <summary>Raised with a node's address (<see cref="JoinedNodeAddress"/>) each time it links: running jobs can take it on at once.</summary>
    public event Action<string>? Linked;

    /// <summary>Addresses (<see cref="JoinedNodeAddress"/>) of the nodes linked right now.</summary>
    public IReadOnlyList<string> Connected
    {
        get { lock (gate) return nodes.Values.Where(n => n.Linked).Select(n => n.Address).Order(StringComparer.Ordinal).ToList(); }
    }

    /// <summary>What the service knows of a joined node's links (for the node list and the dashboard).</summary>
    public (int Joins, DateTimeOffset LastJoined, bool Linked, string NodeId)? Describe(string address)
    {
        lock (gate) return nodes.TryGetValue(address, out var n) ? (n.Joins, n.LastJoined, n.Linked, n.NodeId) : null;
    }

    public INodeConnection Connect(string address, int maxReplyBytes) =>
        JoinedNodeAddress.PayoutOf(address) is null ? GrpcNodeConnector.Instance.Connect(address, maxReplyBytes)
            : new NodeClient(address, HandlerFor(address), maxReplyBytes);

    /// <summary>
    /// Serves one link of a node that proved <paramref name="payoutAddress"/>: offers it to the node's handler and
    /// completes when the link closes (either side) or <paramref name="aborted"/> fires. A node keeps one link per
    /// service, so a new one means the old is dead: it is closed at once rather than waiting for pings to say so.
    /// </summary>
    public async Task ServeAsync(string payoutAddress, string nodeId, Stream link, CancellationToken aborted)
    {
        var stream = new LinkStream(link);
        string address = JoinedNodeAddress.For(payoutAddress);
        LinkStream? stale1, stale2;
        lock (gate)
        {
            if (!nodes.TryGetValue(address, out var node)) nodes[address] = node = new Node(address);
            (stale1, stale2) = (node.Waiting, node.InUse);
            node.Waiting = stream;
            node.InUse = null;
            node.NodeId = nodeId;
            node.Joins++;
            node.LastJoined = DateTimeOffset.UtcNow;
            node.Arrived.TrySetResult();
        }
        stale1?.Dispose();
        stale2?.Dispose();
        try { Linked?.Invoke(address); }
        catch (Exception) { } // a subscriber's failure must not drop the node's link
        using var onAbort = aborted.Register(stream.Dispose);
        await stream.Completion;
        lock (gate)
            if (nodes.TryGetValue(address, out var node) && node.Waiting == stream) node.Waiting = null;
    }

    HttpMessageHandler HandlerFor(string address)
    {
        lock (gate)
        {
            if (!nodes.TryGetValue(address, out var node)) nodes[address] = node = new Node(address);
            return node.Handler ??= new SocketsHttpHandler
            {
                ConnectCallback = (_, cancellation) => TakeLinkAsync(node, cancellation),
                ConnectTimeout = connectTimeout,
                // The link is the connection: keep it, and ping through it so a dead one (a NAT that forgot it) is noticed.
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(15),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(15),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                EnableMultipleHttp2Connections = false,
            };
        }
    }

    /// <summary>The handler wants a connection: the node's waiting link, or the next one it opens.</summary>
    async ValueTask<Stream> TakeLinkAsync(Node node, CancellationToken cancellation)
    {
        while (true)
        {
            Task arrived;
            lock (gate)
            {
                if (node.Waiting is { } link)
                {
                    node.Waiting = null;
                    node.InUse = link;
                    return link;
                }
                if (node.Arrived.Task.IsCompleted) node.Arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
                arrived = node.Arrived.Task;
            }
            try
            {
                await arrived.WaitAsync(cancellation);
            }
            catch (OperationCanceledException ex)
            {
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"node {node.Address} has no link to this service (it has not joined again)", ex);
            }
        }
    }

    public void Dispose()
    {
        List<Node> all;
        lock (gate) all = nodes.Values.ToList();
        foreach (var node in all)
        {
            node.Waiting?.Dispose();
            node.InUse?.Dispose();
            node.Handler?.Dispose();
        }
    }
}
