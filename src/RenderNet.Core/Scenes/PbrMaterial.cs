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
    /// <summary>KHR_materials_specular: strength of the dielectric specular layer (0 = none), its texture (alpha).</summary>
    public float SpecularFactor { get; init; } = 1f;
    public int SpecularTexture { get; init; } = -1;
    /// <summary>KHR_materials_specular: tint of the dielectric F0 (linear), its texture (sRGB, rgb).</summary>
    public Vector3 SpecularColor { get; init; } = Vector3.One;
    public int SpecularColorTexture { get; init; } = -1;
    /// <summary>KHR_materials_ior: index of refraction of the dielectric (1.5 by default: F0 = 4%).</summary>
    public float Ior { get; init; } = 1.5f;
    /// <summary>Reflectance at normal incidence of a dielectric with <see cref="Ior"/> in air: ((ior − 1)/(ior + 1))².</summary>
    public float DielectricF0 => Ior switch
    {
        float.PositiveInfinity => 1f,
        > 0 and var n => MathF.Pow((n - 1) / (n + 1), 2),
        _ => 0.04f,
    };
    /// <summary>KHR_materials_transmission: share of the dielectric base that is transmitted, not diffused; texture (R).</summary>
    public float Transmission { get; init; }
    public int TransmissionTexture { get; init; } = -1;
    /// <summary>KHR_materials_volume: thickness &gt; 0 makes the mesh the boundary of a refracting volume (0: thin-walled).</summary>
    public float Thickness { get; init; }
    /// <summary>KHR_materials_volume: the colour white light has after travelling <see cref="AttenuationDistance"/> inside.</summary>
    public Vector3 AttenuationColor { get; init; } = Vector3.One;
    public float AttenuationDistance { get; init; } = float.PositiveInfinity;
    /// <summary>Beer–Lambert absorption coefficient per unit length: −ln(attenuation colour) / attenuation distance.</summary>
    public Vector3 AbsorptionCoefficient => float.IsFinite(AttenuationDistance) && AttenuationDistance > 0
        ? new Vector3(Absorption(AttenuationColor.X), Absorption(AttenuationColor.Y), Absorption(AttenuationColor.Z)) / AttenuationDistance
        : Vector3.Zero;
    static float Absorption(float c) => c >= 1 ? 0 : -MathF.Log(MathF.Max(c, 1e-6f));
    public bool IsVolume => Transmission > 0 && Thickness > 0;
    /// <summary>KHR_materials_clearcoat: weight (texture R), roughness (texture G) and normal map of the coat (ior 1.5).</summary>
    public float Clearcoat { get; init; }
    public int ClearcoatTexture { get; init; } = -1;
    public float ClearcoatRoughness { get; init; }
    public int ClearcoatRoughnessTexture { get; init; } = -1;
    public int ClearcoatNormalTexture { get; init; } = -1;
    public float ClearcoatNormalScale { get; init; } = 1f;
    /// <summary>KHR_materials_sheen: colour (linear; texture sRGB) and roughness (texture A) of the sheen layer.</summary>
    public Vector3 SheenColor { get; init; } = Vector3.Zero;
    public int SheenColorTexture { get; init; } = -1;
    public float SheenRoughness { get; init; }
    public int SheenRoughnessTexture { get; init; } = -1;
    public bool DoubleSided { get; init; }
    public AlphaMode AlphaMode { get; init; } = AlphaMode.Opaque;
    public float AlphaCutoff { get; init; } = 0.5f;

    /// <summary>The glTF default material (used by primitives without one).</summary>
    public static PbrMaterial Default { get; } = new() { Name = "(default)" };

    public bool IsEmissive => Emissive.X > 0 || Emissive.Y > 0 || Emissive.Z > 0;
}
