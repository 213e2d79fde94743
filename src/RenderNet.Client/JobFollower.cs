using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using RenderNet.Client.Wire;

namespace RenderNet.Client
{
    /// <summary>
    /// Follows one job's event stream (a WebSocket: a JSON text message per event, the tile's pixels as the binary
    /// message after a tile event) and turns it into the job's events and result. A dropped connection — the service
    /// restarting included — is reopened after the last event seen, so no tile is missed or raised twice; the job fails
    /// only when the service stays unreachable for <see cref="ReconnectWindow"/>.
    /// </summary>
    sealed class JobFollower
    {
        public static readonly TimeSpan ReconnectWindow = TimeSpan.FromSeconds(90);
        const int MaxTextBytes = 1 << 20;
        const int MaxSide = 16384;

        readonly ServiceConnection connection;
        readonly RenderJob job;
        readonly Dictionary<int, RenderImage> frames = new Dictionary<int, RenderImage>();
        readonly List<string> warnings = new List<string>();
        long last;

        public JobFollower(ServiceConnection connection, RenderJob job, long after)
        {
            this.connection = connection;
            this.job = job;
            last = after;
        }

        public async Task RunAsync(CancellationToken cancellation)
        {
            var lastContact = DateTime.UtcNow;
            var delay = TimeSpan.FromMilliseconds(100);
            while (true)
            {
                try
                {
                    if (await FollowOnceAsync(cancellation, () => lastContact = DateTime.UtcNow).ConfigureAwait(false)) return;
                    delay = TimeSpan.FromMilliseconds(100);
                }
                catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
                {
                    job.Cancelled();
                    return;
                }
                catch (RenderServiceException ex) when (ex.Kind != RenderErrorKind.Service)
                {
                    job.Fail(ex);
                    return;
                }
                catch (Exception ex) when (ex is WebSocketException || ex is IOException || ex is RenderServiceException || ex is HttpRequestException || ex is OperationCanceledException)
                {
                    if (DateTime.UtcNow - lastContact > ReconnectWindow)
                    {
                        job.Fail(new RenderServiceException(RenderErrorKind.Service,
                            $"lost the service at {connection.BaseAddress} for over {ReconnectWindow.TotalSeconds:0} s while following job {job.Id}: {ex.Message}", ex));
                        return;
                    }
                }
                catch (Exception ex) when (ex is JsonException || ex is InvalidDataException)
                {
                    job.Fail(new RenderServiceException(RenderErrorKind.Service, $"the service sent an unreadable event for job {job.Id}: {ex.Message}", ex));
                    return;
                }
                try { await Task.Delay(delay, cancellation).ConfigureAwait(false); }
                catch (OperationCanceledException) { job.Cancelled(); return; }
                delay = TimeSpan.FromMilliseconds(Math.Min(2000, delay.TotalMilliseconds * 2));
            }
        }

        /// <summary>One connection: true when the job ended, false when the stream dropped first.</summary>
        async Task<bool> FollowOnceAsync(CancellationToken cancellation, Action contact)
        {
            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer " + connection.Token);
            var builder = new UriBuilder(new Uri(connection.BaseAddress, $"v1/jobs/{Uri.EscapeDataString(job.Id)}/events"));
            builder.Scheme = builder.Scheme == "https" ? "wss" : "ws";
            builder.Query = $"after={last}&format={RequestMapping.FormatName(job.Format)}";
            await socket.ConnectAsync(builder.Uri, cancellation).ConfigureAwait(false);
            while (true)
            {
                var (type, text) = await ReceiveAsync(socket, MaxTextBytes, cancellation).ConfigureAwait(false);
                if (type == WebSocketMessageType.Close) return false;
                if (type != WebSocketMessageType.Text) throw new InvalidDataException("expected an event, got pixels");
                var e = JsonSerializer.Deserialize<JobEvent>(Encoding.UTF8.GetString(text), ServiceJson.Options) ?? throw new InvalidDataException("an empty event");
                RenderImage? pixels = null;
                if (e.Type == "tile")
                {
                    if (e.Width < 1 || e.Height < 1 || e.Width > MaxSide || e.Height > MaxSide || e.X < 0 || e.Y < 0)
                        throw new InvalidDataException($"a tile of {e.Width}×{e.Height} at {e.X},{e.Y}");
                    int bytes = checked(e.Width * e.Height * (job.Format == PixelFormat.Rgba8Srgb ? 4 : 16));
                    var (binaryType, data) = await ReceiveAsync(socket, bytes, cancellation).ConfigureAwait(false);
                    if (binaryType == WebSocketMessageType.Close) return false; // resent after a reconnect
                    if (binaryType != WebSocketMessageType.Binary) throw new InvalidDataException("a tile event without its pixels");
                    pixels = new RenderImage(e.X, e.Y, e.Width, e.Height, job.Format, data);
                }
                if (e.Seq <= last) continue; // seen before the reconnect
                if (e.Seq != last + 1) throw new InvalidDataException($"event {e.Seq} after {last}: the stream has a gap");
                last = e.Seq;
                job.LastEvent = last;
                contact(); // progress, not a mere connection, keeps the job alive: a stream that breaks on every event fails
                if (await HandleAsync(e, pixels, cancellation).ConfigureAwait(false))
                {
                    try { await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).ConfigureAwait(false); }
                    catch (Exception ex) when (ex is WebSocketException || ex is IOException || ex is ObjectDisposedException) { }
                    return true;
                }
            }
        }

