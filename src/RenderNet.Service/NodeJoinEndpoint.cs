using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RenderNet.Farm;
using RenderNet.Payments;
using RenderNet.Protocol;

namespace RenderNet.Service;

/// <summary>
/// <c>GET /v1/nodes/join</c> (a WebSocket): where nodes behind NAT join. The service sends a single-use challenge; the
/// node signs (service id, nonce, SHA-256 of this service's certificate) with its key; a node whose signature does not
/// recover to the address it claims, or that <see cref="NodeAdmission"/> does not admit, is refused with a reason.
/// An admitted node's connection then carries its gRPC service in reverse (<see cref="JoinedNodes"/>). No studio token
/// is involved: a node is not a client, and the signature is its credential.
/// </summary>
public static class NodeJoinEndpoint
{
    public const string Path = "/v1/nodes/join";
    static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The service's identity in joins: derived from its token (stable per state directory, revealing nothing of it).</summary>
    public static string ServiceIdOf(ServiceToken token) =>
        "rendernet-service-" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("node-join:" + token.Value)))[..24];

    public static void Map(WebApplication app, JoinedNodes joined, NodeAdmission admission, string serviceId, X509Certificate2? certificate, ILogger log)
    {
        byte[] binding = NodeJoin.BindingOf(certificate?.RawData);
        app.Map(Path, async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                await ProblemResults.Of(400, "nodes join over a WebSocket (rendernet node --join URL)").ExecuteAsync(context);
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            JoinAnswer answer;
            using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted))
            {
                handshake.CancelAfter(HandshakeTimeout);
                byte[] nonce = RandomNumberGenerator.GetBytes(32);
                try
                {
                    await socket.SendAsync(new JoinChallenge { ProtocolVersion = ProtocolVersion.Current, ServiceId = serviceId, Nonce = ByteString.CopyFrom(nonce) }.ToByteArray(),
                        WebSocketMessageType.Binary, true, handshake.Token);
                    answer = JoinAnswer.Parser.ParseFrom(await JoinMessages.ReceiveAsync(socket, handshake.Token));
                }
                catch (Exception ex) when (ex is WebSocketException or InvalidDataException or InvalidProtocolBufferException or OperationCanceledException)
                {
                    log.LogInformation("a node's join failed during the handshake: {Error}", ex.Message);
                    return;
                }
                string? refusal = Refusal(answer, new NodeJoin(serviceId, nonce, binding));
                if (refusal is null)
                {
                    try { refusal = await admission.RefusalAsync(answer.NodeAddress).WaitAsync(handshake.Token); }
                    catch (Exception ex) when (ex is RenderNet.Payments.PaymentException or HttpRequestException or Nethereum.JsonRpc.Client.RpcClientUnknownException)
                    {
                        refusal = "the service cannot read its registry now; try again later";
                    }
                }
                try
                {
                    await socket.SendAsync(new JoinVerdict { Accepted = refusal is null, Reason = refusal ?? "" }.ToByteArray(), WebSocketMessageType.Binary, true, handshake.Token);
                    if (refusal is not null)
                    {
                        log.LogWarning("refused a node's join: {Reason}", refusal);
                        await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "refused", handshake.Token);
                        return;
                    }
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
                {
                    return;
                }
            }
            string payout = answer.NodeAddress.ToLowerInvariant();
            log.LogInformation("node {Address} ({NodeId}) joined over {Protocol}", payout, Printable.Clean(answer.NodeId, 64), context.Request.Protocol);
            await joined.ServeAsync(payout, Printable.Clean(answer.NodeId, 64), WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false),
                context.RequestAborted);
        }).ExcludeFromDescription();
    }

    /// <summary>Why a node's answer is refused, or null: a protocol it does not share, or a signature that is not its address's.</summary>
    static string? Refusal(JoinAnswer answer, NodeJoin expected)
    {
        if (answer.ProtocolVersion != ProtocolVersion.Current) return ProtocolVersion.Mismatch(answer.ProtocolVersion, "this service");
        if (!Nethereum.Util.AddressUtil.Current.IsValidEthereumAddressHexFormat(answer.NodeAddress))
            return $"'{Printable.Clean(answer.NodeAddress, 60)}' is not an address";
        string? signer = expected.RecoverSigner(answer.Signature);
        if (signer is null) return "the join signature is malformed or not canonical";
        if (!string.Equals(signer, answer.NodeAddress, StringComparison.OrdinalIgnoreCase))
            return $"the join signature is {signer}'s, not {answer.NodeAddress}'s (or it answers another challenge, or was made over another connection)";
        return null;
    }
}
