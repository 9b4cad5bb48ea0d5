//! Several workspace folders, nested `assetry.toml` projects, and folders
//! added and removed while the server runs.

use serde_json::json;

use crate::support::assetry_bin;
use crate::support::lsp::{Fixture, LspClient};

const META_A: &str = "id = \"a0000000-0000-4000-8000-000000000001\"\n";
const META_B: &str = "id = \"b0000000-0000-4000-8000-000000000001\"\n";
const META_N: &str = "id = \"c0000000-0000-4000-8000-000000000001\"\n";
const META_N2: &str = "id = \"c0000000-0000-4000-8000-000000000002\"\n";

fn folder_a() -> Fixture {
    Fixture::new(&format!(
        "//- /assetry.toml\n//- /assets/a.scene.json\n{{\"t\": \"missing_a.png\"}}\n//- /assets/a.scene.json.meta\n{META_A}"
    ))
}

/// A folder with its own project and a nested one under `tools/editor`,
/// whose asset root is its own `content/` folder.
fn folder_b() -> Fixture {
    Fixture::new(&format!(
        r#"
//- /assets/b.scene.json
{{"t": "missing_b.png"}}
//- /assets/b.scene.json.meta
{META_B}
//- /tools/editor/assetry.toml
[project]
roots = ["content"]
//- /tools/editor/content/ui.scene.json
{{"icon": "icons/gear.png", "bad": "icons/nope.png"}}
//- /tools/editor/content/ui.scene.json.meta
{META_N}
//- /tools/editor/content/icons/gear.png
png
//- /tools/editor/content/icons/gear.png.meta
{META_N2}
"#
    ))
}

#[test]
fn every_folder_and_nested_project_is_checked_and_answers_for_its_files() {
    let (a, b) = (folder_a(), folder_b());
    let (mut client, _) = LspClient::start(&assetry_bin(), &[a.root(), b.root()]);
    assert_eq!(client.diagnostic_codes(&a.uri("assets/a.scene.json")), [("broken-path".to_owned(), 0, 7, 20)]);
    assert_eq!(client.diagnostic_codes(&b.uri("assets/b.scene.json")), [("broken-path".to_owned(), 0, 7, 20)]);
    let nested = "tools/editor/content/ui.scene.json";
    assert_eq!(client.diagnostic_codes(&b.uri(nested)), [("broken-path".to_owned(), 0, 35, 49)]);
    // The nested project resolves against its own root.
    let def = client.request_ok(
        "textDocument/definition",
        json!({"textDocument": {"uri": b.uri(nested)}, "position": {"line": 0, "character": 14}}),
    );
    assert_eq!(def["uri"], b.uri("tools/editor/content/icons/gear.png"));
    let symbols = client.request_ok("workspace/symbol", json!({"query": "scene"}));
    let mut uris: Vec<&str> =
        symbols.as_array().unwrap().iter().map(|s| s["location"]["uri"].as_str().unwrap()).collect();
    uris.sort();
    let mut expected = vec![a.uri("assets/a.scene.json"), b.uri("assets/b.scene.json"), b.uri(nested)];
    expected.sort();
    assert_eq!(uris, expected);
}

#[test]
fn folders_added_and_removed_while_running() {
    let (a, b) = (folder_a(), folder_b());
    let (mut client, _) = LspClient::start(&assetry_bin(), &[a.root()]);
    assert_eq!(client.diagnostic_codes(&a.uri("assets/a.scene.json")).len(), 1);
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [{"uri": crate::support::lsp::file_uri(b.root()), "name": "b"}],
                         "removed": [{"uri": crate::support::lsp::file_uri(a.root()), "name": "a"}]}}),
    );
    // A's diagnostics are cleared, B's (and its nested project's) arrive.
    assert_eq!(client.diagnostic_codes(&a.uri("assets/a.scene.json")), []);
    assert_eq!(client.diagnostic_codes(&b.uri("assets/b.scene.json")).len(), 1);
    assert_eq!(client.diagnostic_codes(&b.uri("tools/editor/content/ui.scene.json")).len(), 1);
    let def = client.request_ok(
        "textDocument/definition",
        json!({"textDocument": {"uri": a.uri("assets/a.scene.json")}, "position": {"line": 0, "character": 10}}),
    );
    assert_eq!(def, serde_json::Value::Null);
}

#[test]
fn editing_assetry_toml_on_disk_reloads_the_project() {
    let a = folder_a();
    let (mut client, _) = LspClient::start(&assetry_bin(), &[a.root()]);
    let scene = a.uri("assets/a.scene.json");
    assert_eq!(client.diagnostic_codes(&scene).len(), 1);
    // Point the project at another (empty) root: the scene is no longer
    // part of it, so its diagnostics are cleared.
    std::fs::create_dir_all(a.path("content")).unwrap();
    std::fs::write(a.path("assetry.toml"), "[project]\nroots = [\"content\"]\n").unwrap();
    assert_eq!(client.diagnostic_codes(&scene), []);
    // The server now watches the new roots; a request returns once that
    // switch is done.
    client.request_ok("workspace/symbol", json!({"query": "x"}));
    // And back.
    std::fs::write(a.path("assetry.toml"), "[project]\nroots = [\"assets\"]\n").unwrap();
    assert_eq!(client.diagnostic_codes(&scene).len(), 1);
}
