//! Seeded mutation testing of `assetry check`: every fixture project (one per
//! diagnostic code, the hostile ones and the demo) is copied, mutated the way
//! a disk, a bad merge or a careless tool would (bytes flipped, files cut
//! short, quotes and brackets repeated by the megabyte, sidecars copied,
//! files deleted, links to the project's parents or to `/`, an
//! `assetry.toml` rewritten), and checked by the real binary.
//!
//! Each case must end within 10 s with exit status 0, 1 or 2, print no
//! panic, print a JSON report when the status is 0 or 1, and stay within
//! `baseline + 10 × project size +` [`SLACK`] of peak memory (the baseline
//! being the same fixture checked unmutated: the process's own size does not
//! scale with the project), whatever the files hold.
//!
//! In CI it runs [`CI_CASES`] cases from a fixed seed. A longer campaign:
//! `ASSETRY_FUZZ_SECS=1200 cargo test -p assetry --test e2e mutation:: -- --nocapture`
//! (`ASSETRY_FUZZ_SEED=N` starts elsewhere). A failing case prints its seed
//! and its mutations; `ASSETRY_FUZZ_SEED=<seed> ASSETRY_FUZZ_CASES=1` replays
//! it (a copy of the project is not kept: it may hold a link to `/`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::{assetry_bin, copy_tree, fixture, parse_check_json, repo_root};

const CI_CASES: u64 = 160;
const CASE_TIMEOUT: Duration = Duration::from_secs(10);

/// SplitMix64: small, seedable, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Byte strings that mean something to one of the readers.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b"(",
    b")",
    b",",
    b":",
    b"=",
    b"#",
    b"\\",
    b"\r",
    b"\r\n",
    b"\n",
    b"\t",
    "\u{a0}".as_bytes(),
    "\u{feff}".as_bytes(),
    "\u{2028}".as_bytes(),
    b"\0",
    b"\xff\xfe",
    b"\xc3",
    b"../",
    b"../../../../../../etc/passwd",
    b"https://example.com/scene.gltf#Scene0",
    b"textures/",
    b".png",
    b"#Mesh0",
    b"\"textures/missing.png\"",
    b"\"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"",
    b"#import \"",
    b"load(\"",
    b"id = ",
    b"[[labels]]",
    b"[dependencies]\nload = [\"",
    b"r#\"",
    b"/*",
    b"'''",
    b"\"\"\"",
];

/// What a fixture project looks like before it is mutated.
struct Base {
    name: String,
    dir: PathBuf,
}

fn bases() -> Vec<Base> {
    let mut out = Vec::new();
    for group in ["diagnostics", "hostile"] {
        let Ok(entries) = std::fs::read_dir(fixture(group)) else { continue };
        let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
        dirs.sort();
        for dir in dirs {
            let name = format!("{group}/{}", dir.file_name().unwrap().to_string_lossy());
            out.push(Base { name, dir });
        }
    }
    out.push(Base { name: "examples/demo".into(), dir: repo_root().join("examples/demo") });
    assert!(out.len() > 10, "fixtures not found: {out:?}", out = out.iter().map(|b| &b.name).collect::<Vec<_>>());
    out
}

