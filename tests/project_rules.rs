//! What belongs to a project and what is a reference, end to end through
//! `assetry check`: URLs, the role of each file (asset root or game code),
//! the ignore rules, the asset roots, and the findings about `assetry.toml`
//! itself. Each test states the complete output.

use crate::check::{At, TIMEOUT, assert_exactly, expect};
use crate::support::{check_json, run_assetry, write_file};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";

fn meta(n: u32) -> String {
    format!("id = \"4a5b6c7d-0000-4000-8000-{n:012}\"\n")
}

/// URLs are never looked up as files, wherever the syntax says "this is an
/// asset": glTF `uri`, `load("...")`, `#import`, `.meta` dependencies and
/// data strings. The one real broken path beside them is still reported.
#[test]
fn urls_are_never_references() {
    let project = tempfile::tempdir().unwrap();
    let root = project.path();
    write_file(
        root,
        "assets/models/ship.gltf",
        r#"{"images": [{"uri": "https://cdn.example.com/textures/hull.png"}, {"uri": "../textures/gone.png"},
            {"uri": "file:///home/me/hull.png"}]}"#,
    );
    write_file(root, "assets/models/ship.gltf.meta", meta(1));
    write_file(root, "assets/textures/hull.png", PNG);
    write_file(root, "assets/textures/hull.png.meta", meta(2));
    write_file(
        root,
        "src/main.rs",
        "fn setup(s: AssetServer) {\n    s.load(\"https://cdn.example.com/scene.gltf\");\n    s.load(\"textures/hull.png\");\n}\n",
    );
    write_file(root, "assets/shaders/main.wgsl", "#import \"https://example.com/lib.wgsl\"\n");
    write_file(root, "assets/shaders/main.wgsl.meta", meta(3));
    write_file(root, "assets/data/level.json", r#"{"sky": "http://example.com/sky.png", "hull": "textures/hull.png"}"#);
    write_file(
        root,
        "assets/data/level.json.meta",
        format!("{}[dependencies]\nload = [\"https://example.com/extra.png\"]\n", meta(4)),
    );
    let (exit, report) = check_json(root, TIMEOUT);
    assert_exactly(
        root,
        exit,
        &report,
        &[expect("broken-path", "assets/models/ship.gltf", At::Text("../textures/gone.png"))],
    );
    // The two real references and the broken one; no URL counts.
    assert_eq!(report.summary["references"].as_u64(), Some(3), "{}", report.summary);
}

