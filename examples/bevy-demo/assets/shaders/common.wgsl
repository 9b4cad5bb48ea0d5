#define_import_path bevy_demo::common

fn wave(x: f32, t: f32) -> f32 {
    return sin(x * 4.0 + t) * 0.1;
}