/// Every regular file under `dir` (links not followed), project-relative.
fn files_of(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn project_bytes(dir: &Path) -> u64 {
    files_of(dir).iter().filter_map(|f| std::fs::symlink_metadata(f).ok()).map(|m| m.len()).sum()
}

/// Applies one random mutation to the project in `dir`; returns what it did,
/// for the failure message.
fn mutate(rng: &mut Rng, dir: &Path) -> String {
    let files = files_of(dir);
    if files.is_empty() {
        return "nothing to mutate".into();
    }
    let file = rng.pick(&files).clone();
    let rel = file.strip_prefix(dir).unwrap().display().to_string();
    let mut bytes = std::fs::read(&file).unwrap_or_default();
    let at = |rng: &mut Rng, bytes: &Vec<u8>| rng.below(bytes.len() + 1);
    match rng.below(12) {
        0 => {
            let n = 1 + rng.below(8);
            for _ in 0..n {
                if bytes.is_empty() {
                    break;
                }
                let i = rng.below(bytes.len());
                bytes[i] = rng.next() as u8;
            }
            std::fs::write(&file, &bytes).unwrap();
            format!("{n} bytes of {rel} replaced")
        }
        1 => {
            let cut = at(rng, &bytes);
            bytes.truncate(cut);
            std::fs::write(&file, &bytes).unwrap();
            format!("{rel} cut at byte {cut}")
        }
        2 | 3 => {
            let token = *rng.pick(TOKENS);
            let i = at(rng, &bytes);
            bytes.splice(i..i, token.iter().copied());
            std::fs::write(&file, &bytes).unwrap();
            format!("{:?} inserted in {rel} at {i}", String::from_utf8_lossy(token))
        }
        4 => {
            // Megabytes of one token: the inputs that were superlinear once.
            let token = *rng.pick(&[b"\"" as &[u8], b"[", b"{", b"(", b"\\", b"\"a\",", b"#", b"'", b"\r", b"[[a]]\n"]);
            let count = 1usize << (10 + rng.below(11)); // 1 Ki .. 1 Mi repetitions
            let i = at(rng, &bytes);
            let run: Vec<u8> = token.iter().copied().cycle().take(token.len() * count).collect();
            bytes.splice(i..i, run);
            std::fs::write(&file, &bytes).unwrap();
            format!("{count} × {:?} inserted in {rel} at {i}", String::from_utf8_lossy(token))
        }
        5 => {
            let copy = file.with_file_name(format!("copy_{}", file.file_name().unwrap().to_string_lossy()));
            std::fs::copy(&file, &copy).unwrap();
            format!("{rel} copied beside itself")
        }
        6 => {
            std::fs::remove_file(&file).unwrap();
            format!("{rel} deleted")
        }
        7 => {
            let other = rng.pick(&files).clone();
            let to = other.with_file_name(file.file_name().unwrap());
            let _ = std::fs::rename(&file, &to);
            format!("{rel} moved to {}", to.strip_prefix(dir).unwrap().display())
        }
        8 => {
            // Links a user might make by accident, or a tool on purpose.
            let targets: [PathBuf; 5] = [
                dir.to_path_buf(),
                dir.join(".."),
                PathBuf::from("/"),
                PathBuf::from("/proc/self"),
                PathBuf::from("/dev"),
            ];
            let target = rng.pick(&targets).clone();
            let parent = file.parent().unwrap();
            let link = parent.join(format!("link{}", rng.below(1000)));
            #[cfg(unix)]
            let _ = std::os::unix::fs::symlink(&target, &link);
            format!("link {} -> {}", link.strip_prefix(dir).unwrap().display(), target.display())
        }
        9 => {
            // Text that is not what its name says.
            let junk: Vec<u8> = (0..rng.below(4096)).map(|_| rng.next() as u8).collect();
            std::fs::write(&file, &junk).unwrap();
            format!("{rel} replaced by {} random bytes", junk.len())
        }
        _ => {
            let configs = [
                "[project]\nroots = [\"assets\", \"assets/textures\"]\n",
                "[project]\nroots = [\"assets\"]\ncode = [\".\"]\n",
                "[project]\nignore = [\"[\", \"**/*.png\"]\n",
                "[project]\nroots = [\"nowhere\"]\n",
                "[project]\nroots = [\"../..\"]\n",
                "[references]\ncode_calls = [\"\"]\n",
                "[profiles.a]\ninherits = \"b\"\n[profiles.b]\ninherits = \"a\"\n",
                "[project]\nroots = [\"assets\"]\nrots = 1\n",
                "[project\n",
                "",
            ];
            let text = *rng.pick(&configs);
            std::fs::write(dir.join("assetry.toml"), text).unwrap();
            format!("assetry.toml is now {text:?}")
        }
    }
}

/// One run of `assetry check DIR --format json`: status, output, peak memory.
struct Measured {
    code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    stdout: String,
    stderr: String,
    max_rss: u64,
}

#[cfg(unix)]
fn run_measured(dir: &Path) -> Measured {
    use std::io::Read;
    use std::process::{Command, Stdio};

    let mut child = Command::new(assetry_bin())
        .args(["check", dir.to_str().unwrap(), "--format", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn assetry");
    let pid = child.id() as libc::pid_t;
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    // A watchdog kills a hung check; the case then fails as a hang.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(CASE_TIMEOUT) == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return true;
        }
        false
    });
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // wait4 rather than Child::wait: it reports this child's own peak memory.
    let r = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
    assert_eq!(r, pid, "wait4: {}", std::io::Error::last_os_error());
    let _ = done_tx.send(());
    let timed_out = watchdog.join().unwrap();
    let usage = unsafe { usage.assume_init() };
    let (code, signal) = if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else {
        (None, libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)))
    };
    // The child is reaped: keep std from trying again.
    std::mem::forget(child);
    Measured {
        code,
        signal,
        timed_out,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        max_rss: usage.ru_maxrss as u64 * 1024,
    }
}

