using System.Numerics;
using System.Security.Cryptography;
using RenderNet.Payments;

namespace RenderNet.Node;

/// <summary>Why a session was not granted or a request not authorised.</summary>
public enum SessionRefusal { UnknownChallenge, Expired, BadSignature, NotThePayer, NotAllowed, NoSession }

public sealed class SessionRefusedException(SessionRefusal reason, string message) : Exception(message)
{
    public SessionRefusal Reason { get; } = reason;
}

/// <summary>
/// Who may send this node work. A paid node grants a session only to whoever proves, by an EIP-712 signature over a
/// fresh challenge, that it holds the key of the channel's payer; an unpaid node only to the coordinator keys it was
/// told to trust (<c>--allow</c>). Requests then carry the session token. Challenges are single-use and short-lived;
/// both tables are bounded, so handshakes cannot be used to fill the node's memory.
/// </summary>
public sealed class SessionAuthority(EscrowDomain domain, string nodeAddress, Func<BigInteger, Task<string?>>? payerOf, IReadOnlySet<string> allowed, TimeProvider? clock = null)
{
    public static readonly TimeSpan ChallengeLifetime = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxSession = TimeSpan.FromHours(24);
    const int MaxOutstanding = 10_000;

    readonly TimeProvider clock = clock ?? TimeProvider.System;
    readonly Lock gate = new();
    readonly Dictionary<string, (BigInteger Channel, DateTimeOffset Issued)> challenges = [];
    readonly Dictionary<string, (BigInteger Channel, DateTimeOffset Expires, string Holder)> sessions = [];

    public string NodeAddress => nodeAddress;
    public bool Paid => payerOf is not null;

    /// <summary>A fresh single-use challenge for <paramref name="channel"/> (0 on an unpaid node).</summary>
    public (byte[] Nonce, ulong MaxExpires) Challenge(BigInteger channel)
    {
        var nonce = RandomNumberGenerator.GetBytes(32);
        var now = clock.GetUtcNow();
        lock (gate)
        {
            Sweep(now);
            if (challenges.Count >= MaxOutstanding) challenges.Remove(challenges.MinBy(c => c.Value.Issued).Key);
            challenges[Convert.ToHexString(nonce)] = (channel, now);
        }
        return (nonce, (ulong)(now + MaxSession).ToUnixTimeSeconds());
    }

    /// <summary>Checks the signed challenge; returns the session token and its expiry.</summary>
    /// <exception cref="SessionRefusedException">The typed reason.</exception>
    public async Task<(string Token, ulong Expires)> ConfirmAsync(BigInteger channel, byte[] nonce, ulong expires, string signature)
    {
        var now = clock.GetUtcNow();
        lock (gate)
        {
            // Taken out whatever happens next: a challenge is good for one try.
            if (!challenges.Remove(Convert.ToHexString(nonce), out var issued) || issued.Channel != channel || now - issued.Issued > ChallengeLifetime)
                throw new SessionRefusedException(SessionRefusal.UnknownChallenge, "this challenge was not issued for this channel, was used already or is stale: ask for a new one");
        }
        if (expires <= (ulong)now.ToUnixTimeSeconds() || expires > (ulong)(now + MaxSession).ToUnixTimeSeconds())
            throw new SessionRefusedException(SessionRefusal.Expired, $"a session must end within {MaxSession.TotalHours:F0} h from now");
        var signer = new WorkSession(nodeAddress, channel, nonce, expires).RecoverSigner(domain, signature)
            ?? throw new SessionRefusedException(SessionRefusal.BadSignature, "the session signature is malformed or not canonical");
        if (payerOf is not null)
        {
            var payer = await payerOf(channel);
            if (payer is null || !string.Equals(payer, signer, StringComparison.OrdinalIgnoreCase))
                throw new SessionRefusedException(SessionRefusal.NotThePayer, $"the session for channel {channel} is not signed by its payer");
        }
        else if (!allowed.Contains(signer.ToLowerInvariant()))
            throw new SessionRefusedException(SessionRefusal.NotAllowed, $"{signer} is not among the coordinator keys this node serves (--allow)");
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var until = DateTimeOffset.FromUnixTimeSeconds((long)expires);
        lock (gate)
        {
            Sweep(now);
            if (sessions.Count >= MaxOutstanding) sessions.Remove(sessions.MinBy(s => s.Value.Expires).Key);
            sessions[token] = (channel, until, signer);
        }
        return (token, expires);
    }

    /// <summary>Checks that <paramref name="token"/> is a live session for <paramref name="channel"/>.</summary>
    /// <exception cref="SessionRefusedException">No such session, expired, or for another channel.</exception>
    public void Authorize(string? token, BigInteger channel)
    {
        if (string.IsNullOrEmpty(token))
            throw new SessionRefusedException(SessionRefusal.NoSession, Paid
                ? $"work on channel {channel} needs a session signed by its payer (OpenSession, then ConfirmSession)"
                : "this node serves only the coordinators it trusts: open a session signed by an --allow key (OpenSession, then ConfirmSession)");
        lock (gate)
        {
            if (!sessions.TryGetValue(token, out var s) || s.Channel != channel)
                throw new SessionRefusedException(SessionRefusal.NoSession, $"no session with this token for channel {channel}: open a new one");
            if (s.Expires <= clock.GetUtcNow())
            {
                sessions.Remove(token);
                throw new SessionRefusedException(SessionRefusal.Expired, "the session has expired: open a new one");
            }
        }
    }

    /// <summary>Checks that <paramref name="token"/> is any live session of this node (for calls that name no channel).</summary>
    public void AuthorizeAny(string? token)
    {
        if (string.IsNullOrEmpty(token))
            throw new SessionRefusedException(SessionRefusal.NoSession, "this call needs a work session (OpenSession, then ConfirmSession)");
        lock (gate)
            if (!sessions.TryGetValue(token, out var s) || s.Expires <= clock.GetUtcNow())
                throw new SessionRefusedException(SessionRefusal.NoSession, "no live session with this token: open a new one");
    }

    void Sweep(DateTimeOffset now)
    {
        foreach (var stale in challenges.Where(c => now - c.Value.Issued > ChallengeLifetime).Select(c => c.Key).ToList()) challenges.Remove(stale);
        foreach (var ended in sessions.Where(s => s.Value.Expires <= now).Select(s => s.Key).ToList()) sessions.Remove(ended);
    }
}
