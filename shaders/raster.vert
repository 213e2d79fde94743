#version 450
#extension GL_GOOGLE_include_directive : require
#include "raster_common.glsl"

layout(location = 0) flat out uint triangle;

void main() {
    vec4 v = window[gl_VertexIndex];
    // Full-frame window position -> NDC of the frame-sized power-of-two viewport: every step is exact for snapped
    // coordinates, and the device's viewport transform (placed per tile) maps it back exactly.
    vec2 inViewport = v.xy - vec2(pc.viewportOrigin);
    gl_Position = vec4(inViewport * (2.0 / pc.viewportSize) - 1.0, v.w, 1.0);
    triangle = uint(gl_VertexIndex) / 3u;
}
