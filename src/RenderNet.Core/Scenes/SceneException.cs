namespace RenderNet.Core.Scenes;

/// <summary>A scene cannot be used: unreadable, malformed, empty or asked for something it lacks. The message names the problem.</summary>
public sealed class SceneException(string message, Exception? inner = null) : Exception(message, inner);
