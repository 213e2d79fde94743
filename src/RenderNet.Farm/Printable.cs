namespace RenderNet.Farm;

/// <summary>
/// Text a node chose (its id, its error details), made safe to print: control characters — terminal escape sequences
/// included — become '?', and the length is bounded (security review F-6).
/// </summary>
public static class Printable
{
    public static string Clean(string? text, int max = 200)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var cut = text.Length > max ? text[..max] + "…" : text;
        return string.Create(cut.Length, cut, (span, source) =>
        {
            for (int i = 0; i < source.Length; i++) span[i] = char.IsControl(source[i]) || source[i] is '\u2028' or '\u2029' or '\u202E' ? '?' : source[i];
        });
    }

    /// <summary>The first <paramref name="length"/> characters (all of a shorter string), cleaned.</summary>
    public static string Short(string? text, int length = 12) => Clean(text is { Length: var n } && n > length ? text[..length] : text, length);
}
