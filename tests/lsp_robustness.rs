//! `assetry lsp` lifecycle and bad client input: the server answers, never
//! crashes and never hangs.

use serde_json::{Value, json};

use crate::support::assetry_bin;
use crate::support::lsp::{Fixture, LspClient, file_uri};

const CLEAN: &str = r#"
//- /assets/scenes/a.scene.json
{"sky": "textures/sky.png"}
//- /assets/scenes/a.scene.json.meta
id = "1b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11"
//- /assets/textures/sky.png
png
//- /assets/textures/sky.png.meta
id = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11"
"#;

#[test]
fn shutdown_then_exit_ends_the_process_with_status_0() {
    let f = Fixture::new(CLEAN);
    let (mut client, init) = LspClient::start(&assetry_bin(), &[f.root()]);
    assert_eq!(init["serverInfo"]["name"], "assetry");
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 2, "incremental sync");
    let status = client.shutdown();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn exit_without_shutdown_ends_the_process_with_status_1() {
    let f = Fixture::new(CLEAN);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit().code(), Some(1));
}

#[test]
fn closing_stdin_ends_the_process() {
    let f = Fixture::new(CLEAN);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    client.close_stdin();
    assert_eq!(client.wait_exit().code(), Some(1));
}

#[test]
fn unknown_method_is_method_not_found_and_the_server_goes_on() {
    let f = Fixture::new(CLEAN);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let id = client.request("assetry/noSuchThing", json!({"x": 1}));
    let err = client.response(id).expect_err("unknown method fails");
    assert_eq!(err["code"], -32601);
    // An unknown notification is ignored.
    client.notify("$/noSuchNotification", json!({}));
    let symbols = client.request_ok("workspace/symbol", json!({"query": "sky"}));
    assert_eq!(
        symbols,
        json!([{
            "name": "sky.png",
            "kind": 1,
            "containerName": "assets/textures/sky.png · 0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11",
            "location": {
                "uri": f.uri("assets/textures/sky.png"),
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            },
        }]),
        "still serving"
    );
}

#[test]
fn invalid_json_and_wrong_params_get_errors_not_crashes() {
    let f = Fixture::new(CLEAN);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    // A body that is not JSON gets a parse error (id null, as JSON-RPC
    // says); the server reads on.
    client.send_raw(b"{\"jsonrpc\": \"2.0\", \"id\": 99, \"method\": ");
    client.send_raw(b"\xff\xfe");
    assert_eq!(client.response_null_id()["code"], -32700);
    assert_eq!(client.response_null_id()["code"], -32700);
    let id = client.request("textDocument/hover", json!({"textDocument": 5}));
    assert_eq!(client.response(id).expect_err("bad params")["code"], -32602);
    assert!(client.is_running());
}

#[test]
fn did_change_for_a_document_never_opened_is_ignored() {
    let f = Fixture::new(CLEAN);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let uri = f.uri("assets/scenes/a.scene.json");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
            {"range": {"start": {"line": 0, "character": 9}, "end": {"line": 0, "character": 12}}, "text": "nope"}
        ]}),
    );
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    // The disk text still rules: the reference resolves.
    let def = client.request_ok(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 12}}),
    );
    assert_eq!(def["uri"], f.uri("assets/textures/sky.png"), "{def}");
}

#[test]
fn positions_past_the_end_of_a_line_or_file_are_clamped() {
    let f = Fixture::new(CLEAN);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let uri = f.uri("assets/scenes/a.scene.json");
    f.open(&mut client, "assets/scenes/a.scene.json");
    for (line, character) in [(0, 10_000), (10_000, 0), (u32::MAX, u32::MAX)] {
        let pos = json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
        assert_eq!(client.request_ok("textDocument/definition", pos.clone()), Value::Null);
        assert_eq!(client.request_ok("textDocument/hover", pos.clone()), Value::Null);
        assert_eq!(client.request_ok("textDocument/completion", pos), Value::Null);
    }
    // An edit far past the end appends at the end.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 1}, "contentChanges": [
            {"range": {"start": {"line": 99, "character": 99}, "end": {"line": 120, "character": 0}}, "text": " "}
        ]}),
    );
    let def = client.request_ok(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 12}}),
    );
    assert_eq!(def["uri"], f.uri("assets/textures/sky.png"), "{def}");
}

