//! The engine's findings about `assetry.toml` itself, as the editor shows
//! them: a bad `project.ignore` glob, roots inside one another, profiles
//! inheriting in a circle (errors that stop the project) are
//! `invalid-config` diagnostics at the offending value.

use serde_json::json;

use crate::support::assetry_bin;
use crate::support::lsp::{Fixture, LspClient};

fn project(config: &str) -> Fixture {
    Fixture::new(&format!(
        r#"
//- /assetry.toml
{config}
//- /assets/a.scene.json
{{"t": "missing.png"}}
//- /assets/a.scene.json.meta
id = "a0000000-0000-4000-8000-000000000001"
//- /assets/textures/b.png
png
"#
    ))
}

/// The only diagnostic on `assetry.toml` when the server starts, as
/// (code, severity, range, message).
fn config_diagnostic(config: &str) -> (String, u64, serde_json::Value, String) {
    let f = project(config);
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let diagnostics = client.diagnostics(&f.uri("assetry.toml"));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let d = &diagnostics[0];
    // The project was not loaded: one warning says so.
    assert_eq!(client.notification("window/showMessage")["type"], 2);
    (
        d["code"].as_str().unwrap_or_default().to_owned(),
        d["severity"].as_u64().unwrap_or_default(),
        d["range"].clone(),
        d["message"].as_str().unwrap_or_default().to_owned(),
    )
}

fn range(line: u64, start: u64, end: u64) -> serde_json::Value {
    json!({"start": {"line": line, "character": start}, "end": {"line": line, "character": end}})
}

#[test]
fn a_bad_ignore_glob_is_an_error_at_the_glob() {
    let (code, severity, at, message) =
        config_diagnostic("[project]\nroots = [\"assets\"]\nignore = [\"*.tmp\", \"raw/[ab\"]\n");
    assert_eq!((code.as_str(), severity, at), ("invalid-config", 1, range(2, 20, 27)));
    assert!(message.starts_with("project.ignore: `raw/[ab`"), "{message}");
}

#[test]
fn overlapping_roots_are_an_error_at_the_inner_root() {
    let (code, severity, at, message) = config_diagnostic("[project]\nroots = [\"assets/textures\", \"assets\"]\n");
    assert_eq!((code.as_str(), severity, at), ("invalid-config", 1, range(1, 10, 25)));
    assert!(message.contains("`assets/textures` is inside the root `assets`"), "{message}");
}

#[test]
fn profiles_inheriting_in_a_circle_are_an_error_at_the_inherits_that_closes_it() {
    let (code, severity, at, message) =
        config_diagnostic("[profiles.a]\ninherits = \"b\"\n[profiles.b]\ninherits = \"a\"\n");
    assert_eq!((code.as_str(), severity, at), ("invalid-config", 1, range(3, 12, 13)));
    assert!(message.contains("`a` → `b` → `a`"), "{message}");
}

/// A root that does not exist does not stop the project: a warning on the
/// root's string, the other roots checked.
#[test]
fn a_missing_root_is_a_warning_at_its_string() {
    let f = project("[project]\nroots = [\"assets\", \"dlc\"]\n");
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    let diagnostics = client.diagnostics(&f.uri("assetry.toml"));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let d = &diagnostics[0];
    assert_eq!((d["code"].as_str(), d["severity"].as_u64()), (Some("invalid-config"), Some(2)));
    assert_eq!(d["range"], range(1, 20, 23));
    assert!(d["message"].as_str().unwrap_or_default().contains("`dlc` does not exist"), "{d}");
    assert_eq!(client.diagnostic_codes(&f.uri("assets/a.scene.json")), [("broken-path".to_owned(), 0, 7, 18)]);
    assert_eq!(client.diagnostic_codes(&f.uri("assets/textures/b.png")), [("missing-meta".to_owned(), 0, 0, 0)]);
    // Returns once the project is open and watched.
    client.request_ok("workspace/symbol", json!({"query": "x"}));
    // The root is created, with an asset in it.
    std::fs::create_dir(f.path("dlc")).unwrap();
    std::fs::write(f.path("dlc/x.png.meta"), "id = \"d0000000-0000-4000-8000-000000000001\"\n").unwrap();
    std::fs::write(f.path("dlc/x.png"), "png").unwrap();
    assert_eq!(client.diagnostic_codes(&f.uri("assetry.toml")), []);
}

/// Nested projects are found by the walk's rules: an `assetry.toml` in a
/// folder the `.gitignore` names (vendored code) is not a project, one
/// elsewhere is.
#[test]
fn no_nested_project_is_found_in_an_ignored_folder() {
    let meta = "id = \"a0000000-0000-4000-8000-000000000001\"";
    let f = Fixture::new(&format!(
        r#"
//- /.gitignore
vendor/
//- /assets/a.scene.json
{{"t": "missing.png"}}
//- /assets/a.scene.json.meta
{meta}
//- /vendor/game/assetry.toml
//- /vendor/game/assets/v.scene.json
{{"t": "missing.png"}}
//- /vendor/game/assets/v.scene.json.meta
{meta}
//- /tools/editor/assetry.toml
//- /tools/editor/assets/e.scene.json
{{"t": "missing.png"}}
//- /tools/editor/assets/e.scene.json.meta
{meta}
"#
    ));
    let (mut client, _) = LspClient::start(&assetry_bin(), &[f.root()]);
    for scene in ["assets/a.scene.json", "tools/editor/assets/e.scene.json"] {
        assert_eq!(client.diagnostic_codes(&f.uri(scene)), [("broken-path".to_owned(), 0, 7, 18)], "{scene}");
    }
    let symbols = client.request_ok("workspace/symbol", json!({"query": "scene"}));
    let mut uris: Vec<&str> =
        symbols.as_array().unwrap().iter().filter_map(|s| s["location"]["uri"].as_str()).collect();
    uris.sort();
    assert_eq!(uris, [f.uri("assets/a.scene.json"), f.uri("tools/editor/assets/e.scene.json")]);
}
