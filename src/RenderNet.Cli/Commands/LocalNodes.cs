using System.Diagnostics;
using System.Runtime.InteropServices;

namespace RenderNet.Cli.Commands;

/// <summary>
/// `--local-nodes N`: starts N `rendernet node` worker processes on free loopback ports, and stops them (SIGTERM, then
/// SIGKILL after a grace period) when disposed — also when the render fails or is cancelled.
/// </summary>
sealed class LocalNodes : IDisposable
{
    readonly List<Process> processes = [];
    public List<string> Addresses { get; } = [];

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);
    const int SigTerm = 15;

    public static LocalNodes Start(int count, string? device, TimeSpan timeout)
    {
        var nodes = new LocalNodes();
        try
        {
            for (int i = 0; i < count; i++) nodes.StartOne(i, device);
            foreach (var (process, ready) in nodes.pendingStarts)
            {
                if (!ready.Task.Wait(timeout))
                    throw new LocalNodeException($"local node {process.Id} did not start within {timeout.TotalSeconds:F0} s");
                try { nodes.Addresses.Add(ready.Task.Result); }
                catch (AggregateException ex) when (ex.InnerException is LocalNodeException inner) { throw inner; }
            }
            return nodes;
        }
        catch
        {
            nodes.Dispose();
            throw;
        }
    }

    readonly List<(Process, TaskCompletionSource<string>)> pendingStarts = [];

    void StartOne(int index, string? device)
    {
        var psi = new ProcessStartInfo { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Run the same program the user ran: the apphost directly, or `dotnet rendernet.dll`.
        string entry = Environment.ProcessPath!;
        if (Path.GetFileNameWithoutExtension(entry) == "dotnet")
        {
            psi.FileName = entry;
            psi.ArgumentList.Add(typeof(LocalNodes).Assembly.Location);
        }
        else psi.FileName = entry;
        foreach (var a in new[] { "node", "--listen", "127.0.0.1:0", "--node-id", $"local-{index + 1}", "--exit-on-stdin-close" }) psi.ArgumentList.Add(a);
        if (device is not null) { psi.ArgumentList.Add("--device"); psi.ArgumentList.Add(device); }
        var process = Process.Start(psi) ?? throw new LocalNodeException("could not start a local render node");
        processes.Add(process);
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new List<string>();
        // Keep draining both pipes for the node's lifetime, or it blocks once a pipe buffer fills.
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith(NodeCommand.ListeningPrefix) == true)
                ready.TrySetResult(e.Data[NodeCommand.ListeningPrefix.Length..].Split(' ')[0]);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.Add(e.Data); };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            lock (errors) ready.TrySetException(new LocalNodeException(
                $"local node {index + 1} exited with code {process.ExitCode}: {string.Join(" ", errors.TakeLast(3))}"));
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        pendingStarts.Add((process, ready));
    }

    public IReadOnlyList<int> ProcessIds => processes.Select(p => p.Id).ToList();

    public void Dispose()
    {
        foreach (var p in processes)
            if (!p.HasExited) kill(p.Id, SigTerm);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        foreach (var p in processes)
        {
            var left = deadline - DateTime.UtcNow;
            if (!p.WaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero))
                p.Kill(entireProcessTree: true);
            p.WaitForExit();
            p.Dispose();
        }
        processes.Clear();
    }
}

/// <summary>A local render node could not be started.</summary>
sealed class LocalNodeException(string message) : Exception(message);
