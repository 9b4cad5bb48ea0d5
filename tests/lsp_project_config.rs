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
