using System.Net.WebSockets;

namespace RenderNet.Protocol;

/// <summary>The join handshake's framing (<see cref="JoinChallenge"/>, <see cref="JoinAnswer"/>, <see cref="JoinVerdict"/>): one binary WebSocket message each.</summary>
public static class JoinMessages
{
    /// <summary>The largest handshake message either side accepts (they are a few hundred bytes).</summary>
    public const int MaxBytes = 4096;

    /// <summary>What a node that only joins services registers as its endpoint: nothing can dial it; it dials in.</summary>
    public const string RegisteredEndpoint = "joins";

    /// <summary>One whole binary message of at most <see cref="MaxBytes"/>, read into a fixed buffer (never sized from what the peer announces).</summary>
    /// <exception cref="InvalidDataException">It is longer.</exception>
    /// <exception cref="WebSocketException">The peer closed the connection instead.</exception>
    public static async Task<byte[]> ReceiveAsync(WebSocket socket, CancellationToken cancellation)
    {
        var buffer = new byte[MaxBytes];
        int length = 0;
        while (true)
        {
            if (length == buffer.Length) throw new InvalidDataException($"a join handshake message exceeds {MaxBytes} bytes");
            var received = await socket.ReceiveAsync(buffer.AsMemory(length), cancellation);
            if (received.MessageType == WebSocketMessageType.Close) throw new WebSocketException($"the other side closed the connection ({socket.CloseStatusDescription})");
            length += received.Count;
            if (received.EndOfMessage) return buffer[..length];
        }
    }
}
