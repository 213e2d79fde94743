using RenderNet.Farm;

namespace RenderNet.Cli.Commands;

/// <summary>
/// `--local-nodes N`: N `rendernet node` workers on free loopback ports for one job, stopped (drained) when disposed —
/// also when the render fails or is cancelled; a coordinator killed outright closes their stdin and they stop too.
/// </summary>
sealed class LocalNodes : IDisposable
{
    readonly IReadOnlyList<LocalNode> nodes;

    LocalNodes(IReadOnlyList<LocalNode> nodes) => this.nodes = nodes;

    public IReadOnlyList<string> Addresses => nodes.Select(n => n.Address).ToList();

    /// <param name="payment">For paid nodes: the chain, the contracts, the price and each node's key (passed in the
    /// environment, never on the command line where a process listing would show it).</param>
    public static LocalNodes Start(int count, string? device, TimeSpan timeout, LocalPayment? payment = null)
    {
        try
        {
            var command = NodeCommandLine.ForCurrentProcess(typeof(LocalNodes).Assembly.Location);
            return new LocalNodes(LocalNode.StartMany(count, command, i =>
            {
                var args = new List<string> { "--node-id", $"local-{i + 1}" };
                if (device is not null) args.AddRange(["--device", device]);
                if (payment is not null)
                    args.AddRange(["--rpc", payment.RpcUrl, "--chain-id", payment.ChainId.ToString(), "--escrow", payment.Escrow, "--token", payment.Token,
                        "--price", payment.PricePerTile.ToString(), "--registry", payment.Registry]);
                return args;
            }, timeout, i => payment is null ? null : new Dictionary<string, string> { ["RENDERNET_NODE_KEY"] = payment.NodeKeys[i] }));
        }
        catch (InvalidOperationException ex)
        {
            throw new LocalNodeException(ex.Message);
        }
    }

    public void Dispose() => LocalNode.StopAll(nodes);
}

/// <summary>A local render node could not be started.</summary>
sealed class LocalNodeException(string message) : Exception(message);

/// <summary>What paid local nodes need to know.</summary>
sealed record LocalPayment(string RpcUrl, long ChainId, string Escrow, string Token, string Registry, ulong PricePerTile, IReadOnlyList<string> NodeKeys)
{
    public override string ToString() => $"LocalPayment({RpcUrl}, escrow {Escrow})"; // never the keys
}
