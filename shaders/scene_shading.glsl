// Materials, textures, punctual lights and the glTF BRDF: shared by the path tracer and the rasteriser, so both
// shade with the same code (the same buffers, packed by GpuSceneData, bound at the same binding numbers).
const float PI = 3.14159265358979;

// The material features the scene uses (ShadingFeatures): the path tracer is specialised per scene, so the driver
// compiles out what no material needs; the rasteriser keeps the default, all on.
layout(constant_id = 0) const uint SCENE_FEATURES = 0xFFFFFFFFu;
const uint FEATURE_PASSABLE = 1u;
const uint FEATURE_TRANSMISSION = 2u;
const uint FEATURE_CLEARCOAT = 4u;
const uint FEATURE_SHEEN = 8u;
// Not a material feature: the path tracer also accumulates the render passes (AOVs; see pathtrace.comp's Accum).
const uint FEATURE_PASSES = 16u;
bool hasFeature(uint feature) { return (SCENE_FEATURES & feature) != 0u; }

#ifndef LOOP_TICK
#define LOOP_TICK   // the path tracer counts its loop iterations (see pathtrace.comp); the rasteriser need not
#endif

layout(std430, set = 0, binding = 4) readonly buffer Materials { uvec4 materials[]; };   // MATERIAL_STRIDE per material
const uint MATERIAL_STRIDE = 16u;   // GpuSceneData.MaterialWords / 4
// Per texture reference TEXTURE_STRIDE uvec4: (offset, w, h, flags), then the two rows of its KHR_texture_transform.
layout(std430, set = 0, binding = 5) readonly buffer Textures { uvec4 textures[]; };
const uint TEXTURE_STRIDE = 3u;   // GpuSceneData.TextureWords / 4
layout(std430, set = 0, binding = 6) readonly buffer Texels { uint texels[]; };
layout(std430, set = 0, binding = 7) readonly buffer Lights { vec4 lights[]; };          // 4 per light

// ---------------------------------------------------------------- textures
uint wrapCoord(int i, int n, uint mode) {
    if (mode == 1u) return uint(clamp(i, 0, n - 1));                  // clamp to edge
    if (mode == 2u) {                                                  // mirrored repeat
        int period = 2 * n;
        int k = ((i % period) + period) % period;
        return uint(k < n ? k : period - 1 - k);
    }
    return uint(((i % n) + n) % n);                                    // repeat
}

vec3 srgbToLinear(vec3 c) {
    return mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), greaterThan(c, vec3(0.04045)));
}

// info: (offset, width, height, flags) of one mip level.
vec4 texel(uvec4 info, int x, int y) {
    uint w = info.y, h = info.z;
    uint tx = wrapCoord(x, int(w), info.w & 3u);
    uint ty = wrapCoord(y, int(h), (info.w >> 2u) & 3u);
    vec4 c = unpackUnorm4x8(texels[info.x + ty * w + tx]);
    if ((info.w & 16u) != 0u) c.rgb = srgbToLinear(c.rgb);
    return c;
}

// Bilinear filtering of one level in linear space, written out so every device computes the same value.
vec4 sampleLevel(uvec4 info, vec2 uv) {
    vec2 p = uv * vec2(float(info.y), float(info.z)) - 0.5;
    vec2 base = floor(p);
    vec2 f = p - base;
    int x = int(base.x), y = int(base.y);
    vec4 a = mix(texel(info, x, y), texel(info, x + 1, y), f.x);
    vec4 b = mix(texel(info, x, y + 1), texel(info, x + 1, y + 1), f.x);
    return mix(a, b, f.y);
}

// Mip level k of a texture (levels follow each other in the texel buffer, each half the size of the one above).
uvec4 levelInfo(uvec4 info, uint k) {
    uint offset = info.x, w = info.y, h = info.z;
    LOOP_TICK
    for (uint i = 0u; i < k; i++) {
        LOOP_TICK
        offset += w * h;
        w = max(w / 2u, 1u);
        h = max(h / 2u, 1u);
    }
    return uvec4(offset, w, h, info.w);
}