/// What a check may hold beyond its baseline and 10 times the project: the
/// allocator's own, the reader pool, which grows to 16 threads per core when
/// the machine is loaded (each with its stack, read buffer and parser), and
/// what tree-sitter may hold beyond 10 times the game-code files it parses:
/// 1 MiB for each of 8 files at a time and 32 MiB for one
/// (`extract/rust/memory.rs`). A megabyte of `[` in game code peaks at 45
/// MiB over the baseline.
const SLACK: u64 = 64 * 1024 * 1024;

/// Checks one measured run against the invariants; `Err` says which broke.
fn judge(m: &Measured, baseline_rss: u64, bytes: u64) -> Result<(), String> {
    if m.timed_out {
        return Err(format!("did not finish within {CASE_TIMEOUT:?}"));
    }
    let Some(code) = m.code else { return Err(format!("ended by signal {:?}", m.signal)) };
    if ![0, 1, 2].contains(&code) {
        return Err(format!("exit status {code}"));
    }
    if m.stderr.contains("panicked") {
        return Err("panicked".into());
    }
    if code != 2 {
        let parsed = std::panic::catch_unwind(|| parse_check_json(&m.stdout));
        if parsed.is_err() {
            return Err("status 0/1 without a valid JSON report".into());
        }
    }
    let limit = baseline_rss + 10 * bytes + SLACK;
    if m.max_rss > limit {
        return Err(format!(
            "peak memory {} MiB over the bound {} MiB (baseline {} MiB, project {} KiB)",
            m.max_rss >> 20,
            limit >> 20,
            baseline_rss >> 20,
            bytes >> 10,
        ));
    }
    Ok(())
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[cfg(unix)]
#[test]
fn mutated_projects_never_crash_hang_or_blow_up() {
    let bases = bases();
    let first_seed = env_u64("ASSETRY_FUZZ_SEED").unwrap_or(0x5EED);
    let secs = env_u64("ASSETRY_FUZZ_SECS");
    let cases = env_u64("ASSETRY_FUZZ_CASES").unwrap_or(if secs.is_some() { u64::MAX } else { CI_CASES });
    let until = secs.map(|s| Instant::now() + Duration::from_secs(s));
    let mut baselines: HashMap<String, u64> = HashMap::new();
    let mut failures = Vec::new();
    let mut ran = 0u64;
    let mut by_status: HashMap<i32, u64> = HashMap::new();
    for case in 0..cases {
        if until.is_some_and(|t| Instant::now() >= t) {
            break;
        }
        let seed = first_seed.wrapping_add(case);
        let mut rng = Rng(seed);
        let base = &bases[rng.below(bases.len())];
        let baseline = *baselines.entry(base.name.clone()).or_insert_with(|| {
            let tmp = tempfile::tempdir().unwrap();
            copy_tree(&base.dir, tmp.path());
            (0..2).map(|_| run_measured(tmp.path()).max_rss).max().unwrap()
        });
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(&base.dir, tmp.path());
        let steps: Vec<String> = (0..1 + rng.below(4)).map(|_| mutate(&mut rng, tmp.path())).collect();
        let bytes = project_bytes(tmp.path());
        let m = run_measured(tmp.path());
        ran += 1;
        if let Some(c) = m.code {
            *by_status.entry(c).or_default() += 1;
        }
        if let Err(why) = judge(&m, baseline, bytes) {
            let tail: String = m.stderr.chars().rev().take(2000).collect::<Vec<_>>().into_iter().rev().collect();
            failures.push(format!(
                "seed {seed} ({}): {why}\n  mutations: {}\n  replay: ASSETRY_FUZZ_SEED={seed} ASSETRY_FUZZ_CASES=1\n  stderr tail: {tail}",
                base.name,
                steps.join("; "),
            ));
            if failures.len() >= 5 {
                break;
            }
        }
    }
    eprintln!(
        "mutation: {ran} cases from seed {first_seed:#x}, exit statuses {by_status:?}, {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "{} of {ran} mutated projects failed:\n{}", failures.len(), failures.join("\n"));
}

/// The costliest TOML data file there is (a dotted key of 80 segments per
/// line: the most keys per byte; the reader's table holds 16.3 bytes per
/// byte, measured by `benches/readers.rs`) checked within the same bound as
/// every mutated project. Under 1 MiB, so that `toml_edit`, which read such files
/// before (about 550 bytes per byte of it), would have had to read it too.
#[cfg(unix)]
#[test]
fn the_costliest_toml_data_file_stays_within_the_bound() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("hostile/binary-json"), tmp.path());
    let baseline = (0..2).map(|_| run_measured(tmp.path()).max_rss).max().unwrap();
    let mut text = String::new();
    for i in 0.. {
        let line = format!("k{i}{}=1\n", ".a".repeat(79));
        if text.len() + line.len() > 1_000_000 {
            break;
        }
        text.push_str(&line);
    }
    std::fs::create_dir_all(tmp.path().join("assets/data")).unwrap();
    std::fs::write(tmp.path().join("assets/data/keys.toml"), &text).unwrap();
    let m = run_measured(tmp.path());
    let verdict = judge(&m, baseline, project_bytes(tmp.path()));
    assert_eq!(verdict, Ok(()), "peak {} MiB, baseline {} MiB", m.max_rss >> 20, baseline >> 20);
    // It was read whole and found valid, not declined.
    let report = parse_check_json(&m.stdout);
    let on_it: Vec<&str> =
        report.diagnostics.iter().filter(|d| d.path.ends_with("keys.toml")).map(|d| d.code.as_str()).collect();
    assert_eq!(on_it, ["missing-meta"], "{:?}", report.diagnostics);
    println!("costliest TOML, {} KB: peak {} MiB, baseline {} MiB", text.len() >> 10, m.max_rss >> 20, baseline >> 20);
}

