using System.Numerics;

namespace RenderNet.Core.Scenes;

public enum LightKind { Directional = 0, Point = 1, Spot = 2 }

/// <summary>
/// A KHR_lights_punctual light in world space. Intensity is in the extension's units:
/// candela for point and spot lights, lux for directional ones. <see cref="Direction"/> is where the light shines.
/// </summary>
public sealed record PunctualLight(
    string Name, LightKind Kind, Vector3 Position, Vector3 Direction, Vector3 Color, float Intensity,
    float Range, float InnerConeAngle, float OuterConeAngle);