// KHR_texture_transform: texture coordinates, and (for footprints and tangent frames) their differences.
vec2 transformUv(uint index, vec2 uv) {
    vec3 u = uintBitsToFloat(textures[TEXTURE_STRIDE * index + 1u].xyz);
    vec3 v = uintBitsToFloat(textures[TEXTURE_STRIDE * index + 2u].xyz);
    return vec2(dot(u, vec3(uv, 1.0)), dot(v, vec3(uv, 1.0)));
}

vec2 transformUvDifference(uint index, vec2 d) {
    vec3 u = uintBitsToFloat(textures[TEXTURE_STRIDE * index + 1u].xyz);
    vec3 v = uintBitsToFloat(textures[TEXTURE_STRIDE * index + 2u].xyz);
    return vec2(dot(u.xy, d), dot(v.xy, d));
}

#ifdef MIPMAPPED_TEXTURES
// Texture-space footprint of one pixel, set by the rasteriser before shading. Computed from full-frame coordinates,
// never from quad derivatives, so the level of detail does not depend on where a tile starts.
vec2 uvDx = vec2(0.0), uvDy = vec2(0.0);

// Trilinear filtering: the two mip levels around the footprint's level of detail, blended.
vec4 sampleTexture(uint index, vec2 uv) {
    uvec4 info = textures[TEXTURE_STRIDE * index];
    uv = transformUv(index, uv);
    uint levels = max((info.w >> 8u) & 31u, 1u);
    vec2 size = vec2(float(info.y), float(info.z));
    float footprint = max(length(transformUvDifference(index, uvDx) * size), length(transformUvDifference(index, uvDy) * size));
    if (footprint <= 1.0 || levels == 1u) return sampleLevel(info, uv);
    float lod = min(log2(footprint), float(levels - 1u));
    uint k = uint(floor(lod));
    vec4 a = sampleLevel(levelInfo(info, k), uv);
    if (k + 1u >= levels) return a;
    return mix(a, sampleLevel(levelInfo(info, k + 1u), uv), lod - float(k));
}
#else
// The path tracer samples the full-resolution level: its rays have no pixel footprint, and many samples per pixel
// average the texture anyway. (Kept apart because CPU Vulkan drivers pay for every instruction a shader contains.)
vec4 sampleTexture(uint index, vec2 uv) { return sampleLevel(textures[TEXTURE_STRIDE * index], transformUv(index, uv)); }
#endif

struct Surface {
    vec3 position;
    vec3 ng;          // geometric normal, facing the incoming ray
    vec3 n;           // shading normal, same hemisphere as ng
    bool frontFace;   // the ray hit the counter-clockwise side
    vec3 baseColor;
    float metallic;
    float alpha;      // GGX alpha = roughness^2
    vec3 emission;    // emitted radiance toward the ray (zero on a single-sided back face)
    uint material;
    vec3 specF0;      // dielectric reflectance at normal incidence (KHR_materials_ior × KHR_materials_specular colour)
    float specWeight; // dielectric specular layer weight (KHR_materials_specular factor; 0: pure diffuse)
    float opacity;    // base colour alpha (the rasteriser's alpha modes use it; the path tracer's rays test it)
    float transmission; // KHR_materials_transmission: share of the dielectric base transmitted instead of diffused
    float ior;        // KHR_materials_ior, for refraction
    bool volume;      // KHR_materials_volume: the surface bounds a refracting volume (else thin-walled)
    vec3 sigma;       // the volume's absorption coefficient per unit length
    float clearcoat;  // KHR_materials_clearcoat weight (0: no coat)
    float coatAlpha;  // the coat's GGX alpha
    vec3 nc;          // the coat's normal (the mesh normal unless the coat has its own normal texture)
    vec3 sheenColor;  // KHR_materials_sheen (black: no sheen)
    float sheenAlpha; // the sheen's alpha = roughness^2
};

