//! Shared test support: locating the binary, temporary project copies.

#![allow(dead_code)]

pub mod lsp;

use std::path::{Path, PathBuf};

/// The `assetry` binary Cargo built for these tests, or the one
/// `ASSETRY_TEST_BIN` names (a long mutation campaign runs a copy, so a
/// rebuild meanwhile does not change the binary under test).
pub fn assetry_bin() -> PathBuf {
    std::env::var_os("ASSETRY_TEST_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_assetry")), PathBuf::from)
}

/// The repository root (the workspace folder).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("lsp/ has a parent").to_path_buf()
}

/// The committed fixture folder `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("tests").join("fixtures").join(rel)
}

/// Copies a folder tree (files, folders; symlinks are copied as the files
/// they point to) into `dst`, creating it.
pub fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap_or_else(|e| panic!("create {}: {e}", dst.display()));
    let entries = std::fs::read_dir(src).unwrap_or_else(|e| panic!("read dir {}: {e}", src.display()));
    for entry in entries {
        let entry = entry.expect("read dir entry");
        let from = entry.path();
        let to = dst.join(entry.file_name());
        if from.is_dir() {
            copy_tree(&from, &to);
        } else {
            std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {} -> {}: {e}", from.display(), to.display()));
        }
    }
}

/// A throwaway copy of the fixture project `tests/fixtures/<rel>`, so a test
/// may modify it (and nothing a run writes lands in the repository).
pub fn fixture_copy(rel: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("create temp dir");
    copy_tree(&fixture(rel), dir.path());
    dir
}

/// Writes `contents` to `root/rel`, creating parent folders.
pub fn write_file(root: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
    }
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Replaces `rel` whole, as an image editor saves: the bytes go to a file
/// beside the project, renamed over the old one. A watcher never sees the
/// file half-written (which `write_file`'s truncate-then-write can show it
/// on a loaded machine, when the writer is descheduled between the two).
pub fn save_file(root: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let path = root.join(rel);
    let beside = root.parent().unwrap_or(root);
    let mut tmp =
        tempfile::NamedTempFile::new_in(beside).unwrap_or_else(|e| panic!("temp in {}: {e}", beside.display()));
    std::io::Write::write_all(&mut tmp, contents.as_ref()).unwrap();
    tmp.persist(&path).unwrap_or_else(|e| panic!("save {}: {e}", path.display()));
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    /// `None` when the process was ended by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Fails the test, showing the output, when the process crashed or the
    /// exit status is not one of `allowed`.
    pub fn assert_exit(&self, allowed: &[i32]) -> &Self {
        assert!(
            self.code.is_some_and(|c| allowed.contains(&c)),
            "exit status {:?}, expected one of {allowed:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code,
            self.stdout,
            self.stderr,
        );
        assert!(!self.stderr.contains("panicked"), "the binary panicked:\n{}", self.stderr);
        self
    }
}

/// Runs `assetry args...` with `dir` as the working directory, killing it
/// and failing the test if it has not finished within `timeout` (a hang is
/// a failure, never a stuck test run).
pub fn run_assetry(dir: &Path, args: &[&str], timeout: std::time::Duration) -> Run {
    use std::io::Read;
    use std::process::{Command, Stdio};

    let mut child = Command::new(assetry_bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn assetry");
    // Drain both pipes on their own threads: a child blocked on a full pipe
    // would otherwise look like a hang.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for assetry") {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`assetry {}` did not finish within {timeout:?}\n--- stderr\n{}",
                args.join(" "),
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    Run { code: status.code(), stdout: out.join().expect("stdout reader"), stderr: err.join().expect("stderr reader") }
}

/// An LSP-style position: 0-based line, UTF-16 character.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub character: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}-{}:{}", self.start.line, self.start.character, self.end.line, self.end.character)
    }
}

/// The LSP position of byte `offset` in `text`, computed independently of
/// the engine's own conversion so tests can catch errors in it.
pub fn position_of(text: &str, offset: usize) -> Pos {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos { line: before.matches('\n').count() as u32, character: before[line_start..].encode_utf16().count() as u32 }
}

/// The span of the only occurrence of `needle` in `text` (fails the test
/// when it occurs zero or several times, so an expectation cannot silently
/// point at the wrong place).
pub fn span_of(text: &str, needle: &str) -> Span {
    let mut hits = text.match_indices(needle);
    let (offset, _) = hits.next().unwrap_or_else(|| panic!("`{needle}` not found in:\n{text}"));
    assert!(hits.next().is_none(), "`{needle}` occurs more than once in:\n{text}");
    Span { start: position_of(text, offset), end: position_of(text, offset + needle.len()) }
}

