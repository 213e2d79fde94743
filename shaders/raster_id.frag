#version 450
#extension GL_GOOGLE_include_directive : require
#include "raster_common.glsl"

// Coverage/ID image: the scene triangle seen through each pixel centre, plus one (0: nothing), to compare the
// rasteriser's silhouettes with the path tracer's primary hits.
layout(location = 0) flat in uint triangle;
layout(location = 0) out uint id;

void main() {
    Fragment f = interpolate(triangle, vec2(pc.tileOrigin) + gl_FragCoord.xy);
    gl_FragDepth = f.depth;
    id = uint(sources[triangle]) + 1u;
}
