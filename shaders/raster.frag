#version 450
#extension GL_GOOGLE_include_directive : require
const float INF = 1e30;
#define MIPMAPPED_TEXTURES
#include "raster_common.glsl"
#include "scene_shading.glsl"

// Scene triangle -> material (binding 3); materials, textures and lights at the path tracer's bindings (4..7).
layout(std430, set = 0, binding = 3) readonly buffer MaterialIds { int materialIds[]; };
// Shadow maps (ShadowMaps): per light 20 words — view-projection, map offset, size, kind, texel size — and the depths.
layout(std430, set = 0, binding = 8) readonly buffer ShadowInfo { uint shadowInfo[]; };
layout(std430, set = 0, binding = 9) readonly buffer ShadowDepths { uint shadowDepths[]; };

// Fraction of light i reaching p: a fixed 3x3 percentage-closer filter on its shadow map (1 without one).
// The lookup point is pushed off the surface along the normal by ~1.5 texels (normal-offset bias), which removes
// acne without the light leaks of a large depth bias.
float shadowFactor(uint i, vec3 p, vec3 ng, float dist) {
    uint b = 20u * i;
    uint kind = shadowInfo[b + 18u];
    if (kind == 0u) return 1.0;
    mat4 m;
    for (int c = 0; c < 4; c++)
        m[c] = uintBitsToFloat(uvec4(shadowInfo[b + 4u * uint(c)], shadowInfo[b + 4u * uint(c) + 1u], shadowInfo[b + 4u * uint(c) + 2u], shadowInfo[b + 4u * uint(c) + 3u]));
    float texel = uintBitsToFloat(shadowInfo[b + 19u]);
    float offset = 1.5 * (kind == 1u ? texel : texel * dist);
    vec4 clip = m * vec4(p + ng * offset, 1.0);
    vec3 ndc = clip.xyz / clip.w;
    if (any(greaterThan(abs(ndc.xy), vec2(1.0))) || ndc.z > 1.0 || ndc.z < 0.0) return 1.0;
    uint offsetWords = shadowInfo[b + 16u];
    int size = int(shadowInfo[b + 17u]);
    ivec2 centre = ivec2(floor((ndc.xy * 0.5 + 0.5) * float(size)));
    float lit = 0.0;
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            ivec2 t = clamp(centre + ivec2(dx, dy), ivec2(0), ivec2(size - 1));
            float stored = uintBitsToFloat(shadowDepths[offsetWords + uint(t.y * size + t.x)]);
            lit += ndc.z <= stored ? 1.0 : 0.0;
        }
    return lit / 9.0;
}

layout(location = 0) flat in uint triangle;
layout(location = 0) out vec4 color;

// The glTF BRDF for every punctual light (no shadows yet) plus a constant ambient term: the background radiance
// reflected as by a Lambertian surface of the base colour, which is what a uniform environment gives unoccluded.
// Edges of the drawn triangle and their texture-coordinate differences, for its tangent frame.
void triangleEdges(uint tri, out vec3 e1, out vec3 e2, out vec2 d1, out vec2 d2) {
    uint base = 9u * tri;
    vec4 a0 = attributes[base], a1 = attributes[base + 1u];
    vec4 b0 = attributes[base + 3u], b1 = attributes[base + 4u];
    vec4 c0 = attributes[base + 6u], c1 = attributes[base + 7u];
    e1 = b0.xyz - a0.xyz; e2 = c0.xyz - a0.xyz;
    d1 = vec2(b0.w, b1.w) - vec2(a0.w, a1.w); d2 = vec2(c0.w, c1.w) - vec2(a0.w, a1.w);
}

void main() {
    vec2 pixel = vec2(pc.tileOrigin) + gl_FragCoord.xy;
    Fragment f = interpolate(triangle, pixel);
    // The texture footprint: exact derivatives of the texture coordinates (see interpolate()).
    uvDx = f.uvDx;
    uvDy = f.uvDy;
    gl_FragDepth = f.depth;
    vec3 v = pc.orthographic != 0u ? -pc.cameraForward.xyz : normalize(pc.cameraPosition.xyz - f.world);
    Surface s;
    s.position = f.world;
    float glen = length(f.geometricNormal);
    vec3 ng = glen > 0.0 ? f.geometricNormal / glen : v;
    s.frontFace = dot(ng, v) > 0.0;
    if (!s.frontFace) ng = -ng;
    s.ng = ng;
    float len = length(f.normal);
    vec3 n = len > 0.0 ? f.normal / len : ng;
    if (!s.frontFace) n = -n;
    if (dot(n, ng) <= 0.0) n = ng;
    s.n = n;
    uint mat = uint(materialIds[sources[triangle]]);
    applyMaterial(s, mat, f.uv, f.color);
    uint alphaMode = materialAlphaMode(mat);
    if (alphaMode == ALPHA_MASK && s.opacity < materialAlphaCutoff(mat)) discard;

    vec3 e1, e2;
    vec2 d1, d2;
    triangleEdges(triangle, e1, e2, d1, d2);
    applyNormalTexture(s, mat, f.uv, e1, e2, d1, d2);
    uvec4 m4 = materials[MATERIAL_STRIDE * mat + 4u];
    int occlusionTexture = int(m4.y);
    // Occlusion darkens only the ambient (indirect) term, as glTF specifies.
    float occlusion = occlusionTexture >= 0 ? 1.0 + uintBitsToFloat(m4.w) * (sampleTexture(uint(occlusionTexture), f.uv).r - 1.0) : 1.0;

    // The rasteriser draws transmissive surfaces opaque: their transmitted share is missing, as from the diffuse BRDF.
    vec3 c = s.emission + occlusion * pc.ambient * pc.background.rgb * s.baseColor * (1.0 - s.metallic) * (1.0 - s.transmission);
    for (uint i = 0u; i < pc.lightCount; i++) {
        vec3 l;
        float dist;
        vec3 irradiance = punctualIrradiance(i, s.position, l, dist);
        float nl = dot(s.n, l);
        if (nl <= 0.0 || dot(s.ng, l) <= 0.0) continue;
        c += evalBrdf(s, v, l) * irradiance * nl * shadowFactor(i, s.position, s.ng, min(dist, 1e30));
    }
    // Blended triangles are drawn after the opaque ones, back to front, with "over" blending (straight alpha).
    color = vec4(c, alphaMode == ALPHA_BLEND ? clamp(s.opacity, 0.0, 1.0) : 1.0);
}
