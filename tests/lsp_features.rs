//! `assetry lsp`, one or more tests per request, with exact results on small
//! fixture projects.

use serde_json::{Value, json};

use crate::support::assetry_bin;
use crate::support::lsp::{Fixture, LspClient, file_uri};

pub(crate) const SKY: &str = "11111111-1111-4111-8111-111111111111";
pub(crate) const HERO: &str = "22222222-2222-4222-8222-222222222222";
pub(crate) const SHIP: &str = "33333333-3333-4333-8333-333333333333";
pub(crate) const MESH0: &str = "44444444-4444-4444-8444-444444444444";
pub(crate) const LEVEL: &str = "55555555-5555-4555-8555-555555555555";
pub(crate) const NEAR: &str = "66666666-6666-4666-8666-666666666666";
pub(crate) const GROUND: &str = "77777777-7777-4777-8777-777777777777";

/// A small project: a scene referencing by root-relative path, id, label,
/// file-relative path, plus one broken path; game code loading a texture.
pub(crate) fn project(cursor_in_scene: Option<&str>) -> Fixture {
    let scene = r#"{
  "sky": "textures/sky.png",
  "hero": "22222222-2222-4222-8222-222222222222",
  "ship": "models/ship.gltf#Mesh0",
  "near": "./near.png",
  "broken": "textures/grund.png"
}"#;
    let scene = match cursor_in_scene {
        Some(at) => scene.replacen(at, &format!("{}$0{}", &at[..at.len() / 2], &at[at.len() / 2..]), 1),
        None => scene.to_owned(),
    };
    Fixture::new(&format!(
        r#"
//- /assetry.toml
[project]
roots = ["assets"]
code = ["src"]
//- /assets/scenes/level.scene.json
{scene}
//- /assets/scenes/level.scene.json.meta
id = "{LEVEL}"
//- /assets/scenes/near.png
png
//- /assets/scenes/near.png.meta
id = "{NEAR}"
//- /assets/textures/sky.png
png
//- /assets/textures/sky.png.meta
id = "{SKY}"
loader = "image"
//- /assets/textures/hero.png
png
//- /assets/textures/hero.png.meta
id = "{HERO}"
//- /assets/textures/ground.png
png
//- /assets/textures/ground.png.meta
id = "{GROUND}"
//- /assets/models/ship.gltf
{{"asset": {{"version": "2.0"}}, "images": [{{"uri": "../textures/sky.png"}}]}}
//- /assets/models/ship.gltf.meta
id = "{SHIP}"

[[labels]]
name = "Mesh0"
id = "{MESH0}"
//- /src/main.rs
fn main() {{
    let sky = assets.load("textures/sky.png");
}}
"#
    ))
}

pub(crate) const SCENE: &str = "assets/scenes/level.scene.json";

pub(crate) fn start(f: &Fixture) -> LspClient {
    let mut client = LspClient::start(&assetry_bin(), &[f.root()]).0;
    // `initialize` returns while the project is still being scanned; a
    // request queues behind the scan, so the project (and its watcher) is
    // ready when it returns, before the test touches the disk.
    client.request_ok("workspace/symbol", json!({"query": "no-such-asset"}));
    client
}

/// The one broken path of the fixture, as published at start.
pub(crate) fn expect_initial(client: &mut LspClient, f: &Fixture) {
    assert_eq!(client.diagnostic_codes(&f.uri(SCENE)), [("broken-path".to_owned(), 5, 13, 31)]);
}

pub(crate) fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}})
}

#[test]
fn diagnostics_for_every_file_at_start_with_their_exact_range() {
    let f = project(None);
    let mut client = start(&f);
    let diags = client.diagnostics(&f.uri(SCENE));
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0]["code"], "broken-path");
    assert_eq!(diags[0]["severity"], 1);
    assert_eq!(diags[0]["source"], "assetry");
    assert_eq!(diags[0]["range"], range(5, 13, 5, 31));
}

#[test]
fn an_edit_republishes_only_the_files_whose_diagnostics_changed() {
    let f = project(None);
    let mut client = start(&f);
    expect_initial(&mut client, &f);
    f.open(&mut client, SCENE);
    // Fix the typo: grund -> ground (insert "o" after "gr").
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": f.uri(SCENE), "version": 1},
               "contentChanges": [{"range": range(5, 24, 5, 24), "text": "o"}]}),
    );
    let params = client.notification("textDocument/publishDiagnostics");
    assert_eq!(params, json!({"uri": f.uri(SCENE), "diagnostics": [], "version": 1}));
    // Break the sky reference instead: one diagnostic, on line 1.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": f.uri(SCENE), "version": 2},
               "contentChanges": [{"range": range(1, 19, 1, 22), "text": "skies"}]}),
    );
    assert_eq!(client.diagnostic_codes(&f.uri(SCENE)), [("broken-path".to_owned(), 1, 10, 28)]);
    // Closing the document reverts to the disk text: the original problem.
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": f.uri(SCENE)}}));
    expect_initial(&mut client, &f);
}

