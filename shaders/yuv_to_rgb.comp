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

// One invocation converts a 2x2 quad of luma pixels, which share their chroma taps: rows j-2..j+2 of each chroma
// plane, each interpolated once at the even (x16) and odd (-1 9 9 -1) luma column.
void chromaColumns(int planeStart, int cw, int ch, int i, int j, out int even[5], out int odd[5])
{
    for (int k = 0; k < 5; k++)
    {
        int base = planeStart + clamp(j - 2 + k, 0, ch - 1) * cw;
        int a = byteAt(base + max(i - 1, 0)), b = byteAt(base + i), c = byteAt(base + min(i + 1, cw - 1)), d = byteAt(base + min(i + 2, cw - 1));
        even[k] = 16 * b;
        odd[k] = -a + 9 * b + 9 * c - d;
    }
}

// Vertical Catmull-Rom over rows: even luma rows use rows j-2..j+1, odd ones j-1..j+2 (x16, rounded).
int vertical(int rows[5], bool oddRow)
{
    int sum = oddRow ? -9 * rows[1] + 111 * rows[2] + 29 * rows[3] - 3 * rows[4]
                     : -3 * rows[0] + 29 * rows[1] + 111 * rows[2] - 9 * rows[3];
    return (sum + 64) >> 7;
}

void main()
{
    int i = int(gl_GlobalInvocationID.x), j = int(gl_GlobalInvocationID.y);
    int cw = (p.width + 1) / 2, ch = (p.height + 1) / 2;
    if (i >= cw || j >= ch) return;
    int lumaBytes = p.width * p.height;
    int ue[5], uo[5], ve[5], vo[5];
    chromaColumns(lumaBytes, cw, ch, i, j, ue, uo);
    chromaColumns(lumaBytes + cw * ch, cw, ch, i, j, ve, vo);
    const int roundHalf = 1 << 15; // round half up, then >> 16 (12 fraction bits + 4 for the x16 inputs)
    int plane = p.width * p.height;
    for (int q = 0; q < 4; q++)
    {
        int x = 2 * i + (q & 1), y = 2 * j + (q >> 1);
        if (x >= p.width || y >= p.height) continue;
        bool oddColumn = (q & 1) == 1, oddRow = (q >> 1) == 1;
        int u = vertical(oddColumn ? uo : ue, oddRow) - 2048;
        int v = vertical(oddColumn ? vo : ve, oddRow) - 2048;
        int luma = (byteAt(y * p.width + x) - p.lumaOffset) * 16;
        int at = y * p.width + x;
        rgb[at] = (p.cy * luma + p.crv * v + roundHalf) >> 16;
        rgb[plane + at] = (p.cy * luma + p.cgu * u + p.cgv * v + roundHalf) >> 16;
        rgb[2 * plane + at] = (p.cy * luma + p.cbu * u + roundHalf) >> 16;
    }
}
