#version 450
// Vertical pass of the direct-plane resampler: ints at x16 (width x inHeight) -> 8-bit samples (width x outHeight),
// rounded and clamped to 0..255, written 4 per 32-bit word (a plane's bytes, row after row) so no 8-bit storage
// feature is needed. Weights: Lanczos3.Packed (sum 2^14).
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer Source { int src[]; };
layout(std430, binding = 1) writeonly buffer Target { uint dst[]; };
layout(std430, binding = 2) readonly buffer Filter { int filt[]; };
layout(push_constant) uniform Params { int width, inHeight, outHeight; } p;

void main()
{
    int word = int(gl_GlobalInvocationID.x);
    int total = p.width * p.outHeight;
    if (word * 4 >= total) return;
    int taps = filt[0];
    uint packed = 0u;
    for (int q = 0; q < 4; q++)
    {
        int b = word * 4 + q;
        if (b >= total) break;
        int y = b / p.width, x = b - y * p.width;
        int start = filt[1 + y], w0 = 1 + p.outHeight + y * taps;
        int acc = 0;
        for (int k = 0; k < taps; k++) acc += filt[w0 + k] * src[clamp(start + k, 0, p.inHeight - 1) * p.width + x];
        packed |= uint(clamp((acc + (1 << 17)) >> 18, 0, 255)) << (8 * q);
    }
    dst[word] = packed;
}
