#version 450
// First (vertical) pass of the direct-plane resampler: a plane of 8-bit samples (Y, Cb or Cr, already in the
// delivery colour space) to 16-bit ints at 4 fraction bits (x16, overshoot kept for the second pass: within
// +-5400), written TRANSPOSED (column after column, two rows per 32-bit word) so the horizontal pass loads eight rows
// with one ivec4. Each invocation makes 16 columns
// (one uvec4 of source bytes) x 4 output rows (one filter record: PlaneFilterTable), loading each of the SPAN source
// rows once; on lavapipe a storage-buffer load is a per-lane loop, so wide and few loads are the whole game.
// Weights: Lanczos3 quantised to sum 2^14, kept as 16-bit pairs.
layout(local_size_x = 64) in;
layout(constant_id = 0) const int SPAN = 16;
const int RECORD = (1 + (4 * SPAN + 1) / 2 + 3) / 4; // PlaneFilterTable.RecordVectorsFor
layout(std430, binding = 0) readonly buffer Source { uvec4 src[]; };  // rows of stride 16-byte vectors
layout(std430, binding = 1) writeonly buffer Target { ivec2 dst[]; }; // column x: outQuads (even) ivec2 of 4 rows
layout(std430, binding = 2) readonly buffer Filter { ivec4 filt[]; };
layout(push_constant) uniform Params { int planeVector, strideVectors, inHeight, outQuads; } p;

void main()
{
    int column = int(gl_GlobalInvocationID.x), quad = int(gl_GlobalInvocationID.y);
    if (column >= p.strideVectors || quad >= p.outQuads) return;
    ivec4 rec[RECORD];
    for (int r = 0; r < RECORD; r++) rec[r] = filt[quad * RECORD + r];
    int start = rec[0].x;
    ivec4 acc[16];
    for (int c = 0; c < 16; c++) acc[c] = ivec4(0);
    for (int j = 0; j < SPAN; j++)
    {
        uvec4 v = src[p.planeVector + clamp(start + j, 0, p.inHeight - 1) * p.strideVectors + column];
        ivec4 w;
        for (int q = 0; q < 4; q++)
        {
            int i = q * SPAN + j, word = 1 + (i >> 1);
            int packed = rec[word >> 2][word & 3];
            w[q] = (i & 1) == 0 ? (packed << 16) >> 16 : packed >> 16;
        }
        for (int c = 0; c < 16; c++) acc[c] += w * int((v[c >> 2] >> (8 * (c & 3))) & 0xFFu);
    }
    for (int c = 0; c < 16; c++)
    {
        ivec4 r = (acc[c] + 512) >> 10;
        dst[(column * 16 + c) * p.outQuads + quad] = ivec2((r.x & 0xFFFF) | (r.y << 16), (r.z & 0xFFFF) | (r.w << 16));
    }
}
