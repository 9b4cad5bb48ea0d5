//! `assetry fix [DIR] --to-ids | --repair` on a copy of the demo project.

use std::path::Path;
use std::process::Command;

use crate::support::lsp::check_json;
use crate::support::{assetry_bin, repo_root};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != ".assetry" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn demo_copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("demo");
    copy_dir(&repo_root().join("examples/demo"), &root);
    (tmp, root)
}

fn fix(root: &Path, flag: &str) -> (i32, String) {
    let out = Command::new(assetry_bin()).arg("fix").arg(root).arg(flag).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Every file's bytes, by path, to compare before and after.
fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.strip_prefix(root).unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn to_ids_turns_every_data_path_into_its_uuid_and_the_demo_stays_clean() {
    let (_tmp, root) = demo_copy();
    let (_, before) = check_json(&assetry_bin(), &root);
    let (code, stdout) = fix(&root, "--to-ids");
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains(
            "assets/scenes/level1.scene.json:7:16: \"textures/ground.png\" -> \"6bad6be2-8e7a-46e9-9f19-950499dd251d\""
        ),
        "{stdout}"
    );
    assert!(stdout.ends_with("41 references changed in 11 files\n"), "{stdout}");
    let (code, after) = check_json(&assetry_bin(), &root);
    assert_eq!(code, Some(0), "{after:#}");
    assert_eq!(after["diagnostics"], serde_json::json!([]));
    assert_eq!(after["summary"]["references"], before["summary"]["references"]);
    // What stays a path: glTF uris (relative URIs by the glTF spec) and
    // WGSL imports (textual includes).
    let scene = std::fs::read_to_string(root.join("assets/scenes/level1.scene.json")).unwrap();
    assert!(!scene.contains(".png\"") && !scene.contains(".ogg\""), "{scene}");
    let gltf = std::fs::read_to_string(root.join("assets/models/ship.gltf")).unwrap();
    assert!(gltf.contains("\"uri\": \"../textures/ship_albedo.png\""));
    // A second run has nothing to do and leaves every byte alone.
    let files = snapshot(&root);
    assert_eq!(fix(&root, "--to-ids"), (0, "nothing to fix\n".to_owned()));
    assert_eq!(snapshot(&root), files);
}

#[test]
fn repair_fixes_a_moved_texture() {
    let (_tmp, root) = demo_copy();
    let tex = root.join("assets/textures");
    std::fs::create_dir_all(tex.join("characters")).unwrap();
    for suffix in ["", ".meta"] {
        std::fs::rename(
            tex.join(format!("hero_normal.png{suffix}")),
            tex.join(format!("characters/hero_normal.png{suffix}")),
        )
        .unwrap();
    }
    let (code, broken) = check_json(&assetry_bin(), &root);
    assert_eq!(code, Some(1));
    assert_eq!(broken["summary"]["errors"], 1, "{broken:#}");
    let (code, stdout) = fix(&root, "--repair");
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "assets/scenes/level1.scene.json:17:26: \"textures/hero_normal.png\" -> \"textures/characters/hero_normal.png\"\n\
         1 reference changed in 1 file\n"
    );
    let (code, after) = check_json(&assetry_bin(), &root);
    assert_eq!(code, Some(0), "{after:#}");
    let files = snapshot(&root);
    assert_eq!(fix(&root, "--repair"), (0, "nothing to fix\n".to_owned()));
    assert_eq!(snapshot(&root), files);
}

#[test]
fn fix_without_what_to_fix_is_a_usage_error() {
    let (_tmp, root) = demo_copy();
    let out = Command::new(assetry_bin()).arg("fix").arg(&root).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to-ids"));
}

/// The demo plus `n` scenes, each with a path reference `--to-ids` rewrites,
/// so the report is larger than a pipe holds.
fn big_demo_copy(n: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, root) = demo_copy();
    let folder = root.join("assets/scenes/many");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..n {
        std::fs::write(folder.join(format!("s{i:05}.scene.json")), "{\"ground\": \"textures/ground.png\"}\n").unwrap();
        std::fs::write(
            folder.join(format!("s{i:05}.scene.json.meta")),
            format!("id = \"00000000-0000-4000-8000-{i:012}\"\n"),
        )
        .unwrap();
    }
    (tmp, root)
}

#[test]
fn to_ids_into_a_pipe_closed_after_the_first_line_still_rewrites_every_file() {
    use std::io::BufRead;
    let (_tmp, root) = big_demo_copy(2000);
    let mut child = Command::new(assetry_bin())
        .arg("fix")
        .arg(&root)
        .arg("--to-ids")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -1`: one line read, then the pipe closed. The report is some
    // 200 KB, more than the pipe holds, so whatever still prints after this
    // meets a closed pipe.
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert_eq!(
        first,
        "assets/config/items.toml:6:9: \"textures/ui/icons.png\" -> \"5071950e-adec-4f11-bd83-6e77af67d461\"\n"
    );
    drop(reader);
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    // Every file was rewritten: nothing is left to do, and the project is clean.
    assert_eq!(fix(&root, "--to-ids"), (0, "nothing to fix\n".to_owned()));
    let (code, after) = check_json(&assetry_bin(), &root);
    assert_eq!(code, Some(0), "{after:#}");
    assert_eq!(after["diagnostics"], serde_json::json!([]));
    let scene = std::fs::read_to_string(root.join("assets/scenes/many/s01999.scene.json")).unwrap();
    assert_eq!(scene, "{\"ground\": \"6bad6be2-8e7a-46e9-9f19-950499dd251d\"}\n");
    // No temporary file is left behind.
    assert!(snapshot(&root).iter().all(|(p, _)| !p.contains(".assetry-fix")), "temporary files left");
}