/// A game-code file of one token repeated inside a `load(` call, just under
/// the 1 MiB Assetry parses: every byte an error node, which tree-sitter-rust
/// held 100–250 bytes per byte of until the parse was cancelled at 128. It
/// is declared too costly, within the same bound as every mutated project.
#[cfg(unix)]
#[test]
fn a_megabyte_of_one_token_in_game_code_stays_within_the_bound() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("code/runtime_names"), tmp.path());
    let baseline = (0..2).map(|_| run_measured(tmp.path()).max_rss).max().unwrap();
    let rel = "src/hostile.rs";
    for token in ["[", "'", "#"] {
        let head = "fn f(s: Res<AssetServer>) { s.load(\"textures/hero.png\"); s.load(";
        let text = head.to_owned() + &token.repeat((1 << 20) - head.len());
        std::fs::write(tmp.path().join(rel), &text).unwrap();
        let m = run_measured(tmp.path());
        let verdict = judge(&m, baseline, project_bytes(tmp.path()));
        assert_eq!(verdict, Ok(()), "{token:?}: peak {} MiB, baseline {} MiB", m.max_rss >> 20, baseline >> 20);
        let report = parse_check_json(&m.stdout);
        let on_it: Vec<(&str, &str)> = report
            .diagnostics
            .iter()
            .filter(|d| d.path == rel)
            .map(|d| (d.code.as_str(), d.message.split(':').next().unwrap_or_default()))
            .collect();
        assert_eq!(on_it, [("unreadable-file", "too costly to parse")], "{token:?}: {:?}", report.diagnostics);
        println!("1 MiB of {token:?} in game code: peak {} MiB, baseline {} MiB", m.max_rss >> 20, baseline >> 20);
    }
}

/// An ignore file of one glob repeated, too long to honour, and one of a
/// glob repeated within the limit: neither costs more than the bound (a
/// 384 KiB `.gitignore` of `[[a]]` lines held 235 MiB, each a compiled
/// pattern), and the long one is reported on itself.
#[cfg(unix)]
#[test]
fn long_ignore_files_stay_within_the_bound() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&repo_root().join("examples/demo"), tmp.path());
    let baseline = (0..2).map(|_| run_measured(tmp.path()).max_rss).max().unwrap();
    for (lines, reported) in [(65_536, true), (10_000, false)] {
        std::fs::write(tmp.path().join(".gitignore"), "[[a]]\n".repeat(lines)).unwrap();
        let m = run_measured(tmp.path());
        let verdict = judge(&m, baseline, project_bytes(tmp.path()));
        assert_eq!(verdict, Ok(()), "{lines} lines: peak {} MiB, baseline {} MiB", m.max_rss >> 20, baseline >> 20);
        let report = parse_check_json(&m.stdout);
        let on_root: Vec<&str> = report
            .diagnostics
            .iter()
            .filter(|d| d.code == "unreadable-file" && d.path == ".gitignore")
            .map(|d| d.path.as_str())
            .collect();
        assert_eq!(on_root.len(), usize::from(reported), "{lines} lines: {:?}", report.diagnostics);
    }
}
