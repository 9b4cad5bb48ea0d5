//! `assetry watch` on a temporary project: the real binary, real file
//! changes, and the diagnostic lines it prints as they appear and go away.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::support::assetry_bin;

const SCENE: &str = "assets/scenes/level.scene.json";

pub(crate) struct Watch {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Watch {
    pub(crate) fn start(root: &Path) -> Watch {
        let mut child = Command::new(assetry_bin())
            .arg("watch")
            .arg(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("assetry runs");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Watch { child, stdin, lines, seen: Vec::new() }
    }

    /// Waits for a line matching `pred`; panics with everything printed so far.
    pub(crate) fn expect(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    panic!("no line {what}; printed:\n{}", self.seen.join("\n"))
                }
            }
        }
    }
}

impl Watch {
    /// Waits for the end of the output (the process closed its stdout);
    /// panics if anything more was printed.
    /// Lines of the background processing (tests/process.rs tests them)
    /// come on their own schedule and are let through.
    fn expect_end(&mut self) {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(20)) {
                Err(RecvTimeoutError::Disconnected) => return,
                Ok(line) if is_processing(&line) => continue,
                Ok(line) => panic!("unexpected line {line:?}; printed before:\n{}", self.seen.join("\n")),
                Err(RecvTimeoutError::Timeout) => panic!("assetry watch did not stop at end of input"),
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_processing(line: &str) -> bool {
    line.starts_with("processed ") || line.starts_with("error[processing-failed] ") || line.starts_with("processing: ")
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn prints_diagnostics_as_they_appear_and_go_away() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, SCENE, "{\"sky\": \"textures/hero.png\"}");
    write(root, "assets/scenes/level.scene.json.meta", "id = \"5a0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3\"\n");
    write(root, "assets/textures/hero.png", "png");
    write(root, "assets/textures/hero.png.meta", "id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n");
    let mut watch = Watch::start(root);
    watch.expect("with the initial totals", |l| l.starts_with("0 errors, 0 warnings in 2 assets"));

    // An artist moves the texture with a file manager: the scene breaks, and
    // the message says where the texture went.
    std::fs::create_dir_all(root.join("assets/ui")).unwrap();
    std::fs::rename(root.join("assets/textures/hero.png"), root.join("assets/ui/hero.png")).unwrap();
    std::fs::rename(root.join("assets/textures/hero.png.meta"), root.join("assets/ui/hero.png.meta")).unwrap();
    let line = watch.expect("for the broken path", |l| l.starts_with(&format!("+ error[broken-path] {SCENE}:1:10")));
    assert!(line.contains("assets/ui/hero.png"), "{line}");
    watch.expect("with the new totals", |l| l.starts_with("1 error, 0 warnings"));

    // The scene is fixed by an editor that saves by renaming over the file.
    write(root, "assets/scenes/.level.tmp", "{\"sky\": \"ui/hero.png\"}");
    std::fs::rename(root.join("assets/scenes/.level.tmp"), root.join(SCENE)).unwrap();
    watch.expect("retracting the broken path", |l| l.starts_with(&format!("- error[broken-path] {SCENE}:1:10")));
    watch.expect("with clean totals", |l| l.starts_with("0 errors, 0 warnings"));

    // A new asset without its .meta: a warning appears, then goes away when
    // the .meta follows.
    write(root, "assets/ui/icon.png", "png");
    watch.expect("for the missing meta", |l| l.starts_with("+ warning[missing-meta] assets/ui/icon.png"));
    write(root, "assets/ui/icon.png.meta", "id = \"11111111-2222-4333-8444-555555555555\"\n");
    watch.expect("retracting the missing meta", |l| l.starts_with("- warning[missing-meta] assets/ui/icon.png"));
    watch.expect("with the totals of three assets", |l| l == "0 errors, 0 warnings in 3 assets");

    // End of input stops it cleanly: its output ends (the event waited
    // for), with nothing more printed, and it exits with status 0.
    drop(watch.stdin.take());
    watch.expect_end();
    let status = watch.child.wait().unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn unknown_profile_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "assets/a.json", "{}");
    let out = Command::new(assetry_bin())
        .args(["watch", "--profile", "console"])
        .arg(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown profile `console`") && err.contains("default"), "{err}");
}

#[test]
fn a_config_change_watches_the_new_roots() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "assets/a.json", "{}");
    write(root, "assets/a.json.meta", "id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n");
    write(root, "art/s.json", "{}");
    write(root, "art/s.json.meta", "id = \"5a0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3\"\n");
    let mut watch = Watch::start(root);
    watch.expect("with the initial totals", |l| l.starts_with("0 errors, 0 warnings in 1 asset"));
    write(root, "assetry.toml", "[project]\nroots = [\"art\"]\n");
    // The rescan alone changes no diagnostic; the status line says the new
    // root is watched, and a change under it shows that it is.
    watch.expect("saying the new root is watched", |l| l == "assetry.toml changed: now watching art, src");
    write(root, "art/s.json", "{\"sky\": \"missing.png\"}");
    watch.expect("for the broken path under the new root", |l| l.starts_with("+ error[broken-path] art/s.json:1:10"));
}
