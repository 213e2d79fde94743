using System.Diagnostics;
using Grpc.Core;

namespace RenderNet.Node;

/// <summary>
/// Idle and minimum-rate limits for one client stream. grpc-dotnet switches off Kestrel's own body-rate limits for
/// streaming calls, so without this a client that sends a byte a minute would hold its buffer (and, for a segment, a
/// slot) for ever.
/// </summary>
public sealed class StreamPace(TimeSpan idle, long minBytesPerSecond, TimeSpan grace)
{
    public static StreamPace Default() => new(TimeSpan.FromSeconds(30), 64 << 10, TimeSpan.FromSeconds(10));

    readonly Stopwatch clock = Stopwatch.StartNew();
    long received;

    /// <summary>The next message, or false at the end; throws DeadlineExceeded when the client goes quiet for too long.</summary>
    public async Task<bool> MoveNextAsync<T>(IAsyncStreamReader<T> reader, CancellationToken cancellation)
    {
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        quiet.CancelAfter(idle);
        try
        {
            return await reader.MoveNext(quiet.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"the stream sent nothing for {idle.TotalSeconds:F0} s"));
        }
    }

    /// <summary>Counts bytes received; past the grace period the average must stay above the minimum rate.</summary>
    public void Received(long bytes)
    {
        received += bytes;
        var elapsed = clock.Elapsed;
        if (elapsed > grace && received < minBytesPerSecond * elapsed.TotalSeconds)
            throw new RpcException(new Status(StatusCode.DeadlineExceeded,
                $"the stream sent {received:N0} bytes in {elapsed.TotalSeconds:F0} s, slower than this node's minimum of {minBytesPerSecond:N0} bytes/s"));
    }
}