#[test]
fn hundreds_of_did_change_back_to_back_apply_in_order() {
    let f = project(None);
    let mut client = start(&f);
    expect_initial(&mut client, &f);
    f.open(&mut client, SCENE);
    // Delete the broken path one character at a time and type another
    // one, round after round: several hundred messages back to back. The
    // last round types a different broken path, so only the edits applied
    // in order give the final diagnostic.
    let mut version = 0;
    let mut current = "textures/grund.png".to_owned();
    let mut rounds: Vec<&str> = ["textures/hero.png", "textures/grund.png"].repeat(4);
    rounds.push("textures/sky2.png");
    for target in rounds {
        for i in (0..current.len() as u32).rev() {
            version += 1;
            client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": f.uri(SCENE), "version": version},
                       "contentChanges": [{"range": range(5, 13 + i, 5, 14 + i), "text": ""}]}),
            );
        }
        for (i, ch) in target.chars().enumerate() {
            version += 1;
            let at = 13 + i as u32;
            client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": f.uri(SCENE), "version": version},
                       "contentChanges": [{"range": range(5, at, 5, at), "text": ch.to_string()}]}),
            );
        }
        current = target.to_owned();
    }
    assert!(version > 300, "{version} edits");
    let links = client.request_ok("textDocument/documentLink", json!({"textDocument": {"uri": f.uri(SCENE)}}));
    assert_eq!(links.as_array().map(Vec::len), Some(4), "{links}");
    let diags = client.diagnostics_at_version(&f.uri(SCENE), version);
    assert_eq!(
        diags,
        [json!({
            "code": "broken-path",
            "message": "`textures/sky2.png` does not exist (no asset at `assets/textures/sky2.png`)",
            "range": range(5, 13, 5, 30),
            "severity": 1,
            "source": "assetry",
        })]
    );
}

#[test]
fn definition_of_a_path_an_id_a_label_and_a_meta_id() {
    let f = project(None);
    let mut client = start(&f);
    expect_initial(&mut client, &f);
    let at = |line: u32, character: u32| json!({"textDocument": {"uri": f.uri(SCENE)}, "position": {"line": line, "character": character}});
    let def = client.request_ok("textDocument/definition", at(1, 15));
    assert_eq!(def, json!({"uri": f.uri("assets/textures/sky.png"), "range": range(0, 0, 0, 0)}));
    let def = client.request_ok("textDocument/definition", at(2, 20));
    assert_eq!(def["uri"], f.uri("assets/textures/hero.png"));
    // The label: its [[labels]] entry in the .meta.
    let def = client.request_ok("textDocument/definition", at(3, 30));
    assert_eq!(def["uri"], f.uri("assets/models/ship.gltf.meta"));
    assert_eq!(def["range"], range(3, 8, 3, 13), "{def}");
    // File-relative path.
    let def = client.request_ok("textDocument/definition", at(4, 14));
    assert_eq!(def["uri"], f.uri("assets/scenes/near.png"));
    // A broken path goes nowhere; a position between strings neither.
    assert_eq!(client.request_ok("textDocument/definition", at(5, 20)), Value::Null);
    assert_eq!(client.request_ok("textDocument/definition", at(1, 2)), Value::Null);
    // The id in a .meta goes to its asset.
    let def = client.request_ok(
        "textDocument/definition",
        json!({"textDocument": {"uri": f.uri("assets/textures/sky.png.meta")}, "position": {"line": 0, "character": 10}}),
    );
    assert_eq!(def["uri"], f.uri("assets/textures/sky.png"));
}

