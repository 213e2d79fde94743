using System.Diagnostics;
using System.Text.Json;
using RenderNet.Node;
using RenderNet.Payments;

namespace RenderNet.Farm.Tests;

/// <summary>A paid node's /metrics, /status, status page and `rendernet node status`, against what the job's receipt says.</summary>
[Collection("farm")]
public class NodeMetricsTests
{
    static string StatusUrl(NodeProcess node)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            var line = node.Output.FirstOrDefault(l => l.Contains("rendernet node status page at "));
            if (line is not null) return line.Split("status page at ")[1].Split(' ')[0].TrimEnd('/');
            Thread.Sleep(50);
        }
        throw new TimeoutException("the node printed no status address: " + string.Join(" | ", node.Output));
    }

    [Fact]
    public async Task Metrics_and_status_move_as_a_paid_job_runs_and_match_its_receipt()
    {
        await using var chain = new PaidFarmTests.PaidChain();
        await chain.DeployAsync();
        using var a = chain.Node(1, "--status-listen", "127.0.0.1:0", "--node-id", "metrics-a");
        using var b = chain.Node(2, "--status-listen", "127.0.0.1:0", "--node-id", "metrics-b");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var urls = new Dictionary<NodeProcess, string> { [a] = StatusUrl(a), [b] = StatusUrl(b) };

        var before = PrometheusText.Parse(await http.GetStringAsync(urls[a] + "/metrics"));
        Assert.Equal(0, before.Value("rendernet_node_tiles_rendered_total", ("mode", "path")));
        Assert.Equal(1, Assert.Single(before, s => s.Name == "rendernet_node_info").Value);

        var frame = Jobs.Frame(64, 48, 4);
        // No deadline may cut a tile short on a loaded machine: a tile the node finished after the coordinator gave up
        // on it is counted by the node and not by the receipt, and this test compares the two.
        var result = await new TileFarm(Jobs.Spec(frame, 16), Jobs.Fast with { Payer = chain.Payer(), SpeculativeStragglers = false, SpotCheckRate = 0, MinTileTimeout = TimeSpan.FromSeconds(60) })
            .RunAsync([a.Address, b.Address]);
        Assert.Equal(12, result.Nodes.Sum(n => n.Tiles));
        string payer = PaymentKeys.AddressOf(chain.Chain.DevKeys[0]).ToLowerInvariant();

        double busy = 0;
        foreach (var (node, url) in urls)
        {
            var report = result.Nodes.Single(n => n.Address == node.Address);
            var metrics = PrometheusText.Parse(await http.GetStringAsync(url + "/metrics"));
            // Counted by the node, equal to what the coordinator's receipt says it delivered and was paid.
            Assert.Equal(report.Tiles, metrics.Value("rendernet_node_tiles_rendered_total", ("mode", "path")));
            Assert.Equal(report.Tiles * 16L * 16 * 4, metrics.Value("rendernet_node_pixel_samples_total"));
            Assert.Equal((double)report.Paid, metrics.Value("rendernet_node_tokens", ("payer", payer), ("state", "earned")));
            Assert.Equal((double)report.Paid, metrics.Value("rendernet_node_tokens", ("payer", payer), ("state", "vouchered")));
            Assert.Equal((double)report.Paid, metrics.Value("rendernet_node_tokens", ("payer", payer), ("state", "redeemed")));
            Assert.Equal(0, metrics.Value("rendernet_node_tokens", ("payer", payer), ("state", "pending")));
            Assert.Equal(1, metrics.Value("rendernet_node_info", ("fingerprint", report.Fingerprint!)));
            Assert.Equal(0, metrics.Value("rendernet_node_work_in_flight"));
            Assert.Equal(Jobs.Glb.Length, metrics.Value("rendernet_node_scene_upload_bytes_total"));
            Assert.Equal(Jobs.Glb.Length, metrics.Value("rendernet_node_scene_cache_bytes"));
            Assert.Equal(1, metrics.Value("rendernet_node_scene_cache_lookups_total", ("result", "miss")));
            busy += metrics.Value("rendernet_node_busy_seconds_total", ("kind", "tile"));

            var status = JsonSerializer.Deserialize<NodeStatusReport>(await http.GetStringAsync(url + "/status"), NodeStatusReport.Json)!;
            Assert.Equal(report.Tiles, status.TilesRendered);
            Assert.Equal(report.Fingerprint, status.Fingerprint);
            var channel = Assert.Single(status.Channels);
            Assert.Equal((payer, report.Paid.ToString(), report.Paid.ToString(), "0", report.RedeemTransaction),
                (channel.Payer, channel.Earned, channel.Redeemed, channel.Pending, channel.LastRedeemTransaction));

            string page = await http.GetStringAsync(url + "/");
            Assert.Contains($"<h1>Node {status.NodeId}</h1>", page);
            Assert.Contains($"<td id=\"tiles\">{report.Tiles}</td>", page);
            Assert.Contains(report.RedeemTransaction ?? "-", page);
        }
        Assert.True(busy > 0);

        // The command a node host runs, against the same node.
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { NodeProcess.RendernetDll, "node", "status", "--url", urls[a] }) psi.ArgumentList.Add(arg);
        using var cli = Process.Start(psi)!;
        string printed = await cli.StandardOutput.ReadToEndAsync();
        await cli.WaitForExitAsync();
        Assert.Equal(0, cli.ExitCode);
        var aReport = result.Nodes.Single(n => n.Address == a.Address);
        Assert.Contains($"node metrics-a: ", printed);
        Assert.Contains($"payer {payer}: earned {aReport.Paid}, redeemed {aReport.Paid}, pending 0", printed);

        // And the node's earnings are not on its gRPC port.
        var grpcPort = new Uri(a.Address.StartsWith("http") ? a.Address : "http://" + a.Address).Port;
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetStringAsync($"http://127.0.0.1:{grpcPort}/metrics"));
    }
}
