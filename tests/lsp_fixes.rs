//! Code actions and `workspace/willRenameFiles`: each edit is applied to the
//! files on disk as an editor would, then `assetry check` must be clean.

use serde_json::{Value, json};

use crate::lsp_features::{GROUND, HERO, SCENE, SKY, expect_initial, project, range, start};
use crate::support::assetry_bin;
use crate::support::lsp::{Fixture, LspClient, apply_workspace_edit, check_json};

fn actions(client: &mut LspClient, f: &Fixture, rel: &str, r: Value) -> Vec<Value> {
    let result = client.request_ok(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": f.uri(rel)}, "range": r, "context": {"diagnostics": []}}),
    );
    result.as_array().cloned().unwrap_or_default()
}

fn titles(actions: &[Value]) -> Vec<&str> {
    actions.iter().map(|a| a["title"].as_str().unwrap()).collect()
}

fn find<'a>(actions: &'a [Value], title: &str) -> &'a Value {
    actions
        .iter()
        .find(|a| a["title"] == title)
        .unwrap_or_else(|| panic!("no action `{title}` in {:?}", titles(actions)))
}

/// Asserts where the diagnostics the watcher's batches published (and the
/// test did not read) end up: `broken` files with their one `broken-path`,
/// every other file clean.
fn assert_last_diagnostics(client: &mut LspClient, f: &Fixture, broken: &[&str]) {
    for (uri, diagnostics) in client.shutdown_with_last_diagnostics() {
        let codes: Vec<&str> = diagnostics.iter().map(|d| d["code"].as_str().unwrap()).collect();
        let expected: &[&str] = if broken.iter().any(|rel| f.uri(rel) == uri) { &["broken-path"] } else { &[] };
        assert_eq!(codes, expected, "{uri}");
    }
}

fn assert_clean(f: &Fixture) {
    let (code, report) = check_json(&assetry_bin(), f.root());
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["diagnostics"], json!([]), "{report:#}");
}

/// The fixture with its broken path repaired on disk, so it checks clean.
fn clean_project() -> Fixture {
    let f = project(None);
    let text = f.read(SCENE).replace("textures/grund.png", "textures/ground.png");
    std::fs::write(f.path(SCENE), text).unwrap();
    f
}

#[test]
fn broken_path_offers_the_closest_existing_path() {
    let f = project(None);
    let mut client = start(&f);
    expect_initial(&mut client, &f);
    let acts = actions(&mut client, &f, SCENE, range(5, 20, 5, 20));
    assert_eq!(titles(&acts), ["Change to `textures/ground.png`", "Use ids for every path reference in this file"]);
    // A client that asks only for quick fixes gets only those.
    let only = client.request_ok(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": f.uri(SCENE)}, "range": range(5, 20, 5, 20),
               "context": {"diagnostics": [], "only": ["quickfix"]}}),
    );
    assert_eq!(titles(only.as_array().unwrap()), ["Change to `textures/ground.png`"]);
    let only = client.request_ok(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": f.uri(SCENE)}, "range": range(5, 20, 5, 20),
               "context": {"diagnostics": [], "only": ["refactor"]}}),
    );
    assert_eq!(titles(only.as_array().unwrap()), ["Use ids for every path reference in this file"]);
    let fix = find(&acts, "Change to `textures/ground.png`");
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    assert_eq!(
        fix["edit"]["documentChanges"],
        json!([{"textDocument": {"uri": f.uri(SCENE), "version": null},
                "edits": [{"range": range(5, 13, 5, 31), "newText": "textures/ground.png"}]}])
    );
    // Stop the server first: it would see the edit on disk and republish.
    client.shutdown();
    apply_workspace_edit(&fix["edit"]);
    assert_clean(&f);
}

