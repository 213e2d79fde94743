#version 450
// One pass of the denoiser's edge-avoiding à-trous filter: the line-by-line twin of RenderNet.Core.Denoising.
// AtrousFilter.Pass, in integers only, so every device and the CPU produce the same bits. Change both or neither.
layout(local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

layout(std430, set = 0, binding = 0) readonly buffer Source { uvec4 source[]; };    // demodulated R, G, B (fixed point), σ
layout(std430, set = 0, binding = 1) writeonly buffer Target { uvec4 target[]; };
layout(std430, set = 0, binding = 2) readonly buffer Features { ivec4 features[]; }; // normal XYZ (±16383), packed albedo
layout(std430, set = 0, binding = 3) readonly buffer Tables { uint normalWeights[257]; uint colourWeights[256]; };

layout(push_constant) uniform Push {
    uint width;
    uint height;
    uint pass;
    uint pad;
} pc;

const uint SPLINE[5] = uint[5](1u, 4u, 6u, 4u, 1u);

uint luminance(uvec3 c) { return (54u * (c.r >> 4u) + 183u * (c.g >> 4u) + 19u * (c.b >> 4u)) >> 4u; }

uint normalWeight(ivec3 n, ivec3 m) {
    bool none = n == ivec3(0), otherNone = m == ivec3(0);
    if (none || otherNone) return none && otherNone ? 4096u : 0u;
    int dot3 = n.x * m.x + n.y * m.y + n.z * m.z;
    int index = (268435456 - dot3) >> 20;
    return normalWeights[clamp(index, 0, 256)];
}

uint albedoWeight(int a, int b) {
    uint d = uint(abs((a & 255) - (b & 255)) + abs(((a >> 8) & 255) - ((b >> 8) & 255)) + abs(((a >> 16) & 255) - ((b >> 16) & 255)));
    return 1048576u / (256u + d * d);
}

uint divideRounded(uint hi, uint lo, uint w) {
    uint quotient = hi / w, remainder = hi % w;
    return quotient * 4096u + (remainder * 4096u + lo + w / 2u) / w;
}

void main() {
    uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y;
    if (x >= pc.width || y >= pc.height) return;
    int step = 1 << pc.pass;
    uint p = y * pc.width + x;
    uvec4 centre = source[p];
    uint lum = luminance(centre.rgb);
    uint scale = (centre.a >> pc.pass) * 4u + 1u;
    ivec4 f = features[p];
    uint sumW = 0u;
    uvec3 hi = uvec3(0u), lo = uvec3(0u);
    for (int dy = -2; dy <= 2; dy++) {
        int qy = int(y) + dy * step;
        if (qy < 0 || qy >= int(pc.height)) continue;
        for (int dx = -2; dx <= 2; dx++) {
            int qx = int(x) + dx * step;
            if (qx < 0 || qx >= int(pc.width)) continue;
            uint q = uint(qy) * pc.width + uint(qx);
            uvec3 c = source[q].rgb;
            uint w;
            if (q == p) w = 256u;
            else {
                ivec4 g = features[q];
                uint wn = normalWeight(f.xyz, g.xyz);
                uint wa = albedoWeight(f.w, g.w);
                uint ql = luminance(c);
                uint diff = lum > ql ? lum - ql : ql - lum;
                uint wl = colourWeights[min(diff * 16u / scale, 255u)];
                w = (((wn * wa) >> 12u) * wl) >> 16u;
            }
            w *= SPLINE[dx + 2] * SPLINE[dy + 2];
            sumW += w;
            hi += w * (c >> 12u);
            lo += w * (c & 4095u);
        }
    }
    target[p] = uvec4(divideRounded(hi.r, lo.r, sumW), divideRounded(hi.g, lo.g, sumW), divideRounded(hi.b, lo.b, sumW), centre.a);
}
