using System.Diagnostics;

namespace RenderNet.Farm.Tests;

/// <summary>A real `rendernet node` worker process on a free loopback port.</summary>
public sealed class NodeProcess : IDisposable
{
    readonly Process process;
    readonly List<string> output = [];
    public string Address { get; }
    public int Pid => process.Id;
    public bool HasExited => process.HasExited;

    public static string RendernetDll => Path.Combine(AppContext.BaseDirectory, "rendernet.dll");

    public NodeProcess(string? fault = null, params string[] extraArgs)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { RendernetDll, "node", "--listen", "127.0.0.1:0", "--exit-on-stdin-close" }.Concat(extraArgs)) psi.ArgumentList.Add(a);
        if (fault is not null) psi.Environment["RENDERNET_NODE_FAULT"] = fault;
        process = Process.Start(psi)!;
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.Add(e.Data);
            const string prefix = "rendernet node listening on ";
            if (e.Data.StartsWith(prefix)) ready.TrySetResult(e.Data[prefix.Length..].Split(' ')[0]);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!ready.Task.Wait(TimeSpan.FromSeconds(60)))
        {
            Dispose();
            throw new TimeoutException("node did not start: " + string.Join("\n", Output));
        }
        Address = ready.Task.Result;
    }

    public IReadOnlyList<string> Output { get { lock (output) return output.ToList(); } }

    public void Kill() => process.Kill(entireProcessTree: true);

    public bool WaitForExit(TimeSpan timeout) => process.WaitForExit(timeout);

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        process.Dispose();
    }
}
