namespace RenderNet.Node;

/// <summary>A service's refusal of this node (bad signature, not admitted, protocol): retried only after the longest backoff.</summary>
public sealed class JoinRefusedException(string reason) : Exception(reason);
