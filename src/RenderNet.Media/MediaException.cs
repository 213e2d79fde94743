namespace RenderNet.Media;

/// <summary>A media input or tool problem, said in words a user can act on (the input is unreadable, has no video…).</summary>
public class MediaException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>ffmpeg or ffprobe is not installed where RenderNet looks for it.</summary>
public sealed class MediaToolMissingException(string message, Exception? inner = null) : MediaException(message, inner);
