//! An invalid `assetry.toml` while `assetry lsp` runs: an `invalid-config`
//! diagnostic on the file itself at the line `toml` names, one
//! `window/showMessage` warning per failure, the last good configuration
//! kept, and the project (re)loaded when the file is fixed on disk.

use serde_json::{Value, json};

use crate::support::assetry_bin;
use crate::support::lsp::{Fixture, LspClient};

const VALID: &str = "[project]\nroots = [\"assets\"]\n";
/// `rots` on line 3 (0-based 2), columns 0–4.
const UNKNOWN_KEY: &str = "[project]\nroots = [\"assets\"]\nrots = [\"x\"]\n";
/// Not TOML at all on line 2 (0-based 1).
const NOT_TOML: &str = "[project]\nroots = [\"assets\"] this is not toml\n";

fn project(config: &str) -> Fixture {
    Fixture::new(&format!(
        r#"
//- /assetry.toml
{config}
//- /assets/a.scene.json
{{"t": "missing.png", "ok": "b.png"}}
//- /assets/a.scene.json.meta
id = "a0000000-0000-4000-8000-000000000001"
//- /assets/b.png
png
//- /assets/b.png.meta
id = "b0000000-0000-4000-8000-000000000001"
"#
    ))
}

/// Replaces `assetry.toml` the way editors save (a new file renamed over
/// the old one), so the server never reads it half-written.
fn save_config(f: &Fixture, text: &str) {
    save_config_at(f, "assetry.toml", text);
}

fn save_config_at(f: &Fixture, rel: &str, text: &str) {
    let tmp = f.path(&format!("{rel}.tmp"));
    std::fs::write(&tmp, text).expect("write temporary config");
    std::fs::rename(&tmp, f.path(rel)).expect("rename config into place");
}

/// The `window/showMessage` the server sent next: its type and text.
fn shown(client: &mut LspClient) -> (u64, String) {
    let params = client.notification("window/showMessage");
    (params["type"].as_u64().unwrap_or_default(), params["message"].as_str().unwrap_or_default().to_owned())
}

/// The definition of the reference to `b.png` under `"ok"` in the scene
/// (`null` when the project is not loaded). Scenes written by these tests
/// keep that value at character 28.
fn definition_of_ok(client: &mut LspClient, f: &Fixture) -> Value {
    client.request_ok(
        "textDocument/definition",
        json!({"textDocument": {"uri": f.uri("assets/a.scene.json")}, "position": {"line": 0, "character": 30}}),
    )
}

