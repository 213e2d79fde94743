#version 450
#extension GL_GOOGLE_include_directive : require
#include "raster_common.glsl"

layout(location = 0) flat in uint triangle;
layout(location = 0) out vec4 color;

void main() {
    Fragment f = interpolate(triangle, vec2(pc.tileOrigin) + gl_FragCoord.xy);
    gl_FragDepth = f.depth;
    vec3 n = normalize(f.normal);
    color = vec4(n * 0.5 + 0.5, 1.0);
}