        async Task<bool> HandleAsync(JobEvent e, RenderImage? pixels, CancellationToken cancellation)
        {
            switch (e.Type)
            {
                case "state":
                    job.OnState(JobStates.Parse(e.State));
                    return false;
                case "tile":
                    job.OnTile(new RenderTile(e.Frame, pixels!, e.Node ?? "", e.FrameWidth, e.FrameHeight, e.Seq, DateTimeOffset.FromUnixTimeMilliseconds(e.AtUnixMs)));
                    return false;
                case "progress":
                    job.OnProgress(new RenderProgress(e.TilesDone, e.TilesTotal, ServiceJson.Tokens(e.Cost), TimeSpan.FromSeconds(e.ElapsedSeconds),
                        e.EtaSeconds is double eta ? TimeSpan.FromSeconds(eta) : (TimeSpan?)null));
                    return false;
                case "frame":
                    job.OnFrame(e.Frame, await FrameAsync(e.FrameIndex, cancellation).ConfigureAwait(false));
                    return false;
                case "warning":
                    if (e.Message != null)
                    {
                        warnings.Add(e.Message);
                        job.OnWarning(e.Message);
                    }
                    return false;
                case "completed":
                    job.Complete(await ResultAsync(e.Receipt, cancellation).ConfigureAwait(false));
                    return true;
                case "cancelled":
                    job.Cancelled();
                    return true;
                case "failed":
                    var kind = Enum.TryParse<RenderErrorKind>(e.Error?.Kind, out var k) ? k : RenderErrorKind.RenderFailed;
                    string message = e.Error?.Message ?? "the job failed";
                    job.Fail(kind == RenderErrorKind.BudgetExhausted
                        ? new BudgetExhaustedException(message, await ResultAsync(e.Receipt, cancellation).ConfigureAwait(false))
                        : RenderServiceException.For(kind, message), announced: true);
                    return true;
                default:
                    return false; // a newer service's event: ignored, as its docs promise
            }
        }

        async Task<RenderResult> ResultAsync(JobReceipt? receipt, CancellationToken cancellation)
        {
            var status = await connection.GetAsync<JobStatus>($"v1/jobs/{Uri.EscapeDataString(job.Id)}", cancellation).ConfigureAwait(false);
            var images = new List<RenderImage>();
            for (int i = 0; i < status.Frames; i++) images.Add(await FrameAsync(i, cancellation).ConfigureAwait(false));
            receipt ??= new JobReceipt();
            return new RenderResult(images,
                receipt.Nodes.Select(n => new NodeReceipt(n.Node, n.Address, n.Tiles, ServiceJson.Tokens(n.Paid), n.SpotChecks, n.Duplicates)).ToList(),
                receipt.TilesDelivered, receipt.TilesTotal, TimeSpan.FromSeconds(receipt.DurationSeconds),
                receipt.Warnings.Count > 0 ? receipt.Warnings : warnings.ToList(),
                receipt.Outputs.Select(o => new RenderOutputFile(o.Name, o.File, o.Bytes)).ToList());
        }

        async Task<RenderImage> FrameAsync(int index, CancellationToken cancellation)
        {
            if (frames.TryGetValue(index, out var known)) return known;
            using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/jobs/{Uri.EscapeDataString(job.Id)}/frames/{index}?format={RequestMapping.FormatName(job.Format)}");
            using var response = await connection.SendRawAsync(request, cancellation).ConfigureAwait(false);
            int width = Header(response, "X-Frame-Width"), height = Header(response, "X-Frame-Height");
            var bytes = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            return frames[index] = new RenderImage(0, 0, width, height, job.Format, bytes);
        }

        static int Header(HttpResponseMessage response, string name) =>
            response.Headers.TryGetValues(name, out var values) && int.TryParse(values.FirstOrDefault(), out int v) && v >= 1 && v <= MaxSide ? v
            : throw new InvalidDataException($"the frame came without a valid {name} header");

        /// <summary>One whole message, refused when it grows past <paramref name="limit"/> bytes.</summary>
        static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(ClientWebSocket socket, int limit, CancellationToken cancellation)
        {
            var buffer = new byte[Math.Min(limit, 1 << 16)];
            using var message = new MemoryStream();
            while (true)
            {
                var result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer), cancellation).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close) return (WebSocketMessageType.Close, Array.Empty<byte>());
                if (message.Length + result.Count > limit) throw new InvalidDataException($"a message larger than {limit} bytes");
                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage) return (result.MessageType, message.ToArray());
            }
        }
    }
}
