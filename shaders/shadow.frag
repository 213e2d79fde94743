#version 450
// The nearest depth per texel, by atomicMin on the depth's bits: positive floats order like their bit patterns, and
// a minimum does not depend on the order fragments arrive in, so the map is the same on every run.
layout(std430, set = 0, binding = 1) buffer Depths { uint depths[]; };
layout(push_constant) uniform Push { mat4 viewProjection; uint mapOffset; uint mapSize; } pc;

void main() {
    uvec2 t = uvec2(gl_FragCoord.xy);
    atomicMin(depths[pc.mapOffset + t.y * pc.mapSize + t.x], floatBitsToUint(clamp(gl_FragCoord.z, 0.0, 1.0)));
}
