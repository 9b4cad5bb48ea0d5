#import "./lighting.wgsl"::lambert
#import "shaders/common.wgsl"::{View, srgb_to_linear}

@group(0) @binding(0) var<uniform> view: View;
@group(1) @binding(0) var water_tex: texture_2d<f32>;
@group(1) @binding(1) var water_sampler: sampler;

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) uv: vec2<f32>,
}

@vertex
fn vs_main(@location(0) pos: vec3<f32>, @location(1) uv: vec2<f32>) -> VertexOut {
    var out: VertexOut;
    let wave = sin(pos.x * 4.0 + view.time) * 0.05;
    out.clip = view.view_proj * vec4<f32>(pos.x, pos.y + wave, pos.z, 1.0);
    out.uv = uv;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let base = textureSample(water_tex, water_sampler, in.uv);
    let lit = lambert(vec3<f32>(0.0, 1.0, 0.0), vec3<f32>(0.3, 1.0, 0.2), srgb_to_linear(base.rgb));
    return vec4<f32>(lit, base.a);
}
