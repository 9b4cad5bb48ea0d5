//! A tiny Bevy-style game: the string paths below are checked by `assetry check`.

use bevy::image::ImageLoaderSettings;
use bevy::prelude::*;

fn main() {
    App::new()
        .add_plugins(DefaultPlugins)
        .add_systems(Startup, setup)
        .run();
}

fn setup(mut commands: Commands, asset_server: Res<AssetServer>) {
    let hero: Handle<Image> = asset_server.load("textures/hero.png");
    let sky: Handle<Image> = asset_server.load_with_settings(
        "textures/sky.png",
        |settings: &mut ImageLoaderSettings| settings.is_srgb = true,
    );
    let ship: Handle<Mesh> = asset_server.load("models/ship.gltf#Mesh0");
    let level: Handle<DynamicScene> = asset_server.load("scenes/level1.scene.json");
    let music: Handle<AudioSource> = asset_server.load("audio/music/theme.ogg");

    // Plain strings are not asset references.
    info!("starting {} v{}", "Assetry demo", "0.1.0");

    commands.spawn(Sprite::from_image(hero));
    commands.spawn(Sprite::from_image(sky));
    commands.spawn(Mesh3d(ship));
    commands.spawn(DynamicSceneRoot(level));
    commands.spawn(AudioPlayer::new(music));
}
