#version 450
// Shadow maps: every scene triangle seen from a light (ShadowProjection), depth only.
layout(std430, set = 0, binding = 0) readonly buffer Positions { vec4 positions[]; }; // three corners per triangle, world space
layout(push_constant) uniform Push { mat4 viewProjection; uint mapOffset; uint mapSize; } pc;

void main() {
    gl_Position = pc.viewProjection * vec4(positions[gl_VertexIndex].xyz, 1.0);
}
