using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using RenderNet.Client.Wire;

namespace RenderNet.Cli.Commands;

/// <summary>
/// `rendernet transcode INPUT --service URL`: the same transcode submitted to a running coordinator service — the video
/// is uploaded once by content hash, the service's nodes and wallet do the work, and this process follows the job and
/// fetches the renditions and the HLS ladder into --out. Ctrl+C cancels the job on the service.
/// </summary>
static class ServiceTranscode
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(Uri service, string input, string renditions, string output, double segmentSeconds, bool json, CancellationToken cancellation)
    {
        if (!File.Exists(input))
            throw new ArgumentException($"--service transcodes one video file; '{input}' is not one (image sequences transcode here or on --nodes)");
        using var http = new HttpClient { BaseAddress = service, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServiceRender.Token());

        string sha;
        await using (var file = File.OpenRead(input)) sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellation));
        using (var head = await SendAsync(http, new HttpRequestMessage(HttpMethod.Head, $"v1/media/{sha}"), TimeSpan.FromSeconds(30), cancellation))
        {
            if (head.StatusCode == HttpStatusCode.NotFound)
            {
                await using var file = File.OpenRead(input);
                using var put = new HttpRequestMessage(HttpMethod.Put, $"v1/media/{sha}") { Content = new StreamContent(file) };
                // Uploads of any size: the deadline grows with the file (at least 1 MiB/s).
                using var uploaded = await SendAsync(http, put, TimeSpan.FromSeconds(60 + file.Length / (1 << 20)), cancellation);
                await EnsureAsync(uploaded, "upload the video");
                Console.Error.WriteLine($"rendernet: uploaded {input} ({file.Length:N0} bytes) to {service}");
            }
            else await EnsureAsync(head, "ask for the video");
        }

        var submission = new JobSubmission
        {
            Id = "transcode-" + Guid.NewGuid().ToString("N")[..12], Kind = "transcode", Name = Path.GetFileName(input),
            Transcode = new TranscodeSettings { MediaSha256 = sha, Renditions = renditions, SegmentSeconds = segmentSeconds },
        };
        JobStatus status;
        using (var created = await SendAsync(http, new HttpRequestMessage(HttpMethod.Post, "v1/jobs") { Content = JsonContent.Create(submission, options: Json) },
                   TimeSpan.FromSeconds(30), cancellation))
        {
            await EnsureAsync(created, "submit the transcode");
            status = (await created.Content.ReadFromJsonAsync<JobStatus>(Json, cancellation))!;
        }
        Console.Error.WriteLine($"rendernet: job {status.Id} on {service}");

        try
        {
            while (status.State is not ("completed" or "failed" or "cancelled"))
            {
                await Task.Delay(500, cancellation);
                using var polled = await SendAsync(http, new HttpRequestMessage(HttpMethod.Get, $"v1/jobs/{status.Id}"), TimeSpan.FromSeconds(30), cancellation);
                await EnsureAsync(polled, "follow the job");
                status = (await polled.Content.ReadFromJsonAsync<JobStatus>(Json, cancellation))!;
                if (!json && !Console.IsErrorRedirected)
                    Console.Error.Write($"\rrendernet: {status.State}, {status.TilesDone}/{status.TilesTotal} segments, {status.Cost} RNT   ");
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            using var cancelled = await SendAsync(http, new HttpRequestMessage(HttpMethod.Post, $"v1/jobs/{status.Id}/cancel"), TimeSpan.FromSeconds(10), CancellationToken.None);
            throw;
        }
        if (!json && !Console.IsErrorRedirected) Console.Error.WriteLine();
        if (status.State != "completed")
            throw new RenderNet.Farm.FarmException($"the service's transcode job {status.Id} {status.State}: {status.Error?.Message}", []);

        // Fetch what the receipt lists, each to its own place under --out; a name that would leave --out is refused.
        var receipt = status.Receipt ?? throw new InvalidDataException($"the service reported job {status.Id} completed without a receipt");
        string root = Path.GetFullPath(output);
        var written = new List<string>();
        foreach (var line in receipt.Outputs)
        {
            string path = Path.GetFullPath(Path.Combine(root, line.File));
            if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new InvalidDataException($"the service listed an output outside the output directory: '{RenderNet.Farm.Printable.Clean(line.File, 120)}'");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var got = await SendAsync(http, new HttpRequestMessage(HttpMethod.Get, $"v1/jobs/{status.Id}/outputs/{line.File}"), TimeSpan.FromMinutes(10), cancellation);
            await EnsureAsync(got, $"fetch {line.File}");
            await using (var target = File.Create(path)) await got.Content.CopyToAsync(target, cancellation);
            written.Add(path);
        }
        var mp4s = written.Where(p => p.EndsWith(".mp4", StringComparison.Ordinal)).ToList();
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                job = status.Id, service = service.ToString(), output = root, segments = receipt.TilesDelivered, cost = receipt.Cost, seconds = receipt.DurationSeconds,
                renditions = mp4s, files = written.Count, nodes = receipt.Nodes.Select(n => new { n.Node, n.Tiles, n.Paid }), warnings = receipt.Warnings,
            }, new JsonSerializerOptions { WriteIndented = true }));
        else
            Console.Error.WriteLine($"rendernet: wrote {string.Join(", ", mp4s)} and the HLS ladder ({written.Count} files) in {root}: " +
                                    $"{receipt.TilesDelivered} segments, {receipt.Cost} RNT, {receipt.DurationSeconds:F1} s on the service");
        return ExitCodes.Success;
    }

    static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request, TimeSpan deadline, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(deadline);
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (OperationCanceledException ex) when (!cancellation.IsCancellationRequested)
        {
            throw new RenderNet.Farm.FarmException($"the service did not answer {request.Method} {request.RequestUri} within {deadline.TotalSeconds:0} s", [], ex);
        }
        catch (HttpRequestException ex)
        {
            throw new RenderNet.Farm.FarmException($"cannot reach the service at {http.BaseAddress}: {ex.Message}", [], ex);
        }
    }

    /// <summary>A refusal becomes a one-line error naming what the service said (its problem details' detail).</summary>
    static async Task EnsureAsync(HttpResponseMessage response, string doing)
    {
        if (response.IsSuccessStatusCode) return;
        string detail = "";
        try
        {
            var text = await response.Content.ReadAsStringAsync();
            detail = JsonDocument.Parse(text).RootElement.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : text;
        }
        catch (JsonException) { }
        string message = $"the service refused to {doing}: {(int)response.StatusCode} {RenderNet.Farm.Printable.Clean(detail, 300)}";
        throw response.StatusCode switch
        {
            HttpStatusCode.BadRequest or HttpStatusCode.NotFound or HttpStatusCode.RequestEntityTooLarge => new ArgumentException(message),
            HttpStatusCode.Unauthorized => new ArgumentException(message + $" (check ${ServiceRender.TokenVariable})"),
            _ => new RenderNet.Farm.FarmException(message, []),
        };
    }
}
