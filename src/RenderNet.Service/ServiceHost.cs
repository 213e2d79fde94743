using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RenderNet.Service;

/// <summary>The service could not start as configured (the message says what to change).</summary>
public sealed class ServiceConfigurationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// `rendernet serve`: an ASP.NET Core host (Kestrel, HTTP/1.1 so every engine's HttpClient can talk to it) with the
/// job manager, the node roster and the API behind a bearer token. It listens on loopback unless told otherwise, and
/// anywhere else only over TLS.
/// </summary>
public sealed class ServiceHost : IAsyncDisposable
{
    readonly WebApplication app;
    readonly JobManager manager;
    readonly JobStore store;

    ServiceHost(WebApplication app, JobManager manager, JobStore store, Uri address, ServiceToken token)
    {
        this.app = app;
        this.manager = manager;
        this.store = store;
        Address = address;
        Token = token;
    }

    /// <summary>The largest request body outside scene uploads.</summary>
    public const long MaxJsonBodyBytes = 1 << 20;

    /// <summary>Where it listens (the port resolved when 0 was asked).</summary>
    public Uri Address { get; }
    public ServiceToken Token { get; }
    public JobManager Jobs => manager;

    /// <summary>Checks the listen address: loopback, or TLS with a certificate.</summary>
    public static void CheckListen(Uri listen, string? certificate)
    {
        if (listen.Scheme is not ("http" or "https")) throw new ServiceConfigurationException($"--listen must be an http:// or https:// URL, got {listen}");
        bool loopback = listen.IsLoopback || (IPAddress.TryParse(listen.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
        if (!loopback && (listen.Scheme != "https" || certificate is null))
            throw new ServiceConfigurationException($"listening on {listen} reaches beyond this machine, so it needs TLS: listen on https://… and give --certificate FILE.pfx (its password in $RENDERNET_SERVICE_CERT_PASSWORD)");
        if (listen.Scheme == "https" && certificate is null) throw new ServiceConfigurationException("https needs --certificate FILE.pfx");
    }

    /// <param name="consoleLogs">Log to stderr (one line each; stdout stays for the "listening on" line).</param>
    public static async Task<ServiceHost> StartAsync(ServiceOptions options, bool consoleLogs = false, CancellationToken cancellation = default)
    {
        CheckListen(options.Listen, options.CertificatePath);
        var state = Directory.CreateDirectory(options.StateDirectory);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(state.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var token = ServiceToken.LoadOrCreate(options.StateDirectory);
        X509Certificate2? certificate = null;
        if (options.CertificatePath is { } path)
        {
            try
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(path, RenderNet.Payments.SecretVariables.Take(RenderNet.Payments.SecretVariables.ServiceCertificatePassword));
            }
            catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
            {
                throw new ServiceConfigurationException($"the certificate {path} cannot be used: {ex.Message}", ex);
            }
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (consoleLogs)
        {
            builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
            builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        }
        builder.Services.AddOpenApi();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull);
        var host = options.Listen.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Listen.Host.Trim('[', ']'));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxSceneBytes + (1 << 20);
            kestrel.Listen(host, options.Listen.Port, listen =>
            {
                // HTTP/2 where TLS can negotiate it (joined nodes' links ride WebSockets over it); plain loopback is HTTP/1.1.
                listen.Protocols = certificate is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                if (certificate is not null) listen.UseHttps(certificate);
            });
        });
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("rendernet.serve");

        var store = JobStore.Open(Path.Combine(options.StateDirectory, "service.db"), options.Time);
        // Nodes' records outlive jobs: every job's farm reads and adds to them.
        var reputation = ReputationStore.Open(store, options.Time);
        options = options with { Farm = options.Farm with { Reputation = reputation } };
        var joined = options.AcceptNodes is null ? null : new JoinedNodes(options.Farm.ConnectTimeout);
        var nodes = new ServiceNodes(options.Nodes, joined, options.Fleet);
        var manager = new JobManager(options, store, new SceneStore(Path.Combine(options.StateDirectory, "scenes"), options.MaxSceneBytes),
            new MediaStore(Path.Combine(options.StateDirectory, "media"), options.MaxMediaBytes), logger, nodes);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(15) });
        // Every call carries the token, the OpenAPI document included: nothing about the farm is public.
        app.Use(async (context, next) =>
        {
            // The dashboard's own files are public (they hold no data; the page asks for the token), and a browser's
            // WebSocket carries the token as its second subprotocol, having no way to set a header.
            bool allowed = token.Accepts(context.Request.Headers.Authorization)
                || Dashboard.IsAsset(context.Request)
                || joined is not null && context.Request.Path == NodeJoinEndpoint.Path // a node's signature is its credential
                || context.WebSockets.IsWebSocketRequest && token.AcceptsWebSocketProtocols(context.WebSockets.WebSocketRequestedProtocols);
            if (!allowed)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await ProblemResults.Of(401, "a bearer token is required: `rendernet serve token` prints it").ExecuteAsync(context);
                return;
            }
            // Only a scene upload may be large; every JSON body is small, and is read whole by the binder.
            var bodyLimit = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>();
            if (context.Request.Path.StartsWithSegments("/v1/media") && bodyLimit is { IsReadOnly: false }) bodyLimit.MaxRequestBodySize = options.MaxMediaBytes + 1;
            else if (!context.Request.Path.StartsWithSegments("/v1/scenes")
                && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                limit.MaxRequestBodySize = MaxJsonBodyBytes;
            await next(context);
        });
        app.MapOpenApi();
        var roster = new NodeRoster(options, nodes);
        if (joined is not null) NodeJoinEndpoint.Map(app, joined, options.AcceptNodes!, NodeJoinEndpoint.ServiceIdOf(token), certificate, logger);
        // Links are requests that never end by themselves: a stopping service closes them (the nodes will rejoin).
        if (joined is not null) app.Lifetime.ApplicationStopping.Register(joined.Dispose);
        ServiceEndpoints.Map(app, manager, roster, options);
        var metrics = new ServiceMetrics(manager, roster, options, options.Time);
        manager.Appended += (_, e) => { if (e.Type is "tile" or "segment") metrics.Delivered(e.Type); };
        Dashboard.Map(app);
        app.MapGet("/metrics", async (Microsoft.AspNetCore.Http.HttpContext context) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8"; // Prometheus' text exposition format
            await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        }).ExcludeFromDescription();
        try
        {
            await app.StartAsync(cancellation);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync();
            manager.Dispose();
            store.Dispose();
            throw new ServiceConfigurationException($"cannot listen on {options.Listen}: {ex.Message}", ex);
        }
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("[::]", "127.0.0.1") + "/");
        manager.ResumeUnfinished();
        return new ServiceHost(app, manager, store, address, token);
    }

    public Task WaitForShutdownAsync(CancellationToken cancellation) => app.WaitForShutdownAsync(cancellation);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        manager.Dispose();
        await app.DisposeAsync();
        store.Dispose();
    }
}
