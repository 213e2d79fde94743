using System.Numerics;

namespace RenderNet.Core.Scenes;

/// <summary>How a material's alpha is interpreted (glTF alphaMode).</summary>
public enum AlphaMode { Opaque, Mask, Blend }

/// <summary>
/// A glTF metallic-roughness material, with texture references resolved to indices into
/// <see cref="Scene.Textures"/> (-1 = none). Factors are linear; textures are decoded later on the device.
/// </summary>
public sealed record PbrMaterial
{
    public string Name { get; init; } = "";
    public Vector4 BaseColorFactor { get; init; } = Vector4.One;
    public int BaseColorTexture { get; init; } = -1;
    public float MetallicFactor { get; init; } = 1f;
    public float RoughnessFactor { get; init; } = 1f;
    /// <summary>glTF metallicRoughnessTexture: roughness in G, metallic in B (linear).</summary>
    public int MetallicRoughnessTexture { get; init; } = -1;
    /// <summary>Emissive factor already multiplied by KHR_materials_emissive_strength.</summary>
    public Vector3 Emissive { get; init; } = Vector3.Zero;
    public int EmissiveTexture { get; init; } = -1;
    /// <summary>Tangent-space normal map (linear), and glTF's normalTexture.scale.</summary>
    public int NormalTexture { get; init; } = -1;
    public float NormalScale { get; init; } = 1f;
    /// <summary>Ambient occlusion in R (linear), and glTF's occlusionTexture.strength.</summary>
    public int OcclusionTexture { get; init; } = -1;
    public float OcclusionStrength { get; init; } = 1f;
    public bool DoubleSided { get; init; }
    public AlphaMode AlphaMode { get; init; } = AlphaMode.Opaque;
    public float AlphaCutoff { get; init; } = 0.5f;

    /// <summary>The glTF default material (used by primitives without one).</summary>
    public static PbrMaterial Default { get; } = new() { Name = "(default)" };

    public bool IsEmissive => Emissive.X > 0 || Emissive.Y > 0 || Emissive.Z > 0;
}
