//! `assetry lsp` against any bytes a client may send: broken framing and
//! JSON that is not JSON-RPC. After each, the server must answer what the
//! specification asks (or nothing), then answer the next request exactly
//! and shut down cleanly; the client's unread-message guard checks that
//! nothing else came.

use serde_json::{Value, json};

use crate::support::assetry_bin;
use crate::support::lsp::{Fixture, LspClient};

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

/// What the server must answer to the bad input, before the next request.
enum Answer {
    /// Nothing at all.
    Nothing,
    /// An error response with this id and code.
    Error(Value, i64),
}

/// Starts a server, writes `input` (raw bytes, framing included), checks
/// the answer, then that a definition request is answered exactly and the
/// server shuts down with status 0.
fn survives(input: &[u8], answer: Answer) {
    let f = Fixture::new(CLEAN);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    client.write_bytes(input);
    expect_answer(&mut client, answer);
    still_serves(&mut client, &f);
}

fn expect_answer(client: &mut LspClient, answer: Answer) {
    match answer {
        Answer::Nothing => {}
        Answer::Error(Value::Null, code) => assert_eq!(client.response_null_id()["code"], code),
        Answer::Error(id, code) => {
            let id = id.as_i64().expect("tests use integer ids");
            assert_eq!(client.response(id).expect_err("an error response")["code"], code);
        }
    }
}

fn still_serves(client: &mut LspClient, f: &Fixture) {
    let at_sky =
        json!({"textDocument": {"uri": f.uri("assets/scenes/a.scene.json")}, "position": {"line": 0, "character": 12}});
    let definition = client.request_ok("textDocument/definition", at_sky);
    let start = json!({"line": 0, "character": 0});
    assert_eq!(definition, json!({"uri": f.uri("assets/textures/sky.png"), "range": {"start": start, "end": start}}));
    assert_eq!(client.shutdown().code(), Some(0), "server stderr:\n{}", client.stderr());
}

fn framed(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

// Point 1: framing.

#[test]
fn a_content_length_of_a_terabyte_is_skipped_without_allocating_it() {
    survives(b"Content-Length: 1000000000000\r\n\r\n", Answer::Nothing);
}

#[test]
fn a_content_length_beyond_u64_is_skipped() {
    survives(b"Content-Length: 99999999999999999999999999\r\n\r\n{}", Answer::Nothing);
}

#[test]
fn a_message_without_content_length_is_skipped() {
    survives(b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"shutdown\"}", Answer::Nothing);
}

#[test]
fn a_content_length_that_is_not_a_number_is_skipped() {
    // No line break after the body: the next message's header follows it on
    // the same line, so the whole line must not be taken as garbage.
    survives(b"Content-Length: twelve\r\n\r\n{\"a\": 1}", Answer::Nothing);
}

#[test]
fn a_negative_content_length_is_skipped() {
    survives(b"Content-Length: -5\r\n\r\n{}", Answer::Nothing);
}

#[test]
fn a_content_length_too_small_cuts_the_body_which_is_then_not_json() {
    let body = r#"{"jsonrpc":"2.0","id":9,"method":"workspace/symbol","params":{"query":"sky"}}"#;
    let input = [format!("Content-Length: 20\r\n\r\n{body}").into_bytes()].concat();
    survives(&input, Answer::Error(Value::Null, -32700));
}

#[test]
fn a_content_length_too_large_ends_at_the_next_message() {
    // The message is dropped (its length was wrong), not answered: the
    // request after it must not be swallowed as the rest of its body.
    let body = r#"{"jsonrpc":"2.0","id":9,"method":"workspace/symbol","params":{"query":"sky"}}"#;
    survives(format!("Content-Length: 5000\r\n\r\n{body}").as_bytes(), Answer::Nothing);
}

#[test]
fn random_bytes_are_skipped() {
    // A fixed linear congruential sequence: the same bytes on every run.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let bytes: Vec<u8> = (0..8192)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect();
    survives(&bytes, Answer::Nothing);
}

#[test]
fn a_header_line_that_never_ends_is_skipped() {
    survives(&vec![b'x'; 100_000], Answer::Nothing);
}

#[test]
fn a_message_over_64_mib_is_skipped_and_the_rest_is_read() {
    // A real `didOpen` whose text breaks a reference: had it been read, the
    // server would publish a diagnostic, which the client would find unread.
    let f = Fixture::new(CLEAN);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let padding = "x".repeat(64 << 20);
    let text = format!("{{\"sky\": \"textures/missing.png\", \"pad\": \"{padding}\"}}");
    let open = json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": f.uri("assets/scenes/a.scene.json"), "languageId": "json", "version": 1, "text": text}}});
    client.write_bytes(&framed(&open.to_string()));
    still_serves(&mut client, &f);
}

// Point 2: JSON that is not JSON-RPC.

fn request_with_id(id: &str) -> Vec<u8> {
    framed(&format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"workspace/symbol","params":{{"query":"sky"}}}}"#))
}