#[test]
fn documents_outside_every_workspace_or_not_on_disk_get_empty_answers() {
    let f = Fixture::new(CLEAN);
    let outside = Fixture::new("//- /elsewhere/x.json\n{\"a\": \"textures/sky.png\"}\n");
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    for uri in [
        file_uri(&outside.path("elsewhere/x.json")),
        "untitled:Untitled-1".to_owned(),
        "https://example.com/a.json".to_owned(),
    ] {
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "json", "version": 0, "text": "{\"a\": \"textures/sky.png\"}"}}),
        );
        let pos = json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 10}});
        assert_eq!(client.request_ok("textDocument/definition", pos.clone()), Value::Null);
        assert_eq!(client.request_ok("textDocument/hover", pos), Value::Null);
        let links = client.request_ok("textDocument/documentLink", json!({"textDocument": {"uri": uri}}));
        assert_eq!(links, Value::Null, "{uri}");
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 1}, "contentChanges": [{"text": "{}"}]}),
        );
        client.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    }
    assert!(client.is_running());
}

#[test]
fn a_request_cancelled_mid_flight_gets_request_cancelled_or_its_answer() {
    let f = Fixture::new(CLEAN);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let uri = f.uri("assets/scenes/a.scene.json");
    let ids: Vec<i64> = (0..20)
        .map(|_| {
            let id = client.request(
                "textDocument/references",
                json!({"textDocument": {"uri": f.uri("assets/textures/sky.png")}, "position": {"line": 0, "character": 0}, "context": {"includeDeclaration": false}}),
            );
            client.notify("$/cancelRequest", json!({"id": id}));
            id
        })
        .collect();
    for id in ids {
        match client.response(id) {
            Ok(refs) => assert_eq!(refs[0]["uri"], uri, "{refs}"),
            Err(err) => assert_eq!(err["code"], -32800, "{err}"),
        }
    }
    // Cancelling an unknown or finished request is harmless.
    client.notify("$/cancelRequest", json!({"id": 12345}));
    assert_eq!(client.request_ok("shutdown", Value::Null), Value::Null);
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit().code(), Some(0));
}

#[test]
fn a_200000_level_deep_json_document_typed_in_the_editor() {
    let f = Fixture::new(CLEAN);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let rel = "assets/scenes/a.scene.json";
    let uri = f.uri(rel);
    f.open(&mut client, rel);
    let deep = format!("{}\"textures/sky.png\"{}", "[".repeat(200_000), "]".repeat(200_000));
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 1}, "contentChanges": [{"text": deep}]}),
    );
    let pos = json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 200_003}});
    let hover = client.request_ok("textDocument/hover", pos);
    // The reference is found at the bottom of the nesting, UTF-16 columns
    // counted along the 200,000 brackets.
    assert_eq!(
        hover["range"],
        json!({"start": {"line": 0, "character": 200_001}, "end": {"line": 0, "character": 200_017}})
    );
    assert_eq!(
        hover["contents"],
        json!({"kind": "markdown", "value": "**assets/textures/sky.png**\n\n- id: `0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11`\n- loader: default (by extension)\n- processor: default (by extension)\n- dependency kind: load\n- size: 4 B\n- dependencies: 0 · dependents: 1"})
    );
    // Back to a normal text: the server still works.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "{\"sky\": \"textures/sky.png\"}\n"}]}),
    );
    let def = client.request_ok(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 12}}),
    );
    assert_eq!(def["uri"], f.uri("assets/textures/sky.png"), "{def}");
}

#[test]
fn requests_before_initialize_are_refused_and_initialize_still_works() {
    let f = Fixture::new(CLEAN);
    let mut client = LspClient::spawn(&assetry_bin(), f.root());
    let id = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": f.uri("assets/scenes/a.scene.json")}, "position": {"line": 0, "character": 10}}),
    );
    assert_eq!(client.response(id).expect_err("not initialized")["code"], -32002);
    // A notification before initialize is dropped, not fatal.
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": "file:///x"}}));
    let init = client.request_ok(
        "initialize",
        json!({"capabilities": {}, "workspaceFolders": [{"uri": file_uri(f.root()), "name": "p"}]}),
    );
    assert_eq!(init["serverInfo"]["name"], "assetry");
    client.notify("initialized", json!({}));
    let def = client.request_ok(
        "textDocument/definition",
        json!({"textDocument": {"uri": f.uri("assets/scenes/a.scene.json")}, "position": {"line": 0, "character": 12}}),
    );
    assert_eq!(def["uri"], f.uri("assets/textures/sky.png"));
    // A second initialize is refused.
    let id = client.request("initialize", json!({"capabilities": {}}));
    assert!(client.response(id).is_err());
}

