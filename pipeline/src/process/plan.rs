//! Planning a run: per asset, stat and hash only what changed (the no-op
//! path reads nothing), the effective settings and artifact path, the build
//! dependencies, then the cache keys in dependency order, and why an asset
//! must be processed again.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::processors::{self, Problem};
use super::settings::{self, Processor};
use super::store::{FailRecord, Record, Stat};
use crate::extract::DepKind;
use crate::project::{FileId, Project, Resolution};

/// What planning knows of one asset.
pub(super) struct Entry {
    pub(super) file: FileId,
    pub(super) path: String,
    pub(super) artifact: String,
    pub(super) processor: Processor,
    pub(super) settings: toml::Table,
    pub(super) source: Stat,
    pub(super) source_hash: String,
    /// The source bytes, when planning read them (taken by processing).
    pub(super) bytes: std::sync::Mutex<Option<Vec<u8>>>,
    pub(super) meta: Option<Stat>,
    pub(super) meta_settings: String,
    pub(super) references: String,
    pub(super) build: Vec<usize>,
    /// Build dependencies outside a bounded run: (path, key), `None` for
    /// one that is failing (the key cannot be made).
    pub(super) external: Vec<(String, Option<String>)>,
    pub(super) key: String,
}

/// Stat, and hash only what changed: the no-op path reads nothing.
pub(super) fn plan(
    project: &Project,
    profile: &str,
    path: &str,
    file: FileId,
    // What the last runs left: records, and failures by key (each has the source's stat).
    (records, fail_records): (&HashMap<String, Record>, &HashMap<String, FailRecord>),
    read: &AtomicUsize,
    budget: &AtomicU64,
) -> Result<Entry, Problem> {
    let abs = project.abs_path(path);
    let old = records.get(path);
    let meta_file = project.meta_of(file);
    let named = meta_file.and_then(|(_, m)| m.processor.as_deref());
    let processor = Processor::choose(named, path, project.config()).map_err(Problem::new)?;
    let stat = std::fs::metadata(&abs).map_err(|e| Problem::new(format!("cannot read the asset: {e}")))?;
    if !stat.is_file() {
        return Err(Problem::new("not a regular file"));
    }
    let source = Stat::of(&stat);
    let mut kept = None;
    let source_hash = match (old, fail_records.get(path)) {
        (Some(r), _) if r.source == source => r.source_hash.clone(),
        (_, Some(f)) if f.source == source => f.source_hash.clone(),
        _ => {
            read.fetch_add(1, Ordering::Relaxed);
            let bytes = std::fs::read(&abs).map_err(|e| Problem::new(format!("cannot read the asset: {e}")))?;
            let hash = blake3::hash(&bytes).to_hex().to_string();
            // Kept for processing (which an asset read here usually needs),
            // within a budget, so a cold run reads each source once.
            let len = bytes.len() as u64;
            if budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(len)).is_ok() {
                kept = Some(bytes);
            }
            hash
        }
    };
    let (meta, meta_settings) = match meta_file {
        None => (None, "{}".to_owned()),
        Some((meta_id, _)) => {
            let meta_abs = project.abs_path(project.path(meta_id));
            let m = std::fs::metadata(&meta_abs).map_err(|e| Problem::new(format!("cannot read its .meta: {e}")))?;
            let stat = Stat::of(&m);
            match old {
                Some(r) if r.meta == Some(stat) => (Some(stat), r.meta_settings.clone()),
                _ => {
                    let text = std::fs::read_to_string(&meta_abs)
                        .map_err(|e| Problem::new(format!("cannot read its .meta: {e}")))?;
                    (Some(stat), settings_json(&settings::meta_settings(&text)))
                }
            }
        }
    };
    let meta_table: toml::Table = serde_json::from_str(&meta_settings).unwrap_or_default();
    let settings = settings::effective(project.config(), profile, processor.name(), &meta_table);
    let ext = processors::output_extension(&processor, &settings)?;
    let artifact = artifact_path(crate::resolve::root_relative(path, &project.config().roots), ext.as_deref())?;
    Ok(Entry {
        file,
        path: path.to_owned(),
        artifact,
        processor,
        settings,
        source,
        source_hash,
        bytes: std::sync::Mutex::new(kept),
        meta,
        meta_settings,
        // A shader importing Bevy's modules depends on the Bevy the lock names.
        references: references(project, file) + &processors::wgsl_cache_key(project, file),
        build: Vec::new(),
        external: Vec::new(),
        key: String::new(),
    })
}

