//! `GltfAssetLabel::…from_asset("x.gltf")` (issue 11): the label is given in
//! code, not in the literal. It is checked against the glTF file like a
//! `#Label` written in a string, reported at the variant expression, and a
//! rename rewrites only the path inside the literal; definition, hover and
//! completion at the literal work as at any load.

use std::time::Duration;

use serde_json::json;

use crate::support::lsp::{Fixture, LspClient, apply_workspace_edit};
use crate::support::{CheckReport, Span, assetry_bin, check_json, literal_span, position_of, span_of};

const TIMEOUT: Duration = Duration::from_secs(60);
const MAIN: &str = "src/main.rs";

/// One scene, one node, one mesh of two primitives, one material; no skin.
const FIXTURE: &str = r#"
//- /Cargo.toml
[package]
name = "game"
[dependencies]
bevy = "0.16"
//- /assets/models/helmet.gltf
{"asset": {"version": "2.0"}, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
 "meshes": [{"primitives": [{"attributes": {}}, {"attributes": {}}]}], "materials": [{}]}
//- /src/main.rs
use bevy::prelude::*;

const HELMET: &str = "models/helmet.gltf";

fn setup(mut commands: Commands, asset_server: Res<AssetServer>, i: usize) {
    commands.spawn(SceneRoot(asset_server.load(GltfAssetLabel::Scene(0).from_asset("models/helmet.gltf"))));
    commands.spawn(SceneRoot(asset_server.load(GltfAssetLabel::Scene(7).from_asset("models/helmet.gltf"))));
    let _p: Handle<Mesh> = asset_server.load(GltfAssetLabel::Primitive { mesh: 0, primitive: 1 }.from_asset("models/helmet.gltf"));
    let _q: Handle<Mesh> = asset_server.load(GltfAssetLabel::Primitive { mesh: 0, primitive: 5 }.from_asset("models/helmet.gltf"));
    let _m: Handle<StandardMaterial> = asset_server.load(bevy::gltf::GltfAssetLabel::Material { index: 0, is_scale_inverted: true }.from_asset("models/helmet.gltf"));
    let _d: Handle<StandardMaterial> = asset_server.load(GltfAssetLabel::DefaultMaterial.from_asset("models/helmet.gltf"));
    let _s = asset_server.load(GltfAssetLabel::InverseBindMatrices(0).from_asset("models/helmet.gltf"));
    // Not literal: the index is known at run time, the const may be loaded elsewhere.
    let _n: Handle<GltfNode> = asset_server.load(GltfAssetLabel::Node(i).from_asset("models/helmet.gltf"));
    let _c: Handle<WorldAsset> = asset_server.load(GltfAssetLabel::Scene(9).from_asset(HELMET));
    let _b: Handle<WorldAsset> = asset_server.load(GltfAssetLabel::Scene(0).from_asset("models/zz_gone.gltf"));
    let _t: Handle<WorldAsset> = asset_server.load("models/helmet.gltf#Scene7");
}
"#;

/// What Bevy's glTF loader gives the fixture's model, as the messages say.
const HAS: &str = "Scene0, Node0, Mesh0, Material0";

fn unknown(at: Span, label: &str) -> (String, Span, String) {
    let message = format!("`assets/models/helmet.gltf` has no label `{label}`: Bevy's glTF loader gives it {HAS}");
    ("unknown-label".to_owned(), at, message)
}

/// The findings `check` and the server should make on `src/main.rs`.
fn expected(text: &str) -> Vec<(String, Span, String)> {
    let mut v = vec![
        unknown(span_of(text, "GltfAssetLabel::Scene(7)"), "Scene7"),
        unknown(span_of(text, "GltfAssetLabel::Primitive { mesh: 0, primitive: 5 }"), "Mesh0/Primitive5"),
        unknown(span_of(text, "GltfAssetLabel::InverseBindMatrices(0)"), "Skin0/InverseBindMatrices"),
        (
            "broken-path".to_owned(),
            literal_span(text, "models/zz_gone.gltf"),
            "`models/zz_gone.gltf` does not exist (no asset at `assets/models/zz_gone.gltf`)".to_owned(),
        ),
        // The same mistake in a string: at the literal, the same message.
        unknown(literal_span(text, "models/helmet.gltf#Scene7"), "Scene7"),
    ];
    v.sort_by_key(|d| d.1);
    v
}