#[test]
fn references_of_an_asset_file_and_of_a_meta_id() {
    let f = project(None);
    let mut client = start(&f);
    expect_initial(&mut client, &f);
    let expected = json!([
        {"uri": f.uri("assets/models/ship.gltf"), "range": range(0, 50, 0, 69)},
        {"uri": f.uri(SCENE), "range": range(1, 10, 1, 26)},
        {"uri": f.uri("src/main.rs"), "range": range(1, 27, 1, 43)},
    ]);
    let refs = client.request_ok(
        "textDocument/references",
        json!({"textDocument": {"uri": f.uri("assets/textures/sky.png")}, "position": {"line": 0, "character": 0}, "context": {"includeDeclaration": false}}),
    );
    assert_eq!(refs, expected);
    let refs = client.request_ok(
        "textDocument/references",
        json!({"textDocument": {"uri": f.uri("assets/textures/sky.png.meta")}, "position": {"line": 0, "character": 12}, "context": {"includeDeclaration": false}}),
    );
    assert_eq!(refs, expected);
    // By id: the hero texture is referenced once, by its UUID.
    let refs = client.request_ok(
        "textDocument/references",
        json!({"textDocument": {"uri": f.uri("assets/textures/hero.png")}, "position": {"line": 0, "character": 0}, "context": {"includeDeclaration": false}}),
    );
    assert_eq!(refs, json!([{"uri": f.uri(SCENE), "range": range(2, 11, 2, 47)}]));
}

#[test]
fn hover_shows_path_id_loader_processor_kind_size_and_counts() {
    let f = project(None);
    let mut client = start(&f);
    expect_initial(&mut client, &f);
    let hover = client.request_ok(
        "textDocument/hover",
        json!({"textDocument": {"uri": f.uri(SCENE)}, "position": {"line": 1, "character": 15}}),
    );
    assert_eq!(
        hover,
        json!({
            "contents": {"kind": "markdown", "value": format!(
                "**assets/textures/sky.png**\n\n- id: `{SKY}`\n- loader: image\n- processor: default (by extension)\n- dependency kind: load\n- size: 4 B\n- dependencies: 0 · dependents: 2"
            )},
            "range": range(1, 10, 1, 26),
        })
    );
    // A label: the label's own id.
    let hover = client.request_ok(
        "textDocument/hover",
        json!({"textDocument": {"uri": f.uri(SCENE)}, "position": {"line": 3, "character": 12}}),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.starts_with(&format!("**assets/models/ship.gltf#Mesh0**\n\n- id: `{MESH0}`")), "{text}");
    assert!(text.ends_with("- dependencies: 1 · dependents: 1"), "{text}");
}

fn completion_labels(result: &Value) -> Vec<(String, u64)> {
    result["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {result}"))
        .iter()
        .map(|i| (i["label"].as_str().unwrap().to_owned(), i["kind"].as_u64().unwrap()))
        .collect()
}

#[test]
fn completion_folder_by_folder_then_files_then_labels() {
    let f = project(None);
    let mut client = start(&f);
    expect_initial(&mut client, &f);
    f.open(&mut client, SCENE);
    let mut version = 0;
    let mut type_line = |client: &mut LspClient, text: &str| {
        version += 1;
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": f.uri(SCENE), "version": version},
                   "contentChanges": [{"range": range(5, 0, 5, 100), "text": text}]}),
        );
    };
    let at = |c: u32| json!({"textDocument": {"uri": f.uri(SCENE)}, "position": {"line": 5, "character": c}});
    type_line(&mut client, "  \"broken\": \"\"");
    let result = client.request_ok("textDocument/completion", at(13));
    // 19 = folder, 17 = file.
    assert_eq!(completion_labels(&result), [("models".into(), 19), ("scenes".into(), 19), ("textures".into(), 19)]);
    assert_eq!(result["items"][0]["textEdit"], json!({"range": range(5, 13, 5, 13), "newText": "models/"}));
    type_line(&mut client, "  \"broken\": \"textures/gr\"");
    let result = client.request_ok("textDocument/completion", at(24));
    assert_eq!(
        completion_labels(&result),
        [("ground.png".into(), 17), ("hero.png".into(), 17), ("sky.png".into(), 17)]
    );
    assert_eq!(result["items"][0]["textEdit"], json!({"range": range(5, 22, 5, 24), "newText": "ground.png"}));
    assert_eq!(result["items"][0]["detail"], "assets/textures/ground.png");
    type_line(&mut client, "  \"broken\": \"models/ship.gltf#\"");
    let result = client.request_ok("textDocument/completion", at(30));
    assert_eq!(completion_labels(&result), [("Mesh0".into(), 20)]);
    assert_eq!(result["items"][0]["detail"], MESH0);
    type_line(&mut client, "  \"broken\": \"./\"");
    let result = client.request_ok("textDocument/completion", at(15));
    assert_eq!(completion_labels(&result), [("level.scene.json".into(), 17), ("near.png".into(), 17)]);
    // Outside a string, or in a key: nothing.
    let result = client.request_ok("textDocument/completion", at(2));
    assert_eq!(result, Value::Null);
    let result = client.request_ok("textDocument/completion", at(4));
    assert_eq!(result, Value::Null);
    // Each request above applied the edit before it: one publish per edit
    // that changed the diagnostics (version 2 broke nothing new).
    let uri = f.uri(SCENE);
    assert_eq!(client.diagnostics_at_version(&uri, 1), Vec::<Value>::new());
    let label = client.diagnostics_at_version(&uri, 3);
    assert_eq!(
        label,
        [json!({
            "code": "unknown-label",
            "message": "`assets/models/ship.gltf` has no label ``: its labels are `Mesh0`",
            "range": range(5, 13, 5, 30),
            "severity": 1,
            "source": "assetry",
        })]
    );
    assert_eq!(client.diagnostics_at_version(&uri, 4), Vec::<Value>::new());
}

