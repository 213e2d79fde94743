namespace RenderNet.Vulkan;

/// <summary>
/// Material features a scene uses, as the bits of SCENE_FEATURES in shaders/scene_shading.glsl (a specialization
/// constant of the path tracer; the rasteriser keeps them all on).
/// </summary>
[Flags]
public enum ShadingFeatures : uint
{
    None = 0,
    /// <summary>Alpha mask or blend, or thin-walled transmission: rays follow past such surfaces.</summary>
    PassableSurfaces = 1,
    Transmission = 2,
    Clearcoat = 4,
    Sheen = 8,
}
