//! Asset loads as real Rust code writes them (issue 11), end to end: the
//! real binary on the fixtures under `tests/fixtures/code/`. Each form is
//! written once intact and once broken (`zz_`), so a missed form and an
//! invented reference both fail; ranges are located by the literal text.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::lsp::{LspClient, apply_workspace_edit, file_uri};
use crate::support::{Span, assetry_bin, check_json, fixture_copy, literal_span, position_of};

const TIMEOUT: Duration = Duration::from_secs(60);
const MAIN: &str = "src/main.rs";
const CONSTS: &str = "src/consts.rs";

/// The broken literals of `tests/fixtures/code/loads/src/main.rs`, one per form.
const BROKEN: &[&str] = &[
    "shaders/zz_custom.wgsl", // const used by `fragment_shader()`
    "textures/zz_attr.png",   // #[asset(path = …)]
    "ui/zz_paths.png",        // #[asset(paths(…))]
    "ui/zz_in_children.png",  // .load inside children![]
    "fonts/zz_in_vec.ttf",    // .load inside vec![]
    "models/zz_fox.glb",      // GltfAssetLabel::…from_asset
    "textures/zz_cfg.png",    // load_untyped behind #[cfg]
    "textures/zz_loop.png",   // `for path in [...]` then .load(path)
    "textures/zz_parse.png",  // AssetPath::parse
    "shaders/zz_vertex.wgsl", // "…".into() returned by vertex_shader()
    "zz_levels",              // load_folder: no such folder under a root
    "zz_notes.txt",           // include_str!: no such file beside main.rs
];

fn errors(report: &crate::support::CheckReport) -> Vec<(String, String, Span)> {
    let mut v: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == "error")
        .map(|d| (d.code.clone(), d.path.clone(), d.range))
        .collect();
    v.sort_by_key(|e| e.2);
    v
}

#[test]
fn check_reports_every_broken_load_form_at_its_literal() {
    let dir = fixture_copy("code/loads");
    let text = std::fs::read_to_string(dir.path().join(MAIN)).unwrap();
    let (code, report) = check_json(dir.path(), TIMEOUT);
    assert_eq!(code, 1);
    let consts = std::fs::read_to_string(dir.path().join(CONSTS)).unwrap();
    let mut expected: Vec<_> =
        BROKEN.iter().map(|v| ("broken-path".to_owned(), MAIN.to_owned(), literal_span(&text, v))).collect();
    // The const used in main.rs is reported where it is written.
    expected.push(("broken-path".to_owned(), CONSTS.to_owned(), literal_span(&consts, "audio/zz_theme.ogg")));
    expected.sort_by_key(|e| e.2);
    assert_eq!(errors(&report), expected);
    let music = report.diagnostics.iter().find(|d| d.path == CONSTS).unwrap();
    assert_eq!(music.related, [(MAIN.to_owned(), crate::support::span_of(&text, "MUSIC"))]);
    let message =
        &report.diagnostics.iter().find(|d| d.range == literal_span(&text, "models/zz_fox.glb")).unwrap().message;
    assert_eq!(message, "`models/zz_fox.glb` does not exist (no asset at `assets/models/zz_fox.glb`)");
}

#[test]
fn run_time_file_names_are_not_assets() {
    let dir = fixture_copy("code/runtime_names");
    let (_, report) = check_json(dir.path(), TIMEOUT);
    assert_eq!(errors(&report), []);
    assert_eq!(report.summary["references"], 1, "{}", report.summary);
}

/// The `(line, character)` of the middle of the only literal `value`.
fn inside(text: &str, value: &str) -> (u32, u32) {
    let at = text.find(&format!("\"{value}\"")).unwrap() + 1 + value.len() / 2;
    let p = position_of(text, at);
    (p.line, p.character)
}

fn start(root: &std::path::Path) -> LspClient {
    let mut client = LspClient::start(&assetry_bin(), &[root]).0;
    // The first diagnostics of the code file: the scan is done.
    let diags = client.diagnostics(&file_uri(&root.join(MAIN)));
    assert_eq!(diags.len(), BROKEN.len(), "{diags:#?}");
    // The assets' `missing-meta` warnings are not this test's subject.
    client.ignore_unread();
    client
}

