using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace RenderNet.Node;

/// <summary>One channel's earnings as the status report shows them: amounts in token base units, as decimal strings.</summary>
public sealed record ChannelStatus(string Channel, string Payer, string Earned, string Vouchered, string Redeemed, string Pending, string? LastRedeemTransaction);

/// <summary>What <c>/status</c> answers and <c>rendernet node status</c> prints.</summary>
public sealed record NodeStatusReport(
    string NodeId, string Device, string Fingerprint, double UptimeSeconds, long TilesRendered, long SegmentsTranscoded,
    int WorkInFlight, bool Draining, string? PaymentAddress, IReadOnlyList<ChannelStatus> Channels)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}

/// <summary>
/// The node's own HTTP/1.1 listener, apart from the gRPC port: <c>/metrics</c> (Prometheus text), <c>/status</c> (JSON)
/// and <c>/</c>, a status page. Apart because what a node earned, and from whom, is for its host, not for every
/// coordinator that can reach the gRPC port: it listens where the host says (loopback unless told otherwise).
/// </summary>
public sealed class NodeStatusServer : IAsyncDisposable
{
    readonly WebApplication app;

    public string Url { get; }

    NodeStatusServer(WebApplication app, string url)
    {
        this.app = app;
        Url = url;
    }

    public static async Task<NodeStatusServer> StartAsync(IPEndPoint endpoint, NodeMetrics metrics, Func<NodeStatusReport> report, CancellationToken cancellation)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxConcurrentConnections = 32;
            k.Limits.MaxRequestBodySize = 0;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            k.Listen(endpoint, l => l.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.MapGet("/metrics", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8"; // the text exposition format
            await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        });
        app.MapGet("/status", () => Results.Json(report(), NodeStatusReport.Json));
        app.MapGet("/", () => Results.Content(Page(report()), "text/html; charset=utf-8"));
        await app.StartAsync(cancellation);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new NodeStatusServer(app, bound);
    }

    /// <summary>The status page: plain HTML, refreshed every 5 s, every value encoded.</summary>
    static string Page(NodeStatusReport r)
    {
        static string E(object? v) => WebUtility.HtmlEncode(v?.ToString() ?? "");
        var html = new StringBuilder();
        html.Append($$"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
            <title>RenderNet node {{E(r.NodeId)}}</title>
            <style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}th{background:#f4f4f4}code{font-size:12px}</style>
            </head><body><h1>Node {{E(r.NodeId)}}</h1><table>
            <tr><th>device</th><td>{{E(r.Device)}}</td></tr>
            <tr><th>pipeline fingerprint</th><td><code>{{E(r.Fingerprint)}}</code></td></tr>
            <tr><th>uptime</th><td id="uptime">{{E(TimeSpan.FromSeconds(Math.Round(r.UptimeSeconds)))}}</td></tr>
            <tr><th>tiles rendered</th><td id="tiles">{{r.TilesRendered}}</td></tr>
            <tr><th>segments transcoded</th><td id="segments">{{r.SegmentsTranscoded}}</td></tr>
            <tr><th>work in flight</th><td>{{r.WorkInFlight}}{{(r.Draining ? " (draining)" : "")}}</td></tr>
            <tr><th>paid to</th><td><code>{{E(r.PaymentAddress ?? "free node")}}</code></td></tr>
            </table>
            """);
        if (r.Channels.Count > 0)
        {
            html.Append("<h2>Earnings (token base units)</h2><table id=\"channels\"><tr><th>channel</th><th>payer</th><th>earned</th><th>vouchered</th><th>redeemed</th><th>pending</th><th>last redeem</th></tr>");
            foreach (var c in r.Channels)
                html.Append($"<tr><td>{E(c.Channel)}</td><td><code>{E(c.Payer)}</code></td><td>{E(c.Earned)}</td><td>{E(c.Vouchered)}</td><td>{E(c.Redeemed)}</td><td>{E(c.Pending)}</td><td><code>{E(c.LastRedeemTransaction ?? "-")}</code></td></tr>");
            html.Append("</table>");
        }
        html.Append("<p><a href=\"/metrics\">metrics</a> · <a href=\"/status\">status JSON</a></p></body></html>");
        return html.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try { await app.StopAsync(quick.Token); } catch (OperationCanceledException) { }
        await app.DisposeAsync();
    }
}
