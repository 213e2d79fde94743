using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RenderNet.Client.Wire;

namespace RenderNet.Service;

/// <summary>The service-wide view the dashboard's job queue follows (<c>/v1/events</c>).</summary>
public sealed class JobsMessage
{
    public string Type { get; set; } = "jobs";
    public List<JobStatus> Jobs { get; set; } = new();
    /// <summary>Tokens the service has spent over all its jobs (decimal string), the running ones included.</summary>
    public string Spent { get; set; } = "0";
}

/// <summary>
/// Every job's status over one WebSocket (<c>/v1/events</c>): the whole list at once, then again whenever any job
/// records an event, at most every <see cref="MinInterval"/> (a queue view needs no more, and a busy farm cannot
/// flood a slow browser).
/// </summary>
static class ServiceEventStream
{
    static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(250);

    public static async Task RunAsync(HttpContext context, JobManager manager)
    {
        using var socket = await ServiceWebSocket.AcceptAsync(context);
        var closed = JobEventStream.WaitForCloseAsync(socket, context.RequestAborted);
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnAppended(ServiceJob job, JobEvent e) => Volatile.Read(ref changed).TrySetResult();
        manager.Appended += OnAppended;
        try
        {
            while (socket.State == WebSocketState.Open && !closed.IsCompleted)
            {
                Volatile.Write(ref changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                var message = new JobsMessage { Jobs = manager.All().ToList(), Spent = ServiceMapping.Tokens(manager.SpentInAll()) };
                await socket.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message, Json.Options)), WebSocketMessageType.Text, true, context.RequestAborted);
                await Task.Delay(MinInterval, context.RequestAborted);
                await Task.WhenAny(changed.Task, closed, Task.Delay(TimeSpan.FromSeconds(15)));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException) { }
        finally
        {
            manager.Appended -= OnAppended;
        }
    }
}