vec3 materialEmission(uint mat, vec2 uv) {
    uvec4 m1 = materials[MATERIAL_STRIDE * mat + 1u];
    vec3 e = uintBitsToFloat(m1.xyz);
    int tex = int(materials[MATERIAL_STRIDE * mat + 3u].z);
    if (tex >= 0) e *= sampleTexture(uint(tex), uv).rgb;
    return e;
}

bool materialDoubleSided(uint mat) { return (materials[MATERIAL_STRIDE * mat + 3u].w & 1u) != 0u; }

const uint ALPHA_OPAQUE = 0u;
const uint ALPHA_MASK = 1u;
const uint ALPHA_BLEND = 2u;
uint materialAlphaMode(uint mat) { return (materials[MATERIAL_STRIDE * mat + 3u].w >> 1u) & 3u; }
float materialAlphaCutoff(uint mat) { return uintBitsToFloat(materials[MATERIAL_STRIDE * mat + 1u].w); }

// Base colour, metallic, roughness (as GGX alpha) and emission of a material at a point.
void applyMaterial(inout Surface s, uint mat, vec2 uv, vec4 vertexColor) {
    s.material = mat;
    vec4 baseColor = uintBitsToFloat(materials[MATERIAL_STRIDE * mat]) * vertexColor;
    uvec4 m2 = materials[MATERIAL_STRIDE * mat + 2u];
    ivec4 tex = ivec4(materials[MATERIAL_STRIDE * mat + 3u]);
    if (tex.x >= 0) baseColor *= sampleTexture(uint(tex.x), uv);
    float metallic = uintBitsToFloat(m2.x);
    float roughness = uintBitsToFloat(m2.y);
    if (tex.y >= 0) {
        vec4 mr = sampleTexture(uint(tex.y), uv);
        roughness *= mr.g;
        metallic *= mr.b;
    }
    s.baseColor = baseColor.rgb;
    s.opacity = baseColor.a;
    s.metallic = clamp(metallic, 0.0, 1.0);
    roughness = clamp(roughness, 0.0, 1.0);
    // alpha floor: a perfectly smooth GGX lobe is a delta that NEE cannot sample; 1e-3 is visually a mirror.
    s.alpha = max(roughness * roughness, 1e-3);
    s.emission = (s.frontFace || materialDoubleSided(mat)) ? materialEmission(mat, uv) : vec3(0.0);
    uvec4 m5 = materials[MATERIAL_STRIDE * mat + 5u];
    ivec4 m6 = ivec4(materials[MATERIAL_STRIDE * mat + 6u]);
    vec3 f0 = uintBitsToFloat(m5.xyz);
    float weight = uintBitsToFloat(m5.w);
    if (m6.x >= 0) weight *= sampleTexture(uint(m6.x), uv).a;
    if (m6.y >= 0) f0 *= sampleTexture(uint(m6.y), uv).rgb;
    s.specF0 = min(f0, vec3(1.0));
    s.specWeight = clamp(weight, 0.0, 1.0);

    s.transmission = 0.0; s.ior = 1.5; s.volume = false; s.sigma = vec3(0.0);
    s.clearcoat = 0.0; s.coatAlpha = 1.0; s.nc = s.n;   // the coat's normal: before the base's normal texture
    s.sheenColor = vec3(0.0); s.sheenAlpha = 0.0;
    if (hasFeature(FEATURE_TRANSMISSION)) {
        uvec4 m7 = materials[MATERIAL_STRIDE * mat + 7u];
        float transmission = uintBitsToFloat(m7.x);
        if (transmission > 0.0 && int(m7.y) >= 0) transmission *= sampleTexture(m7.y, uv).r;
        s.transmission = clamp(transmission, 0.0, 1.0);
        s.ior = uintBitsToFloat(m7.z);
        s.volume = (m7.w & 1u) != 0u;
        s.sigma = uintBitsToFloat(materials[MATERIAL_STRIDE * mat + 8u].xyz);
    }
    if (hasFeature(FEATURE_CLEARCOAT)) {
        uvec4 m9 = materials[MATERIAL_STRIDE * mat + 9u];
        float clearcoat = uintBitsToFloat(materials[MATERIAL_STRIDE * mat + 8u].w);
        float coatRoughness = uintBitsToFloat(m9.y);
        if (clearcoat > 0.0) {
            if (int(m9.x) >= 0) clearcoat *= sampleTexture(m9.x, uv).r;
            if (int(m9.z) >= 0) coatRoughness *= sampleTexture(m9.z, uv).g;
        }
        s.clearcoat = clamp(clearcoat, 0.0, 1.0);
        s.coatAlpha = max(clamp(coatRoughness, 0.0, 1.0) * clamp(coatRoughness, 0.0, 1.0), 1e-3);
    }
    if (hasFeature(FEATURE_SHEEN)) {
        uvec4 m10 = materials[MATERIAL_STRIDE * mat + 10u];
        uvec4 m11 = materials[MATERIAL_STRIDE * mat + 11u];
        vec3 sheen = uintBitsToFloat(m10.xyz);
        float sheenRoughness = uintBitsToFloat(m10.w);
        if (any(greaterThan(sheen, vec3(0.0)))) {
            if (int(m11.x) >= 0) sheen *= sampleTexture(m11.x, uv).rgb;
            if (int(m11.y) >= 0) sheenRoughness *= sampleTexture(m11.y, uv).a;
        }
        s.sheenColor = clamp(sheen, vec3(0.0), vec3(1.0));
        s.sheenAlpha = clamp(sheenRoughness, 0.0, 1.0) * clamp(sheenRoughness, 0.0, 1.0);
    }
}

