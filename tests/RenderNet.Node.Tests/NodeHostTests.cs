using RenderNet.Farm;
using RenderNet.Protocol;

namespace RenderNet.Node.Tests;

public class NodeHostTests
{
    [Fact]
    public async Task A_node_in_process_reports_what_it_is_and_drains_on_stop()
    {
        await using var host = await NodeHost.StartAsync(new NodeOptions { NodeId = "in-process", MaxConcurrentTiles = 3, PricePerTile = 5 });
        Assert.Matches(@"^127\.0\.0\.1:\d+$", host.Address);
        using var client = new NodeClient(host.Address);
        var caps = await client.GetCapabilitiesAsync(TimeSpan.FromSeconds(10), default);
        Assert.Equal("in-process", caps.NodeId);
        Assert.Equal(3u, caps.MaxConcurrentTiles);
        Assert.Equal(5ul, caps.PricePerTile);
        Assert.Equal(ProtocolVersion.Current, caps.ProtocolVersion);
        Assert.Equal(host.Renderer.Fingerprint, caps.PipelineFingerprint);
        Assert.Contains("path-trace", caps.JobKinds);
        Assert.True((await client.HealthAsync(TimeSpan.FromSeconds(5), default)).Serving);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_listen_address_that_is_not_host_port_is_refused() =>
        await Assert.ThrowsAsync<ArgumentException>(() => NodeHost.StartAsync(new NodeOptions { Listen = "nowhere" }));
}
