namespace RenderNet.Farm.Tests;

/// <summary>A real `rendernet node` worker process on a free loopback port, optionally told to misbehave.</summary>
public sealed class NodeProcess : IDisposable
{
    readonly LocalNode node;

    public static string RendernetDll => Path.Combine(AppContext.BaseDirectory, "rendernet.dll");

    public NodeProcess(string? fault = null, params string[] extraArgs) =>
        node = LocalNode.Start(NodeCommandLine.ForDll(RendernetDll), extraArgs,
            fault is null ? null : new Dictionary<string, string> { ["RENDERNET_NODE_FAULT"] = fault });

    public string Address => node.Address;
    public int Pid => node.ProcessId;
    public bool HasExited => node.HasExited;
    public IReadOnlyList<string> Output => node.Output;
    public void Kill() => node.Kill();
    public bool WaitForExit(TimeSpan timeout) => node.WaitForExit(timeout);
    public void Dispose() => node.Dispose();
}
