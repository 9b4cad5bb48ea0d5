//! Language-server benchmark over real stdio: prints numbers, asserts nothing.
//!
//! ```text
//! python3 bench/gen_project.py --out /tmp/p100k --assets 100000 --seed 1
//! cargo build --release -p assetry --example lsp_bench
//! target/release/examples/lsp_bench /tmp/p100k [--bin target/release/assetry] [--edits 200]
//! ```
//!
//! Measures: `initialize` to the first `publishDiagnostics` and to the end of
//! the initial burst; server memory (VmRSS) after start; `didChange` to its
//! `publishDiagnostics` (each edit breaks or repairs one reference, so each
//! one changes that file's diagnostics); and definition, hover and
//! completion round trips.

#[path = "../../tests/support/lsp.rs"]
mod lsp;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lsp::{LspClient, file_uri};
use serde_json::json;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut project = None;
    let mut bin = None;
    let mut edits = 200usize;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bin" => bin = args.next().map(PathBuf::from),
            "--edits" => edits = args.next().and_then(|n| n.parse().ok()).expect("--edits N"),
            _ => project = Some(PathBuf::from(a)),
        }
    }
    let project = project.expect("usage: lsp_bench PROJECT_DIR [--bin ASSETRY] [--edits N]");
    let project = project.canonicalize().expect("project folder");
    let bin = bin.unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("current exe");
        exe.parent().and_then(Path::parent).expect("target/<profile>/examples").join("assetry")
    });
    let (scene, line, start, value) = pick_reference(&project);
    println!("project: {}", project.display());
    println!("server:  {}", bin.display());
    println!("edited:  {} line {} (\"{value}\")", scene.display(), line + 1);

    // ---- the engine alone, for comparison: `assetry check` on the same tree ----
    let t = Instant::now();
    let _ = std::process::Command::new(&bin).arg("check").arg(&project).args(["--format", "json"]).output();
    let check = t.elapsed();

    // ---- start ----
    let t0 = Instant::now();
    let mut client = LspClient::spawn(&bin, &project);
    client.ignore_unread();
    let folder = json!([{"uri": file_uri(&project), "name": "bench"}]);
    client.request_ok(
        "initialize",
        json!({"processId": std::process::id(), "rootUri": file_uri(&project), "workspaceFolders": folder, "capabilities": {}}),
    );
    client.notify("initialized", json!({}));
    let _first = client.notification("textDocument/publishDiagnostics");
    let first = t0.elapsed();
    let (burst, last) = client.drain_timed(Duration::from_secs(2));
    let all = last.map_or(first, |l| l - t0);
    let published = 1 + burst.iter().filter(|m| m["method"] == "textDocument/publishDiagnostics").count();
    let rss = rss_kib(client.pid());
    println!();
    println!("assetry check (same tree, same binary): {:>8.0} ms", ms(check));
    println!("initialize -> first publishDiagnostics: {:>8.0} ms", ms(first));
    println!("initialize -> last initial publish:     {:>8.0} ms ({published} files with diagnostics)", ms(all));
    println!("server RSS after start:                 {:>8.0} MiB", rss as f64 / 1024.0);

    // ---- didChange -> publishDiagnostics ----
    let uri = file_uri(&scene);
    let text = std::fs::read_to_string(&scene).expect("scene text");
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "json", "version": 0, "text": text}}),
    );
    let broken = value.replacen(".png", "_x.png", 1);
    let mut latencies = Vec::new();
    for i in 0..edits {
        let version = i as i64 + 1;
        // Even edits break the reference, odd ones repair it.
        let (old_len, new) = if i % 2 == 0 { (value.len(), &broken) } else { (broken.len(), &value) };
        let change = json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{
            "range": {"start": {"line": line, "character": start}, "end": {"line": line, "character": start + old_len as u32}},
            "text": new}]});
        let sent = Instant::now();
        client.notify("textDocument/didChange", change);
        loop {
            let p = client.notification("textDocument/publishDiagnostics");
            if p["uri"] == uri.as_str() && p["version"] == version {
                break;
            }
        }
        latencies.push(sent.elapsed());
    }
    println!();
    report("didChange -> publishDiagnostics", &mut latencies);

    // ---- request round trips ----
    let at = |character: u32| json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
    let mid = start + value.len() as u32 / 2;
    let slash = start + value.rfind('/').map_or(0, |i| i as u32 + 1);
    for (name, method, params) in [
        ("definition", "textDocument/definition", at(mid)),
        ("hover", "textDocument/hover", at(mid)),
        ("completion (a folder)", "textDocument/completion", at(slash)),
        ("completion (asset root)", "textDocument/completion", at(start)),
        ("references", "textDocument/references", {
            let mut p = at(mid);
            p["context"] = json!({"includeDeclaration": false});
            p
        }),
    ] {
        let mut times = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            let result = client.request_ok(method, params.clone());
            times.push(t.elapsed());
            assert!(!result.is_null(), "{name} returned null");
        }
        report(name, &mut times);
    }
    client.drain(Duration::from_millis(200));
    client.shutdown();
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(name: &str, times: &mut [Duration]) {
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p).ceil() as usize).saturating_sub(1).min(times.len() - 1)];
    println!(
        "{name:<32} n={:<4} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
        times.len(),
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(times[times.len() - 1])
    );
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The first scene (by path) with a `.png` path reference that resolves:
/// its file, 0-based line, UTF-16 start of the string's contents, value.
fn pick_reference(project: &Path) -> (PathBuf, u32, u32, String) {
    let assets = project.join("assets");
    let mut stack = vec![assets.clone()];
    let mut scenes = Vec::new();
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read project").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(".scene.json") {
                scenes.push(p);
            }
        }
    }
    scenes.sort();
    for scene in scenes {
        let text = std::fs::read_to_string(&scene).unwrap_or_default();
        for (n, l) in text.lines().enumerate() {
            let Some(at) = l.find("\"texture\": \"") else { continue };
            let start = at + "\"texture\": \"".len();
            let Some(len) = l[start..].find('"') else { continue };
            let value = &l[start..start + len];
            if value.ends_with(".png") && assets.join(value).is_file() && l.is_ascii() {
                return (scene, n as u32, start as u32, value.to_owned());
            }
        }
    }
    panic!("no scene with a resolvable texture path in {}", project.display());
}
