using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Net.Sockets;
using System.Net.WebSockets;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using RenderNet.Payments;
using RenderNet.Protocol;

namespace RenderNet.Node;

/// <summary>
/// A coordinator service this node joins by dialling out (<c>rendernet node --join URL</c>), for hosts behind NAT that
/// cannot be dialled: a WebSocket to the service's <c>/v1/nodes/join</c> (HTTP/2 over TLS where the service offers it),
/// the service's challenge signed with the node's key, then the connection carries the node's own gRPC service in
/// reverse — every byte is bridged to the node's link socket, where Kestrel serves it like any other connection. A
/// dropped link is dialled again with exponential backoff (and jitter, so a restarted service is not stampeded).
/// </summary>
public sealed class ServiceLink
{
    static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15), MinBackoff = TimeSpan.FromMilliseconds(250), MaxBackoff = TimeSpan.FromSeconds(30);

    readonly ServiceJoinTarget target;
    readonly string key, nodeId, linkSocket;
    readonly ILogger log;
    int connected;

    public ServiceLink(ServiceJoinTarget target, string nodeKey, string nodeId, string linkSocket, ILogger log)
    {
        this.target = target;
        key = nodeKey;
        this.nodeId = nodeId;
        this.linkSocket = linkSocket;
        this.log = log;
    }

    /// <summary>The service, as given (without a pinned fingerprint).</summary>
    public Uri Service => target.Url;
    /// <summary>Whether the link is joined right now.</summary>
    public bool Connected => Volatile.Read(ref connected) == 1;
    /// <summary>Times the service accepted this node (the first join and every reconnection).</summary>
    public int Joins { get; private set; }

    /// <summary>Keeps the node joined until <paramref name="stopping"/>: dials, serves, and dials again when the link drops.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var backoff = MinBackoff;
        while (!stopping.IsCancellationRequested)
        {
            var started = DateTime.UtcNow;
            try
            {
                await JoinAndServeAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (JoinRefusedException ex)
            {
                log.LogWarning("service {Service} refused this node: {Reason}", target.Url, ex.Message);
                backoff = MaxBackoff; // a refusal will not change in a moment
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or SocketException or HttpRequestException or InvalidDataException or InvalidProtocolBufferException
                                           or OperationCanceledException or AuthenticationException)
            {
                log.LogInformation("link to {Service} down: {Error}", target.Url, Describe(ex));
            }
            // A link that served for a while starts its backoff afresh; one that keeps failing backs off to MaxBackoff.
            if (DateTime.UtcNow - started > MaxBackoff) backoff = MinBackoff;
            var wait = backoff * (0.75 + 0.5 * Random.Shared.NextDouble());
            backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            try { await Task.Delay(wait, stopping); }
            catch (OperationCanceledException) { return; }
        }
    }

    async Task JoinAndServeAsync(CancellationToken stopping)
    {
        byte[]? serverCertificate = null;
        using var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    serverCertificate = certificate?.GetRawCertData();
                    return target.PinnedSha256 is { } pin
                        ? certificate is not null && Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(certificate.GetRawCertData())) == pin
                        : errors == SslPolicyErrors.None;
                },
            },
        };
        using var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
        socket.Options.KeepAliveTimeout = TimeSpan.FromSeconds(45); // a silent service (a dead NAT mapping) is noticed
        if (target.Url.Scheme == "https")
        {
            socket.Options.HttpVersion = HttpVersion.Version20;
            socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        }
        using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            connecting.CancelAfter(HandshakeTimeout);
            await socket.ConnectAsync(target.JoinUrl, new HttpMessageInvoker(handler, disposeHandler: false), connecting.Token);
            var challenge = JoinChallenge.Parser.ParseFrom(await JoinMessages.ReceiveAsync(socket, connecting.Token));
            if (challenge.ProtocolVersion != ProtocolVersion.Current)
                throw new JoinRefusedException(ProtocolVersion.Mismatch(challenge.ProtocolVersion, "this node"));
            if (challenge.Nonce.Length != 32 || challenge.ServiceId.Length is 0 or > 128)
                throw new InvalidDataException("the service's challenge is malformed");
            var proof = new NodeJoin(challenge.ServiceId, challenge.Nonce.ToByteArray(), NodeJoin.BindingOf(serverCertificate));
            var answer = new JoinAnswer
            {
                ProtocolVersion = ProtocolVersion.Current, NodeAddress = PaymentKeys.AddressOf(key), Signature = proof.Sign(key), NodeId = nodeId,
            };
            await socket.SendAsync(answer.ToByteArray(), WebSocketMessageType.Binary, true, connecting.Token);
            var verdict = JoinVerdict.Parser.ParseFrom(await JoinMessages.ReceiveAsync(socket, connecting.Token));
            if (!verdict.Accepted) throw new JoinRefusedException(Printable(verdict.Reason));
        }

        Joins++;
        Volatile.Write(ref connected, 1);
        log.LogInformation("joined {Service} as {Address}", target.Url, PaymentKeys.AddressOf(key));
        try
        {
            using var local = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await local.ConnectAsync(new UnixDomainSocketEndPoint(linkSocket), stopping);
            await using var node = new NetworkStream(local, ownsSocket: false);
            await using var remote = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
            using var done = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            // Either direction ending ends the link: the service's HTTP/2 connection and the node's are one.
            var first = await Task.WhenAny(remote.CopyToAsync(node, done.Token), node.CopyToAsync(remote, done.Token));
            await done.CancelAsync();
            await first; // its exception, if any, says why the link dropped
        }
        finally
        {
            Volatile.Write(ref connected, 0);
        }
    }

    /// <summary>An exception and its causes in one line ("Unable to connect…: The SSL connection could not be established…: …").</summary>
    static string Describe(Exception ex)
    {
        var parts = new List<string>();
        for (var e = ex; e is not null && parts.Count < 4; e = e.InnerException)
            if (parts.Count == 0 || parts[^1] != e.Message) parts.Add(e.Message);
        return string.Join(": ", parts);
    }

    static string Printable(string text) => new(text.Take(200).Select(c => char.IsControl(c) ? ' ' : c).ToArray());
}
