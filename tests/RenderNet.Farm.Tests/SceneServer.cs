using System.Net;

namespace RenderNet.Farm.Tests;

/// <summary>A one-path HTTP server on loopback that serves <see cref="Body"/> and counts requests.</summary>
public sealed class SceneServer : IDisposable
{
    readonly HttpListener listener = new();
    public int Port { get; }
    public byte[] Body { get; init; } = Jobs.Glb;
    /// <summary>The scene the one path names (the body need not hash to it: a lying server).</summary>
    public string Sha { get; init; } = Jobs.Sha;
    public int Requests;

    public SceneServer()
    {
        for (int attempt = 0; ; attempt++)
        {
            Port = System.Net.Sockets.TcpListener.Create(0) is var probe ? Probe(probe) : 0;
            listener.Prefixes.Clear();
            listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try { listener.Start(); break; }
            catch (HttpListenerException) when (attempt < 5) { }
        }
        _ = ServeAsync();
    }

    static int Probe(System.Net.Sockets.TcpListener probe)
    {
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception) { return; }
            Interlocked.Increment(ref Requests);
            context.Response.StatusCode = context.Request.Url!.AbsolutePath == $"/scenes/{Sha}.glb" ? 200 : 404;
            if (context.Response.StatusCode == 200) await context.Response.OutputStream.WriteAsync(Body);
            context.Response.Close();
        }
    }

    public string Template => $"http://127.0.0.1:{Port}/scenes/{{sha256}}.glb";

    public void Dispose() => listener.Close();
}
