namespace RenderNet.Node.Tests;

public class ServiceJoinTargetTests
{
    [Theory]
    [InlineData("http://127.0.0.1:7878", "ws://127.0.0.1:7878/v1/nodes/join", null)]
    [InlineData("https://farm.example:8443/ignored/path", "wss://farm.example:8443/v1/nodes/join", null)]
    [InlineData("https://10.0.0.5:8443#sha256=ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789", "wss://10.0.0.5:8443/v1/nodes/join",
        "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789")]
    public void A_service_url_becomes_its_join_websocket_and_a_pinned_fingerprint(string text, string joinUrl, string? pin)
    {
        var target = ServiceJoinTarget.Parse(text);
        Assert.Equal(joinUrl, target.JoinUrl.ToString());
        Assert.Equal(pin, target.PinnedSha256);
    }

    [Theory]
    [InlineData("farm.example:8443", "is not an http(s):// URL")]
    [InlineData("ftp://farm.example", "is not an http(s):// URL")]
    [InlineData("http://farm.example:7878", "plain http reaches beyond this machine")]
    [InlineData("http://127.0.0.1:7878#sha256=abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", "a pinned certificate is https://")]
    [InlineData("https://farm.example#sha256=abc", "64 hex digits")]
    public void Bad_join_targets_are_refused_with_the_reason(string text, string reason)
    {
        var ex = Assert.Throws<ArgumentException>(() => ServiceJoinTarget.Parse(text));
        Assert.Contains(reason, ex.Message);
        Assert.Contains("--join", ex.Message);
    }

    [Fact]
    public async Task A_node_neither_listening_nor_joining_is_refused_and_a_joining_one_needs_a_key()
    {
        var nowhere = await Assert.ThrowsAsync<ArgumentException>(() => NodeHost.StartAsync(new NodeOptions { Listen = null }));
        Assert.Contains("--listen", nowhere.Message);
        var keyless = await Assert.ThrowsAsync<ArgumentException>(() => NodeHost.StartAsync(new NodeOptions { Listen = null, Join = [ServiceJoinTarget.Parse("http://127.0.0.1:1")] }));
        Assert.Contains("RENDERNET_NODE_KEY", keyless.Message);
    }
}
