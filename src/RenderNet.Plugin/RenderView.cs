using System.Numerics;

namespace RenderNet.Plugin;

/// <summary>
/// A camera given by the caller (an engine's or a viewer's camera) instead of one of the scene's: a perspective view
/// from <see cref="Position"/> towards <see cref="Target"/>, in the scene's world space (glTF: +Y up, metres).
/// </summary>
/// <param name="Position">Eye position.</param>
/// <param name="Target">The point at the image centre.</param>
/// <param name="VerticalFieldOfView">Vertical field of view in radians, in (0, π); the horizontal follows the image's aspect.</param>
/// <param name="Up">Which way is up on screen; null: +Y.</param>
public sealed record RenderView(Vector3 Position, Vector3 Target, float VerticalFieldOfView = 0.8f, Vector3? Up = null);
