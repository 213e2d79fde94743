using System.Diagnostics;

namespace RenderNet.Service.Tests;

/// <summary>A real `rendernet serve` process on a free loopback port, with its own state directory (kept across restarts).</summary>
public sealed class ServiceProcess : IDisposable
{
    const string Ready = "rendernet serve: listening on ";
    readonly Process process;
    readonly List<string> errors = [];

    ServiceProcess(Process process, Uri address, string token)
    {
        this.process = process;
        Address = address;
        Token = token;
    }

    public Uri Address { get; }
    public string Token { get; }
    public string Stderr { get { lock (errors) return string.Join("\n", errors); } }
    public static string RendernetDll => Path.Combine(AppContext.BaseDirectory, "rendernet.dll");

    public static Process StartRaw(IReadOnlyDictionary<string, string>? environment, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        psi.ArgumentList.Add(RendernetDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    public static Task<ServiceProcess> StartAsync(string state, IReadOnlyDictionary<string, string>? environment = null, params string[] args) =>
        StartOnPortAsync(0, state, environment, args);

    /// <summary>A free loopback port (for a service that must come back at the same address).</summary>
    public static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static Task<ServiceProcess> StartOnPortAsync(int port, string state, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        StartListeningAsync($"http://127.0.0.1:{port}", state, environment, args);

    /// <summary>A service on <paramref name="listen"/> (an https:// one needs --certificate among the arguments).</summary>
    public static async Task<ServiceProcess> StartListeningAsync(string listen, string state, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var process = StartRaw(environment, ["serve", "--listen", listen, "--state", state, "--exit-with-stdin", .. args]);
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new List<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) ready.TrySetException(new InvalidOperationException("the service exited"));
            else if (e.Data.StartsWith(Ready)) ready.TrySetResult(new Uri(e.Data[Ready.Length..].Trim()));
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(120))) != ready.Task || ready.Task.IsFaulted)
        {
            process.Kill(entireProcessTree: true);
            lock (errors) throw new InvalidOperationException($"the service did not start: {string.Join("\n", errors)}");
        }
        var service = new ServiceProcess(process, await ready.Task, File.ReadAllText(Path.Combine(state, "token")).Trim());
        lock (errors) service.errors.AddRange(errors);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (service.errors) service.errors.Add(e.Data); };
        return service;
    }

    public HttpClient Http(bool withToken = true)
    {
        var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(120) };
        if (withToken) http.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        return http;
    }

    /// <summary>SIGKILL: no cleanup, no chance to save anything.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: false);
        process.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.StandardInput.Close(); // --exit-with-stdin: a clean stop (local nodes and chain stopped)
                if (!process.WaitForExit(30_000)) process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException) { }
        process.Dispose();
    }
}