#[test]
fn a_float_id_is_an_invalid_request() {
    survives(&request_with_id("1.5"), Answer::Error(Value::Null, -32600));
}

#[test]
fn a_bool_id_is_an_invalid_request() {
    survives(&request_with_id("true"), Answer::Error(Value::Null, -32600));
}

#[test]
fn an_object_id_is_an_invalid_request() {
    survives(&request_with_id(r#"{"n":1}"#), Answer::Error(Value::Null, -32600));
}

#[test]
fn an_array_id_is_an_invalid_request() {
    survives(&request_with_id("[1]"), Answer::Error(Value::Null, -32600));
}

#[test]
fn an_id_of_2_to_the_63_is_an_invalid_request() {
    survives(&request_with_id("9223372036854775808"), Answer::Error(Value::Null, -32600));
}

#[test]
fn a_batch_gets_one_invalid_request_error() {
    let request = r#"{"jsonrpc":"2.0","id":9,"method":"workspace/symbol","params":{"query":"sky"}}"#;
    survives(&framed(&format!("[{request},{request}]")), Answer::Error(Value::Null, -32600));
}

#[test]
fn jsonrpc_1_0_is_an_invalid_request_answered_on_its_id() {
    survives(
        &framed(r#"{"jsonrpc":"1.0","id":9,"method":"workspace/symbol","params":{"query":"sky"}}"#),
        Answer::Error(json!(9), -32600),
    );
}

#[test]
fn a_missing_jsonrpc_is_an_invalid_request_answered_on_its_id() {
    survives(
        &framed(r#"{"id":9,"method":"workspace/symbol","params":{"query":"sky"}}"#),
        Answer::Error(json!(9), -32600),
    );
}

#[test]
fn a_notification_with_a_bad_jsonrpc_is_dropped() {
    survives(&framed(r#"{"jsonrpc":"1.0","method":"initialized","params":{}}"#), Answer::Nothing);
}

#[test]
fn a_method_that_is_not_a_string_is_an_invalid_request() {
    survives(&framed(r#"{"jsonrpc":"2.0","id":9,"method":42}"#), Answer::Error(json!(9), -32600));
}

#[test]
fn a_bare_string_is_an_invalid_request() {
    survives(&framed(r#""workspace/symbol""#), Answer::Error(Value::Null, -32600));
}

#[test]
fn a_bare_number_is_an_invalid_request() {
    survives(&framed("42"), Answer::Error(Value::Null, -32600));
}

#[test]
fn a_bare_null_is_an_invalid_request() {
    survives(&framed("null"), Answer::Error(Value::Null, -32600));
}

#[test]
fn an_empty_object_is_an_invalid_request() {
    survives(&framed("{}"), Answer::Error(Value::Null, -32600));
}

/// A request whose params hold arrays nested so that the whole message is
/// `depth` levels deep.
fn nested_request(depth: usize) -> Vec<u8> {
    let arrays = depth - 2;
    framed(&format!(
        r#"{{"jsonrpc":"2.0","id":9,"method":"workspace/symbol","params":{{"query":"sky","deep":{}{}}}}}"#,
        "[".repeat(arrays),
        "]".repeat(arrays)
    ))
}

#[test]
fn a_message_nested_128_levels_is_a_parse_error() {
    survives(&nested_request(128), Answer::Error(Value::Null, -32700));
}

#[test]
fn a_message_nested_127_levels_is_served() {
    let f = Fixture::new(CLEAN);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    client.write_bytes(&nested_request(127));
    let symbols = client.response(9).expect("served");
    assert_eq!(symbols.as_array().map(Vec::len), Some(1), "{symbols}");
    still_serves(&mut client, &f);
}

#[test]
fn a_response_from_the_client_passes_through_unanswered() {
    survives(&framed(r#"{"jsonrpc":"2.0","id":9,"result":null}"#), Answer::Nothing);
}

#[test]
fn a_response_with_a_malformed_error_is_dropped() {
    survives(&framed(r#"{"jsonrpc":"2.0","id":9,"error":{"code":"bad"}}"#), Answer::Nothing);
}
