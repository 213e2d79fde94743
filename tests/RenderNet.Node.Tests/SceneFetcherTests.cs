using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;

namespace RenderNet.Node.Tests;

/// <summary>
/// A coordinator names the scene's sources; the servers behind them may be hostile. These are raw HTTP/1.1 servers on
/// loopback that answer exactly what a test scripts, so redirects, lying lengths and endless bodies can be thrown at
/// <see cref="SceneFetcher"/>.
/// </summary>
public class SceneFetcherTests
{
    static readonly byte[] Scene = Encoding.ASCII.GetBytes("glTF scene bytes standing in for a .glb");
    static readonly string Sha = Convert.ToHexStringLower(SHA256.HashData(Scene));

    /// <summary>Accepts connections and answers each with <paramref name="respond"/> writing to the raw socket stream.</summary>
    sealed class RawServer : IDisposable
    {
        readonly TcpListener listener = new(IPAddress.Loopback, 0);
        readonly Func<NetworkStream, CancellationToken, Task> respond;
        readonly CancellationTokenSource stop = new();
        public int Requests;
        public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;
        public string Url(string path = "/scene.glb") => $"http://127.0.0.1:{Port}{path}";

        public RawServer(Func<NetworkStream, CancellationToken, Task> respond)
        {
            this.respond = respond;
            listener.Start();
            _ = AcceptAsync();
        }

        async Task AcceptAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await listener.AcceptTcpClientAsync(stop.Token); }
                catch (Exception) { return; }
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        var stream = client.GetStream();
                        await ReadHeadAsync(stream);
                        Interlocked.Increment(ref Requests);
                        try { await respond(stream, stop.Token); }
                        catch (Exception) { } // the fetcher hung up: what these servers are for
                    }
                });
            }
        }

        /// <summary>Reads the request up to its blank line (GETs have no body).</summary>
        static async Task ReadHeadAsync(NetworkStream stream)
        {
            var seen = new StringBuilder();
            var one = new byte[1];
            while (!seen.ToString().EndsWith("\r\n\r\n") && await stream.ReadAsync(one) == 1) seen.Append((char)one[0]);
        }

        public void Dispose()
        {
            stop.Cancel();
            listener.Stop();
        }
    }

    static Task WriteAsync(NetworkStream stream, string head, CancellationToken cancellation) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellation).AsTask();

    static SceneFetcher Fetcher(params RawServer[] allowed) =>
        new(new NodeOptions { SceneGateways = allowed.Select(s => $"127.0.0.1:{s.Port}").ToList() }, NullLogger<SceneFetcher>.Instance);

    static RawServer Honest() => new(async (stream, cancellation) =>
    {
        await WriteAsync(stream, $"HTTP/1.1 200 OK\r\nContent-Length: {Scene.Length}\r\nConnection: close\r\n\r\n", cancellation);
        await stream.WriteAsync(Scene, cancellation);
    });

    [Fact]
    public async Task An_allowed_source_serving_the_scene_is_fetched_and_checked()
    {
        using var honest = Honest();
        using var fetcher = Fetcher(honest);

        var bytes = await fetcher.FetchAsync([honest.Url()], Sha, 1 << 20, CancellationToken.None);

        Assert.Equal(Scene, bytes);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_even_to_an_allowed_host()
    {
        using var target = Honest();
        using var redirecting = new RawServer((stream, cancellation) =>
            WriteAsync(stream, $"HTTP/1.1 302 Found\r\nLocation: {target.Url()}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", cancellation));
        using var fetcher = Fetcher(redirecting, target); // both allowed: a redirect still is not how a source is chosen

        var bytes = await fetcher.FetchAsync([redirecting.Url()], Sha, 1 << 20, CancellationToken.None);

        Assert.Null(bytes);
        Assert.Equal(1, redirecting.Requests);
        Assert.Equal(0, target.Requests);
    }

    [Fact]
    public async Task A_length_announced_over_the_limit_is_refused_before_the_body_and_the_next_source_is_tried()
    {
        int bodyBytesWritten = 0;
        using var huge = new RawServer(async (stream, cancellation) =>
        {
            await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 1125899906842624\r\nConnection: close\r\n\r\n", cancellation);
            var junk = new byte[64 << 10];
            for (int i = 0; i < 1024; i++) // 64 MiB at most: the fetcher must hang up long before
            {
                await stream.WriteAsync(junk, cancellation);
                Interlocked.Add(ref bodyBytesWritten, junk.Length);
            }
        });
        using var honest = Honest();
        using var fetcher = Fetcher(huge, honest);

        var bytes = await fetcher.FetchAsync([huge.Url(), honest.Url()], Sha, 1 << 20, CancellationToken.None);

        Assert.Equal(Scene, bytes); // from the second source
        Assert.Equal(1, huge.Requests);
        Assert.True(bodyBytesWritten < 32 << 20, $"the server got {bodyBytesWritten:N0} bytes out before the fetcher hung up");
    }

    [Fact]
    public async Task A_body_that_streams_past_the_limit_without_announcing_a_length_is_cut_off()
    {
        long limit = 256 << 10;
        long written = 0;
        using var endless = new RawServer(async (stream, cancellation) =>
        {
            await WriteAsync(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", cancellation);
            var chunk = Encoding.ASCII.GetBytes($"{8192:x}\r\n{new string('x', 8192)}\r\n");
            while (!cancellation.IsCancellationRequested && written < 1L << 30) // 1 GiB if nobody stops it
            {
                await stream.WriteAsync(chunk, cancellation);
                Interlocked.Add(ref written, 8192);
            }
        });
        using var fetcher = Fetcher(endless);

        var bytes = await fetcher.FetchAsync([endless.Url()], Sha, limit, CancellationToken.None);

        Assert.Null(bytes);
        Assert.True(Interlocked.Read(ref written) < 64L << 20, $"the server streamed {Interlocked.Read(ref written):N0} bytes before the fetcher hung up");
    }

    [Fact]
    public async Task A_server_that_never_answers_is_left_when_the_callers_deadline_passes()
    {
        using var silent = new RawServer((_, cancellation) => Task.Delay(Timeout.Infinite, cancellation));
        using var fetcher = Fetcher(silent);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetcher.FetchAsync([silent.Url()], Sha, 1 << 20, deadline.Token));
        Assert.Equal(1, silent.Requests);
    }

    [Theory]
    [InlineData("http://example.org/scene.glb", "not https")]
    [InlineData("https://example.org/scene.glb", "its host is not among this node's --scene-gateway hosts")]
    [InlineData("file:///etc/passwd", "not https")]
    [InlineData("scene.glb", "not a URL")]
    public void Sources_other_than_allowed_https_hosts_are_refused_by_name(string source, string reason)
    {
        using var fetcher = new SceneFetcher(new NodeOptions { SceneGateways = ["cdn.studio.example"] }, NullLogger<SceneFetcher>.Instance);

        Assert.Equal(reason, fetcher.Refusal(source));
        Assert.Null(fetcher.Refusal("https://cdn.studio.example/scenes/abc.glb"));
    }
}
