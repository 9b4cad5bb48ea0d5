@fragment
fn fragment() -> @location(0) vec4<f32> {
    return vec4<f32>(1.0, 0.9, 0.5, 1.0);
}
