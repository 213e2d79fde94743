using System.Net;
using Microsoft.Extensions.Logging;

namespace RenderNet.Node;

/// <summary>
/// Fetches a scene from the sources a coordinator names (<see cref="RenderNet.Protocol.SceneSources"/>), so that a
/// 500 MB scene reaches ten thousand nodes from a CDN or gateway rather than from the coordinator's uplink. Only from
/// hosts the operator allowed (<see cref="NodeOptions.SceneGateways"/>); no redirects (they could lead anywhere);
/// never more than the node's scene limit, whatever the server announces; and the bytes count only if they hash to
/// the scene's SHA-256. A source that fails is logged and the next tried; when none works the coordinator uploads.
/// </summary>
public sealed class SceneFetcher(NodeOptions options, ILogger<SceneFetcher> log) : IDisposable
{
    readonly HttpClient http = new(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(10) })
    {
        Timeout = Timeout.InfiniteTimeSpan, // the caller's deadline bounds it
    };

    public bool Enabled => options.SceneGateways.Count > 0;

    /// <summary>The scene's bytes from the first allowed source that serves them, or null.</summary>
    public async Task<byte[]?> FetchAsync(IEnumerable<string> sources, string sha256, long limit, CancellationToken cancellation)
    {
        if (!Enabled) return null;
        foreach (var source in sources.Take(RenderNet.Protocol.SceneSources.MaxCount))
        {
            if (Refusal(source) is { } refused)
            {
                log.LogInformation("scene {Scene}: not fetching {Source}: {Reason}", sha256, Clean(source), refused);
                continue;
            }
            try
            {
                var bytes = await GetAsync(new Uri(source), limit, cancellation);
                string actual = SceneCache.Hash(bytes);
                if (actual == sha256) return bytes;
                log.LogWarning("scene {Scene}: {Source} served bytes that hash to {Actual}", sha256, Clean(source), actual);
            }
            catch (Exception ex) when (ex is HttpRequestException or InvalidDataException or IOException || ex is OperationCanceledException && !cancellation.IsCancellationRequested)
            {
                log.LogWarning("scene {Scene}: fetching {Source} failed: {Reason}", sha256, Clean(source), ex.Message);
            }
        }
        return null;
    }

    /// <summary>Why a source may not be fetched (not an allowed host, not https), or null.</summary>
    public string? Refusal(string source)
    {
        if (source.Length > RenderNet.Protocol.SceneSources.MaxLength || !Uri.TryCreate(source, UriKind.Absolute, out var uri)) return "not a URL";
        bool loopback = uri.IsLoopback;
        if (uri.Scheme != "https" && !(uri.Scheme == "http" && loopback)) return "not https";
        if (!options.SceneGateways.Any(g => string.Equals(g, uri.Host, StringComparison.OrdinalIgnoreCase)
                                            || string.Equals(g, $"{uri.Host}:{uri.Port}", StringComparison.OrdinalIgnoreCase)))
            return "its host is not among this node's --scene-gateway hosts";
        return null;
    }

    async Task<byte[]> GetAsync(Uri uri, long limit, CancellationToken cancellation)
    {
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellation);
        if (response.StatusCode != HttpStatusCode.OK) throw new HttpRequestException($"HTTP {(int)response.StatusCode}");
        if (response.Content.Headers.ContentLength is > 0 and var announced && announced > limit)
            throw new InvalidDataException($"{announced:N0} bytes is over this node's scene limit of {limit:N0}");
        await using var body = await response.Content.ReadAsStreamAsync(cancellation);
        // Grows with what arrives, never past the limit: a server announcing nothing and sending for ever is cut off.
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellation)) > 0)
        {
            if (buffer.Length + read > limit) throw new InvalidDataException($"more than this node's scene limit of {limit:N0} bytes");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    static string Clean(string text) => new(text.Take(200).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    public void Dispose() => http.Dispose();
}
