namespace RenderNet.Core.Scenes;

/// <summary>glTF sampler wrap mode.</summary>
public enum TextureWrap { Repeat = 0, ClampToEdge = 1, MirroredRepeat = 2 }

/// <summary>
/// A decoded texture: RGBA8 texels (row 0 = top, as glTF UV (0,0) is the top-left corner),
/// its wrap modes and whether its RGB is sRGB-encoded (base colour, emissive) or linear (metallic-roughness).
/// </summary>
public sealed record SceneTexture(string Name, int Width, int Height, uint[] Texels, TextureWrap WrapS, TextureWrap WrapT, bool IsSrgb);
