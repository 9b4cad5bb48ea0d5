//! `assetry graph`: the dependency graph of the demo project, as Graphviz
//! dot and JSON, whole and from one asset.

use std::time::Duration;

use serde_json::Value;

use crate::support::{fixture_copy, repo_root, run_assetry};

const T: Duration = Duration::from_secs(60);

fn edges(v: &Value) -> Vec<(String, String, String)> {
    v["edges"]
        .as_array()
        .expect("edges array")
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_else(|| panic!("edge field {k}: {e}")).to_owned();
            (s("from"), s("to"), s("kind"))
        })
        .collect()
}

fn edge(from: &str, to: &str, kind: &str) -> (String, String, String) {
    (format!("assets/{from}"), format!("assets/{to}"), kind.to_owned())
}

#[test]
fn json_graph_of_the_demo_has_every_kind_of_edge() {
    let demo = repo_root().join("examples/demo");
    let run = run_assetry(&demo, &["graph", ".", "--format", "json"], T);
    run.assert_exit(&[0]);
    let v: Value = serde_json::from_str(&run.stdout).expect("graph JSON");
    let nodes = v["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 30, "every demo asset is a node");
    let hero = nodes.iter().find(|n| n["path"] == "assets/textures/hero.png").expect("hero.png node");
    assert_eq!(hero["id"].as_str().map(str::len), Some(36), "nodes carry their ids");
    let e = edges(&v);
    for expected in [
        // A shader import is a build dependency.
        edge("shaders/water.wgsl", "shaders/lighting.wgsl", "build"),
        // A scene's texture, by root-relative path, is a load dependency.
        edge("scenes/level2.scene.json", "textures/ground.png", "load"),
        // A glTF image uri, relative to the .gltf file.
        edge("models/ship.gltf", "textures/ship_albedo.png", "load"),
        // [dependencies].weak in a .meta.
        edge("scenes/level1.scene.json", "scenes/level2.scene.json", "weak"),
    ] {
        assert!(e.contains(&expected), "missing edge {expected:?} in {e:#?}");
    }
    // Game code is not an asset: it makes no edges.
    assert!(e.iter().all(|(from, _, _)| from.starts_with("assets/")));
}

#[test]
fn from_restricts_to_what_one_asset_reaches() {
    let demo = repo_root().join("examples/demo");
    let run = run_assetry(&demo, &["graph", "--format", "json", "--from", "shaders/water.wgsl"], T);
    run.assert_exit(&[0]);
    let v: Value = serde_json::from_str(&run.stdout).expect("graph JSON");
    let mut nodes: Vec<&str> = v["nodes"].as_array().unwrap().iter().filter_map(|n| n["path"].as_str()).collect();
    nodes.sort();
    assert_eq!(nodes, ["assets/shaders/common.wgsl", "assets/shaders/lighting.wgsl", "assets/shaders/water.wgsl"]);
    assert_eq!(
        edges(&v),
        [
            edge("shaders/lighting.wgsl", "shaders/common.wgsl", "build"),
            edge("shaders/water.wgsl", "shaders/common.wgsl", "build"),
            edge("shaders/water.wgsl", "shaders/lighting.wgsl", "build")
        ]
    );
}

#[test]
fn dot_output_styles_edges_by_kind() {
    let demo = repo_root().join("examples/demo");
    let run = run_assetry(&demo, &["graph", "--from", "assets/scenes/level1.scene.json"], T);
    run.assert_exit(&[0]);
    let dot = &run.stdout;
    assert!(dot.starts_with("digraph assets {"), "{dot}");
    assert!(dot.trim_end().ends_with('}'));
    assert!(
        dot.contains(
            r#""assets/scenes/level1.scene.json" -> "assets/scenes/level2.scene.json" [label=weak, style=dashed];"#
        ),
        "{dot}"
    );
    assert!(
        dot.contains(r#""assets/shaders/water.wgsl" -> "assets/shaders/lighting.wgsl" [label=build, style=bold];"#)
    );
}

#[test]
fn unknown_from_and_bad_format_are_usage_errors() {
    let project = fixture_copy("diagnostics/broken-path");
    let run = run_assetry(project.path(), &["graph", ".", "--from", "nope.png"], T);
    run.assert_exit(&[2]);
    assert!(run.stderr.contains("nope.png"), "{}", run.stderr);
    run_assetry(project.path(), &["graph", ".", "--format", "svg"], T).assert_exit(&[2]);
}