/// The span of the contents (quotes excluded) of the only string literal
/// `"value"` in `text`.
pub fn literal_span(text: &str, value: &str) -> Span {
    let quoted = span_of(text, &format!("\"{value}\""));
    let inner = |p: Pos, delta: i32| Pos { line: p.line, character: p.character.wrapping_add_signed(delta) };
    Span { start: inner(quoted.start, 1), end: inner(quoted.end, -1) }
}

/// One diagnostic of `assetry check --format json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckDiagnostic {
    pub code: String,
    pub severity: String,
    pub path: String,
    pub range: Span,
    pub message: String,
    /// `(path, range)` of each related location.
    pub related: Vec<(String, Span)>,
}

/// The parsed output of `assetry check --format json`.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub diagnostics: Vec<CheckDiagnostic>,
    pub summary: serde_json::Value,
}

fn json_span(v: &serde_json::Value) -> Span {
    let pos = |p: &serde_json::Value| Pos {
        line: p["line"].as_u64().unwrap_or_else(|| panic!("no line in {p}")) as u32,
        character: p["character"].as_u64().unwrap_or_else(|| panic!("no character in {p}")) as u32,
    };
    Span { start: pos(&v["start"]), end: pos(&v["end"]) }
}

/// Parses the JSON contract of DESIGN.md, failing the test on any deviation
/// from its shape.
pub fn parse_check_json(stdout: &str) -> CheckReport {
    let v: serde_json::Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("check output is not one JSON object ({e}):\n{stdout}"));
    let str_field = |d: &serde_json::Value, k: &str| -> String {
        d[k].as_str().unwrap_or_else(|| panic!("`{k}` is not a string in {d}")).to_owned()
    };
    let diagnostics = v["diagnostics"]
        .as_array()
        .unwrap_or_else(|| panic!("no `diagnostics` array in {v}"))
        .iter()
        .map(|d| CheckDiagnostic {
            code: str_field(d, "code"),
            severity: str_field(d, "severity"),
            path: str_field(d, "path"),
            range: json_span(&d["range"]),
            message: str_field(d, "message"),
            related: d["related"]
                .as_array()
                .map(|rs| rs.iter().map(|r| (str_field(r, "path"), json_span(&r["range"]))).collect())
                .unwrap_or_default(),
        })
        .collect();
    assert!(v["summary"].is_object(), "no `summary` object in {v}");
    CheckReport { diagnostics, summary: v["summary"].clone() }
}

/// Runs `assetry check <dir> --format json` and parses its report; exit
/// statuses other than 0 and 1 (or a crash, or a hang) fail the test.
pub fn check_json(dir: &Path, timeout: std::time::Duration) -> (i32, CheckReport) {
    let dir_arg = dir.to_str().expect("UTF-8 temp path");
    let run = run_assetry(dir, &["check", dir_arg, "--format", "json"], timeout);
    run.assert_exit(&[0, 1]);
    (run.code.expect("exit status"), parse_check_json(&run.stdout))
}

/// True when the tests run as root, who may read files whatever their
/// permission bits.
pub fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2).is_some_and(|effective| effective == "0"))
        })
        .unwrap_or(false)
}

/// Whether the tests run on CI (`CI` set to anything but empty, `0` or
/// `false`), where `.ci/run` has installed every outside program.
pub fn on_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// An outside program a test needs, found at `path`; `None` when it is
/// missing, and the test should return. Outside CI a missing program skips
/// the test with a message (on the real stderr, which the test harness does
/// not capture, so the skip is visible in a normal `cargo test`); on CI it
/// fails the test, since there a missing program is a broken setup.
pub fn outside_program(test: &str, what: &str, path: Option<PathBuf>, install: &str) -> Option<PathBuf> {
    if let Some(path) = path.filter(|p| p.is_file()) {
        return Some(path);
    }
    assert!(!on_ci(), "{test}: {what} is missing (CI is set, so this is a failure); install it with\n  {install}");
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: {what} is missing; install it with `{install}` (with CI set this fails)"
    );
    None
}

/// The first `name` on `PATH`, as a shell would find it.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| p.is_file())
}
