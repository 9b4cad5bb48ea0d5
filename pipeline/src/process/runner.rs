//! One processing run over a project: plan (stat, hash what changed, cache
//! keys along build edges), process what changed on `jobs` threads, commit
//! records in chunks once their outputs are durable, remove the outputs of
//! assets that are gone, write the manifest. Returns a [`RunReport`] whose
//! [`Changeset`] says what changed for a game.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::lock::ProcessLock;
use super::plan::{Entry, build_dependencies, build_keys, compute_keys, plan, settings_json, why};
use super::processors::{self, Input, Output, Problem};
use super::settings::Processor;
use super::store::{Record, Store};
use super::{ProcessError, manifest, out_dir, state_dir};
use crate::project::{FileId, Project};
use crate::text::TextRange;

/// Records are committed once this many assets are done and
/// [`COMMIT_INTERVAL`] has passed since the last commit (one `syncfs` and one
/// store commit each): a killed run loses little work, and a fast run does
/// not flush the file system hundreds of times.
const COMMIT_EVERY: usize = 256;
const COMMIT_INTERVAL: Duration = Duration::from_millis(250);

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub profile: String,
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Report when and why every processed asset was last processed (not
    /// only those of this run): a background processor's first run.
    pub history: bool,
}

/// An asset that could not be processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Project-relative path of the asset.
    pub path: String,
    pub message: String,
    /// Where in the source, when the processor knows (byte offsets).
    pub range: Option<TextRange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Removed,
}

/// One artifact that a run added, changed or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetChange {
    pub id: Option<Uuid>,
    /// Project-relative path of the asset.
    pub path: String,
    /// Relative to `.assetry/out/<profile>/`.
    pub artifact: String,
    /// BLAKE3 of the artifact, hex (of the removed one for `Removed`).
    pub hash: String,
    pub kind: ChangeKind,
}

/// Everything one run changed, in path order: what a hot-reload server sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changeset {
    pub profile: String,
    pub changes: Vec<AssetChange>,
}

#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// Assets processed successfully, sorted.
    pub processed: Vec<String>,
    /// Assets whose record matched: nothing to do.
    pub skipped: usize,
    /// Sorted by path.
    pub failed: Vec<Failure>,
    /// (path, when (seconds since the Unix epoch), why) of the assets this
    /// run processed, or of every processed asset with `RunOptions::history`.
    pub history: Vec<(String, u64, String)>,
    /// Asset sources read (hashing or processing); 0 on a no-op run.
    pub sources_read: usize,
    pub changeset: Changeset,
    pub elapsed: Duration,
}

/// What a run reports as it goes (from its calling thread).
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    Planned { assets: usize, to_process: usize },
    Done { path: &'a str, ok: bool },
}

