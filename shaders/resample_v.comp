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
    for (int c = 0; c < 3; c++)
    {
        int plane = c * p.width * p.inHeight;
        int acc = 0;
        for (int k = 0; k < taps; k++)
            acc += filt[w0 + k] * src[plane + clamp(start + k, 0, p.inHeight - 1) * p.width + x];
        dst[c * p.width * p.outHeight + y * p.width + x] = clamp((acc + 8192) >> 14, -8192, 12288);
    }
}
