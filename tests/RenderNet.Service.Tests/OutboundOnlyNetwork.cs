using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace RenderNet.Service.Tests;

/// <summary>
/// A home router, for one process: the process runs in its own network namespace (<c>unshare -rn</c>: only a loopback
/// interface, nothing routes out), and this test process opens listeners on that loopback (entering the namespace on a
/// dedicated thread with <c>setns</c>) that forward to chosen ports of the host's loopback — the service, the chain.
/// Connections can be made from inside to those ports only; nothing outside can connect in. <see cref="Cut"/> drops
/// every forwarded connection, as a router forgetting its mappings would. Where namespaces are unavailable (no
/// unshare, no privilege), <see cref="Start"/> runs the process directly and forwards from host loopback ports: the
/// node still listens nowhere, which is what the service must cope with.
/// </summary>
sealed class OutboundOnlyNetwork : IDisposable
{
    const int CLONE_NEWNET = 0x40000000;
    [DllImport("libc", SetLastError = true)] static extern int setns(int fd, int nstype);
    [DllImport("libc", SetLastError = true)] static extern int open(string path, int flags);
    [DllImport("libc")] static extern int close(int fd);

    readonly List<Socket> listeners = [];
    readonly List<Socket> connections = [];
    readonly CancellationTokenSource stop = new();
    readonly Lock gate = new();

    public Process Process { get; }
    /// <summary>Whether the process really is in its own namespace (else it only listens nowhere).</summary>
    public bool Isolated { get; }
    readonly Dictionary<int, int> forwarded = [];
    readonly List<string> output = [];

    /// <summary>Connections forwarded to a port so far (each join of a node is one).</summary>
    public int ForwardedTo(int port)
    {
        lock (gate) return forwarded.GetValueOrDefault(port);
    }

    /// <summary>What the process printed (both streams).</summary>
    public string OutputText
    {
        get { lock (output) return string.Join("\n", output); }
    }

    OutboundOnlyNetwork(Process process, bool isolated)
    {
        Process = process;
        Isolated = isolated;
    }

    /// <summary>
    /// Starts a process behind the router, reaching only <paramref name="ports"/> of the host's loopback.
    /// <paramref name="command"/> builds its command line (program first) from the port it must dial for each of those:
    /// the same number inside a namespace, a forwarding port of ours without one.
    /// </summary>
    public static OutboundOnlyNetwork Start(Func<Func<int, int>, IReadOnlyList<string>> command, IReadOnlyDictionary<string, string> environment, params int[] ports)
    {
        bool isolate = NamespacesWork();
        var relays = new Dictionary<int, Socket>();
        if (!isolate)
            foreach (int port in ports)
            {
                var relay = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                relay.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                relay.Listen(16);
                relays[port] = relay;
            }
        var arguments = command(port => isolate ? port : ((IPEndPoint)relays[port].LocalEndPoint!).Port);
        var psi = new ProcessStartInfo(isolate ? "unshare" : arguments[0]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        if (isolate)
        {
            // lo starts down in a new namespace; exec keeps the pid, whose /proc/PID/ns/net the listeners enter.
            foreach (var a in new[] { "-rn", "--", "sh", "-c", "ip link set lo up && exec \"$@\"", "sh" }) psi.ArgumentList.Add(a);
            foreach (var a in arguments) psi.ArgumentList.Add(a);
        }
        else foreach (var a in arguments.Skip(1)) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        var process = Process.Start(psi)!;
        var network = new OutboundOnlyNetwork(process, isolate);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (network.output) network.output.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (network.output) network.output.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            foreach (int port in ports) network.Forward(port, isolate ? null : relays[port]);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return network;
    }

    /// <summary>Whether this machine lets a test make a user + network namespace and enter it (probed once).</summary>
    static bool NamespacesWork() => probe.Value;
    static readonly Lazy<bool> probe = new(() =>
    {
        // RENDERNET_TEST_NO_NETNS=1 runs the fallback where namespaces would work (to test it).
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("RENDERNET_TEST_NO_NETNS") == "1") return false;
        try
        {
            using var sleeper = Process.Start(new ProcessStartInfo("unshare", ["-rn", "--", "sh", "-c", "ip link set lo up && exec sleep 30"]) { RedirectStandardError = true })!;
            try
            {
                for (int i = 0; i < 50 && !sleeper.HasExited; i++)
                {
                    try
                    {
                        using var socket = ListenIn(sleeper.Id, 0);
                        return true;
                    }
                    catch (SocketException) { Thread.Sleep(100); } // lo not up yet
                }
                return false;
            }
            finally
            {
                if (!sleeper.HasExited) sleeper.Kill();
            }
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return false;
        }
    });

    /// <summary>A listening socket on 127.0.0.1:<paramref name="port"/> inside process <paramref name="pid"/>'s network namespace.</summary>
    static Socket ListenIn(int pid, int port)
    {
        Socket? result = null;
        Exception? failure = null;
        // setns changes only the calling thread's namespace: a thread of our own, which ends right after.
        var thread = new Thread(() =>
        {
            int target = open($"/proc/{pid}/ns/net", 0);
            if (target < 0)
            {
                failure = new IOException($"cannot open the namespace of process {pid} (errno {Marshal.GetLastPInvokeError()})");
                return;
            }
            try
            {
                if (setns(target, CLONE_NEWNET) != 0)
                {
                    failure = new InvalidOperationException($"setns failed (errno {Marshal.GetLastPInvokeError()})");
                    return;
                }
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                    socket.Listen(16);
                    result = socket;
                }
                catch (Exception ex)
                {
                    socket.Dispose();
                    failure = ex;
                }
            }
            finally
            {
                close(target);
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw failure is SocketException s ? s : failure;
        return result!;
    }

    void Forward(int port, Socket? relay)
    {
        Socket listener;
        if (relay is not null) listener = relay;
        else
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (true)
            {
                try
                {
                    listener = ListenIn(Process.Id, port);
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline && !Process.HasExited)
                {
                    Thread.Sleep(50); // `ip link set lo up` has not run yet
                }
            }
        }
        lock (gate) listeners.Add(listener);
        _ = AcceptAsync(listener, port);
    }

    async Task AcceptAsync(Socket listener, int port)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket inside;
            try { inside = await listener.AcceptAsync(stop.Token); }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            var outside = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try { await outside.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), stop.Token); }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                inside.Dispose();
                outside.Dispose();
                continue;
            }
            lock (gate)
            {
                connections.Add(inside);
                connections.Add(outside);
                forwarded[port] = forwarded.GetValueOrDefault(port) + 1;
            }
            _ = PumpAsync(inside, outside);
            _ = PumpAsync(outside, inside);
        }
    }

    static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 << 10];
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0) break;
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
        try { to.Shutdown(SocketShutdown.Send); }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
    }

    /// <summary>Drops every forwarded connection at once (a router losing its state); new ones may be made afterwards.</summary>
    public void Cut()
    {
        List<Socket> all;
        lock (gate)
        {
            all = [.. connections];
            connections.Clear();
        }
        foreach (var socket in all)
        {
            try { socket.Close(0); } // an RST: the connection is gone, not closed politely
            catch (ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        lock (gate) foreach (var l in listeners) l.Dispose();
        Cut();
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
        Process.Dispose();
    }
}