/// Where each of the asset's own references points now (path and id): a
/// scene's output holds its targets' ids, so a change of them changes it.
pub(super) fn references(project: &Project, file: FileId) -> String {
    let Some(f) = project.file(file) else { return String::new() };
    let mut h = blake3::Hasher::new();
    for (r, res) in f.refs().iter().zip(f.resolutions()) {
        h.update(r.value.as_bytes());
        h.update(&[0]);
        match res {
            Resolution::Asset { target, label } => {
                h.update(project.path(*target).as_bytes());
                h.update(format!("\0{:?}\0{:?}", project.asset_id(*target), label).as_bytes());
                if let Some(l) = label {
                    let id = project.meta_of(*target).and_then(|(_, m)| m.labels.get(*l as usize)?.id);
                    h.update(format!("{id:?}").as_bytes());
                }
            }
            other => {
                h.update(format!("{other:?}").as_bytes());
            }
        }
        h.update(&[1]);
    }
    h.finalize().to_hex().to_string()
}

pub(super) fn settings_json(t: &toml::Table) -> String {
    serde_json::to_string(t).unwrap_or_default()
}

/// The artifact's path: the asset's root-relative path, with the
/// processor's extension; refused if it could leave `.assetry/out/<profile>`.
pub(super) fn artifact_path(rel: &str, ext: Option<&str>) -> Result<String, Problem> {
    let mut out = rel.to_owned();
    if let Some(ext) = ext {
        let name_start = out.rfind('/').map_or(0, |i| i + 1);
        match out[name_start..].rfind('.') {
            Some(dot) if dot > 0 => out.truncate(name_start + dot),
            _ => {}
        }
        out.push('.');
        out.push_str(ext);
    }
    let safe = !out.is_empty()
        && !out.starts_with('/')
        && out.split('/').all(|c| !c.is_empty() && c != "." && c != ".." && !c.contains('\\'));
    if safe { Ok(out) } else { Err(Problem::new(format!("the artifact path `{out}` would leave .assetry/out"))) }
}

/// The build dependencies of `file`: indexes of those planned in this run,
/// and the others (only a bounded run has any).
pub(super) fn build_dependencies(
    project: &Project,
    file: FileId,
    index: &HashMap<FileId, usize>,
) -> (Vec<usize>, Vec<FileId>) {
    let mut deps = Vec::new();
    let mut outside = Vec::new();
    for (_, _, kind, target) in project.dependencies(file) {
        if kind != DepKind::Build {
            continue;
        }
        match index.get(&target) {
            Some(&i) => deps.push(i),
            None => outside.push(target),
        }
    }
    deps.sort_unstable();
    deps.dedup();
    outside.sort_unstable();
    outside.dedup();
    (deps, outside)
}