/// Processes `project` under the given profile. The caller holds the lock.
pub fn run(
    project: &Project,
    options: &RunOptions,
    _lock: &ProcessLock,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<RunReport, ProcessError> {
    let started = Instant::now();
    let config = project.config();
    let profile = options.profile.as_str();
    if !config.profiles.contains_key(profile) {
        let names: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
        return Err(ProcessError::UnknownProfile(profile.to_owned(), names.join(", ")));
    }
    let root = project.root();
    let state = state_dir(root);
    let out = out_dir(root, profile);
    let scratch = state.join("tmp").join(profile);
    // Leftovers of a killed run: never outputs, only half-written files.
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| ProcessError::io(&scratch, e))?;
    std::fs::create_dir_all(&out).map_err(|e| ProcessError::io(&out, e))?;
    let store = Store::open(&state)?;
    let mut records = store.load(profile)?;
    let jobs = options.jobs.max(1);
    let read = AtomicUsize::new(0);
    let mut report = RunReport::default();

    let assets: Vec<(&str, FileId)> =
        project.files_by_path().filter(|&(_, id)| project.file(id).is_some_and(|f| f.is_asset())).collect();
    // Source bytes kept from planning for processing: at most 256 MiB.
    let budget = std::sync::atomic::AtomicU64::new(256 << 20);
    let planned =
        parallel_map(&assets, jobs, |&(path, file)| plan(project, profile, path, file, &records, &read, &budget));
    let index: HashMap<FileId, usize> = assets.iter().enumerate().map(|(i, &(_, f))| (f, i)).collect();
    let mut failed: HashMap<usize, Problem> = HashMap::new();
    let mut entries: Vec<Option<Entry>> = Vec::with_capacity(planned.len());
    for (i, p) in planned.into_iter().enumerate() {
        match p {
            Ok(mut e) => {
                e.build = build_dependencies(project, e.file, &index);
                entries.push(Some(e));
            }
            Err(problem) => {
                failed.insert(i, problem);
                entries.push(None);
            }
        }
    }
    compute_keys(&mut entries, &mut failed);

    // Two assets of different roots with one root-relative path would write one artifact.
    let mut owners: HashMap<&str, usize> = HashMap::new();
    let mut clashes = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if let Some(e) = e
            && let Some(&first) = owners.get(e.artifact.as_str())
        {
            clashes.push((i, format!("its artifact `{}` is also {}'s", e.artifact, assets[first].0)));
        } else if let Some(e) = e {
            owners.insert(&e.artifact, i);
        }
    }
    for (i, message) in clashes {
        entries[i] = None;
        failed.insert(i, Problem::new(message));
    }

    let mut work: Vec<(usize, String)> = Vec::new();
    // Unchanged assets whose stat moved (a touch, a copy back): their
    // records take the new stat so the next run does not read them again.
    let mut restated: Vec<(String, Record)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let Some(e) = e else { continue };
        match why(e, records.get(&e.path), &out, &entries) {
            Some(reason) => work.push((i, reason)),
            None => {
                report.skipped += 1;
                if let Some(old) = records.get(&e.path)
                    && (old.source != e.source || old.meta != e.meta)
                {
                    let mut r = old.clone();
                    r.source = e.source;
                    r.meta = e.meta;
                    r.meta_settings = e.meta_settings.clone();
                    restated.push((e.path.clone(), r));
                }
            }
        }
    }
    progress(Progress::Planned { assets: assets.len(), to_process: work.len() });
    let work_paths: Vec<&str> = work.iter().map(|&(i, _)| assets[i].0).collect();
    store.begin(profile, &work_paths)?;

    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let next = AtomicUsize::new(0);
    let modules = processors::ModulePaths::new();
    let (tx, rx) = mpsc::channel::<(usize, Result<Record, Problem>)>();
    let mut done: Vec<(String, Record)> = Vec::new();
    let mut all_done: Vec<(String, Record)> = Vec::new();
    let mut abandoned: Vec<String> = Vec::new();
    let mut commit_error = None;
    let mut last_commit = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..jobs.min(work.len()) {
            let tx = tx.clone();
            let (work, entries, next, read, records) = (&work, &entries, &next, &read, &records);
            let (scratch, out, modules) = (&scratch, &out, &modules);
            s.spawn(move || {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some((i, reason)) = work.get(n) else { break };
                    let Some(e) = entries[*i].as_ref() else { continue };
                    let old = records.get(&e.path);
                    let result =
                        produce(project, e, n, (scratch, out, modules), old, read).map(|(size, hash)| Record {
                            source: e.source,
                            source_hash: e.source_hash.clone(),
                            meta: e.meta,
                            meta_settings: e.meta_settings.clone(),
                            key: e.key.clone(),
                            processor: e.processor.identity(),
                            settings: settings_json(&e.settings),
                            references: e.references.clone(),
                            build: build_keys(e, entries),
                            artifact: e.artifact.clone(),
                            artifact_size: size,
                            artifact_hash: hash,
                            processed_at: now,
                            reason: reason.clone(),
                        });
                    if tx.send((*i, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (i, result) in rx {
            let path = assets[i].0;
            progress(Progress::Done { path, ok: result.is_ok() });
            match result {
                Ok(record) => done.push((path.to_owned(), record)),
                Err(problem) => {
                    failed.insert(i, problem);
                    abandoned.push(path.to_owned());
                }
            }
            if done.len() >= COMMIT_EVERY && last_commit.elapsed() >= COMMIT_INTERVAL && commit_error.is_none() {
                last_commit = Instant::now();
                commit_error = durable(&out).and_then(|()| store.commit(profile, &done, &[])).err();
                all_done.append(&mut done);
            }
        }
    });
    if let Some(e) = commit_error {
        return Err(e);
    }
    durable(&out)?;
    store.commit(profile, &done, &[])?;
    store.commit(profile, &restated, &[])?;
    for (path, record) in restated {
        records.insert(path, record);
    }
    all_done.append(&mut done);
    store.abandon(profile, &abandoned)?;

    // Assets that are gone: their artifacts go, then their records.
    let current: HashMap<&str, ()> = assets.iter().map(|&(p, _)| (p, ())).collect();
    let mut removed: Vec<(String, Record)> = records
        .iter()
        .filter(|(p, _)| !current.contains_key(p.as_str()))
        .map(|(p, r)| (p.clone(), r.clone()))
        .collect();
    removed.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, r) in &removed {
        remove_artifact(&out, &r.artifact);
    }
    let removed_paths: Vec<String> = removed.iter().map(|(p, _)| p.clone()).collect();
    store.commit(profile, &[], &removed_paths)?;

    let mut changes = Vec::new();
    for (path, record) in &all_done {
        let kind = match records.get(path) {
            None => ChangeKind::Added,
            Some(old) if old.artifact_hash != record.artifact_hash || old.artifact != record.artifact => {
                ChangeKind::Modified
            }
            Some(_) => continue,
        };
        let id = project.file_id(path).and_then(|f| project.asset_id(f));
        changes.push(AssetChange {
            id,
            path: path.clone(),
            artifact: record.artifact.clone(),
            hash: record.artifact_hash.clone(),
            kind,
        });
    }
    for (path, r) in &removed {
        changes.push(AssetChange {
            id: None,
            path: path.clone(),
            artifact: r.artifact.clone(),
            hash: r.artifact_hash.clone(),
            kind: ChangeKind::Removed,
        });
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    for (path, _) in &removed {
        records.remove(path);
    }
    let history = if options.history { &records } else { &HashMap::new() };
    report.history = history
        .iter()
        .chain(all_done.iter().map(|(p, r)| (p, r)))
        .map(|(p, r)| (p.clone(), r.processed_at, r.reason.clone()))
        .collect();
    report.history.sort();
    report.history.dedup_by(|a, b| a.0 == b.0);
    report.processed = all_done.iter().map(|(p, _)| p.clone()).collect();
    report.processed.sort();
    for (path, record) in all_done {
        records.insert(path, record);
    }
    manifest::write(project, &out, &scratch, &records)?;
    let _ = std::fs::remove_dir_all(&scratch);

    let mut failures: Vec<Failure> = failed
        .into_iter()
        .map(|(i, p)| Failure { path: assets[i].0.to_owned(), message: p.message, range: p.range })
        .collect();
    failures.sort_by(|a, b| a.path.cmp(&b.path));
    report.failed = failures;
    report.sources_read = read.load(Ordering::Relaxed);
    report.changeset = Changeset { profile: profile.to_owned(), changes };
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Runs the processor and puts the artifact in place: written to a
/// scratch file, then renamed over the old one (a reader sees the old or
/// the new artifact, never a part).
fn produce(
    project: &Project,
    e: &Entry,
    n: usize,
    (scratch, out, modules): (&Path, &Path, &processors::ModulePaths),
    old: Option<&Record>,
    read: &AtomicUsize,
) -> Result<(u64, String), Problem> {
    let abs = project.abs_path(&e.path);
    let kept = e.bytes.lock().ok().and_then(|mut b| b.take());
    let bytes = match kept {
        // The very bytes the key was made from.
        Some(bytes) => bytes,
        None => {
            read.fetch_add(1, Ordering::Relaxed);
            let bytes = std::fs::read(&abs).map_err(|err| Problem::new(format!("cannot read the asset: {err}")))?;
            // The file changed after planning: its key is stale; the next run
            // (or the next change batch) picks the new content up.
            if blake3::hash(&bytes).to_hex().as_str() != e.source_hash {
                return Err(Problem::new("the asset changed while it was processed; it will be processed again"));
            }
            bytes
        }
    };
    let ext = e.artifact.rsplit_once('.').map_or("out", |(_, x)| x);
    let tmp = scratch.join(format!("{n}.{ext}"));
    let input = Input { project, asset: e.file, source: &abs, bytes, settings: &e.settings, scratch: &tmp, modules };
    let (size, hash) = match processors::run(&e.processor, input)? {
        Output::Bytes(b) => {
            std::fs::write(&tmp, &b).map_err(|err| Problem::new(format!("cannot write the artifact: {err}")))?;
            // A copy's bytes are the source's, whose hash is known.
            let hash = if e.processor == Processor::Copy {
                e.source_hash.clone()
            } else {
                blake3::hash(&b).to_hex().to_string()
            };
            (b.len() as u64, hash)
        }
        Output::Scratch => {
            let b = std::fs::read(&tmp).map_err(|err| Problem::new(format!("cannot read the tool's output: {err}")))?;
            (b.len() as u64, blake3::hash(&b).to_hex().to_string())
        }
    };
    let target = out.join(&e.artifact);
    // The old artifact goes first: removing it may remove its emptied folder.
    if let Some(old) = old
        && old.artifact != e.artifact
    {
        remove_artifact(out, &old.artifact);
    }
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|err| Problem::new(format!("cannot create {}: {err}", parent.display())))?;
    }
    std::fs::rename(&tmp, &target).map_err(|err| Problem::new(format!("cannot write {}: {err}", target.display())))?;
    Ok((size, hash))
}

fn remove_artifact(out: &Path, artifact: &str) {
    let path = out.join(artifact);
    let _ = std::fs::remove_file(&path);
    // Empty folders left behind go too, up to the profile's folder.
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == out || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// Makes everything written under `dir`'s file system durable: one
/// `syncfs` for a whole chunk instead of an `fsync` per artifact.
fn durable(dir: &Path) -> Result<(), ProcessError> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let f = std::fs::File::open(dir).map_err(|e| ProcessError::io(dir, e))?;
        // SAFETY: syncfs on a descriptor this function owns.
        if unsafe { libc::syncfs(f.as_raw_fd()) } != 0 {
            return Err(ProcessError::io(dir, std::io::Error::last_os_error()));
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
    }
    Ok(())
}

/// Maps `f` over `items` on `jobs` threads, results in input order.
fn parallel_map<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let chunk = 64;
    let mut parts: Vec<Vec<(usize, R)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..jobs.clamp(1, items.len().div_ceil(chunk).max(1)))
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let start = next.fetch_add(chunk, Ordering::Relaxed);
                        if start >= items.len() {
                            break;
                        }
                        for (i, item) in items.iter().enumerate().skip(start).take(chunk) {
                            out.push((i, f(item)));
                        }
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    let mut all: Vec<(usize, R)> = parts.drain(..).flatten().collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}
