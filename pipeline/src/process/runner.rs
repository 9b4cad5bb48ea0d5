//! One processing run over a project: plan (stat, hash what changed, cache
//! keys along build edges), process what changed on `jobs` threads, commit
//! records in chunks once their outputs are durable, remove the outputs of
//! assets that are gone, write the manifest. Returns a [`RunReport`] whose
//! [`Changeset`] says what changed for a game.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::lock::ProcessLock;
use super::plan::{Entry, build_dependencies, build_keys, compute_keys, plan, settings_json, why};
use super::processors::{self, Problem};
pub use super::report::{AssetChange, ChangeKind, Changeset, Failure, Progress, RunOptions, RunReport};
use super::schedule::{Stretches, parallel_map};
use super::scope::Scope;
use super::store::{Commit, FailRecord, Record, Store};
use super::write::{Failed, produce, remove_artifact, sync_folders, syncfs};
use super::{ProcessError, manifest, out_dir, state_dir};
use crate::project::{FileId, Project};
use crate::text::TextRange;

/// Records are committed once this many assets are done and
/// [`COMMIT_INTERVAL`] has passed since the last commit (one `syncfs` and one
/// store commit each): a killed run loses little work, and a fast run does
/// not flush the file system hundreds of times.
const COMMIT_EVERY: usize = 256;
const COMMIT_INTERVAL: Duration = Duration::from_millis(250);
/// Workers hand their results over this many at a time, or once this long
/// has passed since their last handover: a wake of the collecting thread
/// per artifact costs more than a small copy, and a slow processor's result
/// is not held back.
const SEND_EVERY: usize = 32;
const SEND_AFTER: Duration = Duration::from_millis(10);
/// A run that writes at most this many artifacts makes them durable with an
/// `fsync` each (and of their folders) rather than a `syncfs`, whose cost
/// grows with whatever else on the machine is waiting to be written.
const SYNC_FILES_UP_TO: usize = 64;

/// Processes all of `project` under the given profile. The caller holds the lock.
pub fn run(
    project: &Project,
    options: &RunOptions,
    lock: &ProcessLock,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<RunReport, ProcessError> {
    Session::default().run(project, options, lock, None, progress)
}

/// What a processor keeps between runs (the background thread's): the
/// records, failures and manifest entries, so a run bounded to what a batch
/// touched ([`Scope`]) neither re-reads the store nor stats the other assets.
/// The store's commit counter tells when another process (an `assetry
/// process` between two runs) changed the records: then they are read again
/// and the run is a full one.
///
/// The store stays open from one run to the next (opening and closing a redb
/// file cost tens of milliseconds on a busy disk, more than a small run)
/// until [`Session::release`]; the caller holds the lock for that time, as
/// no other process can open the store meanwhile.
#[derive(Default)]
pub struct Session {
    state: Option<State>,
    store: Option<(PathBuf, Store)>,
}

struct State {
    profile: String,
    generation: u64,
    records: HashMap<String, Record>,
    /// Processor failures by cache key.
    fail_records: HashMap<String, FailRecord>,
    /// Every asset failing now, as the last run reported them.
    failures: BTreeMap<String, Failure>,
    manifest: BTreeMap<String, manifest::Entry>,
}

impl Session {
    /// Closes the store (the caller may then let the lock go).
    pub fn release(&mut self) {
        self.store = None;
    }

    /// The store the last run used, while it is open.
    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref().map(|(_, s)| s)
    }

    /// One run: over `scope`'s assets only when given (and the session's
    /// state is current), else over the whole project.
    pub fn run(
        &mut self,
        project: &Project,
        options: &RunOptions,
        _lock: &ProcessLock,
        scope: Option<&Scope>,
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
        let state_path = state_dir(root);
        let out = out_dir(root, profile);
        let scratch = state_path.join("tmp").join(profile);
        // Leftovers of a killed run: never outputs, only half-written files.
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir_all(&scratch).map_err(|e| ProcessError::io(&scratch, e))?;
        std::fs::create_dir_all(&out).map_err(|e| ProcessError::io(&out, e))?;
        let store = match self.store.take() {
            Some((path, store)) if path == state_path => store,
            _ => Store::open(&state_path)?,
        };
        let generation = store.generation()?;
        let (state, scope) = match &mut self.state {
            Some(s) if s.profile == profile && s.generation == generation => (s, scope),
            stale => {
                // The failures told before stay, so only new ones are reported again.
                let failures = stale.take().map(|s| s.failures).unwrap_or_default();
                // A run was killed while writing: its unfinished files go
                // before the journal that tells of them is cleared.
                if store.has_pending(profile)? {
                    super::write::sweep_unfinished(&out);
                }
                let records = store.load(profile)?;
                let state = State {
                    profile: profile.to_owned(),
                    generation: store.generation()?,
                    fail_records: store.load_failures(profile)?,
                    manifest: BTreeMap::new(),
                    records,
                    failures,
                };
                (stale.insert(state), None)
            }
        };
        let mut result = state.run(project, options, scope, &store, (&out, &scratch), progress);
        if let Ok(None) = result {
            // The scope could not bound this run (nothing was written): a full one instead.
            result = state.run(project, options, None, &store, (&out, &scratch), progress);
        }
        let _ = std::fs::remove_dir_all(&scratch);
        self.store = Some((state_path, store));
        match result {
            Ok(report) => {
                let mut report = report.unwrap_or_default();
                report.elapsed = started.elapsed();
                Ok(report)
            }
            Err(e) => {
                // What is in memory may be ahead of the store: read it again next time.
                self.state = None;
                self.store = None;
                Err(e)
            }
        }
    }
}