#[test]
fn path_to_id_and_back_for_one_reference_and_a_whole_file() {
    let f = clean_project();
    let mut client = start(&f);
    let acts = actions(&mut client, &f, SCENE, range(1, 15, 1, 15));
    let to_id = find(&acts, "Use the id of `textures/sky.png`");
    assert_eq!(to_id["kind"], "refactor.rewrite");
    assert_eq!(to_id["edit"]["documentChanges"][0]["edits"], json!([{"range": range(1, 10, 1, 26), "newText": SKY}]));
    let acts = actions(&mut client, &f, SCENE, range(2, 20, 2, 20));
    let to_path = find(&acts, "Use the path `textures/hero.png`");
    assert_eq!(
        to_path["edit"]["documentChanges"][0]["edits"],
        json!([{"range": range(2, 11, 2, 47), "newText": "textures/hero.png"}])
    );
    // The whole file: every path becomes an id (the label by its own id).
    let all = find(&acts, "Use ids for every path reference in this file");
    client.shutdown();
    apply_workspace_edit(&all["edit"]);
    let text = f.read(SCENE);
    assert!(text.contains(&format!("\"sky\": \"{SKY}\"")), "{text}");
    assert!(text.contains(&format!("\"broken\": \"{GROUND}\"")), "{text}");
    assert!(text.contains("\"ship\": \"44444444-4444-4444-8444-444444444444\""), "{text}");
    assert!(!text.contains(".png\""), "{text}");
    assert_clean(&f);
}

#[test]
fn a_moved_target_is_repaired_by_its_id() {
    let f = clean_project();
    let mut client = start(&f);
    // Move sky.png and its .meta outside the editor, then tell the server.
    std::fs::create_dir_all(f.path("assets/textures/env")).unwrap();
    for suffix in ["", ".meta"] {
        std::fs::rename(
            f.path(&format!("assets/textures/sky.png{suffix}")),
            f.path(&format!("assets/textures/env/sky.png{suffix}")),
        )
        .unwrap();
    }
    let events: Vec<Value> = [
        ("assets/textures/sky.png", 3),
        ("assets/textures/sky.png.meta", 3),
        ("assets/textures/env/sky.png", 1),
        ("assets/textures/env/sky.png.meta", 1),
    ]
    .iter()
    .map(|(p, t)| json!({"uri": f.uri(p), "type": t}))
    .collect();
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": events}));
    for rel in [SCENE, "assets/models/ship.gltf", "src/main.rs"] {
        let codes = client.diagnostic_codes(&f.uri(rel));
        assert_eq!(codes.len(), 1, "{rel}: {codes:?}");
        assert_eq!(codes[0].0, "broken-path");
    }
    // The client's events, one batch, describe the whole move, and each
    // request is answered after them. The server's own watcher reports the
    // same move too, before or after, maybe in parts: what it adds later is
    // already known.
    let scene_actions = actions(&mut client, &f, SCENE, range(1, 15, 1, 15));
    let scene_fix = find(&scene_actions, "`sky.png` moved: use `textures/env/sky.png`").clone();
    assert_eq!(scene_fix["isPreferred"], true);
    let gltf_actions = actions(&mut client, &f, "assets/models/ship.gltf", range(0, 55, 0, 55));
    let gltf_fix = find(&gltf_actions, "`sky.png` moved: use `../textures/env/sky.png`").clone();
    let code_actions = actions(&mut client, &f, "src/main.rs", range(1, 30, 1, 30));
    let code_fix = find(&code_actions, "`sky.png` moved: use `textures/env/sky.png`").clone();
    assert_last_diagnostics(&mut client, &f, &[SCENE, "assets/models/ship.gltf", "src/main.rs"]);
    for fix in [scene_fix, gltf_fix, code_fix] {
        apply_workspace_edit(&fix["edit"]);
    }
    assert_clean(&f);
}

