using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RenderNet.Node;

/// <summary>
/// Hosts <see cref="RenderNodeService"/> on Kestrel (HTTP/2, TLS when a certificate is given). On SIGTERM/Ctrl+C the
/// node stops accepting tiles, lets the ones in flight finish within <see cref="NodeOptions.ShutdownTimeout"/>, and
/// aborts the rest, which their callers then re-send to other nodes.
/// </summary>
public sealed class NodeHost : IAsyncDisposable
{
    readonly WebApplication app;

    public string Address { get; }
    public TileRenderer Renderer { get; }

    NodeHost(WebApplication app, string address, TileRenderer renderer)
    {
        this.app = app;
        Address = address;
        Renderer = renderer;
    }

    public static async Task<NodeHost> StartAsync(NodeOptions options, CancellationToken cancellation = default)
    {
        var endpoint = ParseEndpoint(options.Listen);
        var renderer = new TileRenderer(options.Device);
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o => o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false });
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            builder.Logging.AddFilter("Grpc", LogLevel.Warning);
            builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.Limits.MaxRequestBodySize = options.MaxSceneBytes + (16 << 20);
                k.Listen(endpoint, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    if (options.CertificatePath is not null)
                        listen.UseHttps(X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword));
                });
            });
            builder.Services.AddGrpc(g =>
            {
                g.MaxReceiveMessageSize = 8 << 20;   // scene chunks are at most 4 MiB; tile requests are tiny
                g.MaxSendMessageSize = null;
            });
            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton(new SceneCache(options.SceneCacheBytes));
            builder.Services.AddSingleton(renderer);
            builder.Services.AddSingleton<NodeState>();
            var app = builder.Build();
            app.MapGrpcService<RenderNodeService>();
            var state = app.Services.GetRequiredService<NodeState>();
            app.Lifetime.ApplicationStopping.Register(state.StartDraining);
            await app.StartAsync(cancellation);

            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var uri = new Uri(bound);
            return new NodeHost(app, $"{uri.Host}:{uri.Port}", renderer);
        }
        catch
        {
            renderer.Dispose();
            throw;
        }
    }

    static IPEndPoint ParseEndpoint(string listen)
    {
        int colon = listen.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(listen[(colon + 1)..], out int port) || port is < 0 or > 65535)
            throw new ArgumentException($"--listen '{listen}' is not host:port");
        string host = listen[..colon].Trim('[', ']');
        var ip = host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var parsed) ? parsed
            : throw new ArgumentException($"--listen '{listen}': '{host}' is not an IP address");
        return new IPEndPoint(ip, port);
    }

    /// <summary>Completes when the host stops (SIGTERM, Ctrl+C or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync() => app.WaitForShutdownAsync();

    public Task StopAsync() => app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        Renderer.Dispose();
    }
}
