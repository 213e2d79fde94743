using Grpc.Core;

namespace RenderNet.Protocol;

/// <summary>Why a node turned a request down for now, as a typed trailer rather than words a client would have to parse.</summary>
public enum RefusalKind
{
    /// <summary>Every slot is taken (or a just-cancelled request still holds one).</summary>
    Busy,
    /// <summary>The payer owes this node as much as it lets one payer owe: pay (send the next voucher) and ask again.</summary>
    AwaitingPayment,
    /// <summary>The request carries no live session for its channel (or none from a trusted key): open one, then retry.</summary>
    SessionRequired,
}

public static class NodeRefusal
{
    /// <summary>The request header that carries a work session's token.</summary>
    public const string SessionHeader = "rendernet-session";

    /// <summary>The trailer that carries the <see cref="RefusalKind"/>.</summary>
    public const string TrailerKey = "rendernet-refusal";

    public static RpcException Create(StatusCode code, RefusalKind kind, string detail) =>
        new(new Status(code, detail), new Metadata { { TrailerKey, kind.ToString() } });

    /// <summary>The refusal a node sent, or null when the failure is something else.</summary>
    public static RefusalKind? Of(RpcException ex) =>
        ex.Trailers.GetValue(TrailerKey) is { } value && Enum.TryParse<RefusalKind>(value, out var kind) && Enum.IsDefined(kind) ? kind : null;
}
