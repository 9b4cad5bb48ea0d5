//! Which message bodies are JSON-RPC 2.0 that the server can take, and the
//! error the specification names for the others.
//!
//! tower-lsp-server stops reading for good at the first body it cannot
//! deserialize, so every body is judged here first, by rules at least as
//! strict as its own, and only accepted messages reach it, re-serialised
//! (which also removes duplicate keys, which it would refuse).

use serde_json::{Map, Value, json};

/// `-32700`: the body is not JSON (or nests deeper than the 127 levels
/// `serde_json` reads).
const PARSE_ERROR: i64 = -32700;
/// `-32600`: JSON, but not a request object.
const INVALID_REQUEST: i64 = -32600;

/// What to do with one message body.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// A request, notification or response, as JSON for the server.
    Forward(Vec<u8>),
    /// Answer the client with this error response; `reason` is for the log.
    Reply { response: Vec<u8>, reason: String },
    /// Answer nothing (a notification or a response of the client's); the
    /// reason is for the log.
    Drop(String),
}

/// Judges one message body; see the module documentation.
pub fn judge(body: &[u8]) -> Verdict {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(err) => return reply(PARSE_ERROR, &Value::Null, format!("a message that is not JSON: {err}")),
    };
    let mut message = match value {
        Value::Object(map) => map,
        // LSP never sends batches; a whole batch gets one error instead of
        // the array of errors JSON-RPC 2.0 would give, which no LSP client
        // could match to its requests anyway.
        Value::Array(_) => return reply(INVALID_REQUEST, &Value::Null, "a batch (array) of messages".into()),
        other => {
            let shown: String = other.to_string().chars().take(40).collect();
            return reply(INVALID_REQUEST, &Value::Null, format!("a message that is not an object: {shown}"));
        }
    };
    let id = message.get("id");
    // tower-lsp-server reads an id as an i64 or a string (or null).
    let id_usable = match id {
        None | Some(Value::Null | Value::String(_)) => true,
        Some(Value::Number(n)) => n.is_i64(),
        Some(_) => false,
    };
    let answer_id = if id_usable { id.cloned().unwrap_or(Value::Null) } else { Value::Null };
    let version_ok = message.get("jsonrpc").and_then(Value::as_str) == Some("2.0");
    match message.get("method") {
        Some(Value::String(method)) => {
            let problem = if !version_ok {
                "\"jsonrpc\" is not \"2.0\""
            } else if !id_usable {
                "the id is not an integer of 64 bits or a string"
            } else {
                // A request with a result would be taken for a response.
                message.remove("result");
                message.remove("error");
                return forward(message);
            };
            match id {
                None => Verdict::Drop(format!("a notification {method:?} whose {problem}; dropped")),
                Some(_) => reply(INVALID_REQUEST, &answer_id, format!("a request {method:?} whose {problem}")),
            }
        }
        Some(_) => reply(INVALID_REQUEST, &answer_id, "a message whose method is not a string".into()),
        None if message.contains_key("result") || message.contains_key("error") => {
            match response_problem(&message, version_ok, id_usable) {
                None => {
                    if message.contains_key("result") {
                        message.remove("error");
                    }
                    forward(message)
                }
                Some(problem) => Verdict::Drop(format!("a response whose {problem}; dropped")),
            }
        }
        None => reply(INVALID_REQUEST, &answer_id, "a message with neither a method nor a result".into()),
    }
}

/// Why the server could not take a client's response, if it cannot.
fn response_problem(message: &Map<String, Value>, version_ok: bool, id_usable: bool) -> Option<&'static str> {
    if !version_ok {
        return Some("\"jsonrpc\" is not \"2.0\"");
    }
    if !id_usable || !message.contains_key("id") {
        return Some("id is missing or not an integer of 64 bits or a string");
    }
    if message.contains_key("result") {
        return None;
    }
    // tower-lsp-server's error object: an i64 code, a string message,
    // optional data, nothing else.
    let valid_error = message["error"].as_object().is_some_and(|error| {
        error.get("code").is_some_and(Value::is_i64)
            && error.get("message").is_some_and(Value::is_string)
            && error.keys().all(|k| matches!(k.as_str(), "code" | "message" | "data"))
    });
    (!valid_error).then_some("error is not an object with an integer code and a message")
}

fn forward(message: Map<String, Value>) -> Verdict {
    Verdict::Forward(serde_json::to_vec(&message).expect("a JSON value serialises"))
}

