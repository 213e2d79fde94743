#version 450
// RenderNet path tracer: one invocation per pixel of the dispatched band of a tile.
//
// Exactness rule: everything that decides a pixel is a function of the frame (uniforms), the pixel's FULL-FRAME
// coordinate and the sample index. Tile and band only choose which pixels run, never what they compute, and samples
// are accumulated strictly in order (acc = ((acc + s0) + s1) + ...), so any split into tiles, bands or sample
// batches gives bit-identical sums.
//
// Geometry buffers are read as uvec4 and reinterpreted with uintBitsToFloat so that integer payloads (indices,
// counts) never pass through a float load that a driver could canonicalise or flush.

#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_arithmetic : require
layout(local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

const float INF = 1e30;
const uint NONE = 0xFFFFFFFFu;
const uint MODE_RADIANCE = 0u;
const uint MODE_PRIMARY_HIT = 1u;

layout(std140, set = 0, binding = 0) uniform Frame {
    vec4 camPos;        // xyz
    vec4 camRight;      // xyz
    vec4 camUp;         // xyz
    vec4 camForward;    // xyz
    vec4 background;    // rgb radiance of the uniform environment
    uvec4 sizeSeedBounces;  // frame width, frame height, seed, max bounces
    vec4 projection;    // tan(yfov/2), aspect, ortho half-width, ortho half-height
    uvec4 counts;       // lights, emissive triangles, mode, orthographic (0/1)
    vec4 sampling;      // x unused, y = ray epsilon scale,
                        // z = adaptive sampling's noise threshold (0: off), w = its minimum samples (uint bits)
} frame;

layout(std430, set = 0, binding = 1) readonly buffer TriVerts { uvec4 triVerts[]; };     // 3 per triangle
layout(std430, set = 0, binding = 2) readonly buffer TriShading { uvec4 triShading[]; }; // 5 per triangle
layout(std430, set = 0, binding = 3) readonly buffer Nodes { uvec4 nodes[]; };           // 2 per node
layout(std430, set = 0, binding = 8) readonly buffer LightTree { uvec4 lightNodes[]; };   // 4 per node (GpuSceneData.LightNodeWords)
// Per pixel: (radiance sum, samples taken) and (luminance sum, sum of squared luminance, stopped, 0); with
// FEATURE_PASSES, ACCUM_STRIDE vec4 in all: sums of albedo, normal, emission, direct and indirect light over the same
// samples (xyz, in order like the radiance), and in their w the pixel centre's primary ray: triangle index + 1 (bits;
// 0 = miss), distance, and the world position hit.
layout(std430, set = 0, binding = 9) buffer Accum { vec4 accum[]; };
// Reset per dispatch: rays traced (for rays/s figures), and the most loop trips any subgroup made (see LOOP_TICK).
layout(std430, set = 0, binding = 10) buffer Stats { uint raysTraced; uint maxSubgroupLoopTrips; };

// llvmpipe stops every loop of an invocation once its SIMD vector has made 65,535 loop trips in all (Mesa's
// LP_MAX_TGSI_LOOP_ITERATIONS, an infinite-loop guard): traversals would then end early, the picture would darken, and
// how many samples one dispatch holds would change the bits. Each loop ticks once on entry (the trip that finds its
// condition false) and once per iteration, counted by one elected invocation, so the subgroup's sum (on llvmpipe, the
// vector) is the vector's trip count; the host sizes each dispatch's samples to stay well below the guard.
// (A specialization constant that compiled the count out made llvmpipe 20% slower, so it is always counted: a few
// instructions per loop trip on a GPU.)
uint loopTrips = 0u;
#define LOOP_TICK if (subgroupElect()) loopTrips++;

layout(push_constant) uniform Push {
    ivec2 tileOrigin;   // tile rectangle in the full frame
    uvec2 tileSize;
    uvec2 bandOrigin;   // part of the tile dispatched now, relative to the tile
    uvec2 bandSize;
    uint sampleBegin;   // samples [begin, end) are added to the accumulator in this dispatch
    uint sampleEnd;
    uint pad0;
    uint pad1;
} pc;

#include "scene_shading.glsl"

const uint ACCUM_STRIDE = (SCENE_FEATURES & FEATURE_PASSES) != 0u ? 7u : 2u;

// ---------------------------------------------------------------- random numbers
// PCG-style hash (Jarzynski & Olano 2020): a stateless, well-mixed 32-bit permutation.
uint pcg(uint v) {
    uint state = v * 747796405u + 2891336453u;
    uint word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

// ---------------------------------------------------------------- samples
// Owen-scrambled Sobol (Burley 2020, "Practical Hash-based Owen Scrambling"): the first four Sobol dimensions,
// each pixel's own shuffle of the sample order and its own nested uniform scramble per
// group of four dimensions. A pure function of (frame seed, full-frame pixel, sample index, group): tiles stay
// bit-exact, and every pixel is an unbiased randomised quasi-Monte Carlo estimator whose samples stratify jointly
// in each group (pixel jitter; per bounce the light's pick and point; the BSDF's lobe and direction with roulette).
// The first four Sobol dimensions of an index (Joe-Kuo direction numbers: dimension 0 is van der Corput; 1, 2 and 3
// have primitive polynomials x+1, x²+x+1 and x³+x+1), bit-reversed — the domain the Owen scramble works in, so no
// reversal is needed before it (and dimension 0 is the index itself). The direction numbers come from their
// recurrences in registers: a constant table indexed at run time is copied into every invocation's private memory by
// some compilers (llvmpipe: ten times slower).
uvec4 sobol4Reversed(uint index) {
    uvec4 x = uvec4(index, 0u, 0u, 0u);
    uint a1 = 1u;                     // dimension 1: V(i)
    uint b2 = 0u, b1 = 0u;            // dimension 2: V(i-2), V(i-1)
    uint c3 = 0u, c2 = 0u, c1 = 0u;   // dimension 3: V(i-3), V(i-2), V(i-1)
    LOOP_TICK
    for (uint i = 1u; index != 0u; i++, index >>= 1u) {
        LOOP_TICK
        uint b = i == 1u ? 1u : i == 2u ? 3u : (b2 ^ (b2 << 2u) ^ b1);
        uint c = i == 1u ? 1u : i == 2u ? 3u : i == 3u ? 4u : (c3 ^ (c3 << 3u) ^ c2);
        if ((index & 1u) != 0u) x.yzw ^= uvec3(a1, b, c);
        a1 ^= a1 << 1u;
        b2 = b1; b1 = b;
        c3 = c2; c2 = c1; c1 = c;
    }
    return x;
}

// Laine–Karras style permutation: flips each bit depending only on the bits below it.
uint laineKarras(uint x, uint seed) {
    x += seed;
    x ^= x * 0x6c50b47cu;
    x ^= x * 0xb82f1e52u;
    x ^= x * 0xc7afe638u;
    x ^= x * 0x8d22f6e6u;
    return x;
}

// Owen scramble: a random permutation of each binary subinterval, applied from the most significant bit down.
uint nestedUniformScramble(uint x, uint seed) { return bitfieldReverse(laineKarras(bitfieldReverse(x), seed)); }

uint pixelSeed;     // pcg of (frame seed, pixel)
uint sampleNumber;  // the sample index within the pixel

const uint GROUP_PIXEL = 0u;
uint groupLight(uint depth) { return 1u + 2u * depth; }
uint groupBsdf(uint depth) { return 2u + 2u * depth; }

// Four dimensions of the current sample, in [0, 1).
vec4 sampleGroup(uint group) {
    uint seed = pcg(pixelSeed ^ pcg(group + 0x68bc21ebu));
    // The pixel's shuffle of the sample order: an Owen scramble of the index. Below 2^16 samples it permutes the
    // 16-bit indices among themselves (the scramble of the top half-word, shifted back), so the Sobol sum below
    // runs over 16 bits instead of 32.
    uint shift = sampleNumber < 65536u ? 16u : 0u;
    uint index = nestedUniformScramble(sampleNumber << shift, seed) >> shift;
    uvec4 r = sobol4Reversed(index);
    uvec4 x = bitfieldReverse(uvec4(laineKarras(r.x, seed ^ 0x9e3779b9u), laineKarras(r.y, seed ^ 0x7f4a7c15u),
                                    laineKarras(r.z, seed ^ 0x94d049bbu), laineKarras(r.w, seed ^ 0xbf58476du)));
    return vec4(x >> 8u) * (1.0 / 16777216.0);
}

// ---------------------------------------------------------------- scene access
vec3 f3(uvec4 u) { return uintBitsToFloat(u.xyz); }

struct Hit {
    float t;
    uint slot;   // triangle slot in BVH order, NONE = miss
    float u, v;  // barycentrics of corners 1 and 2
};

// Möller–Trumbore with the edges precomputed on the CPU (the CPU reference uses the same formula).
bool intersectTriangle(vec3 o, vec3 d, uint slot, float tMin, float tMax, out float t, out float u, out float v) {
    vec3 v0 = f3(triVerts[3u * slot]);
    vec3 e1 = f3(triVerts[3u * slot + 1u]);
    vec3 e2 = f3(triVerts[3u * slot + 2u]);
    vec3 p = cross(d, e2);
    float det = dot(e1, p);
    t = 0.0; u = 0.0; v = 0.0;
    if (det == 0.0) return false;
    float inv = 1.0 / det;
    vec3 s = o - v0;
    u = dot(s, p) * inv;
    if (u < 0.0 || u > 1.0) return false;
    vec3 q = cross(s, e1);
    v = dot(d, q) * inv;
    if (v < 0.0 || u + v > 1.0) return false;
    t = dot(e2, q) * inv;
    return t > tMin && t < tMax;
}

vec3 safeInverse(vec3 d) {
    const float tiny = 1e-30;
    return vec3(
        1.0 / (abs(d.x) > tiny ? d.x : (d.x >= 0.0 ? tiny : -tiny)),
        1.0 / (abs(d.y) > tiny ? d.y : (d.y >= 0.0 ? tiny : -tiny)),
        1.0 / (abs(d.z) > tiny ? d.z : (d.z >= 0.0 ? tiny : -tiny)));
}

float boxEntry(uint node, vec3 o, vec3 invD, float tMax) {
    vec3 lo = (f3(nodes[2u * node]) - o) * invD;
    vec3 hi = (f3(nodes[2u * node + 1u]) - o) * invD;
    vec3 tNear = min(lo, hi);
    vec3 tFar = max(lo, hi);
    float enter = max(max(tNear.x, tNear.y), max(tNear.z, 0.0));
    float exit = min(min(tFar.x, tFar.y), min(tFar.z, tMax));
    return enter <= exit ? enter : INF;
}

uint rayCount = 0u;

// Per-triangle flags (GpuSceneData.RayFlags): triangles a ray may pass through.
const uint RAY_ALPHA_MASK = 1u;
const uint RAY_ALPHA_BLEND = 2u;
const uint RAY_THIN_TRANSMISSION = 4u;
uint rayFlags(uint slot) { return triVerts[3u * slot + 2u].w; }

// Closest hit (anyHit = false) or, for shadow rays, any blocking hit in (tMin, tMax). A shadow ray stops at the first
// unflagged triangle it finds; a flagged one (see RayFlags) it may pass, so it keeps the closest of those and goes on.
// Whether a ray passes a flagged triangle is decided by the callers, after the traversal (traceClosest, visible):
// material code inside the traversal loop would be compiled into it, and tripled the kernel.
Hit trace(vec3 o, vec3 d, float tMin, float tMax, bool anyHit) {
    rayCount++;
    Hit hit;
    hit.t = tMax; hit.slot = NONE; hit.u = 0.0; hit.v = 0.0;
    vec3 invD = safeInverse(d);
    // Nodes still to visit, with the distance at which the ray enters each: a popped node is culled against the closest
    // hit so far without reading its box again (enter ≤ exit held when it was pushed; only exit ≤ hit.t can change).
    uint stack[64];
    float stackEntry[64];
    int sp = 0;
    uint node = 0u;
    if (boxEntry(0u, o, invD, tMax) >= INF) return hit;
    LOOP_TICK
    while (true) {
        LOOP_TICK
        uvec4 hiCount = nodes[2u * node + 1u];
        uint first = nodes[2u * node].w;
        if (hiCount.w > 0u) {
            LOOP_TICK
            for (uint i = first; i < first + hiCount.w; i++) {
                LOOP_TICK
                float t, u, v;
                if (intersectTriangle(o, d, i, tMin, hit.t, t, u, v)) {
                    hit.t = t; hit.slot = i; hit.u = u; hit.v = v;
                    if (anyHit && rayFlags(i) == 0u) return hit;
                }
            }
        } else {
            uint a = first, b = first + 1u;
            float ta = boxEntry(a, o, invD, hit.t);
            float tb = boxEntry(b, o, invD, hit.t);
            if (ta > tb) { uint s = a; a = b; b = s; float f = ta; ta = tb; tb = f; }
            if (ta < INF) {
                if (tb < INF) { stack[sp] = b; stackEntry[sp] = tb; sp++; }
                node = a;
                continue;
            }
        }
        // Pop until a node that still lies in front of the closest hit.
        bool found = false;
        LOOP_TICK
        while (sp > 0) {
            LOOP_TICK
            sp--;
            node = stack[sp];
            if (stackEntry[sp] <= hit.t) { found = true; break; }
        }
        if (!found) break;
    }
    return hit;
}

// ---------------------------------------------------------------- surfaces
uint materialOf(uint slot) { return triVerts[3u * slot].w; }

vec3 triangleNormal(uint slot) {
    return normalize(cross(f3(triVerts[3u * slot + 1u]), f3(triVerts[3u * slot + 2u])));
}

float triangleArea(uint slot) {
    return 0.5 * length(cross(f3(triVerts[3u * slot + 1u]), f3(triVerts[3u * slot + 2u])));
}

void triangleUvs(uint slot, out vec2 uv0, out vec2 uv1, out vec2 uv2) {
    uint b = 5u * slot;
    uv0 = vec2(uintBitsToFloat(triShading[b].w), uintBitsToFloat(triShading[b + 1u].w));
    uv1 = vec2(uintBitsToFloat(triShading[b + 2u].w), uintBitsToFloat(triShading[b + 3u].x));
    uv2 = uintBitsToFloat(triShading[b + 3u].yz);
}

vec2 interpolateUv(uint slot, float u, float v) {
    vec2 uv0, uv1, uv2;
    triangleUvs(slot, uv0, uv1, uv2);
    return (1.0 - u - v) * uv0 + u * uv1 + v * uv2;
}

Surface surfaceAt(Hit hit, vec3 o, vec3 d) {
    Surface s;
    uint slot = hit.slot;
    uint b = 5u * slot;
    float u = hit.u, v = hit.v, w = 1.0 - u - v;
    s.position = o + d * hit.t;
    vec3 ng = triangleNormal(slot);
    s.frontFace = dot(ng, d) < 0.0;
    if (!s.frontFace) ng = -ng;
    s.ng = ng;
    vec3 n = w * f3(triShading[b]) + u * f3(triShading[b + 1u]) + v * f3(triShading[b + 2u]);
    float len = length(n);
    n = len > 0.0 ? n / len : ng;
    if (!s.frontFace) n = -n;
    if (dot(n, ng) <= 0.0) n = ng;   // interpolated normal points under the surface: fall back to the true one
    s.n = n;

    vec2 uv = interpolateUv(slot, u, v);
    uvec4 colors = triShading[b + 4u];
    vec4 vertexColor = w * unpackUnorm4x8(colors.x) + u * unpackUnorm4x8(colors.y) + v * unpackUnorm4x8(colors.z);

    uint mat = materialOf(slot);
    applyMaterial(s, mat, uv, vertexColor);
    vec2 uv0, uv1, uv2;
    triangleUvs(slot, uv0, uv1, uv2);
    applyNormalTexture(s, mat, uv, f3(triVerts[3u * slot + 1u]), f3(triVerts[3u * slot + 2u]), uv1 - uv0, uv2 - uv0);
    return s;
}

// ---------------------------------------------------------------- passing through surfaces
uint pathTraceIndex;   // closest-hit traces so far in this sample: decorrelates stochastic alpha along a path

// Base colour alpha at a point of a triangle (factor × vertex colour × texture), as applyMaterial computes it.
float opacityAt(uint slot, float u, float v) {
    uint mat = materialOf(slot);
    uvec4 colors = triShading[5u * slot + 4u];
    float a = uintBitsToFloat(materials[MATERIAL_STRIDE * mat].w)
        * ((1.0 - u - v) * unpackUnorm4x8(colors.x).a + u * unpackUnorm4x8(colors.y).a + v * unpackUnorm4x8(colors.z).a);
    int tex = int(materials[MATERIAL_STRIDE * mat + 3u].x);
    if (tex >= 0) a *= sampleTexture(uint(tex), interpolateUv(slot, u, v)).a;
    return a;
}

// A uniform number for a blended surface's coverage: a function of the pixel, the sample, the ray and the triangle.
float coverageRandom(uint slot) {
    return float(pcg(pixelSeed ^ pcg(sampleNumber ^ pcg(pathTraceIndex * 0x9e3779b9u ^ pcg(slot))))) * (1.0 / 4294967296.0);
}

// KHR_materials_transmission on a thin wall (no KHR_materials_volume): light goes straight through, weighted by what
// the coat, the sheen and the specular layer leave to the base and the base's transmitted share, tinted by the base
// colour. Shadow rays and paths use the same weight, so light sampling and BSDF sampling agree through a window.
vec3 thinTransmittance(Surface s, vec3 v) {
    float nv = clamp(abs(dot(s.n, v)), 0.0, 1.0);
    vec3 F;
    float base = fresnelLayers(s, nv, F);
    return (1.0 - coatFresnel(s, v)) * sheenScaling(s, nv, nv) * base * s.transmission * s.baseColor;
}

// A ray crosses at most this many surfaces it may pass (alpha, thin walls) before the next one counts as opaque.
const uint MAX_PASSES = 32u;

// How much of a flagged surface is there at a hit: 0 where an alpha mask cuts it away, else its blend coverage (1 for
// an opaque or masked-in point).
float coverageAt(Hit h, uint flags) {
    if ((flags & (RAY_ALPHA_MASK | RAY_ALPHA_BLEND)) == 0u) return 1.0;
    float opacity = opacityAt(h.slot, h.u, h.v);
    if ((flags & RAY_ALPHA_MASK) != 0u) return opacity < materialAlphaCutoff(materialOf(h.slot)) ? 0.0 : 1.0;
    return clamp(opacity, 0.0, 1.0);
}

// The closest surface a path meets: masked texels are not there, and a blended surface is met with the probability of
// its coverage (unbiased, and a pure function of the sample). A thin wall is a real vertex for a path.
Hit traceClosest(vec3 o, vec3 d) {
    if (!hasFeature(FEATURE_PASSABLE)) return trace(o, d, 0.0, INF, false);
    float tMin = 0.0;
    Hit h;
    LOOP_TICK
    for (uint k = 0u; k < MAX_PASSES; k++) {
        LOOP_TICK
        h = trace(o, d, tMin, INF, false);
        uint flags = h.slot == NONE ? 0u : rayFlags(h.slot) & (RAY_ALPHA_MASK | RAY_ALPHA_BLEND);
        if (flags == 0u) return h;
        float cover = coverageAt(h, flags);
        if (cover >= 1.0 || (cover > 0.0 && coverageRandom(h.slot) < cover)) return h;
        tMin = h.t;
    }
    return h;
}

// ---------------------------------------------------------------- BSDF sampling
// Probabilities of sampling the coat, the specular layer, the cosine lobe (diffuse and sheen) and transmission: each
// lobe's share of an albedo estimate at this view, at least 10% for a lobe that is there, none for one that is not
// (Blender writes specular 0 for its diffuse walls: no sample is wasted on a lobe that contributes nothing).
vec4 lobeProbabilities(Surface s, vec3 v) {
    float nv = clamp(dot(s.n, v), 0.0, 1.0);
    float fc = coatFresnel(s, v);
    vec3 F;
    float base = fresnelLayers(s, nv, F);
    float under = 1.0 - fc;
    float baseColor = luminance(s.baseColor);
    float sheen = hasFeature(FEATURE_SHEEN) && maxComponent(s.sheenColor) > 0.0 ? luminance(s.sheenColor) * sheenAlbedo(s.material, nv) : 0.0;
    vec4 w = vec4(fc, under * luminance(F), under * (base * (1.0 - s.transmission) * baseColor + sheen),
                  under * base * s.transmission * baseColor);
    float total = w.x + w.y + w.z + w.w;
    if (!(total > 0.0)) return vec4(0.0, 0.0, 1.0, 0.0);
    vec4 p = mix(vec4(0.0), max(w / total, vec4(0.1)), greaterThan(w, vec4(0.0)));
    return p / (p.x + p.y + p.z + p.w);
}

// The pdf of sampleBsdf choosing reflection direction l (transmission is never evaluated, only sampled).
float brdfPdf(Surface s, vec3 v, vec3 l) {
    vec4 p = lobeProbabilities(s, v);
    float pdf = 0.0;
    float nl = dot(s.n, l), nv = dot(s.n, v);
    if (nl > 0.0 && nv > 0.0) {
        float nh = max(dot(s.n, normalize(l + v)), 0.0);
        float a2 = s.alpha * s.alpha;
        pdf += p.y * smithG1(nv, a2) * ggxD(nh, a2) / (4.0 * nv)    // visible-normal sampling (Heitz 2018)
             + p.z * nl / PI;
    }
    if (hasFeature(FEATURE_CLEARCOAT) && p.x > 0.0) {
        float cl = dot(s.nc, l), cv = dot(s.nc, v);
        if (cl > 0.0 && cv > 0.0) {
            float ca2 = s.coatAlpha * s.coatAlpha;
            pdf += p.x * smithG1(cv, ca2) * ggxD(max(dot(s.nc, normalize(l + v)), 0.0), ca2) / (4.0 * cv);
        }
    }
    return pdf;
}

void basis(vec3 n, out vec3 t, out vec3 b) {
    // Duff et al. 2017, branchless orthonormal basis.
    float sgn = n.z >= 0.0 ? 1.0 : -1.0;
    float a = -1.0 / (sgn + n.z);
    float c = n.x * n.y * a;
    t = vec3(1.0 + sgn * n.x * n.x * a, sgn * c, -sgn * n.x);
    b = vec3(c, sgn + n.y * n.y * a, -n.y);
}

// A GGX microfacet normal about n, distributed as the normals visible from v (Heitz 2018).
vec3 sampleVisibleNormal(vec3 n, float alpha, vec3 v, vec2 u) {
    vec3 t, b;
    basis(n, t, b);
    vec3 ve = vec3(dot(v, t), dot(v, b), dot(v, n));
    vec3 vh = normalize(vec3(alpha * ve.x, alpha * ve.y, ve.z));
    float lensq = vh.x * vh.x + vh.y * vh.y;
    vec3 t1 = lensq > 0.0 ? vec3(-vh.y, vh.x, 0.0) * inversesqrt(lensq) : vec3(1.0, 0.0, 0.0);
    vec3 t2 = cross(vh, t1);
    float r = sqrt(u.x);
    float phi = 2.0 * PI * u.y;
    float p1 = r * cos(phi);
    float p2 = r * sin(phi);
    float sh = 0.5 * (1.0 + vh.z);
    p2 = (1.0 - sh) * sqrt(max(0.0, 1.0 - p1 * p1)) + sh * p2;
    vec3 nh = p1 * t1 + p2 * t2 + sqrt(max(0.0, 1.0 - p1 * p1 - p2 * p2)) * vh;
    vec3 ne = normalize(vec3(alpha * nh.x, alpha * nh.y, max(0.0, nh.z)));
    return ne.x * t + ne.y * b + ne.z * n;
}

const uint LOBE_NONE = 0u;      // the sample fell below the surface: the path ends
const uint LOBE_REFLECT = 1u;   // weight = evalBrdf · cos / brdfPdf, MIS with light sampling
const uint LOBE_TRANSMIT = 2u;  // weight given; light sampling cannot reach this direction through the surface

uint sampleBsdf(Surface s, vec3 v, vec3 u, out vec3 l, out vec3 weight) {
    vec4 p = lobeProbabilities(s, v);
    weight = vec3(0.0);
    l = vec3(0.0);
    float x = u.x;
    if (hasFeature(FEATURE_CLEARCOAT) && x < p.x) {
        l = reflect(-v, sampleVisibleNormal(s.nc, s.coatAlpha, v, u.yz));
        return dot(l, s.ng) > 0.0 ? LOBE_REFLECT : LOBE_NONE;
    }
    x -= p.x;
    if (x < p.y) {
        l = reflect(-v, sampleVisibleNormal(s.n, s.alpha, v, u.yz));
        return dot(l, s.ng) > 0.0 ? LOBE_REFLECT : LOBE_NONE;
    }
    x -= p.y;
    if (!hasFeature(FEATURE_TRANSMISSION) || x < p.z || p.w <= 0.0) {
        vec3 t, b;
        basis(s.n, t, b);
        float r = sqrt(u.y);
        float phi = 2.0 * PI * u.z;
        l = r * cos(phi) * t + r * sin(phi) * b + sqrt(max(0.0, 1.0 - u.y)) * s.n;
        return dot(l, s.ng) > 0.0 ? LOBE_REFLECT : LOBE_NONE;
    }
    // Transmission. A thin wall passes light straight on (its roughness does not blur it: shadow rays see the same).
    if (!s.volume) {
        l = -v;
        weight = thinTransmittance(s, v) / p.w;
        return LOBE_TRANSMIT;
    }
    // A volume's boundary refracts through a GGX microfacet (Walter et al. 2007); sampled from the visible normals,
    // the weight is the transmitted share × G2/G1 (separable Smith: G1 of the outgoing direction).
    vec3 m = sampleVisibleNormal(s.n, s.alpha, v, u.yz);
    float vm = dot(v, m);
    if (vm <= 0.0) return LOBE_NONE;
    vec3 F;
    float base = fresnelLayers(s, vm, F);
    float nv = clamp(dot(s.n, v), 0.0, 1.0);
    l = refract(-v, m, s.frontFace ? 1.0 / s.ior : s.ior);
    if (dot(l, l) == 0.0) l = reflect(-v, m);   // total internal reflection takes the share that would have left
    float under = (1.0 - coatFresnel(s, v)) * sheenScaling(s, nv, nv);
    weight = under * base * s.transmission * s.baseColor * smithG1(abs(dot(s.n, l)), s.alpha * s.alpha) / p.w;
    return LOBE_TRANSMIT;
}

float powerHeuristic(float a, float b) {
    float a2 = a * a, b2 = b * b;
    return a2 + b2 > 0.0 ? a2 / (a2 + b2) : 0.0;
}

// ---------------------------------------------------------------- lights
float rayEpsilon(vec3 p) { return frame.sampling.y * (1.0 + max(max(abs(p.x), abs(p.y)), abs(p.z))); }

vec3 offsetOrigin(Surface s) { return s.position + s.ng * rayEpsilon(s.position); }

// What reaches from `from` along dir over dist: 1, 0 when blocked, or what the surfaces it may pass let through —
// masked-out texels all, a blended surface its expected transmittance (no noise), a thin wall its transmittance.
vec3 visible(vec3 from, vec3 dir, float dist) {
    if (!hasFeature(FEATURE_PASSABLE)) return trace(from, dir, 0.0, dist, true).slot == NONE ? vec3(1.0) : vec3(0.0);
    vec3 transmittance = vec3(1.0);
    float tMin = 0.0;
    LOOP_TICK
    for (uint k = 0u; k < MAX_PASSES; k++) {
        LOOP_TICK
        Hit h = trace(from, dir, tMin, dist, true);
        if (h.slot == NONE) return transmittance;
        uint flags = rayFlags(h.slot);
        if (flags == 0u) return vec3(0.0);
        float cover = coverageAt(h, flags);
        vec3 through = (flags & RAY_THIN_TRANSMISSION) != 0u && cover > 0.0
            ? thinTransmittance(surfaceAt(h, from, dir), -dir) : vec3(0.0);
        transmittance *= (1.0 - cover) + cover * through;
        if (!(maxComponent(transmittance) > 0.0)) return vec3(0.0);
        tMin = h.t;
    }
    return vec3(0.0);
}

// Whether the segment from surface s to point p on an emitter is clear. Both ends are pulled in by their own ray
// epsilon: the segment starts at the offset origin, so cutting it by a fraction of its length instead let a shadow ray
// from a surface near a light (the top of a box under a ceiling lamp) reach the lamp itself and call the surface
// shadowed — 1e-4 of a short distance is less than the origin's offset.
vec3 visibleBetween(Surface s, vec3 p) {
    vec3 origin = offsetOrigin(s);
    vec3 to = p - origin;
    float len = length(to);
    float tMax = len - 2.0 * rayEpsilon(p);
    if (!(tMax > 0.0)) return vec3(1.0);   // the emitter touches the surface: nothing can lie between
    return visible(origin, to / len, tMax);
}

// ---------------------------------------------------------------- light tree (Core's LightTree, in float)
// cos(max(0, a − b)) and sin(max(0, a − b)) from the sines and cosines of a and b.
float cosSubClamped(float sinA, float cosA, float sinB, float cosB) { return cosA > cosB ? 1.0 : cosA * cosB + sinA * sinB; }
float sinSubClamped(float sinA, float cosA, float sinB, float cosB) { return cosA > cosB ? 0.0 : sinA * cosB - cosA * sinB; }

// How much the emitters below a light tree node may light point p with normal n (PBRT v4's LightBounds::Importance).
float lightImportance(uint node, vec3 p, vec3 n) {
    uvec4 a = lightNodes[4u * node], b = lightNodes[4u * node + 1u], c = lightNodes[4u * node + 2u];
    vec3 lo = f3(a), hi = f3(b), axis = f3(c);
    float cosO = uintBitsToFloat(b.w), cosE = uintBitsToFloat(c.w);
    bool twoSided = (lightNodes[4u * node + 3u].y & 2u) != 0u;
    vec3 centre = 0.5 * (lo + hi);
    vec3 toPoint = p - centre;
    float dc2 = dot(toPoint, toPoint);
    float d2 = max(dc2, length(hi - lo) * 0.5);
    vec3 wi = dc2 > 0.0 ? toPoint * inversesqrt(dc2) : axis;
    float cosW = dot(axis, wi);
    if (twoSided) cosW = abs(cosW);
    float sinW = sqrt(max(1.0 - cosW * cosW, 0.0));
    float r2 = dot(hi - centre, hi - centre);
    bool inside = all(greaterThanEqual(p, lo)) && all(lessThanEqual(p, hi));
    float cosB = !inside && dc2 > r2 ? sqrt(max(1.0 - r2 / dc2, 0.0)) : -1.0;
    float sinB = sqrt(max(1.0 - cosB * cosB, 0.0));
    float sinO = sqrt(max(1.0 - cosO * cosO, 0.0));
    float cosX = cosSubClamped(sinW, cosW, sinO, cosO), sinX = sinSubClamped(sinW, cosW, sinO, cosO);
    float cosP = cosSubClamped(sinX, cosX, sinB, cosB);
    if (cosP <= cosE) return 0.0;
    float cosI = abs(dot(wi, n)), sinI = sqrt(max(1.0 - cosI * cosI, 0.0));
    return max(uintBitsToFloat(a.w) * cosP / d2 * cosSubClamped(sinI, cosI, sinB, cosB), 0.0);
}

// Picks an emissive triangle for light sampling at (p, n): down the tree, each child by its importance; u is reused
// from level to level (rescaled). False when no emitter can light the point.
bool pickEmitter(vec3 p, vec3 n, float u, out uint slot, out float pmf) {
    uint node = 0u;
    pmf = 1.0;
    slot = NONE;
    LOOP_TICK
    for (uint depth = 0u; depth < 33u; depth++) {
        LOOP_TICK
        uvec4 d = lightNodes[4u * node + 3u];
        if ((d.y & 1u) != 0u) { slot = d.x; return pmf > 0.0; }
        float i0 = lightImportance(d.x, p, n), i1 = lightImportance(d.x + 1u, p, n);
        if (!(i0 + i1 > 0.0)) return false;
        float p0 = i0 / (i0 + i1);
        if (u < p0) { node = d.x; pmf *= p0; u = min(u / p0, 0.99999994); }
        else { node = d.x + 1u; pmf *= i1 / (i0 + i1); u = min((u - p0) / (1.0 - p0), 0.99999994); }
    }
    return false;
}

// The probability pickEmitter(p, n) has of picking the triangle in slot: the same choices, along its trail.
float emitterPmf(uint slot, vec3 p, vec3 n) {
    if (triShading[5u * slot + 3u].w == 0u) return 0.0;   // not in the tree (emits nothing by its factor)
    uint trail = triShading[5u * slot + 4u].w;
    uint node = 0u;
    float pmf = 1.0;
    LOOP_TICK
    for (uint depth = 0u; depth < 33u; depth++) {
        LOOP_TICK
        uvec4 d = lightNodes[4u * node + 3u];
        if ((d.y & 1u) != 0u) return pmf;
        float i0 = lightImportance(d.x, p, n), i1 = lightImportance(d.x + 1u, p, n);
        if (!(i0 + i1 > 0.0)) return 0.0;
        uint bit = (trail >> depth) & 1u;
        pmf *= (bit == 0u ? i0 : i1) / (i0 + i1);
        node = d.x + bit;
    }
    return 0.0;
}

vec3 samplePunctualLights(Surface s, vec3 v) {
    vec3 result = vec3(0.0);
    vec3 origin = offsetOrigin(s);
    LOOP_TICK
    for (uint i = 0u; i < frame.counts.x; i++) {
        LOOP_TICK
        vec3 l;
        float dist;
        vec3 irradiance = punctualIrradiance(i, s.position, l, dist);
        float nl = dot(s.n, l);
        if (nl <= 0.0 || dot(s.ng, l) <= 0.0 || all(equal(irradiance, vec3(0.0)))) continue;
        vec3 transmittance = visible(origin, l, dist * (1.0 - 1e-4));
        if (maxComponent(transmittance) <= 0.0) continue;
        result += evalBrdf(s, v, l) * irradiance * transmittance * nl;
    }
    return result;
}

// Emissive triangles are sampled by the solid angle they subtend (Arvo 1995, "Stratified Sampling of Spherical
// Triangles") wherever they are large against their distance: sampling by area there gives a weight of area/d², which
// near an emitter — a ceiling a millimetre above a lamp's back face — is unbounded, and shows up as fireflies all over
// the walls that see that ceiling. Small, distant triangles keep area sampling (the spherical construction loses float
// precision there; Cycles switches the same way). Which one applies is a function of the point and the triangle only,
// so the light's pdf seen from a BSDF-sampled hit is the one used to sample it.

// Solid angle of the triangle seen from p, or 0 where it is sampled by area. a, b, c: unit directions to its corners.
float solidAngleOf(uint slot, vec3 p, out vec3 a, out vec3 b, out vec3 c) {
    vec3 v0 = f3(triVerts[3u * slot]);
    vec3 e1 = f3(triVerts[3u * slot + 1u]);
    vec3 e2 = f3(triVerts[3u * slot + 2u]);
    vec3 n = cross(e1, e2);
    float planeDistance = abs(dot(n, v0 - p)) / max(length(n), 1e-30);
    float longestEdge2 = max(max(dot(e1, e1), dot(e2, e2)), dot(e2 - e1, e2 - e1));
    a = vec3(0.0); b = vec3(0.0); c = vec3(0.0);
    if (!(longestEdge2 > planeDistance * planeDistance)) return 0.0;
    a = normalize(v0 - p); b = normalize(v0 + e1 - p); c = normalize(v0 + e2 - p);
    // Van Oosterom and Strackee's formula.
    float omega = 2.0 * atan(abs(dot(a, cross(b, c))), 1.0 + dot(a, b) + dot(b, c) + dot(c, a));
    return omega > 1e-5 ? omega : 0.0;
}

float angleBetween(vec3 x, vec3 y) {
    return dot(x, y) < 0.0 ? PI - 2.0 * asin(min(length(x + y) * 0.5, 1.0)) : 2.0 * asin(min(length(y - x) * 0.5, 1.0));
}

vec3 gramSchmidt(vec3 v, vec3 w) { return v - dot(v, w) * w; }

// A direction uniformly distributed over the spherical triangle abc of solid angle omega (Arvo; as in PBRT v4).
bool sampleSphericalTriangle(vec3 a, vec3 b, vec3 c, vec2 u, out vec3 w) {
    w = vec3(0.0);
    vec3 nab = cross(a, b), nbc = cross(b, c), nca = cross(c, a);
    if (dot(nab, nab) == 0.0 || dot(nbc, nbc) == 0.0 || dot(nca, nca) == 0.0) return false;
    nab = normalize(nab); nbc = normalize(nbc); nca = normalize(nca);
    float alpha = angleBetween(nab, -nca);
    float beta = angleBetween(nbc, -nab);
    float gamma = angleBetween(nca, -nbc);
    float areaPlusPi = mix(PI, alpha + beta + gamma, u.x);
    float cosAlpha = cos(alpha), sinAlpha = sin(alpha);
    float sinPhi = sin(areaPlusPi) * cosAlpha - cos(areaPlusPi) * sinAlpha;
    float cosPhi = cos(areaPlusPi) * cosAlpha + sin(areaPlusPi) * sinAlpha;
    float k1 = cosPhi + cosAlpha;
    float k2 = sinPhi - sinAlpha * dot(a, b);
    float denominator = (k2 * sinPhi + k1 * cosPhi) * sinAlpha;
    if (denominator == 0.0) return false;
    float cosBp = clamp((k2 + (k2 * cosPhi - k1 * sinPhi) * cosAlpha) / denominator, -1.0, 1.0);
    float sinBp = sqrt(max(1.0 - cosBp * cosBp, 0.0));
    vec3 ca = gramSchmidt(c, a);
    if (dot(ca, ca) == 0.0) return false;
    vec3 cp = cosBp * a + sinBp * normalize(ca);
    float cosTheta = 1.0 - u.y * (1.0 - dot(cp, b));
    float sinTheta = sqrt(max(1.0 - cosTheta * cosTheta, 0.0));
    vec3 cpb = gramSchmidt(cp, b);
    if (dot(cpb, cpb) == 0.0) return false;
    w = normalize(cosTheta * b + sinTheta * normalize(cpb));
    return true;
}

// The pdf, per unit solid angle, of light sampling choosing the point at distance t on emissive triangle slot, which
// subtends omega (0: sampled by area) and is seen at cosine cosLight.
float emissivePdf(uint slot, float select, float omega, float t, float cosLight) {
    return omega > 0.0 ? select / omega : select / triangleArea(slot) * t * t / max(cosLight, 1e-8);
}

vec3 sampleEmissiveTriangles(Surface s, vec3 v, vec3 u) {
    uint count = frame.counts.y;
    if (count == 0u) return vec3(0.0);
    uint slot;
    float select;
    if (!pickEmitter(s.position, s.n, u.x, slot, select)) return vec3(0.0);
    vec3 l;
    float dist, bu, bv;
    vec3 ca, cb, cc;
    float omega = solidAngleOf(slot, s.position, ca, cb, cc);
    if (omega > 0.0) {
        if (!sampleSphericalTriangle(ca, cb, cc, u.yz, l)) return vec3(0.0);
        float t, hu, hv;
        if (!intersectTriangle(s.position, l, slot, 0.0, INF, t, hu, hv)) return vec3(0.0);
        dist = t; bu = hu; bv = hv;
    } else {
        float su = sqrt(u.y), sv = u.z;
        bu = su * (1.0 - sv); bv = su * sv;           // uniform barycentrics
        vec3 p = f3(triVerts[3u * slot]) + bu * f3(triVerts[3u * slot + 1u]) + bv * f3(triVerts[3u * slot + 2u]);
        vec3 toLight = p - s.position;
        dist = length(toLight);
        if (!(dist > 0.0)) return vec3(0.0);
        l = toLight / dist;
    }
    vec3 nl3 = triangleNormal(slot);
    float cosLight = dot(nl3, -l);
    uint mat = materialOf(slot);
    if (materialDoubleSided(mat)) cosLight = abs(cosLight);
    float nl = dot(s.n, l);
    if (cosLight <= 0.0 || nl <= 0.0 || dot(s.ng, l) <= 0.0) return vec3(0.0);
    float pdfLight = emissivePdf(slot, select, omega, dist, cosLight);
    if (!(pdfLight > 0.0)) return vec3(0.0);
    vec3 transmittance = visibleBetween(s, s.position + l * dist);
    if (maxComponent(transmittance) <= 0.0) return vec3(0.0);
    vec3 le = materialEmission(mat, interpolateUv(slot, bu, bv));
    float w = powerHeuristic(pdfLight, brdfPdf(s, v, l));
    return evalBrdf(s, v, l) * le * transmittance * nl * w / pdfLight;
}

// ---------------------------------------------------------------- camera
void cameraRay(vec2 pixel, out vec3 origin, out vec3 dir) {
    vec2 size = vec2(frame.sizeSeedBounces.xy);
    float x = pixel.x / size.x * 2.0 - 1.0;
    float y = 1.0 - pixel.y / size.y * 2.0;
    if (frame.counts.w == 1u) {
        origin = frame.camPos.xyz + x * frame.projection.z * frame.camRight.xyz + y * frame.projection.w * frame.camUp.xyz;
        dir = frame.camForward.xyz;
    } else {
        float ty = frame.projection.x;
        origin = frame.camPos.xyz;
        dir = normalize(frame.camForward.xyz + x * ty * frame.projection.y * frame.camRight.xyz + y * ty * frame.camUp.xyz);
    }
}

// One path in flight: where it goes next and what it has gathered. Kept across the iterations of main's loop, so
// that a path that ends lets its invocation start the pixel's next sample at once (path regeneration): the lanes of a
// SIMD group (llvmpipe's vector, a GPU's warp) no longer wait at each sample for the longest path among them.
struct Path {
    vec3 origin;
    vec3 dir;
    vec3 throughput;
    vec3 result;
    // The pdf the last scattering vertex had of sampling the ray (0: the camera or a refraction, which light sampling
    // cannot reach: an emitter hit next takes full weight), and that vertex (light sampling's point). A straight pass
    // through a thin wall changes neither: light sampling from that vertex sees through the wall too.
    float lastPdf;
    vec3 lastPosition;
    vec3 lastNormal;  // and its shading normal: the light tree's choice there depends on both
    vec3 sigma;       // absorption coefficient of the volume the ray travels in
    uint depth;
    // Render passes (FEATURE_PASSES only): light emitted toward the camera by what it sees (emitters, environment),
    // direct light (one bounce), and the albedo and normal of the first surface that is not a smooth mirror or glass.
    vec3 emitted;
    vec3 direct;
    vec3 albedo;
    vec3 normal;
    bool auxPending;
};

Path startPath(vec3 origin, vec3 dir) {
    Path p;
    p.origin = origin; p.dir = dir;
    p.throughput = vec3(1.0); p.result = vec3(0.0);
    p.lastPdf = 0.0; p.lastPosition = origin; p.lastNormal = dir;
    p.sigma = vec3(0.0);
    p.depth = 0u;
    p.emitted = vec3(0.0); p.direct = vec3(0.0); p.albedo = vec3(0.0); p.normal = vec3(0.0);
    p.auxPending = true;
    pathTraceIndex = 0u;
    return p;
}

// Adds light reaching the camera to the sample and, with passes on, to the pass its bounce count belongs to:
// seen directly (emission), after one bounce (direct); indirect light is what remains of the sample.
void addLight(inout Path p, vec3 light, uint bounces) {
    p.result += light;
    if (!hasFeature(FEATURE_PASSES)) return;
    if (bounces == 0u) p.emitted += light;
    else if (bounces == 1u) p.direct += light;
}

// The albedo and normal passes (what a denoiser is guided by) come from the first surface that is not a smooth
// mirror or smooth glass: behind those, the reflected or refracted surface is what the noisy pixel shows.
void recordAux(inout Path p, Surface s) {
    if (!hasFeature(FEATURE_PASSES) || !p.auxPending) return;
    bool mirrorLike = s.alpha < 0.01 && (s.metallic > 0.5 || s.transmission > 0.5);
    if (mirrorLike && p.depth < 3u) return;
    p.albedo = s.baseColor;
    p.normal = s.n;
    p.auxPending = false;
}

// One vertex of the path: the closest hit along its ray, emission met there, light sampling and the next direction.
// Returns true when the path has ended (p.result is then its sample).
bool extendPath(inout Path p) {
    Hit hit = traceClosest(p.origin, p.dir);
    pathTraceIndex++;
    if (hasFeature(FEATURE_TRANSMISSION) && maxComponent(p.sigma) > 0.0) p.throughput *= exp(-p.sigma * hit.t);   // Beer–Lambert (a miss: t = INF)
    if (hit.slot == NONE) {
        addLight(p, p.throughput * frame.background.rgb, p.depth);
        if (hasFeature(FEATURE_PASSES) && p.auxPending) { p.albedo = min(frame.background.rgb, vec3(1.0)); p.auxPending = false; }
        return true;
    }
    Surface s = surfaceAt(hit, p.origin, p.dir);
    recordAux(p, s);
    vec3 v = -p.dir;
    if (any(greaterThan(s.emission, vec3(0.0)))) {
        float w = 1.0;
        if (p.lastPdf > 0.0 && frame.counts.y > 0u) {
            // The pdf light sampling had of choosing this point, from the previous surface point.
            vec3 a, b, c;
            float omega = solidAngleOf(hit.slot, p.lastPosition, a, b, c);
            float select = emitterPmf(hit.slot, p.lastPosition, p.lastNormal);
            float pdfLight = select > 0.0 ? emissivePdf(hit.slot, select, omega, distance(p.lastPosition, s.position), abs(dot(s.ng, v))) : 0.0;
            w = powerHeuristic(p.lastPdf, pdfLight);
        }
        addLight(p, p.throughput * s.emission * w, p.depth);
    }
    uint depth = p.depth;
    if (depth >= frame.sizeSeedBounces.w) return true;

    addLight(p, p.throughput * samplePunctualLights(s, v), depth + 1u);
    if (frame.counts.y > 0u) addLight(p, p.throughput * sampleEmissiveTriangles(s, v, sampleGroup(groupLight(depth)).xyz), depth + 1u);

    vec4 bsdfSample = sampleGroup(groupBsdf(depth));
    vec3 l, weight;
    uint lobe = sampleBsdf(s, v, bsdfSample.xyz, l, weight);
    if (lobe == LOBE_NONE) return true;
    if (lobe == LOBE_REFLECT) {
        float pdf = brdfPdf(s, v, l);
        float nl = dot(s.n, l);
        if (!(pdf > 0.0) || nl <= 0.0) return true;
        p.throughput *= evalBrdf(s, v, l) * nl / pdf;
        p.lastPdf = pdf;
        p.lastPosition = s.position;
        p.lastNormal = s.n;
        p.origin = offsetOrigin(s);
    } else {
        p.throughput *= weight;
        bool through = dot(l, s.ng) < 0.0;
        if (s.volume) {
            p.lastPdf = 0.0;
            p.lastPosition = s.position;
            p.lastNormal = s.n;
            if (through) p.sigma = s.frontFace ? s.sigma : vec3(0.0);
        }
        p.origin = through ? s.position - s.ng * rayEpsilon(s.position) : offsetOrigin(s);
    }
    p.dir = l;
    if (!(maxComponent(p.throughput) > 0.0)) return true;

    if (depth >= 2u) {               // Russian roulette, unbiased: survivors are reweighted
        float q = clamp(max(p.throughput.r, max(p.throughput.g, p.throughput.b)), 0.05, 0.95);
        if (bsdfSample.w >= q) return true;
        p.throughput /= q;
    }
    p.depth = depth + 1u;
    return false;
}

void main() {
    uvec2 local = gl_GlobalInvocationID.xy;
    if (local.x >= pc.bandSize.x || local.y >= pc.bandSize.y) return;
    uvec2 inTile = pc.bandOrigin + local;
    uvec2 pixel = uvec2(pc.tileOrigin) + inTile;
    uint index = inTile.y * pc.tileSize.x + inTile.x;

    pixelSeed = pcg(frame.sizeSeedBounces.z ^ pcg(pixel.x ^ pcg(pixel.y)));
    sampleNumber = 0u;
    pathTraceIndex = 0u;
    if (frame.counts.z == MODE_PRIMARY_HIT) {
        // Coverage/ID image for tests: the primary ray through the pixel centre, no jitter.
        vec3 o, d;
        cameraRay(vec2(pixel) + 0.5, o, d);
        Hit hit = trace(o, d, 0.0, INF, false);
        float id = hit.slot == NONE ? -1.0 : float(triVerts[3u * hit.slot + 1u].w);
        accum[2u * index] = vec4(id, hit.slot == NONE ? 0.0 : hit.t, 0.0, 1.0);
        return;
    }

    uint base = ACCUM_STRIDE * index;
    vec4 acc = accum[base];
    vec4 moments = accum[base + 1u];
    if (hasFeature(FEATURE_PASSES) && pc.sampleBegin == 0u) {
        // The pixel centre's primary ray, once per pixel (its first dispatch): depth, position and ids are not
        // averaged over samples (an average of two depths at an edge is a depth nothing has).
        sampleNumber = 0u;
        vec3 o, d;
        cameraRay(vec2(pixel) + 0.5, o, d);
        Hit hit = traceClosest(o, d);
        bool miss = hit.slot == NONE;
        vec3 position = miss ? vec3(0.0) : o + d * hit.t;
        accum[base + 2u].w = uintBitsToFloat(miss ? 0u : triVerts[3u * hit.slot + 1u].w + 1u);
        accum[base + 3u].w = miss ? 0.0 : hit.t;
        accum[base + 4u].w = position.x;
        accum[base + 5u].w = position.y;
        accum[base + 6u].w = position.z;
    }
    // The passes' sums stay in registers while the samples run, like the radiance.
    vec3 passSums[5];
    for (uint i = 0u; i < 5u; i++) passSums[i] = hasFeature(FEATURE_PASSES) ? accum[base + 2u + i].xyz : vec3(0.0);
    float threshold = frame.sampling.z;
    uint minSamples = floatBitsToUint(frame.sampling.w);
    // Samples run one after another in each invocation, a path vertex per iteration: when a path ends, the next
    // sample starts in the same iteration's place (see Path). Each pixel's samples are still summed in order.
    uint sampleIndex = pc.sampleBegin;
    bool inFlight = false;
    Path path;
    LOOP_TICK
    while (true) {
        LOOP_TICK
        if (!inFlight) {
            if (sampleIndex >= pc.sampleEnd || moments.z != 0.0) break;   // done, or adaptive sampling stopped the pixel
            sampleNumber = sampleIndex;
            vec3 o, d;
            cameraRay(vec2(pixel) + sampleGroup(GROUP_PIXEL).xy, o, d);
            path = startPath(o, d);
            inFlight = true;
        }
        if (!extendPath(path)) continue;
        inFlight = false;
        vec3 c = path.result;
        // A NaN or infinite sample would poison the pixel; it is dropped (counted as black), which is deterministic.
        if (any(isnan(c)) || any(isinf(c))) c = vec3(0.0);
        uint n = sampleIndex + 1u;
        sampleIndex = n;
        acc.rgb += c;
        acc.a = float(n);
        if (hasFeature(FEATURE_PASSES)) {
            bool bad = any(isnan(path.result)) || any(isinf(path.result));
            vec3 emitted = bad ? vec3(0.0) : path.emitted;
            vec3 direct = bad ? vec3(0.0) : path.direct;
            passSums[0] += path.albedo;
            passSums[1] += path.normal;
            passSums[2] += emitted;
            passSums[3] += direct;
            passSums[4] += c - emitted - direct;
        }
        // Adaptive sampling: at checkpoints from the minimum on, the pixel stops once the standard error of its mean
        // luminance, relative to the square root of that mean (as Cycles' noise threshold), is below the threshold.
        // Decided by the pixel's own samples at fixed sample counts: any tiling or batching gives the same bits.
        float lum = luminance(c);
        moments.xy += vec2(lum, lum * lum);
        if (threshold > 0.0 && n >= minSamples && n >= 2u && (n == minSamples || n % 8u == 0u)) {
            float mean = moments.x / float(n);
            float variance = max(moments.y / float(n) - mean * mean, 0.0) * float(n) / float(n - 1u);
            float stdError = sqrt(variance / float(n));
            if (stdError <= threshold * sqrt(max(mean, 1e-4))) moments.z = 1.0;
        }
    }
    accum[base] = acc;
    accum[base + 1u] = moments;
    if (hasFeature(FEATURE_PASSES))
        for (uint i = 0u; i < 5u; i++) accum[base + 2u + i].xyz = passSums[i];
    atomicAdd(raysTraced, rayCount);
    uint subgroupTrips = subgroupAdd(loopTrips);
    if (subgroupElect()) atomicMax(maxSubgroupLoopTrips, subgroupTrips);
}
