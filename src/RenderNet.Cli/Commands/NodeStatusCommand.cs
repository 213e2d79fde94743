using System.CommandLine;
using System.Net.Http.Json;
using System.Numerics;
using RenderNet.Node;

namespace RenderNet.Cli.Commands;

/// <summary>`rendernet node status [--url URL] [--json]`: what a running node (started with --status-listen) reports.</summary>
static class NodeStatusCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The node's status address (its --status-listen)", DefaultValueFactory = _ => "http://127.0.0.1:9464" };
        var json = new Option<bool>("--json") { Description = "Print the node's status as JSON" };
        var command = new Command("status", "Show a running node's device, uptime, work done and earnings per payer and channel") { url, json };
        command.SetAction((parse, cancellation) => UserErrors.Run(async () =>
        {
            var baseUrl = parse.GetValue(url)!.TrimEnd('/');
            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new ArgumentException($"--url '{baseUrl}' is not an http address");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            NodeStatusReport report;
            try
            {
                using var response = await http.GetAsync($"{baseUrl}/status", cancellation);
                response.EnsureSuccessStatusCode();
                if (response.Content.Headers.ContentLength is > 4 << 20) throw new IOException($"{baseUrl}/status answered {response.Content.Headers.ContentLength:N0} bytes, not a node status");
                report = await response.Content.ReadFromJsonAsync<NodeStatusReport>(NodeStatusReport.Json, cancellation)
                    ?? throw new IOException($"{baseUrl}/status answered nothing");
            }
            catch (HttpRequestException ex)
            {
                throw new IOException($"no node status at {baseUrl} ({ex.Message}): is the node running with --status-listen?", ex);
            }
            catch (System.Text.Json.JsonException ex)
            {
                throw new IOException($"{baseUrl}/status is not a node status: {ex.Message}", ex);
            }
            if (parse.GetValue(json))
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(report, NodeStatusReport.Json));
                return ExitCodes.Success;
            }
            Console.WriteLine($"node {report.NodeId}: {report.Device}, fingerprint {report.Fingerprint}");
            Console.WriteLine($"up {TimeSpan.FromSeconds(Math.Round(report.UptimeSeconds))}, {report.TilesRendered} tiles and {report.SegmentsTranscoded} segments delivered, {report.WorkInFlight} in flight{(report.Draining ? ", draining" : "")}");
            if (report.PaymentAddress is null)
            {
                Console.WriteLine("free node (no payments)");
                return ExitCodes.Success;
            }
            Console.WriteLine($"paid to {report.PaymentAddress}");
            foreach (var payer in report.Channels.GroupBy(c => c.Payer))
            {
                BigInteger Sum(Func<ChannelStatus, string> field) => payer.Aggregate(BigInteger.Zero, (s, c) => s + Amount(field(c)));
                Console.WriteLine($"payer {payer.Key}: earned {Sum(c => c.Earned)}, redeemed {Sum(c => c.Redeemed)}, pending {Sum(c => c.Pending)} (token base units)");
                foreach (var c in payer)
                    Console.WriteLine($"  channel {c.Channel}: earned {c.Earned}, vouchered {c.Vouchered}, redeemed {c.Redeemed}, pending {c.Pending}, last redeem {c.LastRedeemTransaction ?? "-"}");
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>An amount from the node's report, or a one-line error naming it (the report crossed a process boundary).</summary>
    static BigInteger Amount(string text) =>
        BigInteger.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && text.Length <= 80
            ? value : throw new IOException($"the node's status has '{(text.Length > 40 ? text[..40] + "…" : text)}' where an amount should be");
}
