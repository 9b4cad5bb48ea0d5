#import bevy_pbr::forward_io::VertexOutput
#import bevy_demo::common::wave

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    return vec4<f32>(0.1, 0.3, 0.6 + wave(in.uv.x, 0.0), 1.0);
}
