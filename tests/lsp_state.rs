//! `assetry lsp` keeps one consistent state across a configuration reload
//! and a file deleted under an open buffer: what it publishes and where
//! go-to-definition goes always come from the same text.

use serde_json::{Value, json};

use crate::support::assetry_bin;
use crate::support::lsp::{Fixture, LspClient};

const PROJECT: &str = r#"
//- /assets/scenes/level.scene.json
{"sky": "textures/sky.png"}
//- /assets/scenes/level.scene.json.meta
id = "2b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e13"
//- /assets/scenes/other.scene.json
{"sky": "textures/sky.png", "bad": "textures/nope.png"}
//- /assets/scenes/other.scene.json.meta
id = "3b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e14"
//- /assets/textures/hero.png
png
//- /assets/textures/hero.png.meta
id = "1b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e12"
//- /assets/textures/sky.png
png
//- /assets/textures/sky.png.meta
id = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11"
"#;

fn at(uri: &str, line: u64, character: u64) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

fn open(client: &mut LspClient, uri: &str, text: &str) {
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}),
    );
}

#[test]
fn a_configuration_reload_keeps_the_open_buffers_findings_and_navigation() {
    let f = Fixture::new(PROJECT);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let other = f.uri("assets/scenes/other.scene.json");
    assert_eq!(client.diagnostic_codes(&other), [("broken-path".to_owned(), 0, 36, 53)]);
    // The buffer holds a missing path where the disk has a good one.
    let level = f.uri("assets/scenes/level.scene.json");
    open(&mut client, &level, "{\"hero\": \"textures/hero.png\", \"sky\": \"textures/missing.png\"}");
    assert_eq!(client.diagnostic_codes(&level), [("broken-path".to_owned(), 0, 38, 58)]);
    // A valid, different assetry.toml is saved: the project is scanned again.
    std::fs::write(f.path("assetry.toml"), "[diagnostics]\nprefer_id = true\n").unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": f.uri("assetry.toml"), "type": 2}]}));
    // The new setting shows everywhere, and the buffer's broken path stays.
    assert_eq!(
        client.diagnostic_codes(&level),
        [("prefer-id".to_owned(), 0, 10, 27), ("broken-path".to_owned(), 0, 38, 58)]
    );
    assert_eq!(
        client.diagnostic_codes(&other),
        [("prefer-id".to_owned(), 0, 9, 25), ("broken-path".to_owned(), 0, 36, 53)]
    );
    // The missing path goes nowhere; the good one goes to its asset.
    assert_eq!(client.request_ok("textDocument/definition", at(&level, 0, 45)), Value::Null);
    let def = client.request_ok("textDocument/definition", at(&level, 0, 15));
    assert_eq!(def["uri"], f.uri("assets/textures/hero.png"));
    assert_eq!(client.shutdown().code(), Some(0));
}

#[test]
fn a_file_deleted_on_disk_while_open_keeps_its_buffer_until_closed() {
    let f = Fixture::new(PROJECT);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let other = f.uri("assets/scenes/other.scene.json");
    assert_eq!(client.diagnostic_codes(&other), [("broken-path".to_owned(), 0, 36, 53)]);
    let level = f.uri("assets/scenes/level.scene.json");
    open(&mut client, &level, "{\"hero\": \"textures/hero.png\", \"sky\": \"textures/missing.png\"}");
    assert_eq!(client.diagnostic_codes(&level), [("broken-path".to_owned(), 0, 38, 58)]);
    // Deleted on disk (the client says so; the server's own watcher too,
    // whenever it gets there): the buffer is still what the user edits.
    std::fs::remove_file(f.path("assets/scenes/level.scene.json")).unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": level, "type": 3}]}));
    let def = client.request_ok("textDocument/definition", at(&level, 0, 15));
    assert_eq!(def["uri"], f.uri("assets/textures/hero.png"));
    // Edited while deleted: the edit is checked.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": level, "version": 2},
               "contentChanges": [{"range": {"start": {"line": 0, "character": 47}, "end": {"line": 0, "character": 54}},
                                   "text": "sky"}]}),
    );
    assert_eq!(client.diagnostic_codes(&level), []);
    // Closed: the file is gone, and its .meta now describes nothing.
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": level}}));
    let meta = f.uri("assets/scenes/level.scene.json.meta");
    assert_eq!(client.diagnostic_codes(&meta), [("orphan-meta".to_owned(), 0, 0, 0)]);
    assert_eq!(client.shutdown().code(), Some(0));
}