impl State {
    /// `Ok(None)`: the scope cannot bound the run (an artifact two assets
    /// claim); nothing was written.
    fn run(
        &mut self,
        project: &Project,
        options: &RunOptions,
        scope: Option<&Scope>,
        store: &Store,
        (out, scratch): (&Path, &Path),
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<Option<RunReport>, ProcessError> {
        let profile = options.profile.as_str();
        let jobs = options.jobs.max(1);
        let read = AtomicUsize::new(0);
        let mut report = RunReport::default();
        let full = scope.is_none();
        let records = &self.records;

        let assets: Vec<(&str, FileId)> = match scope {
            None => project.files_by_path().filter(|&(_, id)| project.file(id).is_some_and(|f| f.is_asset())).collect(),
            Some(scope) => {
                let mut v: Vec<(&str, FileId)> = scope
                    .assets
                    .iter()
                    .filter_map(|p| project.file_id(p))
                    .filter(|&id| project.file(id).is_some_and(|f| f.is_asset()))
                    .map(|id| (project.path(id), id))
                    .collect();
                v.sort_unstable();
                v
            }
        };
        // Source bytes kept from planning for processing: at most 256 MiB.
        let budget = std::sync::atomic::AtomicU64::new(256 << 20);
        let planned = parallel_map(&assets, jobs, |&(path, file)| {
            plan(project, profile, path, file, (records, &self.fail_records), &read, &budget)
        });
        let index: HashMap<FileId, usize> = assets.iter().enumerate().map(|(i, &(_, f))| (f, i)).collect();
        let mut failed: HashMap<usize, Problem> = HashMap::new();
        let mut entries: Vec<Option<Entry>> = Vec::with_capacity(planned.len());
        for (i, p) in planned.into_iter().enumerate() {
            match p {
                Ok(mut e) => {
                    let (build, outside) = build_dependencies(project, e.file, &index);
                    e.build = build;
                    // Outside the scope: unchanged, so the key of its last
                    // run: its failure record's when its processor failed, its
                    // record's when it did not fail; none when it failed before
                    // its key could be made (as a full run would find).
                    e.external = outside
                        .into_iter()
                        .filter(|_| !full)
                        .map(|t| {
                            let path = project.path(t);
                            let key = match (self.fail_records.get(path), self.failures.contains_key(path)) {
                                (Some(f), _) => Some(f.key.clone()),
                                (None, false) => records.get(path).map(|r| r.key.clone()),
                                (None, true) => None,
                            };
                            (path.to_owned(), key)
                        })
                        .collect();
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
        if !full {
            // Who owns an artifact is decided in path order over the whole
            // project: a claim that meets an asset outside the scope, or an
            // earlier clash, is left to a full run.
            let in_scope: std::collections::HashSet<&str> = assets.iter().map(|&(p, _)| p).collect();
            let claimed =
                records.iter().any(|(p, r)| !in_scope.contains(p.as_str()) && owners.contains_key(r.artifact.as_str()));
            let clashed = self.failures.values().any(|f| f.message.starts_with("its artifact `"));
            if claimed || clashed || !clashes.is_empty() {
                return Ok(None);
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
        // Assets that failed with the same key before: not tried again.
        let mut known: Vec<usize> = Vec::new();
        // Paths whose failure record stays (known again, or new).
        let mut keep_fail: std::collections::HashSet<String> = std::collections::HashSet::new();
        for (i, e) in entries.iter().enumerate() {
            let Some(e) = e else { continue };
            if self.fail_records.get(&e.path).is_some_and(|f| f.key == e.key) {
                known.push(i);
                continue;
            }
            match why(e, records.get(&e.path), out, &entries) {
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
        for i in known {
            keep_fail.insert(assets[i].0.to_owned());
            let f = &self.fail_records[assets[i].0];
            let range = f.range.map(|(start, end)| TextRange { start, end });
            failed.insert(i, Problem { message: f.message.clone(), range, machine: false });
        }
        progress(Progress::Planned { assets: assets.len(), to_process: work.len() });
        let work_paths: Vec<&str> = work.iter().map(|&(i, _)| assets[i].0).collect();
        store.begin(profile, &work_paths)?;

        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let stretches = Stretches::new(work.len(), jobs.min(work.len()));
        let modules = processors::ModulePaths::new();
        let made = std::sync::Mutex::new(Vec::new());
        let (tx, rx) = mpsc::channel::<Vec<(usize, Result<Record, Failed>)>>();
        let mut done: Vec<(String, Record)> = Vec::new();
        let mut all_done: Vec<(String, Record)> = Vec::new();
        let mut new_fail_records: Vec<(String, FailRecord)> = Vec::new();
        let mut abandoned: Vec<String> = Vec::new();
        let mut commit_error = None;
        let mut last_commit = Instant::now();
        // A small run syncs what it wrote; a big one the whole file system once per chunk.
        let small = !full && work.len() <= SYNC_FILES_UP_TO;
        std::thread::scope(|s| {
            for worker in 0..jobs.min(work.len()) {
                let tx = tx.clone();
                let (work, entries, stretches, read) = (&work, &entries, &stretches, &read);
                let (modules, made) = (&modules, &made);
                s.spawn(move || {
                    let mut batch = Vec::new();
                    let mut since = Instant::now();
                    while let Some(n) = stretches.next(worker) {
                        let Some((i, reason)) = work.get(n) else { break };
                        let Some(e) = entries[*i].as_ref() else { continue };
                        let old = records.get(&e.path);
                        let result = produce(project, e, n, (scratch, out, modules, made), old, read, small).map(
                            |(size, hash)| Record {
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
                            },
                        );
                        batch.push((*i, result));
                        if batch.len() >= SEND_EVERY || since.elapsed() >= SEND_AFTER {
                            if tx.send(std::mem::take(&mut batch)).is_err() {
                                return;
                            }
                            since = Instant::now();
                        }
                    }
                    let _ = tx.send(batch);
                });
            }
            drop(tx);
            for (i, result) in rx.into_iter().flatten() {
                let path = assets[i].0;
                progress(Progress::Done { path, ok: result.is_ok() });
                match result {
                    Ok(record) => done.push((path.to_owned(), record)),
                    Err(f) => {
                        if let (true, Some(e)) = (f.keep, entries[i].as_ref()) {
                            let range = f.problem.range.map(|r| (r.start, r.end));
                            let record = FailRecord {
                                source: e.source,
                                source_hash: e.source_hash.clone(),
                                key: e.key.clone(),
                                message: f.problem.message.clone(),
                                range,
                            };
                            keep_fail.insert(path.to_owned());
                            new_fail_records.push((path.to_owned(), record));
                        } else {
                            abandoned.push(path.to_owned());
                        }
                        failed.insert(i, f.problem);
                    }
                }
                if !small
                    && done.len() >= COMMIT_EVERY
                    && last_commit.elapsed() >= COMMIT_INTERVAL
                    && commit_error.is_none()
                {
                    last_commit = Instant::now();
                    let chunk = Commit { done: &done, ..Commit::default() };
                    if let Err(e) = syncfs(out).and_then(|()| store.commit(profile, &chunk)) {
                        commit_error = Some(e);
                    }
                    all_done.append(&mut done);
                }
            }
        });
        if let Some(e) = commit_error {
            return Err(e);
        }
        // What a small run syncs file by file, with the manifest, before the last commit.
        let written: Vec<String> =
            if small { done.iter().map(|(_, r)| r.artifact.clone()).collect() } else { Vec::new() };

        // Assets that are gone: their artifacts go, then their records.
        let current: std::collections::HashSet<&str> = assets.iter().map(|&(p, _)| p).collect();
        let mut removed: Vec<(String, Record)> = match scope {
            None => records
                .iter()
                .filter(|(p, _)| !current.contains(p.as_str()))
                .map(|(p, r)| (p.clone(), r.clone()))
                .collect(),
            Some(scope) => scope
                .assets
                .iter()
                .filter(|p| !current.contains(p.as_str()))
                .filter_map(|p| Some((p.clone(), records.get(p)?.clone())))
                .collect(),
        };
        removed.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, r) in &removed {
            remove_artifact(out, &r.artifact);
        }
        let mut removed_paths: Vec<String> = removed.iter().map(|(p, _)| p.clone()).collect();
        // Failure records that no longer hold: the asset is gone, or planned
        // or processed without that failure now.
        let mut cleared = abandoned;
        let looked_at: Vec<&String> = match scope {
            None => self.fail_records.keys().collect(),
            Some(scope) => scope.assets.iter().filter(|p| self.fail_records.contains_key(*p)).collect(),
        };
        for path in looked_at {
            if keep_fail.contains(path) {
                continue;
            }
            if current.contains(path.as_str()) {
                cleared.push(path.clone());
            } else if !removed_paths.contains(path) {
                removed_paths.push(path.clone());
            }
        }
        let mut committed = done.clone();
        committed.extend(restated.iter().cloned());
        // The state in memory goes first: the manifest is made from the
        // records as they are about to be committed (a failed commit makes
        // the session forget all of it).
        all_done.append(&mut done);
        let records = &mut self.records;
        for (path, record) in restated {
            records.insert(path, record);
        }

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
        let history = if options.history { &*records } else { &HashMap::new() };
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

        // The manifest: every entry on a full run, the scope's otherwise.
        let manifest_changed = match scope {
            None => {
                self.manifest = manifest::entries(project, records, jobs);
                true
            }
            Some(scope) => {
                let mut changed = false;
                for path in &scope.assets {
                    let entry = records.get(path).map(|r| manifest::entry(project, path, r));
                    if self.manifest.get(path) != entry.as_ref() {
                        changed = true;
                        match entry {
                            Some(e) => self.manifest.insert(path.clone(), e),
                            None => self.manifest.remove(path),
                        };
                    }
                }
                changed
            }
        };
        if manifest_changed {
            manifest::write(out, scratch, &self.manifest)?;
        }
        // Every artifact and the manifest on disk before the records that
        // name them: a few files synced on a small run, else one `syncfs`
        // for both (not a second flush for the manifest alone).
        if small {
            let written: Vec<&str> = written.iter().map(String::as_str).collect();
            let made = made.into_inner().unwrap_or_default();
            sync_folders(out, &written, &made)?;
        } else {
            syncfs(out)?;
        }
        let last = Commit { done: &committed, removed: &removed_paths, failed: &new_fail_records, cleared: &cleared };
        self.generation = store.commit(profile, &last)?;
        for (path, record) in new_fail_records {
            self.fail_records.insert(path, record);
        }
        for path in removed_paths.iter().chain(&cleared) {
            self.fail_records.remove(path);
        }

        // Every asset failing now: the scope's, and the others' as before.
        let mut now_failing: BTreeMap<String, Failure> = BTreeMap::new();
        for (i, p) in failed {
            let path = assets[i].0.to_owned();
            now_failing.insert(path.clone(), Failure { path, message: p.message, range: p.range });
        }
        let mut new_failures: Vec<String> =
            now_failing.iter().filter(|(p, f)| self.failures.get(*p) != Some(*f)).map(|(p, _)| p.clone()).collect();
        new_failures.sort();
        match scope {
            None => self.failures = now_failing,
            Some(scope) => {
                for path in &scope.assets {
                    self.failures.remove(path);
                }
                self.failures.extend(now_failing);
            }
        }
        report.failed = self.failures.values().cloned().collect();
        report.new_failures = new_failures;
        report.planned = assets.len();
        report.sources_read = read.load(Ordering::Relaxed);
        report.changeset = Changeset { profile: profile.to_owned(), changes };
        Ok(Some(report))
    }
}
