namespace RenderNet.Node.Tests;

public class SceneCacheTests
{
    static byte[] Bytes(int n, byte fill) => Enumerable.Repeat(fill, n).ToArray();

    [Fact]
    public void Least_recently_used_scenes_are_evicted_past_the_cap()
    {
        var cache = new SceneCache(250);
        cache.Add("a", Bytes(100, 1));
        cache.Add("b", Bytes(100, 2));
        Assert.NotNull(cache.TryGet("a"));          // a is now the most recent
        cache.Add("c", Bytes(100, 3));              // 300 > 250: evicts b, the least recent
        Assert.True(cache.Contains("a"));
        Assert.False(cache.Contains("b"));
        Assert.True(cache.Contains("c"));
        Assert.Equal(200, cache.Bytes);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Hashes_are_sha256_hex_and_lookups_ignore_case()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", SceneCache.Hash("abc"u8));
        var cache = new SceneCache(1000);
        cache.Add("ABCDEF", Bytes(10, 0));
        Assert.True(cache.Contains("abcdef"));
    }

    [Theory]
    [InlineData("hang", NodeFault.Hang)]
    [InlineData("BadHash", NodeFault.BadHash)]
    [InlineData(null, NodeFault.None)]
    [InlineData("nonsense", NodeFault.None)]
    public void Faults_come_from_the_environment(string? value, NodeFault expected)
    {
        Environment.SetEnvironmentVariable(NodeOptions.FaultEnvironmentVariable, value);
        try { Assert.Equal(expected, NodeOptions.FaultFromEnvironment()); }
        finally { Environment.SetEnvironmentVariable(NodeOptions.FaultEnvironmentVariable, null); }
    }
}
