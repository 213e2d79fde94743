// Shared by the rasteriser's shaders. The rasteriser decides only coverage (from vertices snapped to 1/256 pixel in
// full-frame coordinates, see RasterGeometry); barycentrics, depth and attributes are computed here from the
// full-frame pixel position, so they are the same in whichever tile a pixel is drawn.
layout(std430, set = 0, binding = 0) readonly buffer Window { vec4 window[]; };         // x, y, 1/w, depth key per vertex
layout(std430, set = 0, binding = 1) readonly buffer Attributes { vec4 attributes[]; }; // world xyz + u, normal xyz + v, colour
layout(std430, set = 0, binding = 2) readonly buffer Sources { int sources[]; };        // scene triangle per drawn triangle

layout(push_constant) uniform Push {
    ivec2 tileOrigin;     // the tile's top-left pixel in the full frame (gl_FragCoord is relative to it)
    ivec2 viewportOrigin; // the viewport's top-left corner in full-frame pixels (-margin, -margin)
    float viewportSize;   // a power of two covering the frame and the margin, so the viewport transform is exact
    float ambient;        // scale of the ambient term (the background radiance, as the path tracer's environment)
    uint lightCount;
    uint orthographic;
    vec4 background;
    vec4 cameraPosition;
    vec4 cameraForward;
} pc;

struct Fragment {
    vec3 world;
    vec3 normal;
    vec2 uv;
    vec4 color;
    vec3 geometricNormal; // unnormalised, from the drawn triangle's corners
    float depth;
    vec2 uvDx, uvDy;      // texture coordinates per pixel step in x and y (exact derivatives, for mip selection)
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
    float denominator = p.x + p.y + p.z;
    p /= denominator;
    uint base = 9u * tri;
    vec4 a0 = attributes[base], a1 = attributes[base + 1u], a2 = attributes[base + 2u];
    vec4 b0 = attributes[base + 3u], b1 = attributes[base + 4u], b2 = attributes[base + 5u];
    vec4 c0 = attributes[base + 6u], c1 = attributes[base + 7u], c2 = attributes[base + 8u];
    f.world = p.x * a0.xyz + p.y * b0.xyz + p.z * c0.xyz;
    f.normal = p.x * a1.xyz + p.y * b1.xyz + p.z * c1.xyz;
    vec2 uva = vec2(a0.w, a1.w), uvb = vec2(b0.w, b1.w), uvc = vec2(c0.w, c1.w);
    f.uv = p.x * uva + p.y * uvb + p.z * uvc;
    // d(uv)/dx of uv = sum(w_i z_i uv_i) / sum(w_i z_i), with the barycentrics affine in the pixel position: from the
    // values already loaded, and a function of full-frame coordinates only (tile-independent, unlike quad derivatives).
    vec3 dwdx = vec3(-(c.y - a.y) + (b.y - a.y), c.y - a.y, -(b.y - a.y)) / area;
    vec3 dwdy = vec3((c.x - a.x) - (b.x - a.x), -(c.x - a.x), b.x - a.x) / area;
    vec3 z = vec3(a.z, b.z, c.z);
    f.uvDx = ((dwdx.x * z.x) * (uva - f.uv) + (dwdx.y * z.y) * (uvb - f.uv) + (dwdx.z * z.z) * (uvc - f.uv)) / denominator;
    f.uvDy = ((dwdy.x * z.x) * (uva - f.uv) + (dwdy.y * z.y) * (uvb - f.uv) + (dwdy.z * z.z) * (uvc - f.uv)) / denominator;
    f.color = p.x * a2 + p.y * b2 + p.z * c2;
    f.geometricNormal = cross(b0.xyz - a0.xyz, c0.xyz - a0.xyz);
    return f;
}
