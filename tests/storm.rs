//! Branch-switch storms: a generated project in a git repository switched
//! between two branches again and again without pause, while `assetry lsp`
//! and `assetry watch` run on it. When both have caught up, what each shows
//! (file, code, range, message) must be exactly what `assetry check` says of
//! the tree on disk: no stale position, no stale "moved to".
//!
//! "Caught up" is an event, not a quiet period: after the last switch the
//! test writes a sentinel scene with a broken path of its own. The watcher
//! hands changes over in the order the kernel reported them, so once the
//! sentinel's diagnostic is out, every switch before it has been applied.
//!
//! The CI-sized storm (1,000 assets, 4 switches) runs with the other tests;
//! the 10,000-asset one is on demand, printing settle times and peak memory:
//! `cargo test --release -p assetry --test e2e storm -- --ignored --nocapture`.
//! Both run on tmpfs (`/dev/shm`) when it exists, where events come fastest.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::assetry_bin;
use crate::support::lsp::{LspClient, file_uri};

const SENTINEL: &str = "assets/zz_storm_sentinel.scene.json";
const SENTINEL_TARGET: &str = "storm/sentinel-never-there.png";
/// How long the test waits for the sentinel before failing (a hang guard,
/// not a timing: the assertion is on the content).
const CATCH_UP_LIMIT: Duration = Duration::from_secs(300);

fn git(root: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=storm", "-c", "user.email=storm@example.invalid", "-c", "advice.detachedHead=false"])
        .args(args)
        .current_dir(root)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn generator() -> PathBuf {
    crate::support::repo_root().join("bench").join("gen_project.py")
}

/// Every file under `dir` with the given suffix, sorted (deterministic).
fn files_with(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A repository whose branch `a` is a generated project and whose branch `b`
/// moved 30% of its assets (with their `.meta`s) to other folders, deleted
/// 10%, and edited 10% of its scenes (lines shifted, one reference broken).
fn repository(root: &Path, assets: usize) {
    let status = Command::new("python3")
        .arg(generator())
        .args(["--out", root.to_str().unwrap(), "--assets", &assets.to_string(), "--seed", "77"])
        .stdout(Stdio::null())
        .status()
        .expect("run python3 gen_project.py");
    assert!(status.success());
    std::fs::remove_file(root.join("truth.json")).unwrap();
    git(root, &["init", "-q", "-b", "a"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "a"]);
    git(root, &["checkout", "-q", "-b", "b"]);
    let metas = files_with(&root.join("assets"), ".meta");
    let folders: Vec<PathBuf> = {
        let mut f: Vec<PathBuf> = metas.iter().map(|m| m.parent().unwrap().to_path_buf()).collect();
        f.dedup();
        f
    };
    for (i, meta) in metas.iter().enumerate() {
        let asset = PathBuf::from(meta.to_string_lossy().strip_suffix(".meta").unwrap());
        if !asset.exists() {
            continue;
        }
        match i % 10 {
            0..=2 => {
                let to = &folders[(i * 7 + 3) % folders.len()];
                let name = format!("moved_{}", asset.file_name().unwrap().to_string_lossy());
                std::fs::rename(&asset, to.join(&name)).unwrap();
                std::fs::rename(meta, to.join(format!("{name}.meta"))).unwrap();
            }
            3 => {
                std::fs::remove_file(&asset).unwrap();
                std::fs::remove_file(meta).unwrap();
            }
            4 if asset.to_string_lossy().ends_with(".scene.json") => {
                let text = std::fs::read_to_string(&asset).unwrap();
                // Two lines more at the top: every position below moves.
                let edited = format!("\n\n{}", text.replacen(".png\"", "_renamed.png\"", 1));
                std::fs::write(&asset, edited).unwrap();
            }
            _ => {}
        }
    }
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "b"]);
}

/// One finding as `check --format json` and the server both name it.
type Finding = (String, String, (u64, u64, u64, u64), String);

fn range_of(r: &Value) -> (u64, u64, u64, u64) {
    let n = |v: &Value| v.as_u64().unwrap_or(u64::MAX);
    (n(&r["start"]["line"]), n(&r["start"]["character"]), n(&r["end"]["line"]), n(&r["end"]["character"]))
}