#[test]
fn completion_in_game_code_only_inside_a_load_call() {
    let f = project(None);
    let mut client = start(&f);
    expect_initial(&mut client, &f);
    let main = "src/main.rs";
    f.open(&mut client, main);
    let at = |l: u32, c: u32| json!({"textDocument": {"uri": f.uri(main)}, "position": {"line": l, "character": c}});
    // Inside load("textures/...").
    let result = client.request_ok("textDocument/completion", at(1, 37));
    assert_eq!(
        completion_labels(&result),
        [("ground.png".into(), 17), ("hero.png".into(), 17), ("sky.png".into(), 17)]
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": f.uri(main), "version": 1},
               "contentChanges": [{"range": range(1, 0, 1, 100), "text": "    println!(\"textures/\");"}]}),
    );
    assert_eq!(client.request_ok("textDocument/completion", at(1, 26)), Value::Null);
}

#[test]
fn document_links_for_every_resolved_reference() {
    let f = project(None);
    let mut client = start(&f);
    expect_initial(&mut client, &f);
    let links = client.request_ok("textDocument/documentLink", json!({"textDocument": {"uri": f.uri(SCENE)}}));
    assert_eq!(
        links,
        json!([
            {"range": range(1, 10, 1, 26), "target": f.uri("assets/textures/sky.png"), "tooltip": "assets/textures/sky.png"},
            {"range": range(2, 11, 2, 47), "target": f.uri("assets/textures/hero.png"), "tooltip": "assets/textures/hero.png"},
            {"range": range(3, 11, 3, 33), "target": f.uri("assets/models/ship.gltf"), "tooltip": "assets/models/ship.gltf"},
            {"range": range(4, 11, 4, 21), "target": f.uri("assets/scenes/near.png"), "tooltip": "assets/scenes/near.png"},
        ])
    );
}

#[test]
fn inlay_hint_shows_the_path_after_each_uuid_reference() {
    let f = project(None);
    let mut client = start(&f);
    expect_initial(&mut client, &f);
    f.open(&mut client, SCENE);
    let hints = client.request_ok(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": f.uri(SCENE)}, "range": range(0, 0, 7, 0)}),
    );
    assert_eq!(
        hints,
        json!([{"position": {"line": 2, "character": 48}, "label": "textures/hero.png", "paddingLeft": true}])
    );
    // Outside the requested range: none.
    let hints = client.request_ok(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": f.uri(SCENE)}, "range": range(3, 0, 7, 0)}),
    );
    assert_eq!(hints, json!([]));
}

#[test]
fn workspace_symbols_by_file_name_or_id_prefix() {
    let f = project(None);
    let mut client = start(&f);
    expect_initial(&mut client, &f);
    let names = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|s| s["location"]["uri"].as_str().unwrap().to_owned()).collect()
    };
    let result = client.request_ok("workspace/symbol", json!({"query": "SKY"}));
    assert_eq!(names(&result), [f.uri("assets/textures/sky.png")]);
    assert_eq!(result[0]["name"], "sky.png");
    assert_eq!(result[0]["kind"], 1);
    let result = client.request_ok("workspace/symbol", json!({"query": "2222"}));
    assert_eq!(names(&result), [f.uri("assets/textures/hero.png")]);
    let result = client.request_ok("workspace/symbol", json!({"query": ".png"}));
    assert_eq!(result.as_array().unwrap().len(), 4);
}

#[test]
fn dependencies_request_returns_both_trees_with_kinds() {
    let f = project(None);
    let mut client = start(&f);
    expect_initial(&mut client, &f);
    let tree = client.request_ok("assetry/dependencies", json!({"uri": f.uri("assets/models/ship.gltf")}));
    assert_eq!(
        tree,
        json!({
            "uri": f.uri("assets/models/ship.gltf"),
            "path": "assets/models/ship.gltf",
            "id": SHIP,
            "dependencies": [
                {"uri": f.uri("assets/textures/sky.png"), "path": "assets/textures/sky.png", "id": SKY, "kind": "load", "cycle": false, "children": []}
            ],
            "dependents": [
                {"uri": f.uri(SCENE), "path": SCENE, "id": LEVEL, "kind": "load", "cycle": false, "children": []}
            ],
            "truncated": false,
        })
    );
    // Not a project file: null.
    let outside =
        client.request_ok("assetry/dependencies", json!({"uri": file_uri(std::path::Path::new("/nowhere/x.png"))}));
    assert_eq!(outside, Value::Null);
}

