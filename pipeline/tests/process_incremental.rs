//! Processing runs bounded to what a batch reached, against the ground truth
//! of a full run: after random sequences of batches (edits of sources,
//! `.meta` ids and settings, shader imports, deletions, additions, moves of
//! files and folders) through the background processor, its outputs,
//! manifest and store equal those of a fresh full run on the same tree, and
//! a full run after it has nothing to do.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use assetry_pipeline::process::background::{Background, Event};
use assetry_pipeline::process::store::{FailRecord, Record, Stat, Store};
use assetry_pipeline::process::{Failure, ProcessLock, RunOptions, RunReport, out_dir, run, state_dir};
use assetry_pipeline::{Change, ChangeBatch, Project};

/// A hang guard, not a timing: a run of this small project takes well under it.
const RUN_LIMIT: Duration = Duration::from_secs(120);

const IDS: [&str; 4] = [
    "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11",
    "1b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e12",
    "2b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e13",
    "3b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e14",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The paths a project can hold: texts (copied), shaders (composed; they
/// import each other by path), scenes (reference texts by path or id).
fn texts(folder: &str) -> Vec<String> {
    (0..5).map(|i| format!("assets/{folder}/t{i}.txt")).collect()
}
fn shaders() -> Vec<String> {
    (0..5).map(|i| format!("assets/shaders/s{i}.wgsl")).collect()
}
fn scenes(folder: &str) -> Vec<String> {
    (0..3).map(|i| format!("assets/{folder}/sc{i}.scene.json")).collect()
}

/// Random content for `rel`.
fn content(rel: &str, rng: &mut Rng) -> String {
    let n = rng.below(1000);
    if rel.ends_with(".txt") {
        format!("text {n}\n")
    } else if rel.ends_with(".wgsl") {
        let i: usize = rel.trim_end_matches(".wgsl").rsplit('s').next().and_then(|d| d.parse().ok()).unwrap_or(0);
        match rng.below(12) {
            // A shader that does not compile.
            0 => format!("fn broken{i}( -> {{\n"),
            // Chains (s4 → s3 → …) mostly; sometimes a cycle.
            1..=8 if i > 0 => {
                let j = if rng.below(4) == 0 { rng.below(5) } else { i - 1 };
                format!("#import \"shaders/s{j}.wgsl\"\nfn g{i}() -> f32 {{ return {n}.0; }}\n")
            }
            _ => format!("fn f{i}() -> f32 {{ return {n}.0; }}\n"),
        }
    } else {
        let t = rng.below(5);
        let by_id = IDS[rng.below(IDS.len())];
        let folder = if rng.below(2) == 0 { "texts" } else { "texts2" };
        format!("{{\"a\": \"{folder}/t{t}.txt\", \"b\": \"{by_id}\", \"n\": {n}}}\n")
    }
}

fn meta(rng: &mut Rng) -> String {
    let id = IDS[rng.below(IDS.len())];
    match rng.below(3) {
        0 => format!("id = \"{id}\"\n"),
        n => format!("id = \"{id}\"\n[settings]\nlevel = {n}\n"),
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// One random change to the tree, as the watcher would report it.
fn mutate(root: &Path, rng: &mut Rng, batch: &mut ChangeBatch) {
    let exists = |rel: &str| root.join(rel).exists();
    let mut all: Vec<String> = Vec::new();
    for folder in ["texts", "texts2"] {
        all.extend(texts(folder));
    }
    all.extend(shaders());
    for folder in ["scenes", "scenes2"] {
        all.extend(scenes(folder));
    }
    let present: Vec<&String> = all.iter().filter(|p| exists(p)).collect();
    let absent: Vec<&String> = all.iter().filter(|p| !exists(p)).collect();
    match rng.below(10) {
        // Edit (or add) a file.
        0..=3 => {
            let rel = all[rng.below(all.len())].clone();
            write(root, &rel, &content(&rel, rng));
            batch.push(Change::Disk(root.join(&rel)));
        }
        // Write or remove a text's `.meta`.
        4 | 5 => {
            let texts: Vec<&&String> = present.iter().filter(|p| p.ends_with(".txt")).collect();
            if texts.is_empty() {
                return;
            }
            let rel = format!("{}.meta", texts[rng.below(texts.len())]);
            if rng.below(4) == 0 && exists(&rel) {
                std::fs::remove_file(root.join(&rel)).unwrap();
                batch.push(Change::Removed(root.join(&rel)));
            } else {
                write(root, &rel, &meta(rng));
                batch.push(Change::Disk(root.join(&rel)));
            }
        }
        // Delete a file (and its `.meta`).
        6 => {
            if present.is_empty() {
                return;
            }
            let rel = present[rng.below(present.len())].clone();
            std::fs::remove_file(root.join(&rel)).unwrap();
            batch.push(Change::Removed(root.join(&rel)));
            let meta = format!("{rel}.meta");
            if exists(&meta) {
                std::fs::remove_file(root.join(&meta)).unwrap();
                batch.push(Change::Removed(root.join(&meta)));
            }
        }
        // Move a file (with its `.meta`) to a free name of its kind.
        7 | 8 => {
            if present.is_empty() {
                return;
            }
            let from = present[rng.below(present.len())].clone();
            let ext = &from[from.find('.').unwrap()..];
            let free: Vec<&&String> = absent.iter().filter(|p| p.ends_with(ext)).collect();
            if free.is_empty() {
                return;
            }
            let to = free[rng.below(free.len())].to_string();
            std::fs::create_dir_all(root.join(&to).parent().unwrap()).unwrap();
            std::fs::rename(root.join(&from), root.join(&to)).unwrap();
            batch.push(Change::Moved { from: root.join(&from), to: root.join(&to) });
            let (mf, mt) = (format!("{from}.meta"), format!("{to}.meta"));
            if exists(&mf) {
                std::fs::rename(root.join(&mf), root.join(&mt)).unwrap();
                batch.push(Change::Moved { from: root.join(&mf), to: root.join(&mt) });
            }
        }
        // Move a whole folder, when its twin is free.
        _ => {
            let (a, b) = if rng.below(2) == 0 { ("texts", "texts2") } else { ("scenes", "scenes2") };
            let (from, to) = if exists(&format!("assets/{a}")) { (a, b) } else { (b, a) };
            let (from, to) = (root.join("assets").join(from), root.join("assets").join(to));
            if !from.exists() || to.exists() {
                return;
            }
            std::fs::rename(&from, &to).unwrap();
            batch.push(Change::Moved { from, to });
        }
    }
}

fn options() -> RunOptions {
    RunOptions { profile: "default".to_owned(), jobs: 2, history: false }
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// The store's records (without when and why they were made, which differ
/// between runs by design) and failure records.
type Stored = (BTreeMap<String, Record>, BTreeMap<String, FailRecord>);

fn stored(root: &Path) -> Stored {
    let store = Store::open(&state_dir(root)).unwrap();
    let records = store
        .load("default")
        .unwrap()
        .into_iter()
        .map(|(p, mut r)| {
            r.processed_at = 0;
            r.reason.clear();
            (p, r)
        })
        .collect();
    (records, store.load_failures("default").unwrap().into_iter().collect())
}

fn full_run(root: &Path) -> RunReport {
    let project = Project::open(root).unwrap();
    let lock = ProcessLock::acquire(&state_dir(root)).unwrap();
    run(&project, &options(), &lock, &mut |_| {}).unwrap()
}

fn finished(rx: &mpsc::Receiver<Event>) -> RunReport {
    match rx.recv_timeout(RUN_LIMIT) {
        Ok(Event::Started { .. }) => finished(rx),
        Ok(Event::Finished(report)) => report,
        other => panic!("expected a finished run, got {other:?}"),
    }
}

fn failures(report: &RunReport) -> Vec<Failure> {
    report.failed.clone()
}

fn check_seed(seed: u64, batches: usize) {
    let dir = tempfile::tempdir().unwrap();
    let root: PathBuf = dir.path().canonicalize().unwrap();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    for rel in texts("texts").into_iter().chain(shaders()).chain(scenes("scenes")) {
        if rng.below(4) != 0 {
            write(&root, &rel, &content(&rel, &mut rng));
        }
    }
    write(&root, "assets/texts/t0.txt.meta", &format!("id = \"{}\"\n", IDS[0]));

    let (tx, rx) = mpsc::channel();
    let background = Background::start(root.clone(), options(), move |e| {
        let _ = tx.send(e);
    });
    let mut last = finished(&rx);
    let mut bounded = 0;
    let mut planned = 0;
    for _ in 0..batches {
        let mut batch = ChangeBatch::new();
        for _ in 0..1 + rng.below(3) {
            mutate(&root, &mut rng, &mut batch);
        }
        if batch.is_empty() {
            continue;
        }
        background.changed(&batch);
        last = finished(&rx);
        planned += last.planned;
        bounded += 1;
    }
    drop(background);
    assert!(bounded > batches / 2, "seed {seed}: only {bounded} batches");
    // Bounded indeed: fewer assets looked at than a full run of each batch.
    assert!(planned < bounded * 10, "seed {seed}: {planned} assets planned in {bounded} runs");

    let out = out_dir(&root, "default");
    let incremental_files = files(&out);
    let (inc_records, inc_failed) = stored(&root);
    let inc_failures = failures(&last);

    // A fresh full run on the same tree, beside the incremental state.
    let kept = root.join(".assetry-incremental");
    std::fs::rename(state_dir(&root), &kept).unwrap();
    let fresh = full_run(&root);
    let fresh_files = files(&out);
    let (fresh_records, fresh_failed) = stored(&root);
    assert_eq!(inc_failures, failures(&fresh), "seed {seed}: failures");
    assert_eq!(inc_failed, fresh_failed, "seed {seed}: failure records");
    // A failing asset keeps its last good artifact and record: the only
    // difference a fresh run (which never saw them succeed) may have.
    let failing: Vec<&str> = inc_failures.iter().map(|f| f.path.as_str()).collect();
    let extra: BTreeMap<&String, &Record> =
        inc_records.iter().filter(|(p, _)| !fresh_records.contains_key(*p)).collect();
    assert!(
        extra.keys().all(|p| failing.contains(&p.as_str())),
        "seed {seed}: records only the incremental has: {extra:?}"
    );
    let common: BTreeMap<String, Record> =
        inc_records.iter().filter(|(p, _)| !extra.contains_key(p)).map(|(p, r)| (p.clone(), r.clone())).collect();
    assert_eq!(common, fresh_records, "seed {seed}: records");
    let extra_artifacts: Vec<&str> = extra.values().map(|r| r.artifact.as_str()).collect();
    let manifest = |files: &BTreeMap<String, Vec<u8>>| -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
        v["assets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| !extra.keys().any(|p| a["path"] == p.as_str()))
            .cloned()
            .collect()
    };
    assert_eq!(manifest(&incremental_files), manifest(&fresh_files), "seed {seed}: manifest");
    let artifacts = |files: &BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
        files
            .iter()
            .filter(|(p, _)| *p != "manifest.json" && !extra_artifacts.contains(&p.as_str()))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect()
    };
    assert_eq!(artifacts(&incremental_files), artifacts(&fresh_files), "seed {seed}: artifacts");
    if extra.is_empty() {
        assert_eq!(incremental_files["manifest.json"], fresh_files["manifest.json"], "seed {seed}: manifest bytes");
    }

    // Back to the incremental state: a full run finds nothing to do.
    std::fs::remove_dir_all(state_dir(&root)).unwrap();
    std::fs::rename(&kept, state_dir(&root)).unwrap();
    let again = full_run(&root);
    assert_eq!(again.processed, Vec::<String>::new(), "seed {seed}: a full run after the incremental ones");
    assert_eq!(again.changeset.changes, Vec::new(), "seed {seed}");
    // Read again: only assets failing before their processor ran (a build
    // cycle, a failing import), which have no failure record, and whose
    // last good record (if any) no longer matches the file.
    let unrecorded = inc_failures
        .iter()
        .filter(|f| !inc_failed.contains_key(&f.path))
        .filter(|f| {
            let stat = std::fs::metadata(root.join(&f.path)).map(|m| Stat::of(&m)).ok();
            inc_records.get(&f.path).map(|r| r.source) != stat
        })
        .count();
    assert_eq!(again.sources_read, unrecorded, "seed {seed}: {:?}", again.failed);
    assert_eq!(failures(&again), inc_failures, "seed {seed}");
    assert_eq!(files(&out), incremental_files, "seed {seed}: outputs after a full run");
}

#[test]
fn bounded_runs_after_random_batches_equal_a_fresh_full_run() {
    for seed in 1..=6 {
        check_seed(seed, 30);
    }
}

#[test]
fn a_bounded_run_reaches_importers_of_importers() {
    let dir = tempfile::tempdir().unwrap();
    let root: PathBuf = dir.path().canonicalize().unwrap();
    write(&root, "assets/shaders/s0.wgsl", "fn f0() -> f32 { return 0.0; }\n");
    write(&root, "assets/shaders/s1.wgsl", "#import \"shaders/s0.wgsl\"\nfn g1() -> f32 { return 1.0; }\n");
    write(&root, "assets/shaders/s2.wgsl", "#import \"shaders/s1.wgsl\"\nfn g2() -> f32 { return 2.0; }\n");
    write(&root, "assets/shaders/other.wgsl", "fn h() -> f32 { return 3.0; }\n");
    let (tx, rx) = mpsc::channel();
    let background = Background::start(root.clone(), options(), move |e| {
        let _ = tx.send(e);
    });
    let first = finished(&rx);
    assert_eq!((first.planned, first.processed.len(), first.failed.len()), (4, 4, 0), "{first:?}");
    write(&root, "assets/shaders/s0.wgsl", "fn f0() -> f32 { return 0.5; }\n");
    background.changed(&ChangeBatch::from(vec![Change::Disk(root.join("assets/shaders/s0.wgsl"))]));
    let run = finished(&rx);
    assert_eq!(run.planned, 3);
    assert_eq!(run.processed, ["assets/shaders/s0.wgsl", "assets/shaders/s1.wgsl", "assets/shaders/s2.wgsl"]);
}

#[test]
fn a_run_that_could_not_happen_is_made_up_by_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let root: PathBuf = dir.path().canonicalize().unwrap();
    write(&root, "assets/a.txt", "a1\n");
    write(&root, "assets/b.txt", "b1\n");
    let (tx, rx) = mpsc::channel();
    let background = Background::start(root.clone(), options(), move |e| {
        let _ = tx.send(e);
    });
    assert_eq!(finished(&rx).processed, ["assets/a.txt", "assets/b.txt"]);
    // Another process takes the lock once the background thread lets it go
    // (it keeps it while saves keep coming).
    let deadline = std::time::Instant::now() + RUN_LIMIT;
    let lock = loop {
        match ProcessLock::acquire(&state_dir(&root)) {
            Ok(lock) => break lock,
            Err(_) if std::time::Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("the background thread kept the lock: {e}"),
        }
    };
    write(&root, "assets/a.txt", "a2\n");
    background.changed(&ChangeBatch::from(vec![Change::Disk(root.join("assets/a.txt"))]));
    match rx.recv_timeout(RUN_LIMIT) {
        Ok(Event::Error(message)) => assert!(message.contains("another assetry process"), "{message}"),
        other => panic!("expected the lock's error, got {other:?}"),
    }
    drop(lock);
    // The next batch names only b.txt; a.txt's change must not be lost.
    write(&root, "assets/b.txt", "b2\n");
    background.changed(&ChangeBatch::from(vec![Change::Disk(root.join("assets/b.txt"))]));
    let run = finished(&rx);
    assert_eq!(run.processed, ["assets/a.txt", "assets/b.txt"]);
    assert_eq!(std::fs::read(out_dir(&root, "default").join("a.txt")).unwrap(), b"a2\n");
}

/// A run killed between writing an artifact beside its place and renaming
/// it leaves a `.NAME.assetry-unfinished` file there, with the asset's
/// journal entry; when that asset is gone by the next run, nothing would
/// write over the file: the next run sweeps it, and only then clears the
/// journal.
#[test]
fn unfinished_artifacts_of_a_killed_run_are_swept_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "assets/kept/a.txt", "a\n");
    full_run(root);
    let out = out_dir(root, "default");
    // What the killed run left: the journal entry, then the unfinished file.
    Store::open(&state_dir(root)).unwrap().begin("default", &["assets/gone/b.txt"]).unwrap();
    write(&out, "gone/.b.txt.assetry-unfinished", "half");
    let report = full_run(root);
    assert_eq!(report.processed, Vec::<String>::new());
    assert_eq!(files(&out).keys().collect::<Vec<_>>(), ["kept/a.txt", "manifest.json"]);
}
