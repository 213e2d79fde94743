using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;

namespace RenderNet.Service;

/// <summary>Accepts the service's WebSockets, naming the bearer subprotocol back when a browser authenticated with it.</summary>
static class ServiceWebSocket
{
    public static Task<WebSocket> AcceptAsync(HttpContext context) =>
        context.WebSockets.AcceptWebSocketAsync(context.WebSockets.WebSocketRequestedProtocols.Contains(ServiceToken.WebSocketProtocol) ? ServiceToken.WebSocketProtocol : null);
}
