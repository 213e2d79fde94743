using System.Diagnostics;
using System.Runtime.InteropServices;

using RenderNet.Payments;

namespace RenderNet.Farm;

/// <summary>How to run `rendernet`: an executable and the arguments that come before the command.</summary>
public sealed record NodeCommandLine(string FileName, IReadOnlyList<string> Prefix)
{
    /// <summary>The program this process is (the apphost itself, or `dotnet rendernet.dll`).</summary>
    public static NodeCommandLine ForCurrentProcess(string entryAssemblyPath)
    {
        string entry = Environment.ProcessPath!;
        return Path.GetFileNameWithoutExtension(entry) == "dotnet" ? new(entry, [entryAssemblyPath]) : new(entry, []);
    }

    public static NodeCommandLine ForDll(string rendernetDll) =>
        new(Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet", [rendernetDll]);

    public const string EnvironmentVariable = "RENDERNET_PROGRAM";

    /// <summary>
    /// The `rendernet` program for a process that is not `rendernet` itself (an engine plugin, a tool): the path in
    /// $RENDERNET_PROGRAM (rendernet.dll or the apphost), else rendernet.dll beside this application.
    /// </summary>
    public static NodeCommandLine Locate()
    {
        string? path = Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured ? configured
            : Path.Combine(AppContext.BaseDirectory, "rendernet.dll");
        if (!File.Exists(path))
            throw new LocalNodeException($"the rendernet program was not found at {path}: reference RenderNet.Cli from the application, or set ${EnvironmentVariable} to rendernet.dll");
        return path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ForDll(path) : new(path, []);
    }
}

/// <summary>
/// A `rendernet node` worker process on a free loopback port. It is started with --exit-on-stdin-close, so it stops
/// when this process dies, however it dies; <see cref="Dispose"/> stops it with SIGTERM (it drains) and SIGKILL after
/// a grace period.
/// </summary>
public sealed class LocalNode : IDisposable
{
    public const string ListeningPrefix = "rendernet node listening on ";
    const int MaxOutputLines = 200;

    readonly Process process;
    readonly Queue<string> output = new();
    readonly TaskCompletionSource<string> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    public string Address => ready.Task.IsCompletedSuccessfully ? ready.Task.Result : throw new InvalidOperationException("the node has not started");
    public int ProcessId => process.Id;
    public bool HasExited => process.HasExited;
    public IReadOnlyList<string> Output { get { lock (output) return output.ToList(); } }

    LocalNode(NodeCommandLine command, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var psi = new ProcessStartInfo(command.FileName) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Prefix.Concat(["node", "--listen", "127.0.0.1:0", "--exit-on-stdin-close"]).Concat(arguments)) psi.ArgumentList.Add(a);
        // Explicit environment: the coordinator's own secrets (a payer password, say) are never inherited; a worker
        // gets only the key it is handed here.
        SecretVariables.RemoveFrom(psi.Environment);
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {command.FileName}");
        // Both pipes are drained for the node's whole life, or it would block once a pipe buffer fills.
        process.OutputDataReceived += (_, e) => OnLine(e.Data, stdout: true);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, stdout: false);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            // Exited can fire before the last lines of stderr were read: wait for both pipes to end, so the reason the
            // node gave is in the message.
            process.WaitForExit();
            ready.TrySetException(new InvalidOperationException(
                $"render node process {process.Id} exited with code {process.ExitCode} before listening: {string.Join(" | ", Output.TakeLast(3))}"));
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    void OnLine(string? line, bool stdout)
    {
        if (line is null) return;
        if (stdout && line.StartsWith(ListeningPrefix)) ready.TrySetResult(line[ListeningPrefix.Length..].Split(' ')[0]);
        lock (output)
        {
            output.Enqueue(line);
            if (output.Count > MaxOutputLines) output.Dequeue();
        }
    }

    /// <summary>Starts one node and waits until it listens.</summary>
    public static LocalNode Start(NodeCommandLine command, IEnumerable<string>? arguments = null, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var node = new LocalNode(command, arguments ?? [], environment);
        try
        {
            node.WaitUntilListening(timeout ?? TimeSpan.FromSeconds(60), CancellationToken.None);
            return node;
        }
        catch
        {
            node.Dispose();
            throw;
        }
    }

    void WaitUntilListening(TimeSpan timeout, CancellationToken cancellation)
    {
        try
        {
            if (!ready.Task.Wait(timeout, cancellation))
                throw new InvalidOperationException($"render node process {process.Id} did not start within {timeout.TotalSeconds:F0} s");
        }
        catch (AggregateException ex) when (ex.InnerException is InvalidOperationException inner)
        {
            throw inner;
        }
    }

    /// <summary>SIGKILL: the node dies at once, as in a crash.</summary>
    public void Kill() => process.Kill(entireProcessTree: true);

    public bool WaitForExit(TimeSpan timeout) => process.WaitForExit(timeout);

    /// <summary>SIGTERM, then SIGKILL if it has not exited by <paramref name="deadline"/>.</summary>
    public void Stop(DateTime deadline)
    {
        if (!process.HasExited) kill(process.Id, 15);
        var left = deadline - DateTime.UtcNow;
        if (!process.WaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero)) process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public void Dispose()
    {
        Stop(DateTime.UtcNow.AddSeconds(10));
        process.Dispose();
    }

    /// <summary>Starts <paramref name="count"/> nodes at once and waits until all listen.</summary>
    public static IReadOnlyList<LocalNode> StartMany(int count, NodeCommandLine command, Func<int, IEnumerable<string>> arguments, TimeSpan? timeout = null,
        Func<int, IReadOnlyDictionary<string, string>?>? environment = null, CancellationToken cancellation = default)
    {
        var nodes = new List<LocalNode>();
        try
        {
            for (int i = 0; i < count; i++) nodes.Add(new LocalNode(command, arguments(i), environment?.Invoke(i)));
            foreach (var node in nodes) node.WaitUntilListening(timeout ?? TimeSpan.FromSeconds(60), cancellation);
            return nodes;
        }
        catch
        {
            StopAll(nodes);
            throw;
        }
    }

    /// <summary>SIGTERM to all at once, then waits (SIGKILL for any still running after 10 s).</summary>
    public static void StopAll(IEnumerable<LocalNode> nodes)
    {
        var list = nodes.ToList();
        foreach (var n in list) if (!n.process.HasExited) kill(n.process.Id, 15);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        foreach (var n in list)
        {
            n.Stop(deadline);
            n.process.Dispose();
        }
    }
}