// ---------------------------------------------------------------- glTF metallic-roughness BRDF (spec appendix B)
float luminance(vec3 c) { return dot(c, vec3(0.2126, 0.7152, 0.0722)); }

// Tangent and bitangent of a triangle from its edges e1, e2 and their texture-coordinate differences d1, d2 (no
// per-vertex tangents: a per-triangle frame, made orthogonal to the shading normal n).
bool tangentFrame(vec3 e1, vec3 e2, vec2 d1, vec2 d2, vec3 n, out vec3 t, out vec3 b) {
    t = vec3(0.0); b = vec3(0.0);
    float det = d1.x * d2.y - d2.x * d1.y;
    if (abs(det) < 1e-20) return false;
    vec3 tangent = (e1 * d2.y - e2 * d1.y) / det;
    vec3 bitangent = (e2 * d1.x - e1 * d2.x) / det;
    t = tangent - n * dot(n, tangent);
    if (dot(t, t) < 1e-20) return false;
    t = normalize(t);
    // glTF's texture +Y is up in the image, and v grows down it: the bitangent is the direction v decreases.
    b = normalize(cross(n, t)) * (dot(cross(n, t), bitangent) > 0.0 ? -1.0 : 1.0);
    return true;
}

// A normal texture (tangent space, x and y scaled by scale) applied to n on a triangle with edges e1, e2 and texture
// differences d1, d2; a mapped normal below the surface ng is not taken.
vec3 mapNormal(vec3 n, vec3 ng, int normalTexture, float scale, vec2 uv, vec3 e1, vec3 e2, vec2 d1, vec2 d2) {
    vec3 t, b;
    // The frame follows the texture's own coordinates: a rotated or mirrored transform turns its tangents too.
    d1 = transformUvDifference(uint(normalTexture), d1);
    d2 = transformUvDifference(uint(normalTexture), d2);
    if (!tangentFrame(e1, e2, d1, d2, n, t, b)) return n;
    vec3 ts = sampleTexture(uint(normalTexture), uv).xyz * 2.0 - 1.0;
    ts.xy *= scale;
    vec3 mapped = normalize(t * ts.x + b * ts.y + n * ts.z);
    return dot(mapped, ng) > 0.0 ? mapped : n;
}

