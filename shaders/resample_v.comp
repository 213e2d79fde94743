#version 450
// Vertical pass of the separable Lanczos-3 resampler: (width x inHeight x 3) -> (width x outHeight x 3) RGB12.
// Values stay unclamped (ringing and out-of-gamut colours included) until the Y'CbCr output; the bound only keeps
// the next stage's integer products inside 32 bits.
layout(local_size_x = 16, local_size_y = 16) in;
layout(std430, binding = 0) readonly buffer Source { int src[]; };
layout(std430, binding = 1) writeonly buffer Target { int dst[]; };
layout(std430, binding = 2) readonly buffer Filter { int filt[]; };
layout(push_constant) uniform Params { int width, inHeight, outHeight; } p;

void main()
{
    int x = int(gl_GlobalInvocationID.x), y = int(gl_GlobalInvocationID.y);
    if (x >= p.width || y >= p.outHeight) return;
    int taps = filt[0];
    int start = filt[1 + y];
    int w0 = 1 + p.outHeight + y * taps;
    int plane = p.width * p.inHeight;
    ivec3 acc = ivec3(0);
    for (int k = 0; k < taps; k++)
    {
        int w = filt[w0 + k];
        int at = clamp(start + k, 0, p.inHeight - 1) * p.width + x;
        acc += w * ivec3(src[at], src[plane + at], src[2 * plane + at]);
    }
    int outPlane = p.width * p.outHeight, outAt = y * p.width + x;
    ivec3 v = clamp((acc + 8192) >> 14, ivec3(-8192), ivec3(12288));
    dst[outAt] = v.r;
    dst[outPlane + outAt] = v.g;
    dst[2 * outPlane + outAt] = v.b;
}
