namespace RenderNet.Node.Tests;

public class SceneCacheTests
{
    static byte[] Bytes(int n, byte fill) => Enumerable.Repeat(fill, n).ToArray();

    sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Least_recently_used_scenes_are_evicted_past_the_cap()
    {
        var clock = new ManualClock();
        var cache = new SceneCache(250, clock);
        cache.Add("a", Bytes(100, 1));
        cache.Add("b", Bytes(100, 2));
        Assert.NotNull(cache.TryGet("a"));          // a is now the most recent
        clock.Now += SceneCache.PinWindow;          // nothing is in use any more
        Assert.True(cache.Add("c", Bytes(100, 3))); // 300 > 250: evicts b, the least recent
        Assert.True(cache.Contains("a"));
        Assert.False(cache.Contains("b"));
        Assert.True(cache.Contains("c"));
        Assert.Equal(200, cache.Bytes);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void N2_junk_uploads_cannot_evict_a_scene_a_job_is_rendering()
    {
        var clock = new ManualClock();
        var cache = new SceneCache(300, clock);
        Assert.True(cache.Add("job", Bytes(100, 1)));
        clock.Now += TimeSpan.FromMinutes(5);
        Assert.NotNull(cache.TryGet("job"));        // a tile of the running job: pinned for the pin window
        clock.Now += TimeSpan.FromMinutes(2);
        // An attacker uploads junk blobs (each a valid content address of itself) to push the job's scene out.
        Assert.True(cache.Add("junk1", Bytes(100, 2)));
        Assert.True(cache.Add("junk2", Bytes(100, 3)));
        Assert.False(cache.HasRoomFor(100));
        Assert.False(cache.Add("junk3", Bytes(100, 4))); // refused: only pinned scenes are left
        Assert.True(cache.Contains("job"));
        // Once the upload grace of the junk is over, junk goes first and the job's scene stays.
        clock.Now += SceneCache.UploadGrace;
        Assert.NotNull(cache.TryGet("job"));
        Assert.True(cache.Add("junk4", Bytes(100, 5)));
        Assert.True(cache.Contains("job"));
        Assert.False(cache.Contains("junk1"));
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