#[test]
fn duplicated_id_is_regenerated_on_the_copy_fewer_references_use() {
    let f = clean_project();
    // A copy-paste: hero2.png got hero.png's .meta. hero.png is referenced
    // (by id), hero2.png is not: hero2.png gets the new id.
    std::fs::write(f.path("assets/textures/hero2.png"), "png").unwrap();
    std::fs::copy(f.path("assets/textures/hero.png.meta"), f.path("assets/textures/hero2.png.meta")).unwrap();
    let mut client = start(&f);
    for rel in ["assets/textures/hero.png.meta", "assets/textures/hero2.png.meta"] {
        let codes = client.diagnostic_codes(&f.uri(rel));
        assert_eq!(codes, [("duplicate-id".to_owned(), 0, 6, 42)], "{rel}");
    }
    for rel in ["assets/textures/hero.png.meta", "assets/textures/hero2.png.meta"] {
        let acts = actions(&mut client, &f, rel, range(0, 10, 0, 10));
        let fix =
            find(&acts, "Give assets/textures/hero2.png.meta a new id (`assets/textures/hero.png.meta` keeps it)");
        let ops = fix["edit"]["documentChanges"].as_array().unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0]["textDocument"]["uri"], f.uri("assets/textures/hero2.png.meta"));
        assert_eq!(ops[0]["edits"][0]["range"], range(0, 6, 0, 42));
        let new_id = ops[0]["edits"][0]["newText"].as_str().unwrap();
        assert!(new_id.len() == 36 && new_id != HERO, "{new_id}");
    }
    let acts = actions(&mut client, &f, "assets/textures/hero2.png.meta", range(0, 10, 0, 10));
    client.shutdown();
    apply_workspace_edit(&acts[0]["edit"]);
    assert_clean(&f);
}

#[test]
fn missing_meta_is_created() {
    let f = clean_project();
    std::fs::write(f.path("assets/textures/new.png"), "png").unwrap();
    let mut client = start(&f);
    assert_eq!(client.diagnostic_codes(&f.uri("assets/textures/new.png")), [("missing-meta".to_owned(), 0, 0, 0)]);
    let acts = actions(&mut client, &f, "assets/textures/new.png", range(0, 0, 0, 0));
    let fix = find(&acts, "Create `new.png.meta`");
    let ops = fix["edit"]["documentChanges"].as_array().unwrap();
    assert_eq!(ops[0]["kind"], "create");
    assert_eq!(ops[0]["uri"], f.uri("assets/textures/new.png.meta"));
    client.shutdown();
    apply_workspace_edit(&fix["edit"]);
    let meta = f.read("assets/textures/new.png.meta");
    assert!(meta.starts_with("id = \"") && meta.len() == "id = \"\"\n".len() + 36, "{meta}");
    assert_clean(&f);
}

fn will_rename(client: &mut LspClient, f: &Fixture, from: &str, to: &str) -> Value {
    client.request_ok("workspace/willRenameFiles", json!({"files": [{"oldUri": f.uri(from), "newUri": f.uri(to)}]}))
}

/// Applies the server's edit, then performs the rename itself (the editor
/// renames after applying the edit). The server is stopped first: it would
/// see the changes on disk and republish.
fn rename_on_disk(client: &mut LspClient, f: &Fixture, edit: &Value, from: &str, to: &str) {
    client.shutdown();
    apply_workspace_edit(edit);
    std::fs::create_dir_all(f.path(to).parent().unwrap()).unwrap();
    std::fs::rename(f.path(from), f.path(to)).unwrap();
}

#[test]
fn renaming_an_asset_rewrites_every_path_reference_and_moves_its_meta() {
    let f = clean_project();
    let mut client = start(&f);
    let (from, to) = ("assets/textures/sky.png", "assets/textures/env/sky.png");
    let edit = will_rename(&mut client, &f, from, to);
    assert_eq!(
        edit["documentChanges"],
        json!([
            {"textDocument": {"uri": f.uri("assets/models/ship.gltf"), "version": null},
             "edits": [{"range": range(0, 50, 0, 69), "newText": "../textures/env/sky.png"}]},
            {"textDocument": {"uri": f.uri(SCENE), "version": null},
             "edits": [{"range": range(1, 10, 1, 26), "newText": "textures/env/sky.png"}]},
            {"textDocument": {"uri": f.uri("src/main.rs"), "version": null},
             "edits": [{"range": range(1, 27, 1, 43), "newText": "textures/env/sky.png"}]},
            {"kind": "rename", "oldUri": f.uri("assets/textures/sky.png.meta"), "newUri": f.uri("assets/textures/env/sky.png.meta"),
             "options": {"overwrite": false, "ignoreIfExists": false}},
        ])
    );
    rename_on_disk(&mut client, &f, &edit, from, to);
    assert_clean(&f);
}