fn check(root: &Path) -> Vec<Finding> {
    let out = Command::new(assetry_bin()).args(["check", root.to_str().unwrap(), "--format", "json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("check prints JSON");
    let mut all: Vec<Finding> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_owned(),
                d["code"].as_str().unwrap().to_owned(),
                range_of(&d["range"]),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    all.sort();
    all
}

/// `assetry watch` on `root`, its lines read on a thread.
struct Watch {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Watch {
    fn start(root: &Path) -> Watch {
        let mut child = Command::new(assetry_bin())
            .arg("watch")
            .arg(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watch { child, lines }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Peak resident memory of a running process, in MiB.
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// `N errors, M warnings in K assets`, printed after each block.
fn is_totals(line: &str) -> bool {
    line.contains(" in ") && (line.contains(" errors, ") || line.contains(" error, "))
}

/// What `watch` prints for a finding: `severity[code] path:line:col: message`
/// (1-based start), as `check` would have it.
fn watch_line(f: &Finding, severity: &str) -> String {
    format!("{severity}[{}] {}:{}:{}: {}", f.1, f.0, f.2.0 + 1, f.2.1 + 1, f.3)
}

fn storm(assets: usize, switches: usize) {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() { tempfile::tempdir_in(shm).unwrap() } else { tempfile::tempdir().unwrap() };
    let root = dir.path();
    repository(root, assets);
    git(root, &["checkout", "-q", "a"]);

    let (mut lsp, _) = LspClient::start(&assetry_bin(), &[root]);
    let watch = Watch::start(root);

    // Both have read the project before the storm starts: the server
    // answers requests in order, after its first scan; `watch` prints its
    // totals after its first diagnostics.
    lsp.request_ok("workspace/symbol", serde_json::json!({"query": "no-such-asset-name"}));
    let mut on_screen: Vec<String> = Vec::new();
    let deadline = Instant::now() + CATCH_UP_LIMIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = watch.lines.recv_timeout(left).unwrap_or_else(|_| panic!("watch printed no totals"));
        if is_totals(&line) {
            break;
        }
        if !line.starts_with("watching ") {
            on_screen.push(line);
        }
    }

    let started = Instant::now();
    for i in 0..switches {
        git(root, &["checkout", "-q", if i % 2 == 0 { "b" } else { "a" }]);
    }
    let switched = Instant::now();
    std::fs::write(root.join(SENTINEL), format!("{{\"s\": \"{SENTINEL_TARGET}\"}}\n")).unwrap();

    // The server: the latest diagnostics of every file, until the sentinel's.
    let prefix = format!("{}/", file_uri(root));
    let mut published: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let deadline = Instant::now() + CATCH_UP_LIMIT;
    let lsp_settled = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let m = lsp.next_message(left).unwrap_or_else(|| panic!("the server never reported the sentinel"));
        if m["method"] != "textDocument/publishDiagnostics" {
            continue;
        }
        let uri = m["params"]["uri"].as_str().unwrap();
        let rel = uri.strip_prefix(&prefix).unwrap_or(uri).to_owned();
        let diags = m["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
        let done =
            rel == SENTINEL && diags.iter().any(|d| d["message"].as_str().unwrap_or("").contains(SENTINEL_TARGET));
        published.insert(rel, diags);
        if done {
            break Instant::now();
        }
    };

    // `watch`: the lines on screen, until the sentinel's appears and the
    // totals after it.
    let mut sentinel_seen = false;
    let watch_settled = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = watch.lines.recv_timeout(left).unwrap_or_else(|_| panic!("watch never reported the sentinel"));
        if is_totals(&line) {
            if sentinel_seen {
                break Instant::now();
            }
        } else if let Some(l) = line.strip_prefix("+ ") {
            sentinel_seen |= l.contains(SENTINEL_TARGET);
            on_screen.push(l.to_owned());
        } else if let Some(l) = line.strip_prefix("- ") {
            let i = on_screen
                .iter()
                .position(|s| s == l)
                .unwrap_or_else(|| panic!("watch retracted a line it never showed: {l}"));
            on_screen.swap_remove(i);
        }
    };

    let expected = check(root);
    let mut from_lsp: Vec<Finding> = published
        .iter()
        .flat_map(|(rel, diags)| {
            diags.iter().map(move |d| {
                (
                    rel.clone(),
                    d["code"].as_str().unwrap_or_default().to_owned(),
                    range_of(&d["range"]),
                    d["message"].as_str().unwrap_or_default().to_owned(),
                )
            })
        })
        .collect();
    from_lsp.sort();
    let lsp_rss = peak_rss_mib(lsp.pid());
    let watch_rss = peak_rss_mib(watch.child.id());
    eprintln!(
        "storm: {assets} assets, {switches} switches in {:.2} s; settled after the last switch: server {:.2} s, watch {:.2} s; peak RSS: server {lsp_rss} MiB, watch {watch_rss} MiB; {} findings",
        (switched - started).as_secs_f64(),
        (lsp_settled - switched).as_secs_f64(),
        (watch_settled - switched).as_secs_f64(),
        expected.len()
    );
    let differences = |got: &[Finding]| -> String {
        let missing: Vec<&Finding> = expected.iter().filter(|f| !got.contains(f)).take(5).collect();
        let extra: Vec<&Finding> = got.iter().filter(|f| !expected.contains(f)).take(5).collect();
        format!("missing (first 5): {missing:#?}\nextra (first 5): {extra:#?}")
    };
    assert!(from_lsp == expected, "the server differs from a fresh check:\n{}", differences(&from_lsp));

    let severities: BTreeMap<String, String> = {
        let out =
            Command::new(assetry_bin()).args(["check", root.to_str().unwrap(), "--format", "json"]).output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["code"].as_str().unwrap().to_owned(), d["severity"].as_str().unwrap().to_owned()))
            .collect()
    };
    let mut want: Vec<String> = expected.iter().map(|f| watch_line(f, &severities[&f.1])).collect();
    want.sort();
    on_screen.sort();
    if on_screen != want {
        let missing: Vec<&String> = want.iter().filter(|l| !on_screen.contains(l)).take(5).collect();
        let extra: Vec<&String> = on_screen.iter().filter(|l| !want.contains(l)).take(5).collect();
        panic!("watch differs from a fresh check:\nmissing (first 5): {missing:#?}\nextra (first 5): {extra:#?}");
    }
    lsp.ignore_unread();
}

#[test]
fn a_small_storm_leaves_server_and_watch_equal_to_check() {
    storm(1_000, 4);
}

#[test]
#[ignore = "about a minute: run on demand, see the module docs"]
fn a_branch_switch_storm_of_10000_assets() {
    storm(10_000, 10);
}
