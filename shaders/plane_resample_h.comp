#version 450
// Horizontal pass of the direct-plane resampler (a plane of 8-bit samples, Y, Cb or Cr, resampled without leaving
// Y'CbCr: the source is already in the delivery colour space). Bytes in (ffmpeg's packed plane, 4 per word) ->
// ints out at 4 fraction bits (x16), overshoot kept for the vertical pass. Weights: Lanczos3.Packed (sum 2^14).
// Each invocation makes 4 neighbouring outputs, which share most of their source words.
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer Source { uint src[]; };
layout(std430, binding = 1) writeonly buffer Target { int dst[]; };
layout(std430, binding = 2) readonly buffer Filter { int filt[]; };
layout(push_constant) uniform Params { int inWidth, outWidth, height, planeOffset; } p;

int byteAt(int i) { return int((src[i >> 2] >> ((i & 3) * 8)) & 0xFFu); }

void main()
{
    int x0 = int(gl_GlobalInvocationID.x) * 4, y = int(gl_GlobalInvocationID.y);
    if (x0 >= p.outWidth || y >= p.height) return;
    int taps = filt[0];
    int row = p.planeOffset + y * p.inWidth;
    for (int q = 0; q < 4; q++)
    {
        int x = x0 + q;
        if (x >= p.outWidth) return;
        int start = filt[1 + x], w0 = 1 + p.outWidth + x * taps;
        int acc = 0;
        for (int k = 0; k < taps; k++) acc += filt[w0 + k] * byteAt(row + clamp(start + k, 0, p.inWidth - 1));
        dst[y * p.outWidth + x] = (acc + 512) >> 10; // x16: 14 fraction bits of weight, 4 kept
    }
}
