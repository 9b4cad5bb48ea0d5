//! Engine benchmark on a generated project (bench/gen_project.py):
//! cold open (scan + graph + diagnostics), then one-file changes applied
//! through the incremental API, with the per-change latency distribution.
//!
//! Usage: cargo bench -p assetry-pipeline --bench engine -- DIR [EDITS]

use std::path::PathBuf;
use std::time::Instant;

use assetry_pipeline::{Change, ChangeBatch, Project, ide};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let Some(dir) = args.first().map(PathBuf::from) else {
        eprintln!("usage: engine DIR [EDITS]");
        std::process::exit(2);
    };
    let edits: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);

    let t = Instant::now();
    let mut project = Project::open(&dir).expect("open project");
    let open = t.elapsed();
    let diags: usize = project.all_diagnostics().iter().map(|f| f.diagnostics.len()).sum();
    println!(
        "open: {:.0} ms, {} assets, {} references, {} diagnostics",
        open.as_secs_f64() * 1000.0,
        project.asset_count(),
        project.reference_count(),
        diags
    );

    if edits == 0 {
        return;
    }
    // What the language server and `watch` do once the first diagnostics
    // are out: the reverse index is built before the first edit.
    let t = Instant::now();
    project.prepare_for_changes();
    println!("reverse index: {:.0} ms", t.elapsed().as_secs_f64() * 1000.0);
    // Pick scenes and alternate between breaking and restoring one reference,
    // so each edit changes the file's edges and diagnostics.
    let scenes: Vec<String> =
        project.files_by_path().map(|(p, _)| p.to_owned()).filter(|p| p.ends_with(".scene.json")).take(edits).collect();
    let mut samples = Vec::new();
    let mut parsed = Vec::new();
    for (i, rel) in scenes.iter().cycle().take(edits * 2).enumerate() {
        let abs = project.abs_path(rel);
        let text = std::fs::read_to_string(&abs).expect("read scene");
        let edited = if i < edits { text.replacen(".png\"", ".pngx\"", 1) } else { text };
        let before = project.files_parsed();
        let t = Instant::now();
        let delta = project.apply(ChangeBatch::from(vec![Change::Overlay { path: abs, text: edited.into() }]));
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
        parsed.push(project.files_parsed() - before);
        std::hint::black_box(delta);
    }
    // Completion inside the first reference of one scene, at the start of
    // the string (asset root) and after its first `/` (a folder).
    if let Some(rel) = scenes.first() {
        let abs = project.abs_path(rel);
        let text = std::fs::read_to_string(&abs).expect("read scene");
        project.apply(ChangeBatch::from(vec![Change::Overlay { path: abs, text: text.clone().into() }]));
        let file = project.file_id(rel).and_then(|id| project.file(id)).expect("scene");
        if let Some(r) = file.refs().first() {
            let start = r.range.start;
            let slash = start + r.value.find('/').map_or(0, |i| i as u32 + 1);
            for (name, offset) in [("asset root", start), ("a folder", slash)] {
                let mut t: Vec<f64> = (0..200)
                    .map(|_| {
                        let t = Instant::now();
                        std::hint::black_box(ide::completion(&project, rel, offset));
                        t.elapsed().as_secs_f64() * 1000.0
                    })
                    .collect();
                t.sort_by(f64::total_cmp);
                let n = ide::completion(&project, rel, offset).map_or(0, |c| c.items.len());
                println!("completion ({name}, {n} items): p50 {:.3} ms, p99 {:.3} ms", t[100], t[197]);
            }
        }
    }
    samples.sort_by(f64::total_cmp);
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "one-file change ({} edits): p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; files parsed per change: {}",
        samples.len(),
        pct(0.5),
        pct(0.99),
        samples.last().copied().unwrap_or(0.0),
        parsed.iter().max().copied().unwrap_or(0)
    );
}