// glTF's normal texture, and KHR_materials_clearcoat's own one for the coat.
void applyNormalTexture(inout Surface s, uint mat, vec2 uv, vec3 e1, vec3 e2, vec2 d1, vec2 d2) {
    uvec4 m4 = materials[MATERIAL_STRIDE * mat + 4u];
    if (int(m4.x) >= 0) s.n = mapNormal(s.n, s.ng, int(m4.x), uintBitsToFloat(m4.z), uv, e1, e2, d1, d2);
    if (hasFeature(FEATURE_CLEARCOAT) && s.clearcoat > 0.0) {
        int coatNormalTexture = int(materials[MATERIAL_STRIDE * mat + 9u].w);
        float coatScale = uintBitsToFloat(materials[MATERIAL_STRIDE * mat + 11u].z);
        if (coatNormalTexture >= 0) s.nc = mapNormal(s.nc, s.ng, coatNormalTexture, coatScale, uv, e1, e2, d1, d2);
    }
}

float maxComponent(vec3 c) { return max(c.r, max(c.g, c.b)); }

// glTF's layering (core spec appendix B with KHR_materials_specular): a dielectric — a base (Lambertian, or
// transmitted in the share KHR_materials_transmission gives) under a GGX layer of weight w, mixed by w·max(Fresnel) —
// and a metal (Schlick from the base colour), blended by metallic. Returns the weight of the dielectric's base (diffuse
// and transmission together); F is the specular layer's Fresnel term.
float fresnelLayers(Surface s, float cosTheta, out vec3 F) {
    float fw = pow(1.0 - cosTheta, 5.0);
    vec3 dielectric = s.specF0 + (1.0 - s.specF0) * fw;
    vec3 metal = s.baseColor + (1.0 - s.baseColor) * fw;
    F = mix(s.specWeight * dielectric, metal, s.metallic);
    return (1.0 - s.metallic) * (1.0 - s.specWeight * maxComponent(dielectric));
}

float ggxD(float nh, float a2) {
    float k = nh * nh * (a2 - 1.0) + 1.0;
    return a2 / (PI * k * k);
}

// Height-correlated Smith visibility V = G / (4 NdotL NdotV).
float smithV(float nl, float nv, float a2) {
    float gv = nl * sqrt(nv * nv * (1.0 - a2) + a2);
    float gl = nv * sqrt(nl * nl * (1.0 - a2) + a2);
    float s = gv + gl;
    return s > 0.0 ? 0.5 / s : 0.0;
}

float smithG1(float nv, float a2) {
    return 2.0 * nv / (nv + sqrt(a2 + (1.0 - a2) * nv * nv));
}

// KHR_materials_clearcoat: the coat (ior 1.5) reflects coatFresnel of the light, seen along its own normal; what it
// does not reflect reaches the layers below.
float coatFresnel(Surface s, vec3 v) {
    if (!hasFeature(FEATURE_CLEARCOAT) || s.clearcoat <= 0.0) return 0.0;
    return s.clearcoat * (0.04 + 0.96 * pow(1.0 - clamp(dot(s.nc, v), 0.0, 1.0), 5.0));
}

// KHR_materials_sheen: Charlie's distribution (Estevez and Kulla 2017) with Neubelt and Pettineo's visibility.
float charlieD(float alpha, float nh) {
    float invR = 1.0 / max(alpha, 1e-3);
    float sin2 = max(1.0 - nh * nh, 0.0);
    return (2.0 + invR) * pow(sin2, invR * 0.5) / (2.0 * PI);
}