#[test]
fn renaming_a_folder_rewrites_references_into_it_and_out_of_it() {
    let f = clean_project();
    let mut client = start(&f);
    let (from, to) = ("assets/scenes", "assets/levels/world1");
    let edit = will_rename(&mut client, &f, from, to);
    // Only the scene's file-relative reference changes ("./near.png" stays
    // valid: it moves along); nothing refers to the scenes by path.
    assert_eq!(edit, Value::Null, "nothing to rewrite: {edit:#}");
    rename_on_disk(&mut client, &f, &Value::Null, from, to);
    assert_clean(&f);

    let f = clean_project();
    let mut client = start(&f);
    let (from, to) = ("assets/textures", "assets/art/tex");
    let edit = will_rename(&mut client, &f, from, to);
    let edited: Vec<&str> = edit["documentChanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["textDocument"]["uri"].as_str().unwrap())
        .collect();
    assert_eq!(edited, [f.uri("assets/models/ship.gltf"), f.uri(SCENE), f.uri("src/main.rs")]);
    rename_on_disk(&mut client, &f, &edit, from, to);
    assert_clean(&f);
    let text = f.read(SCENE);
    assert!(
        text.contains("\"sky\": \"art/tex/sky.png\"") && text.contains("\"broken\": \"art/tex/ground.png\""),
        "{text}"
    );
    assert!(text.contains(HERO), "id references never change: {text}");
}

#[test]
fn moving_a_file_rewrites_its_own_file_relative_references() {
    let f = clean_project();
    let mut client = start(&f);
    let (from, to) = (SCENE, "assets/scenes/sub/level.scene.json");
    let edit = will_rename(&mut client, &f, from, to);
    assert_eq!(
        edit["documentChanges"],
        json!([
            {"textDocument": {"uri": f.uri(SCENE), "version": null},
             "edits": [{"range": range(4, 11, 4, 21), "newText": "../near.png"}]},
            {"kind": "rename", "oldUri": f.uri("assets/scenes/level.scene.json.meta"), "newUri": f.uri("assets/scenes/sub/level.scene.json.meta"),
             "options": {"overwrite": false, "ignoreIfExists": false}},
        ])
    );
    rename_on_disk(&mut client, &f, &edit, from, to);
    assert_clean(&f);
}

#[test]
fn changes_outside_the_editor_are_seen_by_the_watcher() {
    let f = project(None);
    let mut client = start(&f);
    expect_initial(&mut client, &f);
    // An artist exports the missing texture: the broken path resolves.
    std::fs::write(f.path("assets/textures/grund.png"), "png").unwrap();
    std::fs::write(f.path("assets/textures/grund.png.meta"), "id = \"88888888-8888-4888-8888-888888888888\"\n")
        .unwrap();
    assert_eq!(client.diagnostic_codes(&f.uri(SCENE)), []);
    // A file manager move of sky.png (with its .meta): every reference breaks,
    // and the fix offers where it went.
    std::fs::create_dir_all(f.path("assets/env")).unwrap();
    for suffix in ["", ".meta"] {
        std::fs::rename(
            f.path(&format!("assets/textures/sky.png{suffix}")),
            f.path(&format!("assets/env/sky.png{suffix}")),
        )
        .unwrap();
    }
    for rel in [SCENE, "assets/models/ship.gltf", "src/main.rs"] {
        let codes = client.diagnostic_codes(&f.uri(rel));
        assert_eq!(codes.len(), 1, "{rel}: {codes:?}");
        assert_eq!(codes[0].0, "broken-path");
    }
    // The watcher may report the move in several batches; a file written
    // after it is reported after it, so once its diagnostic is out the whole
    // move has been applied.
    std::fs::write(f.path("assets/marker.json"), "{\"m\": \"marker/none.png\"}\n").unwrap();
    std::fs::write(f.path("assets/marker.json.meta"), "id = \"99999999-9999-4999-8999-999999999999\"\n").unwrap();
    loop {
        let codes = client.diagnostic_codes(&f.uri("assets/marker.json"));
        if codes.iter().any(|c| c.0 == "broken-path") {
            break;
        }
    }
    let scene_actions = actions(&mut client, &f, SCENE, range(1, 15, 1, 15));
    find(&scene_actions, "`sky.png` moved: use `env/sky.png`");
    assert_last_diagnostics(&mut client, &f, &[SCENE, "assets/models/ship.gltf", "src/main.rs", "assets/marker.json"]);
}