fn findings(report: &CheckReport) -> Vec<(String, Span, String)> {
    let mut v: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d.path, MAIN, "{d:?}");
            (d.code.clone(), d.range, d.message.clone())
        })
        .collect();
    v.sort_by_key(|d| d.1);
    v
}

#[test]
fn check_judges_the_label_given_in_code_at_the_variant() {
    let f = Fixture::new(FIXTURE);
    let text = f.read(MAIN);
    let (code, report) = check_json(f.root(), TIMEOUT);
    assert_eq!(findings(&report), expected(&text));
    assert_eq!(code, 1);
    // Eleven loads: the const's string counts once, where it is written.
    assert_eq!(report.summary["references"], 11, "{}", report.summary);
}

fn lsp_span(d: &serde_json::Value) -> Span {
    let pos = |p: &serde_json::Value| crate::support::Pos {
        line: p["line"].as_u64().unwrap() as u32,
        character: p["character"].as_u64().unwrap() as u32,
    };
    Span { start: pos(&d["range"]["start"]), end: pos(&d["range"]["end"]) }
}

#[test]
fn the_server_reports_it_there_and_a_rename_rewrites_only_the_path() {
    let f = Fixture::new(FIXTURE);
    let text = f.read(MAIN);
    let mut client = LspClient::start(&assetry_bin(), &[f.root()]).0;
    let mut got: Vec<_> = client
        .diagnostics(&f.uri(MAIN))
        .iter()
        .map(|d| (d["code"].as_str().unwrap().to_owned(), lsp_span(d), d["message"].as_str().unwrap().to_owned()))
        .collect();
    got.sort_by_key(|d| d.1);
    assert_eq!(got, expected(&text));
    // At the literal of a labelled load: the glTF file itself (hover too
    // where the label exists; as for a string, not on an unknown label).
    let at_literal = |variant: &str| {
        let call = format!("{variant}.from_asset(\"");
        let p = position_of(&text, text.find(&call).unwrap() + call.len() + 3);
        json!({"textDocument": {"uri": f.uri(MAIN)}, "position": {"line": p.line, "character": p.character}})
    };
    let def = client.request_ok("textDocument/definition", at_literal("Scene(7)"));
    assert_eq!(def["uri"], f.uri("assets/models/helmet.gltf"), "{def}");
    let hover = client.request_ok("textDocument/hover", at_literal("Scene(0)"));
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.starts_with("**assets/models/helmet.gltf**"), "{hover}");
    let first = text.find("Scene(0).from_asset(\"").unwrap() + "Scene(0).from_asset(\"".len();
    let literal =
        Span { start: position_of(&text, first), end: position_of(&text, first + "models/helmet.gltf".len()) };
    assert_eq!(lsp_span(&hover), literal, "{hover}");
    let edit = client.request_ok(
        "workspace/willRenameFiles",
        json!({"files": [{"oldUri": f.uri("assets/models/helmet.gltf"), "newUri": f.uri("assets/models/ship.gltf")}]}),
    );
    // Completion inside a labelled load's literal, as the path is typed.
    let typed = text.replacen("Scene(0).from_asset(\"models/helmet.gltf\")", "Scene(0).from_asset(\"models/\")", 1);
    client.ignore_unread();
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": f.uri(MAIN), "languageId": "rust", "version": 1, "text": typed}}),
    );
    let p = position_of(&typed, typed.find("from_asset(\"models/").unwrap() + "from_asset(\"models/".len());
    let result = client.request_ok(
        "textDocument/completion",
        json!({"textDocument": {"uri": f.uri(MAIN)}, "position": {"line": p.line, "character": p.character}}),
    );
    let labels: Vec<&str> = result["items"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["helmet.gltf"], "{result}");
    client.shutdown();
    apply_workspace_edit(&edit);
    // Every literal naming the model, the const's included; a label only
    // where the literal had one.
    let after = f.read(MAIN);
    let want = text
        .replace("\"models/helmet.gltf\"", "\"models/ship.gltf\"")
        .replace("\"models/helmet.gltf#Scene7\"", "\"models/ship.gltf#Scene7\"");
    assert_eq!(after, want);
}
