//! Save of a shader → its `processing-failed` or cleared diagnostic, through
//! the language server's background processing, over real stdio: prints
//! numbers, asserts nothing.
//!
//! ```text
//! python3 bench/gen_project.py --out /tmp/p10k --assets 10000 --seed 10
//! cargo build --release -p assetry --example process_latency
//! target/release/examples/process_latency /tmp/p10k [--bin target/release/assetry] [--saves 40]
//! ```
//!
//! Adds `assets/bench/latency.wgsl`, starts `assetry lsp` with processing on,
//! waits for the first run to end, then saves the shader (write + rename, as
//! editors do) alternately with a type error on line 3 and fixed, and times
//! each save until the server publishes the shader's diagnostics with its
//! `processing-failed`, or without it.

#[path = "../../tests/support/lsp.rs"]
mod lsp;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lsp::{LspClient, file_uri};
use serde_json::{Value, json};

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut project, mut bin, mut saves) = (None, None, 40usize);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bin" => bin = args.next().map(PathBuf::from),
            "--saves" => saves = args.next().and_then(|n| n.parse().ok()).expect("--saves N"),
            _ => project = Some(PathBuf::from(a)),
        }
    }
    let project = project.expect("usage: process_latency PROJECT_DIR [--bin ASSETRY] [--saves N]");
    let project = project.canonicalize().expect("project folder");
    let bin = bin.unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("current exe");
        exe.parent().and_then(Path::parent).expect("target/<profile>/examples").join("assetry")
    });
    let rel = "assets/bench/latency.wgsl";
    let good = |i: usize| format!("fn shade() -> f32 {{\n    let y = 2.0;\n    return y * {i}.0;\n}}\n");
    let bad = |i: usize| format!("fn shade() -> f32 {{\n    let y = 2.0;\n    return y > {i}.0;\n}}\n");
    std::fs::create_dir_all(project.join("assets/bench")).expect("bench folder");
    save(&project, rel, &good(0));
    let uri = file_uri(&project.join(rel));

    let t0 = Instant::now();
    let mut client = LspClient::spawn(&bin, &project);
    client.ignore_unread();
    let folder = json!([{"uri": file_uri(&project), "name": "bench"}]);
    client.request_ok(
        "initialize",
        json!({"processId": std::process::id(), "rootUri": file_uri(&project), "workspaceFolders": folder,
               "capabilities": {"window": {"workDoneProgress": true}}, "initializationOptions": {"process": true}}),
    );
    client.notify("initialized", json!({}));
    wait(&mut client, |m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
    println!("first processing run ended {:.0} ms after spawn", t0.elapsed().as_secs_f64() * 1000.0);

    let (mut failed, mut cleared) = (Vec::new(), Vec::new());
    for i in 1..=saves {
        let broken = i % 2 == 1;
        let t = Instant::now();
        save(&project, rel, &if broken { bad(i) } else { good(i) });
        wait(&mut client, |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri.as_str() && {
                let ds = m["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
                broken == ds.iter().any(|d| d["code"] == "processing-failed")
            }
        });
        (if broken { &mut failed } else { &mut cleared }).push(t.elapsed());
    }
    report("save → processing-failed", &mut failed);
    report("save → cleared", &mut cleared);
    let _ = std::fs::remove_file(project.join(rel));
}

fn save(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    let tmp = path.with_file_name(".latency.wgsl.saving");
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, &path).expect("rename");
}

/// Reads messages until one matches, answering the server's progress-token requests.
fn wait(client: &mut LspClient, done: impl Fn(&Value) -> bool) {
    loop {
        let m = client.next_message(Duration::from_secs(120)).expect("the server goes on talking");
        if std::env::var_os("PROCESS_LATENCY_DEBUG").is_some() {
            eprintln!("{:.300}", m.to_string());
        }
        if m["method"] == "window/workDoneProgress/create" {
            client.send(&json!({"jsonrpc": "2.0", "id": m["id"].clone(), "result": null}));
        }
        if done(&m) {
            return;
        }
    }
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    println!("{what}: n={} p50={:.0} ms p99={:.0} ms max={:.0} ms", times.len(), at(0.5), at(0.99), at(1.0));
}
