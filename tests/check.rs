//! `assetry check` end to end: the real binary on real project folders.
//!
//! Each diagnostic code has a fixture under `tests/fixtures/diagnostics/`
//! with exactly one fault and correct references of the same kind beside it;
//! a test asserts the complete list of diagnostics (code, file, exact range),
//! so a missed fault and an invented one both fail. Expected ranges are
//! located by the literal text they cover and converted to UTF-16 columns by
//! the test itself, independently of the engine.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::support::{
    CheckDiagnostic, CheckReport, Pos, Span, check_json, fixture_copy, run_assetry, running_as_root, span_of,
    write_file,
};

/// Generous: a debug build on a loaded 2-core machine. Only a hang hits it.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(60);

/// Where a diagnostic is expected.
pub(crate) enum At {
    /// The span of this exact text, which must occur once in the file.
    Text(&'static str),
    /// A finding about the whole file: the empty range at its start.
    FileStart,
}

pub(crate) struct Expected {
    code: &'static str,
    path: &'static str,
    at: At,
    /// The contract's severity for the code, unless the finding says otherwise.
    severity: Option<&'static str>,
}

pub(crate) fn expect(code: &'static str, path: &'static str, at: At) -> Expected {
    Expected { code, path, at, severity: None }
}

impl Expected {
    /// A finding whose code has more than one severity (`invalid-config`:
    /// a missing root is only a warning).
    pub(crate) fn warning(mut self) -> Expected {
        self.severity = Some("warning");
        self
    }
}

/// Severity per code, from the table in DESIGN.md.
fn severity_of(code: &str) -> &'static str {
    match code {
        "unknown-meta-key" | "missing-meta" | "orphan-meta" | "unreadable-file" => "warning",
        "prefer-id" => "hint",
        _ => "error",
    }
}

