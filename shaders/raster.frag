#version 450
#extension GL_GOOGLE_include_directive : require
const float INF = 1e30;
#include "raster_common.glsl"
#include "scene_shading.glsl"

// Scene triangle -> material (binding 3); materials, textures and lights at the path tracer's bindings (4..7).
layout(std430, set = 0, binding = 3) readonly buffer MaterialIds { int materialIds[]; };

layout(location = 0) flat in uint triangle;
layout(location = 0) out vec4 color;

// The glTF BRDF for every punctual light (no shadows yet) plus a constant ambient term: the background radiance
// reflected as by a Lambertian surface of the base colour, which is what a uniform environment gives unoccluded.
void main() {
    Fragment f = interpolate(triangle, vec2(pc.tileOrigin) + gl_FragCoord.xy);
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

    vec3 c = s.emission + pc.ambient * pc.background.rgb * s.baseColor * (1.0 - s.metallic);
    for (uint i = 0u; i < pc.lightCount; i++) {
        vec3 l;
        float dist;
        vec3 irradiance = punctualIrradiance(i, s.position, l, dist);
        float nl = dot(s.n, l);
        if (nl <= 0.0 || dot(s.ng, l) <= 0.0) continue;
        c += evalBrdf(s, v, l) * irradiance * nl;
    }
    // Blended triangles are drawn after the opaque ones, back to front, with "over" blending (straight alpha).
    color = vec4(c, alphaMode == ALPHA_BLEND ? clamp(s.opacity, 0.0, 1.0) : 1.0);
}
