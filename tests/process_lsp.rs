//! Processing in the language server: a file broken on disk gets its
//! `processing-failed` diagnostic at the line the processor names, inside
//! `$/progress` begin/end, and the diagnostic is cleared once the file is
//! fixed and processes again.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::process::save;
use crate::support::lsp::{LspClient, file_uri};
use crate::support::{assetry_bin, write_file};

/// What the server said during one processing run: every message up to the
/// `$/progress` end, with the `window/workDoneProgress/create` requests
/// answered. Returns (progress kinds in order, diagnostics published per URI).
fn one_run(client: &mut LspClient) -> (Vec<String>, Vec<(String, Vec<Value>)>) {
    let mut progress = Vec::new();
    let mut published = Vec::new();
    loop {
        let m = client.next_message(Duration::from_secs(30)).expect("the server goes on talking");
        match m.get("method").and_then(Value::as_str) {
            Some("window/workDoneProgress/create") => {
                progress.push("create".to_owned());
                client.send(&json!({"jsonrpc": "2.0", "id": m["id"].clone(), "result": null}));
            }
            Some("$/progress") => {
                let kind = m["params"]["value"]["kind"].as_str().unwrap_or("?").to_owned();
                let text = m["params"]["value"]["message"].as_str().unwrap_or("").to_owned();
                progress.push(format!("{kind}: {text}"));
                if kind == "end" {
                    return (progress, published);
                }
            }
            Some("textDocument/publishDiagnostics") => {
                let uri = m["params"]["uri"].as_str().unwrap_or("").to_owned();
                published.push((uri, m["params"]["diagnostics"].as_array().cloned().unwrap_or_default()));
            }
            Some("window/logMessage") => {}
            _ => panic!("unexpected message {m:#}"),
        }
    }
}

fn start(root: &Path) -> LspClient {
    let mut client = LspClient::spawn(&assetry_bin(), root);
    client.request_ok(
        "initialize",
        json!({
            "processId": std::process::id(),
            "rootUri": file_uri(root),
            "workspaceFolders": [{"uri": file_uri(root), "name": "game"}],
            "capabilities": {"window": {"workDoneProgress": true}},
            "initializationOptions": {"process": true},
        }),
    );
    client.notify("initialized", json!({}));
    client
}

#[test]
fn a_broken_shader_gets_processing_failed_at_its_line_inside_progress_and_a_fix_clears_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap();
    let good = "fn shade() -> f32 {\n    let y = 2.0;\n    return y * 0.5;\n}\n";
    write_file(&d, "assets/shaders/shade.wgsl", good);
    write_file(&d, "assets/shaders/shade.wgsl.meta", "id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n");
    write_file(&d, "assets/level.json", "{\"shader\": \"shaders/shade.wgsl\"}\n");
    write_file(&d, "assets/level.json.meta", "id = \"5a0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3\"\n");
    let mut client = start(&d);
    let shader = file_uri(&d.join("assets/shaders/shade.wgsl"));

    let (progress, published) = one_run(&mut client);
    assert_eq!(progress, ["create", "begin: 2 to process", "end: 2 processed, 0 failed"]);
    assert_eq!(published, []);

    // A type error on line 3 (a bool returned where an f32 is declared),
    // saved to disk. The check has nothing to say about it; the processor does.
    save(&d, "assets/shaders/shade.wgsl", &good.replace("y * 0.5", "y > 0.5"));
    let (progress, published) = one_run(&mut client);
    assert_eq!(progress, ["create", "begin: 1 to process", "end: 0 processed, 1 failed"]);
    assert_eq!(
        published,
        [(
            shader.clone(),
            vec![json!({
                "range": {"start": {"line": 2, "character": 11}, "end": {"line": 2, "character": 18}},
                "severity": 1,
                "code": "processing-failed",
                "source": "assetry",
                "message": "invalid shader: `y > 0.5`: the value returned is not of the function's return type `f32`",
            })]
        )]
    );

    // Fixed differently from the first version (the same bytes again would
    // match the last good record: cleared, with nothing to process).
    save(&d, "assets/shaders/shade.wgsl", &good.replace("y * 0.5", "y * 0.25"));
    let (progress, published) = one_run(&mut client);
    assert_eq!(progress, ["create", "begin: 1 to process", "end: 1 processed, 0 failed"]);
    assert_eq!(published, [(shader, vec![])]);

    // Hover on a reference to it says when it was processed and why.
    let hover = client.request_ok(
        "textDocument/hover",
        json!({"textDocument": {"uri": file_uri(&d.join("assets/level.json"))}, "position": {"line": 0, "character": 16}}),
    );
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    let note = text.lines().last().unwrap_or_default();
    assert!(note.starts_with("- processed: 20") && note.ends_with(" UTC, because the source changed"), "{text}");
}
