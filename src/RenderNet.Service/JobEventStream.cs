using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.AspNetCore.Http;
using RenderNet.Core.Imaging;
using RenderNet.Farm;

namespace RenderNet.Service;

/// <summary>
/// One client's view of a job's events over a WebSocket: every stored event after the sequence number it asked for,
/// in order, then new ones as they are appended, until the job ends. A tile event is followed by one binary message
/// with its pixels, read from the frame's journal (what was verified and paid for) in the format the client asked.
/// </summary>
static class JobEventStream
{
    public const string Rgba8 = "rgba8-srgb", Rgba32F = "rgba32f-linear";

    public static async Task RunAsync(HttpContext context, string jobId, long after, string format, JobManager manager)
    {
        using var socket = await ServiceWebSocket.AcceptAsync(context);
        var closed = WaitForCloseAsync(socket, context.RequestAborted);
        long last = after;
        while (socket.State == WebSocketState.Open && !closed.IsCompleted)
        {
            var changed = manager.Find(jobId)?.Changed; // taken before reading: an append in between still wakes us
            var events = manager.Store.EventsAfter(jobId, last);
            foreach (var e in events)
            {
                await socket.SendAsync(Encoding.UTF8.GetBytes(e.Body), WebSocketMessageType.Text, true, context.RequestAborted);
                if (e.Type == "tile") await socket.SendAsync(TilePixels(manager, jobId, e, format), WebSocketMessageType.Binary, true, context.RequestAborted);
                last = e.Seq;
            }
            if (events.Count > 0) continue;
            if (manager.Status(jobId) is not { } status || JobStateNames.IsFinal(status.State) && last >= status.LastEvent)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "the job has ended", CancellationToken.None);
                await Task.WhenAny(closed, Task.Delay(TimeSpan.FromSeconds(5)));
                return;
            }
            await Task.WhenAny(changed ?? Task.Delay(TimeSpan.FromSeconds(1)), closed, Task.Delay(TimeSpan.FromSeconds(5)));
        }
    }

    static byte[] TilePixels(JobManager manager, string jobId, StoredEvent e, string format)
    {
        var body = System.Text.Json.JsonSerializer.Deserialize<RenderNet.Client.Wire.JobEvent>(e.Body, Json.Options)!;
        // A tile retracted later (its node was outvoted) has no pixels any more: it replays transparent until its redo.
        var pixels = TileJournal.ReadTile(TileJournal.PathFor(manager.JobDirectory(jobId), $"{jobId}-f{e.FrameIndex}"), e.Tile)
                     ?? new float[4 * body.Width * body.Height];
        return Encode(pixels, format);
    }

    public static byte[] Encode(ReadOnlySpan<float> pixels, string format) =>
        format == Rgba32F ? MemoryMarshal.AsBytes(pixels).ToArray() : ImageWriter.ToRgba8Srgb(pixels);

    /// <summary>Reads (and drops) what the client sends until it closes; clients only ever send the close.</summary>
    internal static async Task WaitForCloseAsync(WebSocket socket, CancellationToken aborted)
    {
        var buffer = new byte[256];
        try
        {
            while (socket.State == WebSocketState.Open)
                if ((await socket.ReceiveAsync(buffer, aborted)).MessageType == WebSocketMessageType.Close) return;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException) { }
    }
}