#[test]
fn a_client_that_sends_initialized_before_reading_the_initialize_result_gets_diagnostics() {
    let f = Fixture::new(
        r#"
//- /assets/scenes/a.scene.json
{"sky": "textures/nope.png"}
//- /assets/scenes/a.scene.json.meta
id = "1b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11"
"#,
    );
    let mut client = LspClient::spawn(&assetry_bin(), f.root());
    let uri = f.uri("assets/scenes/a.scene.json");
    // Everything written back to back before reading anything, as a hasty
    // client does: the server must take these in order, not drop them.
    let init = client.request(
        "initialize",
        json!({"capabilities": {}, "workspaceFolders": [{"uri": file_uri(f.root()), "name": "p"}]}),
    );
    client.notify("initialized", json!({}));
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "json", "version": 7, "text": "{\"sky\": \"textures/nope2.png\"}\n"}}),
    );
    assert_eq!(client.response(init).expect("initialize succeeds")["serverInfo"]["name"], "assetry");
    // The scan's diagnostics for the disk text, then the open buffer's.
    let disk = client.diagnostics(&uri);
    assert_eq!(disk.len(), 1, "{disk:#?}");
    assert_eq!(disk[0]["code"], "broken-path");
    assert_eq!(disk[0]["message"], "`textures/nope.png` does not exist (no asset at `assets/textures/nope.png`)");
    let buffer = client.notification("textDocument/publishDiagnostics");
    assert_eq!(buffer["uri"], uri);
    assert_eq!(buffer["version"], 7);
    assert_eq!(buffer["diagnostics"].as_array().map(Vec::len), Some(1), "{buffer:#}");
    assert_eq!(
        buffer["diagnostics"][0]["message"],
        "`textures/nope2.png` does not exist (no asset at `assets/textures/nope2.png`)"
    );
}

#[test]
fn a_document_with_more_diagnostics_than_the_cap_publishes_the_cap_and_a_count_of_the_rest() {
    const CAP: usize = 1000;
    let f = Fixture::new(CLEAN);
    let rel = "assets/scenes/a.scene.json";
    let uri = f.uri(rel);
    // 1,500 broken paths, one per line, written on disk too so that
    // `assetry check` can be compared.
    let text = format!(
        "[\n{}\"textures/sky.png\"]\n",
        (0..1500).map(|i| format!("\"textures/n{i:04}.png\",\n")).collect::<String>()
    );
    std::fs::write(f.path(rel), &text).expect("write the scene");
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let on_disk = client.diagnostics(&uri);
    assert_eq!(on_disk.len(), CAP + 1);
    for (i, d) in on_disk[..CAP].iter().enumerate() {
        assert_eq!(d["code"], "broken-path");
        assert_eq!(d["range"]["start"]["line"], i + 1, "{d}");
    }
    let more = |n: usize, line: usize| {
        json!({
            // At the first path left out, inside its quotes.
            "range": {"start": {"line": line, "character": 1}, "end": {"line": line, "character": 1}},
            "severity": 1,
            "source": "assetry",
            "message": format!("and {n} more in this file, not shown: the editor gets at most 1000 per file (`assetry check` lists them all)"),
        })
    };
    assert_eq!(on_disk[CAP], more(500, CAP + 1));
    // The same cap for an open buffer's text.
    let buffer = format!(
        "[\n{}\"textures/sky.png\"]\n",
        (0..2500).map(|i| format!("\"textures/m{i:04}.png\",\n")).collect::<String>()
    );
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "json", "version": 3, "text": buffer}}),
    );
    let published = client.notification("textDocument/publishDiagnostics");
    assert_eq!(published["uri"], uri);
    assert_eq!(published["version"], 3);
    let diagnostics = published["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diagnostics.len(), CAP + 1);
    assert_eq!(
        diagnostics[CAP - 1]["message"],
        "`textures/m0999.png` does not exist (no asset at `assets/textures/m0999.png`)"
    );
    assert_eq!(diagnostics[CAP], more(1500, CAP + 1));
    // The command line's report stays complete.
    let (code, report) = crate::support::lsp::check_json(&assetry_bin(), f.root());
    assert_eq!(code, Some(1));
    assert_eq!(report["summary"]["errors"], 1500);
    assert_eq!(report["diagnostics"].as_array().map(Vec::len), Some(1500));
}
