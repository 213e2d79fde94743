namespace RenderNet.Protocol;

/// <summary>The wire protocol version. Bump it on any incompatible change of render_node.proto or of the codecs.</summary>
public static class ProtocolVersion
{
    public const uint Current = 1;

    public static string Mismatch(uint theirs, string who) =>
        $"protocol version {theirs} is not supported by {who} (it speaks version {Current})";
}
