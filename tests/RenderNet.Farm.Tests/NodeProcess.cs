namespace RenderNet.Farm.Tests;

/// <summary>A real `rendernet node` worker process on a free loopback port, optionally told to misbehave.</summary>
public sealed class NodeProcess : IDisposable
{
    readonly LocalNode node;

    public static string RendernetDll => Path.Combine(AppContext.BaseDirectory, "rendernet.dll");

    public NodeProcess(string? fault = null, params string[] extraArgs) : this(fault, null, extraArgs) { }

    public NodeProcess(string? fault, IReadOnlyDictionary<string, string>? environment, params string[] extraArgs)
    {
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>());
        if (fault is not null) env["RENDERNET_NODE_FAULT"] = fault;
        node = LocalNode.Start(NodeCommandLine.ForDll(RendernetDll), extraArgs, env);
    }

    public string Address => node.Address;
    public int Pid => node.ProcessId;
    public bool HasExited => node.HasExited;
    public IReadOnlyList<string> Output => node.Output;
    public void Kill() => node.Kill();
    public bool WaitForExit(TimeSpan timeout) => node.WaitForExit(timeout);
    public void Dispose() => node.Dispose();
}
