//! `assetry check` against the ground truth of a generated project: a
//! 2,000-asset project from `gen_project.py` with injected faults, whose
//! `truth.json` lists every one. The check must report exactly those: none
//! missed, none invented, each at its exact range.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::{Span, check_json, literal_span, on_path, outside_program, position_of, repo_root, span_of};

/// The generator: the shared copy beside the repository when there is one
/// (the source of truth), else the repository's own copy.
fn generator() -> PathBuf {
    let shared = repo_root().join("..").join("shared").join("bench").join("gen_project.py");
    if shared.is_file() { shared } else { repo_root().join("bench").join("gen_project.py") }
}

/// `None` (the test is skipped, see [`outside_program`]) without Python.
fn generate(out: &Path, assets: u32, seed: u32) -> Option<serde_json::Value> {
    let python = outside_program(
        "ground_truth::generated_project_reports_exactly_the_injected_faults",
        "python3 (on PATH)",
        on_path("python3"),
        "apt-get install python3",
    )?;
    let status = Command::new(python)
        .arg(generator())
        .args(["--out", out.to_str().expect("UTF-8 temp path")])
        .args(["--assets", &assets.to_string(), "--seed", &seed.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run python3 gen_project.py");
    assert!(status.success(), "gen_project.py failed: {status}");
    let truth = std::fs::read_to_string(out.join("truth.json")).expect("read truth.json");
    Some(serde_json::from_str(&truth).expect("truth.json is JSON"))
}

/// A finding as both sides can name it: code, project-relative path, range.
type Finding = (String, String, Span);

struct Project {
    root: PathBuf,
}

impl Project {
    fn text(&self, asset_rel: &str) -> String {
        let path = self.root.join("assets").join(asset_rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// The span of the contents of string literal `"value"` on 1-based
    /// `line` of the asset file.
    fn literal_on_line(&self, asset_rel: &str, line: u64, value: &str) -> Span {
        let text = self.text(asset_rel);
        let line_start: usize = text.split_inclusive('\n').take(line as usize - 1).map(str::len).sum();
        let line_text = text[line_start..].split('\n').next().unwrap_or("");
        let quoted = format!("\"{value}\"");
        let hits: Vec<_> = line_text.match_indices(&quoted).collect();
        assert_eq!(hits.len(), 1, "`{quoted}` on {asset_rel}:{line}: {line_text}");
        let start = line_start + hits[0].0 + 1;
        Span { start: position_of(&text, start), end: position_of(&text, start + value.len()) }
    }

    /// The id a `.meta` declares (its first UUID-shaped quoted string).
    fn meta_id(&self, asset_rel: &str) -> String {
        let text = self.text(&format!("{asset_rel}.meta"));
        let line = text.lines().find(|l| l.starts_with("id = ")).expect("meta has an id line");
        line.trim_start_matches("id = ").trim_matches('"').to_owned()
    }
}

fn strs(v: &serde_json::Value) -> Vec<&str> {
    v.as_array().expect("array").iter().map(|s| s.as_str().expect("string")).collect()
}

/// Every injected fault of `truth`, as the check must report it.
fn expected_findings(project: &Project, truth: &serde_json::Value) -> Vec<Finding> {
    let faults = &truth["faults"];
    let mut out = Vec::new();
    let assets = |rel: &str| format!("assets/{rel}");

    for b in faults["broken_path_refs"].as_array().expect("broken_path_refs") {
        let file = b["file"].as_str().expect("file");
        let line = b["line"].as_u64().expect("line");
        let span = project.literal_on_line(file, line, b["ref"].as_str().expect("ref"));
        out.push(("broken-path".to_owned(), assets(file), span));
    }
    for d in faults["duplicate_uuids"].as_array().expect("duplicate_uuids") {
        let id = d["uuid"].as_str().expect("uuid");
        for meta in strs(&d["files"]) {
            let span = span_of(&project.text(meta), id);
            out.push(("duplicate-id".to_owned(), assets(meta), span));
        }
    }
    let by_uuid: Vec<(&str, &str)> = faults["scene_cycle_edges_by_uuid"]
        .as_array()
        .expect("scene_cycle_edges_by_uuid")
        .iter()
        .map(|e| (e[0].as_str().expect("from"), e[1].as_str().expect("to")))
        .collect();
    for cycle in faults["scene_cycles"].as_array().expect("scene_cycles") {
        let cycle = strs(cycle);
        // One diagnostic per edge of the cycle, at the reference that makes it.
        for (j, from) in cycle.iter().enumerate() {
            let to = cycle[(j + 1) % cycle.len()];
            let needle = if by_uuid.contains(&(from, to)) { project.meta_id(to) } else { to.to_owned() };
            let span = literal_span(&project.text(from), &needle);
            out.push(("cycle".to_owned(), assets(from), span));
        }
    }
    for asset in strs(&faults["missing_meta"]) {
        out.push(("missing-meta".to_owned(), assets(asset), Span::default()));
    }
    out
}

fn count(findings: impl IntoIterator<Item = Finding>) -> BTreeMap<Finding, usize> {
    let mut m = BTreeMap::new();
    for f in findings {
        *m.entry(f).or_default() += 1;
    }
    m
}

#[test]
fn generated_project_reports_exactly_the_injected_faults() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("game");
    let Some(truth) = generate(&root, 2000, 7) else { return };
    let project = Project { root: root.clone() };
    let expected = count(expected_findings(&project, &truth));

    let (exit, report) = check_json(&root, Duration::from_secs(300));
    let got = count(report.diagnostics.iter().map(|d| (d.code.clone(), d.path.clone(), d.range)));

    let mut missing = Vec::new();
    let mut invented = Vec::new();
    for key in expected.keys().chain(got.keys()) {
        let (e, g) = (expected.get(key).copied().unwrap_or(0), got.get(key).copied().unwrap_or(0));
        let line = format!("  {} {} {}", key.0, key.1, key.2);
        if e > g && !missing.contains(&line) {
            missing.push(line);
        } else if g > e && !invented.contains(&line) {
            invented.push(line);
        }
    }
    assert!(
        missing.is_empty() && invented.is_empty(),
        "check disagrees with truth.json ({} expected, {} reported)\n--- missed ({})\n{}\n--- invented ({})\n{}",
        expected.values().sum::<usize>(),
        report.diagnostics.len(),
        missing.len(),
        missing.join("\n"),
        invented.len(),
        invented.join("\n"),
    );
    assert_eq!(exit, 1, "faults include errors");

    // Every reference the generator wrote is one the check extracted.
    let refs = &truth["refs"];
    let total: u64 = ["scene_path_refs", "scene_uuid_refs", "wgsl_imports", "gltf_image_uris"]
        .iter()
        .map(|k| refs[*k].as_u64().expect("ref count"))
        .sum();
    assert_eq!(report.summary["references"].as_u64(), Some(total), "summary {}", report.summary);
}