// The sheen lobe's directional albedo at cosine mu, from the table GpuSceneData packs (SheenAlbedo: 16 entries).
float sheenAlbedo(uint mat, float mu) {
    float x = clamp(mu, 0.0, 1.0) * 15.0;
    uint k = min(uint(x), 14u);
    float a = uintBitsToFloat(materials[MATERIAL_STRIDE * mat + 12u + k / 4u][k & 3u]);
    float b = uintBitsToFloat(materials[MATERIAL_STRIDE * mat + 12u + (k + 1u) / 4u][(k + 1u) & 3u]);
    return mix(a, b, x - float(k));
}

// What the layers under a sheen keep: 1 − max(sheen colour)·E, at the worse of the two directions (the glTF spec's
// albedo scaling), so sheen and base together never reflect more than arrives.
float sheenScaling(Surface s, float nv, float nl) {
    if (!hasFeature(FEATURE_SHEEN) || maxComponent(s.sheenColor) <= 0.0) return 1.0;
    return 1.0 - maxComponent(s.sheenColor) * max(sheenAlbedo(s.material, nv), sheenAlbedo(s.material, nl));
}

// The reflection part of the BSDF (both directions on the side the ray came from): coat over sheen over the
// diffuse and specular layers. Transmission is sampled, never evaluated (pathtrace.comp: sampleTransmission).
vec3 evalBrdf(Surface s, vec3 v, vec3 l) {
    float nl = dot(s.n, l), nv = dot(s.n, v);
    vec3 f = vec3(0.0);
    if (nl > 0.0 && nv > 0.0) {
        vec3 h = normalize(l + v);
        float nh = max(dot(s.n, h), 0.0);
        float vh = max(dot(v, h), 0.0);
        float a2 = s.alpha * s.alpha;
        vec3 F;
        float base = fresnelLayers(s, vh, F);
        f = base * (1.0 - s.transmission) * s.baseColor / PI + F * ggxD(nh, a2) * smithV(nl, nv, a2);
        if (hasFeature(FEATURE_SHEEN) && maxComponent(s.sheenColor) > 0.0)
            f = f * sheenScaling(s, nv, nl) + s.sheenColor * charlieD(s.sheenAlpha, nh) / (4.0 * (nl + nv - nl * nv));
    }
    if (hasFeature(FEATURE_CLEARCOAT) && s.clearcoat > 0.0) {
        float fc = coatFresnel(s, v);
        f *= 1.0 - fc;
        float cl = dot(s.nc, l), cv = dot(s.nc, v);
        if (cl > 0.0 && cv > 0.0) {
            float ch = max(dot(s.nc, normalize(l + v)), 0.0);
            float ca2 = s.coatAlpha * s.coatAlpha;
            f += fc * ggxD(ch, ca2) * smithV(cl, cv, ca2);
        }
    }
    return f;
}

// Irradiance (on a surface facing the light) at p from punctual light i, the direction to it and its distance.
vec3 punctualIrradiance(uint i, vec3 p, out vec3 l, out float dist) {
    vec4 posKind = lights[4u * i];
    vec4 dirRange = lights[4u * i + 1u];
    vec3 intensity = lights[4u * i + 2u].rgb;
    vec4 cone = lights[4u * i + 3u];
    uint kind = uint(posKind.w);
    if (kind == 0u) {               // directional, lux
        l = -dirRange.xyz;
        dist = INF;
        return intensity;
    }
    // point or spot, candela
    vec3 toLight = posKind.xyz - p;
    float d2 = dot(toLight, toLight);
    dist = sqrt(d2);
    l = toLight / dist;
    float range = dirRange.w;
    float falloff = 1.0;
    if (range > 0.0) {          // KHR_lights_punctual recommended window
        float r = dist / range;
        falloff = clamp(1.0 - r * r * r * r, 0.0, 1.0);
        falloff *= falloff;
    }
    vec3 irradiance = intensity * falloff / max(d2, 1e-8);
    if (kind == 2u) {
        float cd = dot(dirRange.xyz, -l);
        float t = clamp((cd - cone.y) / max(cone.x - cone.y, 1e-4), 0.0, 1.0);
        irradiance *= t * t;
    }
    return irradiance;
}
