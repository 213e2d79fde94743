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

    public static LocalNodes Start(int count, string? device, TimeSpan timeout)
    {
        try
        {
            var command = NodeCommandLine.ForCurrentProcess(typeof(LocalNodes).Assembly.Location);
            return new LocalNodes(LocalNode.StartMany(count, command, i =>
                device is null ? ["--node-id", $"local-{i + 1}"] : ["--node-id", $"local-{i + 1}", "--device", device], timeout));
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