/// Cache keys in dependency order (iterative depth-first, so a long import
/// chain cannot overflow the stack). An asset on a build cycle, or above
/// one, fails: its key would depend on itself.
pub(super) fn compute_keys(entries: &mut [Option<Entry>], failed: &mut HashMap<usize, Problem>) {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done,
    }
    let mut state = vec![State::New; entries.len()];
    for start in 0..entries.len() {
        if state[start] != State::New {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        state[start] = State::Open;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let deps = entries[node].as_ref().map_or(&[][..], |e| &e.build[..]);
            if let Some(&dep) = deps.get(*next) {
                *next += 1;
                match state[dep] {
                    State::New => {
                        state[dep] = State::Open;
                        stack.push((dep, 0));
                    }
                    State::Open => {
                        // Everyone on the cycle fails with the whole cycle named.
                        let from = stack.iter().position(|&(n, _)| n == dep).unwrap_or(0);
                        let name = |i: usize| entries[i].as_ref().map_or("?", |e| e.path.as_str()).to_owned();
                        let mut names: Vec<String> = stack[from..].iter().map(|&(n, _)| name(n)).collect();
                        names.push(name(dep));
                        let message = format!("build dependency cycle: {}", names.join(" → "));
                        for &(n, _) in &stack[from..] {
                            failed.insert(n, Problem::new(message.clone()));
                        }
                    }
                    State::Done => {}
                }
                continue;
            }
            stack.pop();
            state[node] = State::Done;
            let mut blocked = None;
            let key = entries[node].as_ref().map(|e| {
                let mut h = blake3::Hasher::new();
                for part in [&e.processor.identity(), &settings_json(&e.settings), &e.source_hash, &e.references] {
                    h.update(part.as_bytes());
                    h.update(&[0]);
                }
                // By path, so a bounded run (some keys from records) makes the full run's key.
                let mut deps: Vec<(&str, &str)> = Vec::with_capacity(e.build.len() + e.external.len());
                for &d in &e.build {
                    match entries[d].as_ref() {
                        Some(dep) if !dep.key.is_empty() && !failed.contains_key(&d) => {
                            deps.push((&dep.path, &dep.key))
                        }
                        other => blocked = Some(other.map_or_else(|| "?".to_owned(), |d| d.path.clone())),
                    }
                }
                for (path, key) in &e.external {
                    match key {
                        Some(key) => deps.push((path, key)),
                        None => blocked = Some(path.clone()),
                    }
                }
                deps.sort_unstable();
                for (path, key) in deps {
                    h.update(path.as_bytes());
                    h.update(key.as_bytes());
                }
                h.finalize().to_hex().to_string()
            });
            if let Some(dep) = blocked {
                failed
                    .entry(node)
                    .or_insert_with(|| Problem::new(format!("its build dependency `{dep}` could not be processed")));
            }
            if failed.contains_key(&node) {
                continue;
            }
            if let (Some(e), Some(key)) = (entries[node].as_mut(), key) {
                e.key = key;
            }
        }
    }
    for i in failed.keys() {
        entries[*i] = None;
    }
}

/// (path, key) of each build dependency, by path.
pub(super) fn build_keys(e: &Entry, entries: &[Option<Entry>]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        e.build.iter().filter_map(|&d| entries[d].as_ref()).map(|d| (d.path.clone(), d.key.clone())).collect();
    out.extend(e.external.iter().filter_map(|(p, k)| Some((p.clone(), k.clone()?))));
    out.sort_unstable();
    out
}

/// Why `e` must be processed, or `None` when its record and artifact are current.
pub(super) fn why(e: &Entry, old: Option<&Record>, out: &Path, entries: &[Option<Entry>]) -> Option<String> {
    let Some(old) = old else { return Some("first processed".to_owned()) };
    if old.key == e.key && old.artifact == e.artifact {
        let artifact = std::fs::metadata(out.join(&old.artifact));
        return match artifact {
            Ok(m) if m.is_file() && m.len() == old.artifact_size => None,
            _ => Some("its output was missing".to_owned()),
        };
    }
    let mut reasons = Vec::new();
    if old.source_hash != e.source_hash {
        reasons.push("the source changed".to_owned());
    }
    if old.settings != settings_json(&e.settings) {
        reasons.push("its settings changed".to_owned());
    }
    if old.processor != e.processor.identity() {
        reasons.push("its processor changed".to_owned());
    }
    if old.references != e.references {
        reasons.push("what its references point to changed".to_owned());
    }
    let build = build_keys(e, entries);
    for (path, key) in &build {
        if !old.build.iter().any(|(p, k)| p == path && k == key) {
            reasons.push(format!("its import `{path}` changed"));
        }
    }
    if old.build.len() != build.len() && reasons.iter().all(|r| !r.starts_with("its import")) {
        reasons.push("its imports changed".to_owned());
    }
    if reasons.is_empty() {
        reasons.push("its output path changed".to_owned());
    }
    Some(reasons.join(", "))
}