/// An asset root inside a code folder (`code = ["."]`) is walked once: each
/// asset and each finding counts once, and a file has one role (a `.rs`
/// file inside the asset root is an asset, not game code).
#[test]
fn a_root_inside_a_code_folder_counts_each_file_once() {
    let project = tempfile::tempdir().unwrap();
    let root = project.path();
    write_file(root, "assetry.toml", "[project]\nroots = [\"assets\"]\ncode = [\".\"]\n");
    write_file(root, "assets/textures/hero.png", PNG);
    write_file(root, "assets/textures/hero.png.meta", meta(1));
    write_file(root, "assets/textures/sky.png", PNG);
    write_file(root, "assets/scenes/level.json", r#"{"hero": "textures/hero.png", "boss": "textures/boss.png"}"#);
    write_file(root, "assets/scenes/level.json.meta", meta(2));
    write_file(root, "assets/scripts/mod.rs", "fn f() { load(\"textures/nowhere.png\"); }\n");
    write_file(root, "assets/scripts/mod.rs.meta", meta(3));
    write_file(root, "src/main.rs", "fn main() { load(\"textures/hero.png\"); load(\"textures/villain.png\"); }\n");
    let (exit, report) = check_json(root, TIMEOUT);
    assert_exactly(
        root,
        exit,
        &report,
        &[
            expect("broken-path", "assets/scenes/level.json", At::Text("textures/boss.png")),
            expect("missing-meta", "assets/textures/sky.png", At::FileStart),
            expect("broken-path", "src/main.rs", At::Text("textures/villain.png")),
        ],
    );
    assert_eq!(report.summary["assets"].as_u64(), Some(4), "{}", report.summary);
    assert_eq!(report.summary["references"].as_u64(), Some(4), "{}", report.summary);
}

/// A `project.ignore` glob that does not parse stops `check` and `watch`
/// alike (exit 2), with the glob and its place in `assetry.toml`: one
/// definition of the rules, never silently dropped by one command and
/// rejected by the other.
#[test]
fn a_bad_ignore_glob_stops_check_and_watch_alike() {
    let project = tempfile::tempdir().unwrap();
    let root = project.path();
    write_file(root, "assetry.toml", "[project]\nroots = [\"assets\"]\nignore = [\"*.tmp\", \"raw/[ab\"]\n");
    write_file(root, "assets/a.json", "{\"x\": \"gone.png\"}");
    for command in ["check", "watch"] {
        let run = run_assetry(root, &[command, "."], TIMEOUT);
        run.assert_exit(&[2]);
        assert!(run.stdout.is_empty(), "{command}: no report: {}", run.stdout);
        assert!(
            run.stderr.contains("line 3, column 21: project.ignore: `raw/[ab`"),
            "{command}: the glob and its place: {}",
            run.stderr
        );
    }
}

/// Roots inside one another would scan their shared files twice (each
/// `.meta` a duplicate of itself): the configuration is refused, at the
/// inner root, rather than checked.
#[test]
fn overlapping_roots_are_an_invalid_config() {
    let project = tempfile::tempdir().unwrap();
    let root = project.path();
    write_file(root, "assetry.toml", "[project]\nroots = [\"assets\", \"assets/textures\"]\n");
    write_file(root, "assets/textures/hero.png", PNG);
    write_file(root, "assets/textures/hero.png.meta", meta(1));
    let run = run_assetry(root, &["check", "--format", "json", "."], TIMEOUT);
    run.assert_exit(&[2]);
    assert!(run.stdout.is_empty(), "no report: {}", run.stdout);
    assert!(
        run.stderr.contains(
            "line 2, column 21: project.roots: `assets/textures` is inside the root `assets`, so its files would be \
             assets of both; keep one of them"
        ),
        "{}",
        run.stderr
    );
}

/// Settings that used to be accepted silently: a root that does not exist
/// is a warning on `assetry.toml` at the root's string, and a folder that
/// cannot be listed is a warning on the folder; both leave the rest checked.
#[test]
fn a_missing_root_and_an_unreadable_folder_are_warnings() {
    use std::os::unix::fs::PermissionsExt;
    let project = tempfile::tempdir().unwrap();
    let root = project.path();
    write_file(root, "assetry.toml", "[project]\nroots = [\"assets\", \"dlc\"]\n");
    write_file(root, "assets/a.json", r#"{"x": "gone.png"}"#);
    write_file(root, "assets/a.json.meta", meta(1));
    write_file(root, "assets/locked/b.png", PNG);
    let locked = root.join("assets/locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let (exit, report) = check_json_unprivileged(root);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_exactly(
        root,
        exit,
        &report,
        &[
            expect("broken-path", "assets/a.json", At::Text("gone.png")),
            expect("invalid-config", "assetry.toml", At::Text("dlc")).warning(),
            expect("unreadable-file", "assets/locked", At::FileStart),
        ],
    );
}

/// `assetry check --format json` as a user permission bits apply to: root
/// may list any folder, so under root the check runs as `nobody` (through
/// `setpriv`), with the project made readable to it.
fn check_json_unprivileged(root: &std::path::Path) -> (i32, crate::support::CheckReport) {
    use std::os::unix::fs::PermissionsExt;
    if !crate::support::running_as_root() {
        return check_json(root, TIMEOUT);
    }
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut child = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(crate::support::assetry_bin())
        .args(["check", "--format", "json"])
        .arg(root)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("setpriv (util-linux) runs the check as an unprivileged user");
    let deadline = std::time::Instant::now() + TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "the check did not finish within {TIMEOUT:?}");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    let code = out.status.code().expect("an exit status");
    assert!(code == 0 || code == 1, "exit status {code}");
    (code, crate::support::parse_check_json(&String::from_utf8_lossy(&out.stdout)))
}

/// A profile inheriting from itself (directly or around a circle) and an
/// empty call name stop the check, each named with its place.
#[test]
fn inheritance_cycles_and_empty_call_names_are_invalid_configs() {
    let cases = [
        (
            "[profiles.a]\ninherits = \"a\"\n",
            "line 2, column 13: profiles inherit from each other in a circle: `a` → `a`",
        ),
        (
            "[profiles.a]\ninherits = \"b\"\n[profiles.b]\ninherits = \"a\"\n",
            "line 4, column 13: profiles inherit from each other in a circle: `a` → `b` → `a`",
        ),
        ("[references]\ncode_calls = [\"load\", \"\"]\n", "line 2, column 24: references.code_calls: an empty name"),
    ];
    for (config, message) in cases {
        let project = tempfile::tempdir().unwrap();
        write_file(project.path(), "assetry.toml", config);
        write_file(project.path(), "assets/a.png", PNG);
        let run = run_assetry(project.path(), &["check", "."], TIMEOUT);
        run.assert_exit(&[2]);
        assert!(run.stderr.contains(message), "{config}: {}", run.stderr);
    }
}
