#version 450
// Planar RGB12 -> Y'CbCr 4:2:0 bytes (ffmpeg's yuv420p layout), constants from YuvColorSpace.Encode. Luma comes from
// the RGB at the rendition's size, chroma from the RGB resampled onto the chroma grid (see Lanczos3.ForChroma: a
// filtered average over the chroma sample's footprint, at H.264's default siting). Each invocation writes one 32-bit
// word (4 output bytes), so no 8-bit storage feature is needed.
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer Rgb { int rgb[]; };
layout(std430, binding = 1) readonly buffer ChromaRgb { int crgb[]; };
layout(std430, binding = 2) writeonly buffer Target { uint dst[]; };
layout(push_constant) uniform Params { int width, height, lumaOffset, yr, yg, yb, ur, ug, ub, vr, vg, vb; } p;

int luma(int at)
{
    int plane = p.width * p.height;
    int v = p.yr * rgb[at] + p.yg * rgb[plane + at] + p.yb * rgb[2 * plane + at];
    return clamp(p.lumaOffset + ((v + (1 << 19)) >> 20), 0, 255);
}

int chroma(bool isV, int at, int plane)
{
    int r = crgb[at], g = crgb[plane + at], b = crgb[2 * plane + at];
    int v = isV ? p.vr * r + p.vg * g + p.vb * b : p.ur * r + p.ug * g + p.ub * b;
    return clamp(128 + ((v + (1 << 19)) >> 20), 0, 255);
}

void main()
{
    int lumaBytes = p.width * p.height;
    int chromaBytes = ((p.width + 1) / 2) * ((p.height + 1) / 2);
    int total = lumaBytes + 2 * chromaBytes;
    int word = int(gl_GlobalInvocationID.x);
    if (word * 4 >= total) return;
    uint packed = 0u;
    for (int k = 0; k < 4; k++)
    {
        int b = word * 4 + k;
        int value = 0;
        if (b < lumaBytes) value = luma(b);
        else if (b < total)
        {
            int c = b - lumaBytes;
            bool isV = c >= chromaBytes;
            value = chroma(isV, isV ? c - chromaBytes : c, chromaBytes);
        }
        packed |= uint(value) << (8 * k);
    }
    dst[word] = packed;
}