fn reply(code: i64, id: &Value, reason: String) -> Verdict {
    let message = if code == PARSE_ERROR { "Parse error" } else { "Invalid request" };
    let response =
        json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": format!("{message}: {reason}")}});
    Verdict::Reply { response: serde_json::to_vec(&response).expect("a JSON value serialises"), reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error response's id and code, or `None` if the body is dropped.
    fn error_of(body: &str) -> Option<(Value, i64)> {
        match judge(body.as_bytes()) {
            Verdict::Reply { response, .. } => {
                let response: Value = serde_json::from_slice(&response).unwrap();
                Some((response["id"].clone(), response["error"]["code"].as_i64().unwrap()))
            }
            Verdict::Drop(_) => None,
            Verdict::Forward(json) => panic!("forwarded: {}", String::from_utf8_lossy(&json)),
        }
    }

    #[test]
    fn well_formed_messages_are_forwarded_without_duplicate_keys() {
        for body in [
            r#"{"jsonrpc":"2.0","id":1,"method":"a","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":"x","method":"a"}"#,
            r#"{"jsonrpc":"2.0","id":-9223372036854775808,"method":"a"}"#,
            r#"{"jsonrpc":"2.0","method":"a"}"#,
            r#"{"jsonrpc":"2.0","id":3,"result":null}"#,
            r#"{"jsonrpc":"2.0","id":3,"error":{"code":-1,"message":"no"}}"#,
        ] {
            assert!(matches!(judge(body.as_bytes()), Verdict::Forward(_)), "{body}");
        }
        let twice = judge(br#"{"jsonrpc":"2.0","id":1,"id":2,"method":"a"}"#);
        assert_eq!(twice, Verdict::Forward(br#"{"id":2,"jsonrpc":"2.0","method":"a"}"#.to_vec()));
    }

    /// What tower-lsp-server decodes: its message type is a response, else
    /// a request.
    fn server_decodes(json: &[u8]) -> bool {
        use tower_lsp_server::jsonrpc::{Request, Response};
        serde_json::from_slice::<Response>(json).is_ok() || serde_json::from_slice::<Request>(json).is_ok()
    }

    #[test]
    fn everything_forwarded_is_decoded_by_the_server() {
        let absent = None;
        let jsonrpc = [absent.clone(), Some(json!("2.0")), Some(json!("1.0")), Some(json!(2))];
        let ids = [
            absent.clone(),
            Some(json!(null)),
            Some(json!(1)),
            Some(json!(-1)),
            Some(json!("s")),
            Some(json!(1.5)),
            Some(json!(true)),
            Some(json!({})),
            Some(json!([])),
            Some(json!(9_223_372_036_854_775_808_u64)),
        ];
        let methods = [absent.clone(), Some(json!("m")), Some(json!(5)), Some(json!(null))];
        let results = [absent.clone(), Some(json!(null)), Some(json!(1))];
        let errors = [
            absent.clone(),
            Some(json!({"code": 1, "message": "m"})),
            Some(json!({"code": 1.5, "message": "m"})),
            Some(json!({"code": 1, "message": "m", "extra": 1})),
        ];
        let params = [absent, Some(json!({})), Some(json!([])), Some(json!(5))];
        let mut forwarded = 0;
        for j in &jsonrpc {
            for id in &ids {
                for method in &methods {
                    for result in &results {
                        for error in &errors {
                            for param in &params {
                                let mut message = Map::new();
                                for (key, value) in [
                                    ("jsonrpc", j),
                                    ("id", id),
                                    ("method", method),
                                    ("result", result),
                                    ("error", error),
                                    ("params", param),
                                ] {
                                    if let Some(value) = value {
                                        message.insert(key.to_owned(), value.clone());
                                    }
                                }
                                let body = serde_json::to_vec(&message).unwrap();
                                if let Verdict::Forward(json) = judge(&body) {
                                    forwarded += 1;
                                    assert!(server_decodes(&json), "{}", String::from_utf8_lossy(&json));
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(forwarded > 100, "only {forwarded} forwarded");
    }

    #[test]
    fn each_kind_of_invalid_message_gets_the_error_the_specification_names() {
        let null = Value::Null;
        for (body, expected) in [
            ("{\"jsonrpc\":", Some((null.clone(), PARSE_ERROR))),
            (r#"{"jsonrpc":"2.0","id":1.5,"method":"a"}"#, Some((null.clone(), INVALID_REQUEST))),
            (r#"{"jsonrpc":"2.0","id":true,"method":"a"}"#, Some((null.clone(), INVALID_REQUEST))),
            (r#"{"jsonrpc":"2.0","id":{},"method":"a"}"#, Some((null.clone(), INVALID_REQUEST))),
            (r#"{"jsonrpc":"2.0","id":[1],"method":"a"}"#, Some((null.clone(), INVALID_REQUEST))),
            (r#"{"jsonrpc":"2.0","id":9223372036854775808,"method":"a"}"#, Some((null.clone(), INVALID_REQUEST))),
            (r#"[{"jsonrpc":"2.0","id":1,"method":"a"}]"#, Some((null.clone(), INVALID_REQUEST))),
            (r#"{"jsonrpc":"1.0","id":7,"method":"a"}"#, Some((json!(7), INVALID_REQUEST))),
            (r#"{"id":7,"method":"a"}"#, Some((json!(7), INVALID_REQUEST))),
            (r#"{"jsonrpc":"2.0","id":7,"method":5}"#, Some((json!(7), INVALID_REQUEST))),
            (r#""text""#, Some((null.clone(), INVALID_REQUEST))),
            ("12", Some((null.clone(), INVALID_REQUEST))),
            ("null", Some((null.clone(), INVALID_REQUEST))),
            ("{}", Some((null.clone(), INVALID_REQUEST))),
            (&format!("{}{}", "[".repeat(128), "]".repeat(128)), Some((null.clone(), PARSE_ERROR))),
            (r#"{"jsonrpc":"1.0","method":"a"}"#, None),
            (r#"{"jsonrpc":"2.0","id":1.5,"result":1}"#, None),
            (r#"{"jsonrpc":"2.0","id":1,"error":{"code":1.5,"message":"m"}}"#, None),
        ] {
            assert_eq!(error_of(body), expected, "{body}");
        }
    }
}
