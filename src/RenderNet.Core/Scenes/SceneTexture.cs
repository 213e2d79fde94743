using System.Numerics;

namespace RenderNet.Core.Scenes;

/// <summary>glTF sampler wrap mode.</summary>
public enum TextureWrap { Repeat = 0, ClampToEdge = 1, MirroredRepeat = 2 }

/// <summary>
/// A decoded texture: RGBA8 texels (row 0 = top, as glTF UV (0,0) is the top-left corner),
/// its wrap modes and whether its RGB is sRGB-encoded (base colour, emissive) or linear (metallic-roughness).
/// </summary>
public sealed record SceneTexture(string Name, int Width, int Height, uint[] Texels, TextureWrap WrapS, TextureWrap WrapT, bool IsSrgb)
{
    /// <summary>
    /// KHR_texture_transform of the reference that uses it: texture coordinates are mapped as (u, v, 1) × this matrix
    /// (row vectors: offset in M31/M32). References that differ only in their transform share one <see cref="Texels"/> array.
    /// </summary>
    public Matrix3x2 UvTransform { get; init; } = Matrix3x2.Identity;

    /// <summary>
    /// glTF's KHR_texture_transform, translation × rotation × scale: u' = cos·sx·u + sin·sy·v + ox,
    /// v' = −sin·sx·u + cos·sy·v + oy — counter-clockwise in texture space, where v points down, as the Khronos sample
    /// viewer, Blender, Babylon.js and three.js rotate (the README's GLSL listing is its transpose: glTF issue 1563).
    /// </summary>
    public static Matrix3x2 TextureTransform(Vector2 offset, float rotation, Vector2 scale)
    {
        float c = MathF.Cos(rotation), s = MathF.Sin(rotation);
        return new Matrix3x2(c * scale.X, -s * scale.X, s * scale.Y, c * scale.Y, offset.X, offset.Y);
    }
}
