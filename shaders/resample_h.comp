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
    for (int c = 0; c < 3; c++)
    {
        int row = c * p.inWidth * p.height + y * p.inWidth;
        int acc = 0;
        for (int k = 0; k < taps; k++)
            acc += filt[w0 + k] * src[row + clamp(start + k, 0, p.inWidth - 1)];
        dst[c * p.outWidth * p.height + y * p.outWidth + x] = (acc + 8192) >> 14;
    }
}
