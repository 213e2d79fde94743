#version 450
// Y'CbCr 4:2:0 (8-bit, ffmpeg's yuv420p byte layout) -> planar RGB12 (8-bit code values x 16, as ints). RGB is not
// clamped to 0..4080: Y'CbCr triples outside the RGB cube (common at chroma edges) pass through unchanged, so a frame
// converted back without scaling keeps its luma exactly; only the final Y'CbCr bytes are clamped.
// Integer arithmetic only, with constants from YuvColorSpace.Decode, so every conformant device gives the same bits.
// Chroma is upsampled with Catmull-Rom cubics for H.264's default siting: co-sited with even luma columns (odd
// columns: -1 9 9 -1 / 16), midway between luma rows (phases 1/4 and 3/4: -9 111 29 -3 / 128 and mirrored).
layout(local_size_x = 16, local_size_y = 16) in;
layout(std430, binding = 0) readonly buffer Source { uint src[]; };
layout(std430, binding = 1) writeonly buffer Rgb { int rgb[]; };
layout(push_constant) uniform Params { int width, height, lumaOffset, cy, crv, cgu, cgv, cbu; } p;

int byteAt(int i) { return int((src[i >> 2] >> ((i & 3) * 8)) & 0xFFu); }

// One chroma row interpolated at luma column x, times 16.
int chromaRow(int planeStart, int cw, int row, int x)
{
    int base = planeStart + row * cw;
    int i = x >> 1;
    if ((x & 1) == 0) return 16 * byteAt(base + i);
    int a = byteAt(base + max(i - 1, 0)), b = byteAt(base + i), c = byteAt(base + min(i + 1, cw - 1)), d = byteAt(base + min(i + 2, cw - 1));
    return -a + 9 * b + 9 * c - d;
}

// Chroma at luma pixel (x, y), times 16 (rounded).
int chroma16(int planeStart, int cw, int ch, int x, int y)
{
    int j = y >> 1;
    // Rows j-2..j+1 for even y (sample sits 3/4 of the way from row j-1 to row j), j-1..j+2 for odd y.
    int first = (y & 1) == 0 ? j - 2 : j - 1;
    ivec4 w = (y & 1) == 0 ? ivec4(-3, 29, 111, -9) : ivec4(-9, 111, 29, -3);
    int sum = 0;
    for (int k = 0; k < 4; k++)
        sum += w[k] * chromaRow(planeStart, cw, clamp(first + k, 0, ch - 1), x);
    return (sum + 64) >> 7;
}

void main()
{
    int x = int(gl_GlobalInvocationID.x), y = int(gl_GlobalInvocationID.y);
    if (x >= p.width || y >= p.height) return;
    int cw = (p.width + 1) / 2, ch = (p.height + 1) / 2;
    int lumaBytes = p.width * p.height;
    int luma = (byteAt(y * p.width + x) - p.lumaOffset) * 16;
    int u = chroma16(lumaBytes, cw, ch, x, y) - 2048;
    int v = chroma16(lumaBytes + cw * ch, cw, ch, x, y) - 2048;
    const int roundHalf = 1 << 15; // round half up, then >> 16 (12 fraction bits + 4 for the x16 inputs)
    int plane = p.width * p.height, at = y * p.width + x;
    rgb[at] = (p.cy * luma + p.crv * v + roundHalf) >> 16;
    rgb[plane + at] = (p.cy * luma + p.cgu * u + p.cgv * v + roundHalf) >> 16;
    rgb[2 * plane + at] = (p.cy * luma + p.cbu * u + roundHalf) >> 16;
}
