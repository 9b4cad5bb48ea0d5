//! `assetry lsp` after an internal error: a panic halfway through a change
//! must not leave the server answering from half-updated indexes. The
//! debug-only `ASSETRY_TEST_PANIC_ON` hook (pipeline/src/project.rs) makes
//! the first update of a named file panic after its old entries left the
//! indexes; the server must rebuild its projects from disk and the open
//! documents, and say so on stderr.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::assetry_bin;
use crate::support::lsp::{Fixture, LspClient, TIMEOUT};

const PROJECT: &str = r#"
//- /assets/scenes/trap.scene.json
{"sky": "textures/sky.png"}
//- /assets/scenes/trap.scene.json.meta
id = "2b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e13"
//- /assets/scenes/other.scene.json
{"trap": "scenes/trap.scene.json", "bad": "textures/nope.png"}
//- /assets/scenes/other.scene.json.meta
id = "3b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e14"
//- /assets/textures/sky.png
png
//- /assets/textures/sky.png.meta
id = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11"
"#;

fn range(l1: u64, c1: u64, l2: u64, c2: u64) -> Value {
    json!({"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}})
}

/// Waits until the server's stderr holds `needle` (it is written before the
/// messages that follow it, but through another pipe).
fn wait_for_stderr(client: &LspClient, needle: &str) -> String {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let err = client.stderr();
        if err.contains(needle) || Instant::now() > deadline {
            return err;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn after_a_panic_inside_a_change_the_server_rebuilds_and_answers_right() {
    let f = Fixture::new(PROJECT);
    let env = [("ASSETRY_TEST_PANIC_ON", "trap.scene.json")];
    let (mut client, _) = LspClient::start_with_env(&assetry_bin(), &[f.root()], &env);
    let other = f.uri("assets/scenes/other.scene.json");
    assert_eq!(client.diagnostic_codes(&other), [("broken-path".to_owned(), 0, 43, 60)]);
    // The editor opens trap.scene.json with text of its own: applying it
    // panics halfway (the old references are out of the indexes, the new
    // ones not in).
    let trap = f.uri("assets/scenes/trap.scene.json");
    let text = "{\"sky\": \"textures/nope.png\",\n \"back\": \"textures/sky.png\"}";
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": trap, "languageId": "json", "version": 1, "text": text}}),
    );
    // Rebuilt from disk plus the buffer: every file with findings is
    // published again, the buffer's broken path included.
    assert_eq!(client.diagnostic_codes(&other), [("broken-path".to_owned(), 0, 43, 60)]);
    assert_eq!(client.diagnostic_codes(&trap), [("broken-path".to_owned(), 0, 9, 26)]);
    let stderr = wait_for_stderr(&client, "projects rebuilt");
    assert!(stderr.contains("internal error while handling a message: ASSETRY_TEST_PANIC_ON"), "{stderr}");
    assert!(stderr.contains("rebuilding the projects from disk and the open documents"), "{stderr}");
    assert!(stderr.contains("projects rebuilt"), "{stderr}");
    // Navigation answers from the buffer's references.
    let at = |line: u64, character: u64| json!({"textDocument": {"uri": trap}, "position": {"line": line, "character": character}});
    let def = client.request_ok("textDocument/definition", at(1, 15));
    assert_eq!(def, json!({"uri": f.uri("assets/textures/sky.png"), "range": range(0, 0, 0, 0)}));
    assert_eq!(client.request_ok("textDocument/definition", at(0, 15)), Value::Null);
    // References to trap.scene.json (from other.scene.json) are still known.
    let refs = client.request_ok(
        "textDocument/references",
        json!({"textDocument": {"uri": trap}, "position": {"line": 0, "character": 0}, "context": {"includeDeclaration": false}}),
    );
    assert_eq!(refs, json!([{"uri": other, "range": range(0, 10, 0, 32)}]));
    // And the server goes on updating incrementally: fixing the path clears it.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": trap, "version": 2},
               "contentChanges": [{"range": range(0, 18, 0, 22), "text": "sky"}]}),
    );
    assert_eq!(client.diagnostic_codes(&trap), []);
    assert_eq!(client.shutdown().code(), Some(0));
}
