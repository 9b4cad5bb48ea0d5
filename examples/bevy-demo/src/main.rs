use bevy::asset::embedded_asset;
use bevy::prelude::*;

fn main() {
    App::new().add_plugins((DefaultPlugins, GlowPlugin)).add_systems(Startup, setup).run();
}

struct GlowPlugin;

impl Plugin for GlowPlugin {
    fn build(&self, app: &mut App) {
        // Registered as `embedded://bevy_demo/shaders/glow.wgsl`.
        embedded_asset!(app, "shaders/glow.wgsl");
    }
}

#[derive(Resource)]
struct Fonts(Handle<LoadedFolder>);

fn setup(mut commands: Commands, asset_server: Res<AssetServer>) {
    commands.spawn(Camera3d::default());
    commands.spawn(Sprite::from_image(asset_server.load("textures/player.png")));
    commands.spawn(SceneRoot(asset_server.load("models/ship.gltf#Scene0")));
    commands.spawn(DynamicSceneRoot(asset_server.load("scenes/level.scn.ron")));
    let _water: Handle<Shader> = asset_server.load("shaders/water.wgsl");
    let _glow: Handle<Shader> = asset_server.load("embedded://bevy_demo/shaders/glow.wgsl");
    commands.insert_resource(Fonts(asset_server.load_folder("fonts")));
}
