#import "shaders/common.wgsl"::saturate3

fn lambert(n: vec3<f32>, l: vec3<f32>, albedo: vec3<f32>) -> vec3<f32> {
    return saturate3(albedo * max(dot(normalize(n), normalize(l)), 0.0));
}
