// Shared helpers, imported by every other shader.

struct View {
    view_proj: mat4x4<f32>,
    time: f32,
}

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    return pow(c, vec3<f32>(2.2));
}

fn saturate3(c: vec3<f32>) -> vec3<f32> {
    return clamp(c, vec3<f32>(0.0), vec3<f32>(1.0));
}