#[test]
fn definition_hover_and_rename_follow_inside_macros_and_consts() {
    let dir = fixture_copy("code/loads");
    let root = dir.path();
    let text = std::fs::read_to_string(root.join(MAIN)).unwrap();
    let mut client = start(root);
    let at = |(line, character): (u32, u32)| json!({"textDocument": {"uri": file_uri(&root.join(MAIN))}, "position": {"line": line, "character": character}});
    let lsp_range = |s: Span| {
        json!({"start": {"line": s.start.line, "character": s.start.character},
               "end": {"line": s.end.line, "character": s.end.character}})
    };
    // Inside children![]: go-to-definition reaches the asset.
    let def = client.request_ok("textDocument/definition", at(inside(&text, "ui/icon.png")));
    assert_eq!(def["uri"], file_uri(&root.join("assets/ui/icon.png")), "{def}");
    // In a static used by `.from_asset(FOX_PATH)`.
    let def = client.request_ok("textDocument/definition", at(inside(&text, "models/fox.glb")));
    assert_eq!(def["uri"], file_uri(&root.join("assets/models/fox.glb")), "{def}");
    // Hover inside vec![] covers exactly the literal.
    let hover = client.request_ok("textDocument/hover", at(inside(&text, "fonts/a.ttf")));
    assert_eq!(hover["range"], lsp_range(literal_span(&text, "fonts/a.ttf")), "{hover}");
    assert!(hover["contents"]["value"].as_str().unwrap().starts_with("**assets/fonts/a.ttf**"), "{hover}");
    // Not a load: the screenshot name in a const used by `save_screenshot`.
    assert_eq!(client.request_ok("textDocument/definition", at(inside(&text, "shot.png"))), Value::Null);
    // Renaming the model rewrites the static's literal.
    let edit = client.request_ok(
        "workspace/willRenameFiles",
        json!({"files": [{"oldUri": file_uri(&root.join("assets/models/fox.glb")),
                          "newUri": file_uri(&root.join("assets/models/beast.glb"))}]}),
    );
    client.shutdown();
    apply_workspace_edit(&edit);
    let after = std::fs::read_to_string(root.join(MAIN)).unwrap();
    assert_eq!(after, text.replace("\"models/fox.glb\"", "\"models/beast.glb\""));
}

#[test]
fn completion_in_a_macro_an_attribute_and_a_constructor() {
    let dir = fixture_copy("code/loads");
    let root = dir.path();
    let mut client = start(root);
    let uri = file_uri(&root.join(MAIN));
    let text = std::fs::read_to_string(root.join(MAIN)).unwrap();
    // Each place, with its broken literal cut back to a folder being typed.
    let places = [
        ("asset_server.load(\"ui/zz_in_children.png\")", "asset_server.load(\"ui/", vec!["icon.png"]),
        ("#[asset(path = \"textures/zz_attr.png\")]", "#[asset(path = \"textures/", vec!["atlas.png", "hero.png"]),
        ("AssetPath::parse(\"textures/zz_parse.png\")", "AssetPath::parse(\"fonts/", vec!["a.ttf"]),
    ];
    for (version, (original, typed_prefix, expected)) in places.into_iter().enumerate() {
        let typed = text.replace(original, &format!("{typed_prefix}\")"));
        let method = if version == 0 { "textDocument/didOpen" } else { "textDocument/didChange" };
        let params = if version == 0 {
            json!({"textDocument": {"uri": uri, "languageId": "rust", "version": 0, "text": typed}})
        } else {
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": typed}]})
        };
        client.notify(method, params);
        let p = position_of(&typed, typed.find(typed_prefix).unwrap() + typed_prefix.len());
        let result = client.request_ok(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": {"line": p.line, "character": p.character}}),
        );
        let labels: Vec<&str> =
            result["items"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
        assert_eq!(labels, expected, "{typed_prefix}: {result}");
    }
    client.shutdown();
}
