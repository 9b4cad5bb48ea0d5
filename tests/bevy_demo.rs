//! `examples/bevy-demo/`, the Bevy-style example project: it checks clean,
//! and breaking each Bevy convention it relies on is found, exactly there.

use std::collections::BTreeSet;

use crate::check::TIMEOUT;
use crate::support::{check_json, copy_tree, repo_root, run_assetry};

/// (code, path, the text its range covers).
fn found(root: &std::path::Path) -> (i32, BTreeSet<(String, String, String)>) {
    let (exit, report) = check_json(root, TIMEOUT);
    let set = report
        .diagnostics
        .iter()
        .map(|d| {
            let text = std::fs::read_to_string(root.join(&d.path)).unwrap_or_default();
            let line = text.split('\n').nth(d.range.start.line as usize).unwrap_or_default();
            let covered = if d.range.start.line == d.range.end.line {
                line[d.range.start.character as usize..d.range.end.character as usize].to_owned()
            } else {
                format!("<lines {}-{}>", d.range.start.line, d.range.end.line)
            };
            (d.code.clone(), d.path.clone(), covered)
        })
        .collect();
    (exit, set)
}

#[test]
fn bevy_demo_checks_clean() {
    let demo = repo_root().join("examples/bevy-demo");
    let run = run_assetry(&demo, &["check"], TIMEOUT);
    run.assert_exit(&[0]);
    assert_eq!(
        run.stdout,
        "0 errors, 0 warnings in 8 assets (11 references); bevy project: `Cargo.toml` depends on Bevy\n"
    );
}

/// One break per convention: a glTF label the file does not have, a module
/// no shader declares any more, an `embedded://` path no code registers, a
/// `load_folder` folder that is gone, a Bevy `.meta` that does not read.
#[test]
fn breaking_each_bevy_convention_is_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    copy_tree(&repo_root().join("examples/bevy-demo"), root);
    let edit = |rel: &str, from: &str, to: &str| {
        let path = root.join(rel);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "`{from}` not in {rel}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    };
    edit("assets/scenes/level.scn.ron", "ship.gltf#Scene1", "ship.gltf#Scene2");
    edit("assets/shaders/common.wgsl", "bevy_demo::common", "bevy_demo::shared");
    edit("src/main.rs", "embedded_asset!(app, \"shaders/glow.wgsl\");", "");
    std::fs::remove_dir_all(root.join("assets/fonts")).expect("remove fonts");
    edit("assets/textures/player.png.meta", "asset: Load(", "asset: Laod(");
    let (exit, found) = found(root);
    let f = |code: &str, path: &str, covered: &str| (code.to_owned(), path.to_owned(), covered.to_owned());
    assert_eq!(
        found,
        BTreeSet::from([
            f("unknown-label", "assets/scenes/level.scn.ron", "models/ship.gltf#Scene2"),
            f("broken-path", "assets/shaders/water.wgsl", "bevy_demo::common::wave"),
            f("broken-path", "src/main.rs", "embedded://bevy_demo/shaders/glow.wgsl"),
            f("broken-path", "src/main.rs", "fonts"),
            f("invalid-meta", "assets/textures/player.png.meta", "Laod"),
        ])
    );
    assert_eq!(exit, 1);
}
