// Shared by the rasteriser's shaders. The rasteriser decides only coverage (from vertices snapped to 1/256 pixel in
// full-frame coordinates, see RasterGeometry); barycentrics, depth and attributes are computed here from the
// full-frame pixel position, so they are the same in whichever tile a pixel is drawn.
layout(std430, set = 0, binding = 0) readonly buffer Window { vec4 window[]; };         // x, y, 1/w, depth key per vertex
layout(std430, set = 0, binding = 1) readonly buffer Attributes { vec4 attributes[]; }; // world xyz + u, normal xyz + v
layout(std430, set = 0, binding = 2) readonly buffer Sources { int sources[]; };        // scene triangle per drawn triangle

layout(push_constant) uniform Push {
    ivec2 tileOrigin;     // the tile's top-left pixel in the full frame (gl_FragCoord is relative to it)
    ivec2 viewportOrigin; // the viewport's top-left corner in full-frame pixels (-margin, -margin)
    float viewportSize;   // a power of two covering the frame and the margin, so the viewport transform is exact
    float ambient;
    vec2 pad;
    vec4 background;
} pc;

struct Fragment {
    vec3 world;
    vec3 normal;
    vec2 uv;
    float depth;
};

// Screen-space barycentrics at a full-frame point, then perspective-correct attributes.
Fragment interpolate(uint tri, vec2 pixel) {
    vec4 a = window[3u * tri], b = window[3u * tri + 1u], c = window[3u * tri + 2u];
    float area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    float w1 = ((pixel.x - a.x) * (c.y - a.y) - (pixel.y - a.y) * (c.x - a.x)) / area;
    float w2 = ((b.x - a.x) * (pixel.y - a.y) - (b.y - a.y) * (pixel.x - a.x)) / area;
    float w0 = 1.0 - w1 - w2;
    Fragment f;
    f.depth = clamp(w0 * a.w + w1 * b.w + w2 * c.w, 0.0, 1.0);
    vec3 p = vec3(w0 * a.z, w1 * b.z, w2 * c.z);
    p /= (p.x + p.y + p.z);
    vec4 a0 = attributes[6u * tri], a1 = attributes[6u * tri + 1u];
    vec4 b0 = attributes[6u * tri + 2u], b1 = attributes[6u * tri + 3u];
    vec4 c0 = attributes[6u * tri + 4u], c1 = attributes[6u * tri + 5u];
    f.world = p.x * a0.xyz + p.y * b0.xyz + p.z * c0.xyz;
    f.normal = p.x * a1.xyz + p.y * b1.xyz + p.z * c1.xyz;
    f.uv = p.x * vec2(a0.w, a1.w) + p.y * vec2(b0.w, b1.w) + p.z * vec2(c0.w, c1.w);
    return f;
}