#[test]
fn cycles_and_duplicate_ids_carry_related_information() {
    let f = Fixture::new(
        r#"
//- /assets/a.scene.json
{"next": "b.scene.json"}
//- /assets/a.scene.json.meta
id = "a1111111-1111-4111-8111-111111111111"
//- /assets/b.scene.json
{"next": "a.scene.json"}
//- /assets/b.scene.json.meta
id = "a1111111-1111-4111-8111-111111111111"
"#,
    );
    let mut client = start(&f);
    let a = client.diagnostics(&f.uri("assets/a.scene.json"));
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0]["code"], "cycle");
    assert_eq!(a[0]["range"], range(0, 10, 0, 22));
    assert_eq!(a[0]["relatedInformation"][0]["location"]["uri"], f.uri("assets/b.scene.json"));
    assert_eq!(a[0]["relatedInformation"][0]["location"]["range"], range(0, 10, 0, 22));
    let b = client.diagnostics(&f.uri("assets/b.scene.json"));
    assert_eq!(b[0]["code"], "cycle");
    for (meta, other) in [
        ("assets/a.scene.json.meta", "assets/b.scene.json.meta"),
        ("assets/b.scene.json.meta", "assets/a.scene.json.meta"),
    ] {
        let d = client.diagnostics(&f.uri(meta));
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0]["code"], "duplicate-id");
        assert_eq!(d[0]["relatedInformation"][0]["location"]["uri"], f.uri(other), "{d:#?}");
    }
}

#[test]
fn lone_cr_line_breaks_count_as_lines_in_published_ranges_and_edits() {
    // Old Mac line endings: LSP counts a lone `\r` as a line break, so the
    // missing texture is on line 2, from disk and after an edit alike.
    let rel = "assets/s.scene.json";
    let f = Fixture::new(&format!(
        "//- /{rel}\n{{}}\n//- /{rel}.meta\nid = \"d1111111-1111-4111-8111-111111111111\"\n//- /assets/textures/a.png\npng\n//- /assets/textures/a.png.meta\nid = \"d2222222-2222-4222-8222-222222222222\"\n"
    ));
    std::fs::write(f.path(rel), "{\r  \"ok\": \"textures/a.png\",\r  \"ground\": \"textures/missing.png\"\r}\r")
        .unwrap();
    let mut client = start(&f);
    let uri = f.uri(rel);
    assert_eq!(client.diagnostic_codes(&uri), [("broken-path".to_owned(), 2, 13, 33)]);
    // A line typed above it, ended by a lone `\r` too, moves it one line down.
    f.open(&mut client, rel);
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 1},
               "contentChanges": [{"range": range(1, 0, 1, 0), "text": "  \"n\": 1,\r"}]}),
    );
    assert_eq!(client.diagnostic_codes(&uri), [("broken-path".to_owned(), 3, 13, 33)]);
}

#[test]
fn ranges_count_utf16_code_units_in_both_directions() {
    // "é" is one UTF-16 unit (two bytes), "😀" two units (four bytes).
    let f = Fixture::new(
        "//- /assets/s.scene.json\n{\"é😀\": \"textures/nope.png\", \"ok\": \"textures/a.png\"}\n//- /assets/s.scene.json.meta\nid = \"d1111111-1111-4111-8111-111111111111\"\n//- /assets/textures/a.png\npng\n//- /assets/textures/a.png.meta\nid = \"d2222222-2222-4222-8222-222222222222\"\n",
    );
    let mut client = start(&f);
    let uri = f.uri("assets/s.scene.json");
    assert_eq!(client.diagnostic_codes(&uri), [("broken-path".to_owned(), 0, 9, 26)]);
    let def = client.request_ok(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 40}}),
    );
    assert_eq!(def["uri"], f.uri("assets/textures/a.png"));
    // Edit through the emoji's columns: replace "😀" (columns 3..5) with "x".
    f.open(&mut client, "assets/s.scene.json");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 1}, "contentChanges": [{"range": range(0, 3, 0, 5), "text": "x"}]}),
    );
    assert_eq!(client.diagnostic_codes(&uri), [("broken-path".to_owned(), 0, 8, 25)]);
}
