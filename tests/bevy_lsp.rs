//! The language server on a Bevy project: it logs the flavour and why,
//! offers no fix that writes a `.meta` or an id, and a rename rewrites
//! paths in data files and in code.

use serde_json::{Value, json};

use crate::support::assetry_bin;
use crate::support::lsp::{Fixture, LspClient, apply_workspace_edit, check_json};

const FIXTURE: &str = r#"
//- /Cargo.toml
[package]
name = "game"
[dependencies]
bevy = "0.16"
//- /assets/textures/hero.png
png
//- /assets/scenes/level.scn.ron
(hero: "textures/hero.png")
//- /src/main.rs
fn setup(s: Res<AssetServer>) { let _h: Handle<Image> = s.load("textures/hero.png"); }
"#;

fn start(f: &Fixture) -> LspClient {
    let mut client = LspClient::start(&assetry_bin(), &[f.root()]).0;
    // Queued behind the scan: the project is open when it returns.
    client.request_ok("workspace/symbol", json!({"query": "no-such-asset"}));
    client
}

fn titles(client: &mut LspClient, f: &Fixture, rel: &str, line: u32, character: u32) -> Vec<String> {
    let at = json!({"line": line, "character": character});
    let result = client.request_ok(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": f.uri(rel)}, "range": {"start": at, "end": at}, "context": {"diagnostics": []}}),
    );
    result
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| a["title"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn the_server_logs_the_flavour_and_offers_no_meta_or_id_fix() {
    let f = Fixture::new(FIXTURE);
    let mut client = start(&f);
    let root = f.root().canonicalize().expect("canonical root");
    let expected = format!("assetry: `{}` is a bevy project: `Cargo.toml` depends on Bevy", root.display());
    loop {
        let log = client.notification("window/logMessage");
        if log["message"] == expected.as_str() {
            assert_eq!(log["type"], 3, "an info message");
            break;
        }
    }
    // The asset has no `.meta`: nothing to create, and no id to use.
    assert_eq!(titles(&mut client, &f, "assets/textures/hero.png", 0, 0), Vec::<String>::new());
    assert_eq!(titles(&mut client, &f, "src/main.rs", 0, 66), Vec::<String>::new());
    assert_eq!(titles(&mut client, &f, "assets/scenes/level.scn.ron", 0, 12), Vec::<String>::new());
    client.shutdown();
}

#[test]
fn a_rename_rewrites_paths_in_data_and_code() {
    let f = Fixture::new(FIXTURE);
    let mut client = start(&f);
    let edit: Value = client.request_ok(
        "workspace/willRenameFiles",
        json!({"files": [{"oldUri": f.uri("assets/textures/hero.png"), "newUri": f.uri("assets/ui/hero.png")}]}),
    );
    client.shutdown();
    apply_workspace_edit(&edit);
    std::fs::create_dir_all(f.path("assets/ui")).expect("mkdir");
    std::fs::rename(f.path("assets/textures/hero.png"), f.path("assets/ui/hero.png")).expect("rename");
    assert_eq!(f.read("assets/scenes/level.scn.ron"), "(hero: \"ui/hero.png\")\n");
    assert!(f.read("src/main.rs").contains("s.load(\"ui/hero.png\")"), "{}", f.read("src/main.rs"));
    assert!(!f.path("assets/ui/hero.png.meta").exists());
    let (exit, report) = check_json(&assetry_bin(), f.root());
    assert_eq!(report["diagnostics"], json!([]), "{report:#}");
    assert_eq!(exit, Some(0));
}
