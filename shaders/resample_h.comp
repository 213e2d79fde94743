#version 450
// Horizontal pass of the separable Lanczos-3 resampler (weights from Lanczos3.Packed, 14 fraction bits, sum 2^14).
// Planar RGB ints in (inWidth x height x 3) -> planar ints out (outWidth x height x 3); overshoot kept for the next pass.
layout(local_size_x = 16, local_size_y = 16) in;
layout(std430, binding = 0) readonly buffer Source { int src[]; };
layout(std430, binding = 1) writeonly buffer Target { int dst[]; };
layout(std430, binding = 2) readonly buffer Filter { int filt[]; };
layout(push_constant) uniform Params { int inWidth, outWidth, height; } p;

void main()
{
    int x = int(gl_GlobalInvocationID.x), y = int(gl_GlobalInvocationID.y);
    if (x >= p.outWidth || y >= p.height) return;
    int taps = filt[0];
    int start = filt[1 + x];
    int w0 = 1 + p.outWidth + x * taps;
    int plane = p.inWidth * p.height;
    int row = y * p.inWidth;
    // The three channels share each weight and source index (one load of each per tap).
    ivec3 acc = ivec3(0);
    for (int k = 0; k < taps; k++)
    {
        int w = filt[w0 + k];
        int at = row + clamp(start + k, 0, p.inWidth - 1);
        acc += w * ivec3(src[at], src[plane + at], src[2 * plane + at]);
    }
    int outPlane = p.outWidth * p.height, outAt = y * p.outWidth + x;
    ivec3 v = (acc + 8192) >> 14;
    dst[outAt] = v.r;
    dst[outPlane + outAt] = v.g;
    dst[2 * outPlane + outAt] = v.b;
}