#[test]
fn a_config_invalid_at_start_is_reported_on_itself_and_the_project_loads_once_it_is_fixed() {
    let f = project(UNKNOWN_KEY);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let config = f.uri("assetry.toml");
    let diagnostics = client.diagnostics(&config);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "invalid-config");
    assert_eq!(d["severity"], 1, "an error");
    assert_eq!(d["range"], json!({"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 4}}));
    let message = d["message"].as_str().unwrap();
    assert!(message.starts_with("unknown field `rots`"), "{message}");
    assert!(!message.contains("^^^^"), "toml's excerpt is left out: {message}");
    let (typ, text) = shown(&mut client);
    assert_eq!(typ, 2, "a warning: {text}");
    assert!(text.contains("assetry.toml") && text.contains("line 3") && text.contains("rots"), "{text}");
    // Nothing was checked with a configuration the user did not write.
    assert_eq!(definition_of_ok(&mut client, &f), Value::Null);

    // Still broken, differently: the diagnostic follows, no second warning.
    save_config(&f, NOT_TOML);
    assert_eq!(client.diagnostic_codes(&config), [("invalid-config".to_owned(), 1, 19, 20)]);

    save_config(&f, VALID);
    assert_eq!(client.diagnostic_codes(&config), []);
    assert_eq!(client.diagnostic_codes(&f.uri("assets/a.scene.json")), [("broken-path".to_owned(), 0, 7, 18)]);
    assert_eq!(definition_of_ok(&mut client, &f)["uri"], f.uri("assets/b.png"));
}

#[test]
fn a_config_broken_while_running_keeps_the_last_good_project_until_fixed() {
    let f = project(VALID);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let config = f.uri("assetry.toml");
    let scene = f.uri("assets/a.scene.json");
    assert_eq!(client.diagnostic_codes(&scene), [("broken-path".to_owned(), 0, 7, 18)]);
    // A request returns once the project is open and watched.
    client.request_ok("workspace/symbol", json!({"query": "x"}));

    save_config(&f, UNKNOWN_KEY);
    assert_eq!(client.diagnostic_codes(&config), [("invalid-config".to_owned(), 2, 0, 4)]);
    let (typ, text) = shown(&mut client);
    assert_eq!(typ, 2, "a warning: {text}");
    assert!(text.contains("last valid configuration"), "{text}");
    // The project goes on with its last good configuration: its files are
    // still answered for and checked (the scene's diagnostics were not
    // cleared, or the client would have been sent an empty set).
    assert_eq!(definition_of_ok(&mut client, &f)["uri"], f.uri("assets/b.png"));
    std::fs::write(f.path("assets/a.scene.json"), "{\"t\": \"./b.png\"    , \"ok\": \"b.png\"}\n").unwrap();
    assert_eq!(client.diagnostic_codes(&scene), []);

    // Broken again before the fix: a new place, not a new warning.
    save_config(&f, NOT_TOML);
    assert_eq!(client.diagnostic_codes(&config), [("invalid-config".to_owned(), 1, 19, 20)]);

    // Fixed with what it was: the diagnostic goes, and nothing needed a
    // rescan (no scene diagnostics are sent again).
    save_config(&f, VALID);
    assert_eq!(client.diagnostic_codes(&config), []);
    assert_eq!(definition_of_ok(&mut client, &f)["uri"], f.uri("assets/b.png"));

    // A second failure is a second warning; fixing it with new roots reloads.
    save_config(&f, UNKNOWN_KEY);
    assert_eq!(client.diagnostic_codes(&config).len(), 1);
    assert!(shown(&mut client).1.contains("rots"));
    std::fs::create_dir_all(f.path("other")).unwrap();
    save_config(&f, "[project]\nroots = [\"other\"]\n");
    assert_eq!(client.diagnostic_codes(&config), []);
    assert_eq!(definition_of_ok(&mut client, &f), Value::Null, "the scene is outside the new roots");
}

#[test]
fn an_open_assetry_toml_gets_the_diagnostic_when_saved() {
    let f = project(VALID);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let config = f.uri("assetry.toml");
    assert_eq!(client.diagnostic_codes(&f.uri("assets/a.scene.json")).len(), 1);
    f.open(&mut client, "assetry.toml");
    // Typing leaves the engine alone: the configuration is what is on disk.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": config, "version": 1}, "contentChanges": [{"text": UNKNOWN_KEY}]}),
    );
    client.request_ok("workspace/symbol", json!({"query": "x"}));
    save_config(&f, UNKNOWN_KEY);
    client.notify("textDocument/didSave", json!({"textDocument": {"uri": config}}));
    assert_eq!(client.diagnostic_codes(&config), [("invalid-config".to_owned(), 2, 0, 4)]);
    assert!(shown(&mut client).1.contains("rots"));
    // The watcher reports the same change too. Once a later write has been
    // reported, that report has been handled as well; it must have sent
    // neither a second diagnostic nor a second warning (the client fails
    // the test on unread messages).
    std::fs::write(f.path("assets/a.scene.json"), "{\"t\": \"b.png\"}\n").unwrap();
    assert_eq!(client.diagnostic_codes(&f.uri("assets/a.scene.json")), []);
}

#[test]
fn nested_projects_with_an_invalid_config_wait_for_it_or_go_with_the_file() {
    let f = Fixture::new(
        r#"
//- /assets/a.scene.json
{"t": "missing.png"}
//- /assets/a.scene.json.meta
id = "a0000000-0000-4000-8000-000000000001"
//- /tools/editor/assetry.toml
[project]
roots = ["content"
//- /tools/editor/content/ui.scene.json
{"icon": "nope.png"}
//- /tools/editor/content/ui.scene.json.meta
id = "c0000000-0000-4000-8000-000000000001"
//- /tools/other/assetry.toml
[project]
roots = 5
"#,
    );
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let editor_config = f.uri("tools/editor/assetry.toml");
    let other_config = f.uri("tools/other/assetry.toml");
    // The outer project is checked as usual; the nested ones wait. The
    // unclosed array is reported where its `]` is missing (the line's end).
    assert_eq!(client.diagnostic_codes(&f.uri("assets/a.scene.json")), [("broken-path".to_owned(), 0, 7, 18)]);
    assert_eq!(client.diagnostic_codes(&editor_config), [("invalid-config".to_owned(), 1, 18, 18)]);
    assert_eq!(client.diagnostic_codes(&other_config).len(), 1);
    let mut warned = [shown(&mut client).1, shown(&mut client).1];
    warned.sort();
    assert!(warned[0].contains("tools/editor/assetry.toml"), "{warned:?}");
    assert!(warned[1].contains("tools/other/assetry.toml"), "{warned:?}");

    save_config_at(&f, "tools/editor/assetry.toml", "[project]\nroots = [\"content\"]\n");
    assert_eq!(client.diagnostic_codes(&editor_config), []);
    let nested_scene = f.uri("tools/editor/content/ui.scene.json");
    assert_eq!(client.diagnostic_codes(&nested_scene), [("broken-path".to_owned(), 0, 10, 18)]);

    // A nested folder without assetry.toml is no project: the diagnostic
    // goes with the file.
    std::fs::remove_file(f.path("tools/other/assetry.toml")).unwrap();
    assert_eq!(client.diagnostic_codes(&other_config), []);
}
