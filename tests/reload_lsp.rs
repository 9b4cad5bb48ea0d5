//! Hot reload from the language server: a project whose `assetry.toml` sets
//! `[reload] address` is processed and served even though the editor did
//! not ask for processing; one that does not set it gets no server.

use std::time::Duration;

use assetry_client::{ChangeKind, Client, Update};
use serde_json::{Value, json};

use crate::process::png;
use crate::support::lsp::{LspClient, file_uri};
use crate::support::{assetry_bin, save_file, write_file};

const HERO_ID: &str = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11";
const HERO: &str = "assets/textures/hero.png";

fn project(toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write_file(dir.path(), "assetry.toml", toml);
    write_file(dir.path(), HERO, png(4, 4, 1));
    write_file(dir.path(), "assets/textures/hero.png.meta", format!("id = \"{HERO_ID}\"\n"));
    dir
}

fn start(root: &std::path::Path) -> LspClient {
    let mut client = LspClient::spawn(&assetry_bin(), root);
    client.ignore_unread();
    client.request_ok(
        "initialize",
        json!({"processId": std::process::id(), "rootUri": file_uri(root), "capabilities": {}}),
    );
    client.notify("initialized", json!({}));
    client
}

/// The text of the next `window/logMessage` or `window/showMessage` that
/// mentions hot reload.
fn reload_message(client: &mut LspClient) -> (String, String) {
    loop {
        let m = client.next_message(Duration::from_secs(30)).expect("the server says where hot reload is");
        let method = m.get("method").and_then(Value::as_str).unwrap_or_default().to_owned();
        let text = m["params"]["message"].as_str().unwrap_or_default().to_owned();
        if method.starts_with("window/") && text.contains("hot reload") {
            return (method, text);
        }
    }
}

#[test]
fn the_language_server_serves_hot_reload_when_reload_is_set() {
    let dir = project("[reload]\naddress = \"127.0.0.1:0\"\n");
    let root = dir.path();
    let mut lsp = start(root);
    let (method, text) = reload_message(&mut lsp);
    assert_eq!(method, "window/logMessage");
    let address = std::fs::read_to_string(root.join(".assetry/reload.addr")).unwrap();
    assert_eq!(text, format!("assetry: hot reload on {} (written to .assetry/reload.addr)", address.trim()));

    let client = Client::discover(root).expect("connect");
    // The first run's result: in the manifest the client loaded when it
    // connected, or in the changeset that follows.
    while client.manifest().get(HERO).is_none() {
        client.next_timeout(Duration::from_secs(30)).expect("the first run's changeset");
    }
    save_file(root, HERO, png(4, 4, 2));
    let changes = loop {
        match client.next_timeout(Duration::from_secs(30)).expect("a changeset") {
            Update::Changeset { changes, .. } if changes.iter().any(|c| c.kind == ChangeKind::Modified) => {
                break changes;
            }
            Update::Changeset { .. } | Update::Connected { .. } => continue,
            other => panic!("unexpected {other:?}"),
        }
    };
    let manifest = assetry_client::Manifest::load(root, "default").unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].id.as_deref(), Some(HERO_ID));
    assert_eq!(changes[0].hash, manifest.get(HERO).unwrap().hash);
    lsp.shutdown();
    assert!(!root.join(".assetry/reload.addr").exists(), "the server stopped with the language server");
}

#[test]
fn an_address_in_use_is_shown_to_the_user() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let dir = project(&format!("[reload]\naddress = \"{address}\"\n"));
    let mut lsp = start(dir.path());
    let (method, text) = reload_message(&mut lsp);
    assert_eq!(method, "window/showMessage");
    assert_eq!(
        text,
        format!(
            "assetry: reload server: {address} is already in use (set by `[reload] address` in assetry.toml; \
             another port, or port 0 for a free one, avoids it); hot reload is off"
        )
    );
}
