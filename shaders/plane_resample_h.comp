#version 450
// Second (horizontal) pass of the direct-plane resampler: the vertical pass's transposed 16-bit ints (x16) to 8-bit
// samples, rounded and clamped to 0..255, packed 4 per word in rows of strideWords words (no 8-bit storage feature
// needed). Each invocation makes 8 rows (one ivec4 per source column: two rows per word) x 4 neighbouring outputs (one
// filter record: PlaneFilterTable), loading each of the SPAN source columns once. Weights: Lanczos3 quantised to sum
// 2^14.
layout(local_size_x = 64) in;
layout(constant_id = 0) const int SPAN = 16;
const int RECORD = (1 + (4 * SPAN + 1) / 2 + 3) / 4; // PlaneFilterTable.RecordVectorsFor
layout(std430, binding = 0) readonly buffer Source { ivec4 src[]; };  // column c: rowOctets ivec4 of 8 rows
layout(std430, binding = 1) writeonly buffer Target { uint dst[]; };
layout(std430, binding = 2) readonly buffer Filter { ivec4 filt[]; };
layout(push_constant) uniform Params { int inWidth, rowOctets, strideWords, planeWord; } p;

void main()
{
    int rowOctet = int(gl_GlobalInvocationID.x), quad = int(gl_GlobalInvocationID.y);
    if (rowOctet >= p.rowOctets || quad >= p.strideWords) return;
    ivec4 rec[RECORD];
    for (int r = 0; r < RECORD; r++) rec[r] = filt[quad * RECORD + r];
    int start = rec[0].x;
    ivec4 even[4], odd[4]; // per output: rows 0,2,4,6 and rows 1,3,5,7 of the octet
    for (int q = 0; q < 4; q++) { even[q] = ivec4(0); odd[q] = ivec4(0); }
    for (int j = 0; j < SPAN; j++)
    {
        ivec4 v = src[clamp(start + j, 0, p.inWidth - 1) * p.rowOctets + rowOctet];
        ivec4 low = (v << 16) >> 16, high = v >> 16;
        for (int q = 0; q < 4; q++)
        {
            int i = q * SPAN + j, word = 1 + (i >> 1);
            int packed = rec[word >> 2][word & 3];
            int w = (i & 1) == 0 ? (packed << 16) >> 16 : packed >> 16;
            even[q] += w * low;
            odd[q] += w * high;
        }
    }
    for (int r = 0; r < 8; r++)
    {
        uint packed = 0u;
        for (int q = 0; q < 4; q++)
        {
            int acc = (r & 1) == 0 ? even[q][r >> 1] : odd[q][r >> 1];
            packed |= uint(clamp((acc + (1 << 17)) >> 18, 0, 255)) << (8 * q);
        }
        dst[p.planeWord + (rowOctet * 8 + r) * p.strideWords + quad] = packed;
    }
}