fn read_text(root: &Path, rel: &str) -> String {
    let path = root.join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn describe(diags: &[CheckDiagnostic]) -> String {
    if diags.is_empty() {
        return "  (none)".to_owned();
    }
    diags
        .iter()
        .map(|d| format!("  {} {} {} {}: {}", d.severity, d.code, d.path, d.range, d.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts that `report` holds exactly `expected` (in any order), with the
/// contract's severities, summary counts and exit status.
pub(crate) fn assert_exactly(root: &Path, exit: i32, report: &CheckReport, expected: &[Expected]) {
    let mut severities = std::collections::BTreeMap::new();
    let want: BTreeSet<(String, String, Span)> = expected
        .iter()
        .map(|e| {
            let span = match e.at {
                At::Text(needle) => span_of(&read_text(root, e.path), needle),
                At::FileStart => Span::default(),
            };
            let key = (e.code.to_owned(), e.path.to_owned(), span);
            severities.insert(key.clone(), e.severity.unwrap_or(severity_of(e.code)));
            key
        })
        .collect();
    let got: Vec<(String, String, Span)> =
        report.diagnostics.iter().map(|d| (d.code.clone(), d.path.clone(), d.range)).collect();
    let got_set: BTreeSet<_> = got.iter().cloned().collect();
    let show = |s: &BTreeSet<(String, String, Span)>| {
        s.iter().map(|(c, p, r)| format!("  {c} {p} {r}")).collect::<Vec<_>>().join("\n")
    };
    assert!(
        want == got_set && got.len() == got_set.len(),
        "diagnostics differ\n--- missing\n{}\n--- unexpected\n{}\n--- full output\n{}",
        show(&want.difference(&got_set).cloned().collect()),
        show(&got_set.difference(&want).cloned().collect()),
        describe(&report.diagnostics),
    );
    for d in &report.diagnostics {
        assert_eq!(d.severity, severities[&(d.code.clone(), d.path.clone(), d.range)], "severity of {d:?}");
        assert!(!d.message.trim().is_empty(), "empty message: {d:?}");
    }
    let errors = report.diagnostics.iter().filter(|d| d.severity == "error").count();
    let warnings = report.diagnostics.iter().filter(|d| d.severity == "warning").count();
    assert_eq!(report.summary["errors"].as_u64(), Some(errors as u64), "summary {}", report.summary);
    assert_eq!(report.summary["warnings"].as_u64(), Some(warnings as u64), "summary {}", report.summary);
    assert_eq!(exit, if errors > 0 { 1 } else { 0 }, "exit status with {errors} errors");
}

/// Runs the check on a copy of `tests/fixtures/diagnostics/<name>` and
/// asserts its complete output; returns the report for further checks.
fn check_fixture(name: &str, expected: &[Expected]) -> CheckReport {
    let project = fixture_copy(&format!("diagnostics/{name}"));
    let (exit, report) = check_json(project.path(), TIMEOUT);
    assert_exactly(project.path(), exit, &report, expected);
    report
}

fn related_paths(d: &CheckDiagnostic) -> Vec<&str> {
    d.related.iter().map(|(p, _)| p.as_str()).collect()
}

// ---- one fixture per diagnostic code ---------------------------------------------------

#[test]
fn broken_path_among_every_reference_form() {
    check_fixture(
        "broken-path",
        &[expect("broken-path", "assets/scenes/level.scene.json", At::Text("textures/ground.png"))],
    );
}

#[test]
fn broken_path_in_ron_ignores_comments_and_reads_raw_strings() {
    check_fixture(
        "broken-path-ron",
        &[expect("broken-path", "assets/scenes/menu.scene.ron", At::Text("textures/logo.png"))],
    );
}

#[test]
fn broken_path_in_toml_data() {
    check_fixture(
        "broken-path-toml",
        &[expect("broken-path", "assets/config/items.toml", At::Text("textures/shield.png"))],
    );
}

#[test]
fn broken_path_in_wgsl_import() {
    check_fixture(
        "broken-path-wgsl",
        &[expect("broken-path", "assets/shaders/main.wgsl", At::Text("shaders/lighting.wgsl"))],
    );
}

#[test]
fn broken_path_in_gltf_uri_only() {
    // Node and mesh names that look like files ("decal.png", "hull.glb") and
    // the `data:` buffer are not references; only images[].uri is, relative
    // to the .gltf file.
    check_fixture(
        "broken-path-gltf",
        &[expect("broken-path", "assets/models/ship.gltf", At::Text("../textures/hull_normal.png"))],
    );
}

#[test]
fn broken_path_in_game_code_load_call() {
    // `String::from("textures/not_loaded.png")` is not a configured call.
    check_fixture("broken-path-code", &[expect("broken-path", "src/main.rs", At::Text("textures/boss.png"))]);
}

#[test]
fn broken_path_in_meta_dependencies() {
    check_fixture(
        "broken-path-meta-dependencies",
        &[expect("broken-path", "assets/materials/water.material.meta", At::Text("shaders/noise.wgsl"))],
    );
}

#[test]
fn unknown_id() {
    check_fixture(
        "unknown-id",
        &[expect("unknown-id", "assets/scenes/level.scene.json", At::Text("4a5b6c7d-0000-4000-8000-000000000099"))],
    );
}

#[test]
fn unknown_label_beside_declared_labels_and_label_ids() {
    check_fixture(
        "unknown-label",
        &[expect("unknown-label", "assets/scenes/level.scene.json", At::Text("models/ship.gltf#Mesh7"))],
    );
}

#[test]
fn case_mismatch() {
    check_fixture(
        "case-mismatch",
        &[expect("case-mismatch", "assets/scenes/level.scene.json", At::Text("textures/sky.png"))],
    );
}

#[test]
fn cycle_of_load_edges_reported_at_each_reference_weak_edges_excluded() {
    let report = check_fixture(
        "cycle",
        &[
            expect("cycle", "assets/scenes/a.scene.json", At::Text("scenes/b.scene.json")),
            expect("cycle", "assets/scenes/b.scene.json", At::Text("./a.scene.json")),
        ],
    );
    for d in &report.diagnostics {
        // The message lists the whole cycle; related information points at
        // the other reference of the cycle.
        assert!(
            d.message.contains("a.scene.json") && d.message.contains("b.scene.json"),
            "cycle message should name every file of the cycle: {d:?}"
        );
        let other =
            if d.path.ends_with("a.scene.json") { "assets/scenes/b.scene.json" } else { "assets/scenes/a.scene.json" };
        assert!(related_paths(d).contains(&other), "related of {d:?} should include {other}");
    }
}

#[test]
fn cycle_of_build_edges_through_wgsl_imports() {
    check_fixture(
        "cycle-wgsl",
        &[
            expect("cycle", "assets/shaders/light.wgsl", At::Text("shaders/shadow.wgsl")),
            expect("cycle", "assets/shaders/shadow.wgsl", At::Text("./light.wgsl")),
        ],
    );
}

#[test]
fn duplicate_id_on_both_metas_with_the_other_as_related() {
    let id = "4a5b6c7d-0000-4000-8000-000000000007";
    let report = check_fixture(
        "duplicate-id",
        &[
            expect("duplicate-id", "assets/textures/hero.png.meta", At::Text(id)),
            expect("duplicate-id", "assets/textures/hero_copy.png.meta", At::Text(id)),
        ],
    );
    for d in &report.diagnostics {
        let other = if d.path.contains("hero_copy") {
            "assets/textures/hero.png.meta"
        } else {
            "assets/textures/hero_copy.png.meta"
        };
        assert!(related_paths(d).contains(&other), "related of {d:?} should include {other}");
    }
}

#[test]
fn invalid_meta_with_malformed_uuid() {
    check_fixture("invalid-meta", &[expect("invalid-meta", "assets/textures/sky.png.meta", At::Text("not-a-uuid"))]);
}

#[test]
fn unknown_meta_key_among_every_known_key() {
    check_fixture(
        "unknown-meta-key",
        &[expect("unknown-meta-key", "assets/textures/sky.png.meta", At::Text("procesor"))],
    );
}

#[test]
fn invalid_syntax_at_the_error_with_the_references_before_it_checked() {
    // One broken data file per reader: a missing comma (JSON), a comment
    // never closed (RON), an unquoted value (TOML). Each file's broken
    // reference before the error is reported; the one after it is not read.
    check_fixture(
        "invalid-syntax",
        &[
            expect("broken-path", "assets/scenes/level.scene.json", At::Text("textures/ground.png")),
            expect("invalid-syntax", "assets/scenes/level.scene.json", At::Text("3")),
            expect("broken-path", "assets/scenes/menu.scene.ron", At::Text("textures/logo.png")),
            expect("invalid-syntax", "assets/scenes/menu.scene.ron", At::Text("/*")),
            expect("broken-path", "assets/config/items.toml", At::Text("textures/badge.png")),
            expect("invalid-syntax", "assets/config/items.toml", At::Text("12 gold")),
        ],
    );
}

#[test]
fn missing_meta() {
    check_fixture("missing-meta", &[expect("missing-meta", "assets/textures/sky.png", At::FileStart)]);
}

#[test]
fn orphan_meta() {
    check_fixture("orphan-meta", &[expect("orphan-meta", "assets/textures/old_hero.png.meta", At::FileStart)]);
}

#[test]
fn path_escapes_root_even_when_the_target_exists() {
    check_fixture(
        "path-escapes-root",
        &[expect("path-escapes-root", "assets/scenes/level.scene.json", At::Text("../../outside.png"))],
    );
}

// ---- the demo, exit statuses, the human format -----------------------------------------

#[test]
fn demo_project_checks_clean() {
    let demo = crate::support::repo_root().join("examples").join("demo");
    let (exit, report) = check_json(&demo, TIMEOUT);
    assert!(report.diagnostics.is_empty(), "the demo must check clean:\n{}", describe(&report.diagnostics));
    assert_eq!(exit, 0);
    // 30 asset files; 55 references: 50 in data files, glTF uris, shader
    // imports and `[dependencies]`, plus 5 load calls in src/main.rs. A
    // count below that means an extractor missed references.
    assert_eq!(report.summary["assets"].as_u64(), Some(30), "summary {}", report.summary);
    assert_eq!(report.summary["references"].as_u64(), Some(55), "summary {}", report.summary);
}

#[test]
fn exit_status_2_when_the_check_cannot_run() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let missing = tmp.path().join("no-such-project");
    let missing = missing.to_str().expect("UTF-8 temp path");
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "not a folder").expect("write");
    let file = file.to_str().expect("UTF-8 temp path");
    let demo = crate::support::repo_root().join("examples").join("demo");
    let demo = demo.to_str().expect("UTF-8 repo path");
    for args in [
        vec!["check", missing],
        vec!["check", file],
        vec!["check", demo, "--format", "xml"],
        vec!["check", demo, "--no-such-flag"],
    ] {
        let run = run_assetry(tmp.path(), &args, TIMEOUT);
        assert_eq!(run.code, Some(2), "`assetry {}`: {run:?}", args.join(" "));
        assert!(!run.stderr.trim().is_empty(), "`assetry {}` should say why on stderr", args.join(" "));
    }
}

#[test]
fn default_directory_is_the_working_directory() {
    let project = fixture_copy("diagnostics/broken-path");
    let run = run_assetry(project.path(), &["check", "--format", "json"], TIMEOUT);
    run.assert_exit(&[1]);
    let report = crate::support::parse_check_json(&run.stdout);
    assert_eq!(report.diagnostics.len(), 1, "{}", describe(&report.diagnostics));
    assert_eq!(report.diagnostics[0].path, "assets/scenes/level.scene.json");
}

#[test]
fn human_format_reads_like_a_compiler_and_has_no_colour_when_piped() {
    let project = fixture_copy("diagnostics/broken-path");
    let (_, report) = check_json(project.path(), TIMEOUT);
    let d = &report.diagnostics[0];
    let dir = project.path().to_str().expect("UTF-8 temp path");
    for args in [vec!["check", dir], vec!["check", dir, "--format", "human"]] {
        let run = run_assetry(project.path(), &args, TIMEOUT);
        run.assert_exit(&[1]);
        let text = format!("{}{}", run.stdout, run.stderr);
        assert!(!text.contains('\u{1b}'), "ANSI escapes in piped output:\n{text:?}");
        // Compilers print 1-based lines and columns.
        let location = format!("{}:{}:{}", d.path, d.range.start.line + 1, d.range.start.character + 1);
        assert!(text.contains(&location), "no `{location}` in:\n{text}");
        assert!(text.contains("broken-path"), "no code in:\n{text}");
        assert!(text.contains(r#""ground": "textures/ground.png""#), "no source line in:\n{text}");
        let caret = text.lines().find(|l| {
            let marks = l.trim_start_matches(|c: char| c.is_whitespace() || c == '|');
            marks.starts_with('^') && marks.trim_end().chars().all(|c| c == '^' || c == '~' || c == '-')
        });
        assert!(caret.is_some(), "no caret line in:\n{text}");
    }
}

// ---- hostile input ------------------------------------------------------------------------
//
// Each hostile project also holds a real fault (a broken path in
// assets/scenes/level.scene.json, or its own named one), so a test tells "the
// check survived" apart from "the check gave up silently".

const REAL_FAULT: &str = "assets/scenes/level.scene.json";

/// Asserts the real fault is reported exactly, and that every other
/// diagnostic is in `tolerated` (code, path) — the hostile file's own
/// finding, which the contract leaves to the engine to phrase.
fn assert_real_fault_survives(root: &Path, report: &CheckReport, tolerated: &[(&str, &str)]) {
    let expected = span_of(&read_text(root, REAL_FAULT), "textures/ground.png");
    let real: Vec<_> = report.diagnostics.iter().filter(|d| d.code == "broken-path" && d.path == REAL_FAULT).collect();
    assert!(
        real.len() == 1 && real[0].range == expected,
        "the real fault ({REAL_FAULT} {expected}) is not reported exactly once:\n{}",
        describe(&report.diagnostics)
    );
    for d in &report.diagnostics {
        if d.path == REAL_FAULT && d.code == "broken-path" {
            continue;
        }
        assert!(
            tolerated.iter().any(|(code, path)| *code == d.code && *path == d.path),
            "unexpected diagnostic {d:?}\nall:\n{}",
            describe(&report.diagnostics)
        );
    }
}

fn check_hostile_fixture(name: &str) -> (tempfile::TempDir, i32, CheckReport) {
    let project = fixture_copy(&format!("hostile/{name}"));
    let (exit, report) = check_json(project.path(), TIMEOUT);
    (project, exit, report)
}

#[test]
fn crlf_line_endings_keep_exact_ranges() {
    // JSON, RON, WGSL and .meta files all use CRLF here; only the real
    // fault may be reported, at the same columns as with LF.
    let (project, exit, report) = check_hostile_fixture("crlf");
    assert_exactly(
        project.path(),
        exit,
        &report,
        &[expect("broken-path", REAL_FAULT, At::Text("textures/ground.png"))],
    );
    assert_eq!(report.diagnostics[0].range.start, Pos { line: 2, character: 13 });
}

#[test]
fn lone_cr_line_endings_count_as_lines() {
    // Old Mac line endings: a lone `\r` ends a line for LSP, so for the
    // JSON output (and the human one, which shows the line) too.
    let project = project_with_real_fault();
    let rel = "assets/data/mac.json";
    write_file(
        project.path(),
        rel,
        "{\r  \"hero\": \"textures/hero.png\",\r  \"ground\": \"textures/missing.png\"\r}\r",
    );
    write_file(project.path(), &format!("{rel}.meta"), "id = \"4a5b6c7d-0000-4000-8000-000000000707\"\n");
    let (exit, report) = check_json(project.path(), TIMEOUT);
    assert_eq!(exit, 1);
    assert_real_fault_survives(
        project.path(),
        &report,
        &[("broken-path", rel), ("unreadable-file", "assets/data/blob.json")],
    );
    let d = only_diagnostic(&report, rel);
    assert_eq!(d.range, Span { start: Pos { line: 2, character: 13 }, end: Pos { line: 2, character: 33 } }, "{d:?}");
    let run = run_assetry(project.path(), &["check", "--format", "human"], TIMEOUT);
    run.assert_exit(&[1]);
    let want = format!("--> {rel}:3:14\n    |\n  3 |   \"ground\": \"textures/missing.png\"\n");
    assert!(run.stdout.contains(&want), "{}", run.stdout);
}

#[test]
fn file_names_with_spaces_and_non_ascii_resolve_and_columns_count_utf16() {
    let (project, exit, report) = check_hostile_fixture("non-ascii-names");
    assert_exactly(
        project.path(),
        exit,
        &report,
        &[expect("broken-path", REAL_FAULT, At::Text("textures/💥 boom.png"))],
    );
    // Written out as numbers too: the emoji is two UTF-16 units, so the
    // path spans 20 units though it has 19 characters and 23 bytes, and
    // each `é` before it on the line is one unit but two bytes.
    assert_eq!(
        report.diagnostics[0].range,
        Span { start: Pos { line: 1, character: 89 }, end: Pos { line: 1, character: 109 } }
    );
}

#[test]
fn binary_file_named_json() {
    let (project, exit, report) = check_hostile_fixture("binary-json");
    assert_eq!(exit, 1);
    assert_real_fault_survives(project.path(), &report, &[("unreadable-file", "assets/data/blob.json")]);
}

#[test]
fn invalid_utf8_in_json() {
    let (project, exit, report) = check_hostile_fixture("invalid-utf8-json");
    assert_eq!(exit, 1);
    assert_real_fault_survives(project.path(), &report, &[("unreadable-file", "assets/scenes/broken_text.scene.json")]);
}

/// A `.meta` that cannot give its asset an id is `invalid-meta`, and nothing
/// more: the asset itself still exists, so the path reference to it from the
/// scene must still resolve.
fn assert_invalid_meta_only(name: &str) {
    let (project, exit, report) = check_hostile_fixture(name);
    assert_eq!(exit, 1);
    let meta = "assets/textures/hero.png.meta";
    assert_real_fault_survives(project.path(), &report, &[("invalid-meta", meta)]);
    let on_meta: Vec<_> = report.diagnostics.iter().filter(|d| d.path == meta).collect();
    assert_eq!(on_meta.len(), 1, "one invalid-meta on {meta}:\n{}", describe(&report.diagnostics));
}

#[test]
fn empty_meta_is_invalid_meta() {
    assert_invalid_meta_only("empty-meta");
}

#[test]
fn non_toml_meta_is_invalid_meta() {
    assert_invalid_meta_only("non-toml-meta");
}

#[test]
fn meta_with_a_non_string_id_is_invalid_meta() {
    assert_invalid_meta_only("bad-uuid-meta");
}

/// A small project with one real fault, for the hostile inputs generated at
/// run time (too large or too odd to commit).
fn project_with_real_fault() -> tempfile::TempDir {
    fixture_copy("hostile/binary-json")
}

#[test]
fn json_nested_200000_levels_deep() {
    let project = project_with_real_fault();
    let depth = 200_000;
    let deep = format!("{}\"textures/hero.png\"{}", "[".repeat(depth), "]".repeat(depth));
    write_file(project.path(), "assets/data/deep.json", deep);
    write_file(project.path(), "assets/data/deep.json.meta", "id = \"4a5b6c7d-0000-4000-8000-000000000700\"\n");
    let (exit, report) = check_json(project.path(), TIMEOUT);
    assert_eq!(exit, 1);
    // The engine may read the deep reference (it resolves) or decline the
    // file with a warning; either way no error and no crash.
    assert_real_fault_survives(
        project.path(),
        &report,
        &[("unreadable-file", "assets/data/deep.json"), ("unreadable-file", "assets/data/blob.json")],
    );
}

#[test]
fn fifty_megabyte_json() {
    let project = project_with_real_fault();
    let mut big = String::with_capacity(51 << 20);
    big.push_str("{\"frames\": [\n");
    let mut i = 0u64;
    while big.len() < 50 << 20 {
        big.push_str(&format!("  {{\"t\": {i}, \"name\": \"frame {i}\", \"xy\": [1.5, -2.25]}},\n"));
        i += 1;
    }
    big.push_str("  {\"sprite\": \"textures/hero.png\"}\n]}\n");
    write_file(project.path(), "assets/data/animation.json", big);
    write_file(project.path(), "assets/data/animation.json.meta", "id = \"4a5b6c7d-0000-4000-8000-000000000701\"\n");
    let (exit, report) = check_json(project.path(), Duration::from_secs(180));
    assert_eq!(exit, 1);
    assert_real_fault_survives(
        project.path(),
        &report,
        &[("unreadable-file", "assets/data/animation.json"), ("unreadable-file", "assets/data/blob.json")],
    );
}

/// The only diagnostic of `path` in `report`.
fn only_diagnostic<'a>(report: &'a CheckReport, path: &str) -> &'a CheckDiagnostic {
    let of: Vec<_> = report.diagnostics.iter().filter(|d| d.path == path).collect();
    assert_eq!(of.len(), 1, "one diagnostic on {path}:\n{}", describe(&report.diagnostics));
    of[0]
}

#[test]
fn hostile_toml_data_files_cost_one_bounded_pass() {
    // Inputs that cost tree-sitter-toml seconds and gigabytes, and
    // `toml_edit` up to 200 bytes per byte: broken nesting and 8 MiB of
    // quotes stop at their first error; a valid 8 MiB file (over the 1 MiB
    // TOML data files were once limited to) is read to its last line.
    let project = project_with_real_fault();
    let ids = ["0702", "0703", "0704"];
    let files = ["assets/data/nested.toml", "assets/data/quotes.toml", "assets/data/big.toml"];
    write_file(project.path(), files[0], "a=[".repeat(1_000_000 / 3));
    write_file(project.path(), files[1], "\"".repeat(8 << 20));
    let mut big = String::new();
    while big.len() <= 8 << 20 {
        big.push_str(&format!("[[items]]\nname = \"Item {}\"\nicon = \"textures/hero.png\"\n", big.len()));
    }
    big.push_str("last = 'textures/zz_last.png'\n");
    write_file(project.path(), files[2], &big);
    for (file, id) in files.iter().zip(ids) {
        write_file(project.path(), &format!("{file}.meta"), format!("id = \"4a5b6c7d-0000-4000-8000-00000000{id}\"\n"));
    }
    let (exit, report) = check_json(project.path(), TIMEOUT);
    assert_eq!(exit, 1);
    assert_real_fault_survives(
        project.path(),
        &report,
        &[
            ("invalid-syntax", files[0]),
            ("invalid-syntax", files[1]),
            ("broken-path", files[2]),
            ("unreadable-file", "assets/data/blob.json"),
        ],
    );
    let at =
        |line, character, len| Span { start: Pos { line, character }, end: Pos { line, character: character + len } };
    let nested = only_diagnostic(&report, files[0]);
    // `a=[a=[…`: the second `a` is where a value should be.
    assert_eq!((nested.code.as_str(), nested.range), ("invalid-syntax", at(0, 3, 1)), "{nested:?}");
    let quotes = only_diagnostic(&report, files[1]);
    assert_eq!((quotes.code.as_str(), quotes.range), ("invalid-syntax", at(0, 0, 3)), "{quotes:?}");
    assert_eq!(
        quotes.message,
        "not valid TOML: a key cannot be a multi-line string; the references after it were not checked"
    );
    let last = only_diagnostic(&report, files[2]);
    assert_eq!(last.range, span_of(&big, "textures/zz_last.png"), "{last:?}");
}

#[test]
fn hostile_json_and_ron_cost_one_pass() {
    // 8 MiB of quotes in JSON: `""` is a string, the third quote is the
    // error. In RON, a raw string opened with 2,000,000 `#` and followed by
    // 2,000,000 quotes, each of which could close it: one pass, not one per quote.
    let project = project_with_real_fault();
    let hashes = 2_000_000;
    let files = ["assets/data/quotes.json", "assets/data/raw.ron"];
    write_file(project.path(), files[0], "\"".repeat(8 << 20));
    write_file(project.path(), files[1], format!("(a: r{}\"{})", "#".repeat(hashes), "\"".repeat(hashes)));
    for (file, id) in files.iter().zip(["0705", "0706"]) {
        write_file(project.path(), &format!("{file}.meta"), format!("id = \"4a5b6c7d-0000-4000-8000-00000000{id}\"\n"));
    }
    let (exit, report) = check_json(project.path(), TIMEOUT);
    assert_eq!(exit, 1);
    assert_real_fault_survives(
        project.path(),
        &report,
        &[("invalid-syntax", files[0]), ("invalid-syntax", files[1]), ("unreadable-file", "assets/data/blob.json")],
    );
    let at =
        |start: u32, end: u32| Span { start: Pos { line: 0, character: start }, end: Pos { line: 0, character: end } };
    let json = only_diagnostic(&report, files[0]);
    assert_eq!((json.code.as_str(), json.range), ("invalid-syntax", at(2, 3)), "{json:?}");
    // The raw string's opening, `r###…"`, is what is never closed.
    let ron = only_diagnostic(&report, files[1]);
    assert_eq!((ron.code.as_str(), ron.range), ("invalid-syntax", at(4, 4 + hashes as u32 + 2)), "{ron:?}");
}

#[test]
fn hostile_game_code_costs_one_pass() {
    // An unterminated raw string followed by 50,000 more openings:
    // tree-sitter-rust's lexer walks to the end of the file from each one
    // (minutes). The parse is cancelled once the file's work budget is
    // spent: the file is not checked, and says so.
    let project = project_with_real_fault();
    let rel = "src/hostile.rs";
    let text = String::from("fn f() { s.load(\"textures/from_code.png\"); }\n") + &"load(r#\"".repeat(50_000);
    write_file(project.path(), rel, text);
    let (exit, report) = check_json(project.path(), TIMEOUT);
    assert_eq!(exit, 1);
    assert_real_fault_survives(
        project.path(),
        &report,
        &[("unreadable-file", rel), ("unreadable-file", "assets/data/blob.json")],
    );
    let d = only_diagnostic(&report, rel);
    assert_eq!(
        (d.code.as_str(), d.severity.as_str(), d.range, d.message.as_str()),
        (
            "unreadable-file",
            "warning",
            Span::default(),
            "too costly to parse: tree-sitter-rust ran past its work or memory budget for a file this long (as \
             on an unterminated raw string); nothing in it was checked"
        )
    );
}

#[test]
fn a_hundred_thousand_findings_in_one_file_print_in_one_pass() {
    // The human format shows each finding's source line: found from the
    // line index, not by scanning the file again per finding (which took
    // minutes here).
    let project = project_with_real_fault();
    let findings = 100_000;
    write_file(project.path(), "assets/shaders/many.wgsl", "#import \"a.wgsl\"\n".repeat(findings));
    write_file(project.path(), "assets/shaders/many.wgsl.meta", "id = \"4a5b6c7d-0000-4000-8000-000000000708\"\n");
    let run = run_assetry(project.path(), &["check"], TIMEOUT);
    run.assert_exit(&[1]);
    assert_eq!(run.stdout.matches("error[broken-path]: `a.wgsl` does not exist").count(), findings);
    let last = format!("  {findings} | #import \"a.wgsl\"\n");
    assert!(run.stdout.contains(&last), "the last finding shows its line");
    let summary = run.stdout.lines().last().unwrap_or_default();
    // The real fault and the hostile file's own: one reference each.
    let want = format!("{} errors, 1 warning in 4 assets ({} references)", findings + 1, findings + 2);
    assert_eq!(summary, want);
}

#[test]
fn symlink_loop_inside_an_asset_root() {
    let project = project_with_real_fault();
    let root = project.path().join("assets");
    std::os::unix::fs::symlink(&root, root.join("data").join("loop")).expect("symlink to ancestor");
    std::os::unix::fs::symlink("b", root.join("a")).expect("symlink a -> b");
    std::os::unix::fs::symlink("a", root.join("b")).expect("symlink b -> a");
    let (exit, report) = check_json(project.path(), TIMEOUT);
    assert_eq!(exit, 1);
    // Whether links are skipped or followed once, a loop must not multiply
    // assets: any asset seen twice would surface as a duplicate-id error.
    assert_real_fault_survives(
        project.path(),
        &report,
        &[
            ("unreadable-file", "assets/data/blob.json"),
            ("unreadable-file", "assets/a"),
            ("unreadable-file", "assets/b"),
            ("unreadable-file", "assets/data/loop"),
        ],
    );
}

#[test]
fn unreadable_file_is_reported_and_does_not_stop_the_check() {
    use std::os::unix::fs::PermissionsExt;
    let project = project_with_real_fault();
    let locked = "assets/scenes/locked.scene.json";
    write_file(project.path(), locked, "{\"hero\": \"textures/hero.png\"}\n");
    write_file(project.path(), &format!("{locked}.meta"), "id = \"4a5b6c7d-0000-4000-8000-000000000702\"\n");
    let path = project.path().join(locked);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod 000");
    let (exit, report) = check_json(project.path(), TIMEOUT);
    // Restore so the temp dir can be cleaned up whatever happened.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod 644");
    assert_eq!(exit, 1);
    assert_real_fault_survives(
        project.path(),
        &report,
        &[("unreadable-file", locked), ("unreadable-file", "assets/data/blob.json")],
    );
    // Root reads files whatever their mode (CI containers often run as
    // root), so there the file is simply read and nothing is reported.
    if !running_as_root() {
        assert!(
            report.diagnostics.iter().any(|d| d.path == locked && d.code == "unreadable-file"),
            "a permission-denied file must be reported, not skipped silently:\n{}",
            describe(&report.diagnostics)
        );
    }
}

#[test]
fn files_deleted_while_the_scan_runs() {
    let project = project_with_real_fault();
    let victims = 4000;
    for i in 0..victims {
        let rel = format!("assets/victims/v{:04}/sprite.png", i);
        write_file(project.path(), &rel, b"\x89PNG\r\n\x1a\n");
        write_file(project.path(), &format!("{rel}.meta"), format!("id = \"4a5b6c7d-0000-4000-9000-{i:012}\"\n"));
    }
    let root = project.path().to_path_buf();
    let deleter = std::thread::spawn(move || {
        for i in 0..victims {
            let _ = std::fs::remove_dir_all(root.join(format!("assets/victims/v{:04}", i)));
        }
    });
    let (exit, report) = check_json(project.path(), TIMEOUT);
    deleter.join().expect("deleter thread");
    assert_eq!(exit, 1);
    // Depending on timing an asset may be seen without its .meta or the
    // reverse; such warnings about vanished files are fine, errors are not.
    for d in &report.diagnostics {
        if d.path.starts_with("assets/victims/") {
            assert_eq!(d.severity, "warning", "vanished file must not cause an error: {d:?}");
        }
    }
    let others = CheckReport {
        diagnostics: report.diagnostics.iter().filter(|d| !d.path.starts_with("assets/victims/")).cloned().collect(),
        summary: report.summary.clone(),
    };
    assert_real_fault_survives(project.path(), &others, &[("unreadable-file", "assets/data/blob.json")]);
}

/// Binary assets are known by name and never opened: a FIFO named like a
/// texture would block any reader forever, so the check finishing proves it.
#[test]
fn binary_assets_are_never_opened() {
    let project = fixture_copy("diagnostics/broken-path");
    let fifo = project.path().join("assets/textures/stream.png");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("run mkfifo");
    assert!(made.success(), "mkfifo failed");
    let (code, report) = check_json(project.path(), Duration::from_secs(30));
    assert_eq!(code, 1, "the fixture's broken path is still reported");
    assert!(report.diagnostics.iter().any(|d| d.code == "broken-path"));
    // The FIFO is an asset like any other: it is only missing its .meta.
    assert!(
        report.diagnostics.iter().any(|d| d.code == "missing-meta" && d.path == "assets/textures/stream.png"),
        "{:#?}",
        report.diagnostics
    );
    // A text format is read, but a pipe is refused instead of blocking the scan.
    let fifo = project.path().join("assets/scenes/live.scene.json");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("run mkfifo").success());
    let (_, report) = check_json(project.path(), Duration::from_secs(30));
    assert!(
        report.diagnostics.iter().any(|d| d.code == "unreadable-file" && d.path == "assets/scenes/live.scene.json"),
        "{:#?}",
        report.diagnostics
    );
}

/// A typo in assetry.toml stops the check (exit 2) with the key and its line,
/// rather than checking with a configuration the user did not write.
#[test]
fn invalid_config_is_a_usage_error_naming_the_line() {
    let project = fixture_copy("diagnostics/broken-path");
    write_file(project.path(), "assetry.toml", "[project]\nroots = [\"assets\"]\nrots = [\"more\"]\n");
    let run = run_assetry(project.path(), &["check", "."], TIMEOUT);
    run.assert_exit(&[2]);
    assert!(run.stderr.contains("rots") && run.stderr.contains("line 3"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "no report from a project that could not be read: {}", run.stdout);
    // No asset root at all: most likely the wrong folder.
    let empty = tempfile::tempdir().unwrap();
    let run = run_assetry(empty.path(), &["check"], TIMEOUT);
    run.assert_exit(&[2]);
    assert!(run.stderr.contains("no asset root"), "{}", run.stderr);
}
