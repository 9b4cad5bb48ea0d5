//! `.assetry/out/<profile>/manifest.json`: for every processed asset, its
//! id, path, artifact, the artifact's BLAKE3 and its load dependencies (by
//! id where they have one). Sorted by path, no timestamps: the same state
//! gives the same bytes. Written to a temporary file and renamed.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::ProcessError;
use super::store::Record;
use crate::extract::DepKind;
use crate::project::Project;

pub const MANIFEST: &str = "manifest.json";

#[derive(Serialize)]
struct Manifest<'a> {
    assets: Vec<&'a Entry>,
}

/// One asset's line of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct Entry {
    path: String,
    id: Option<String>,
    artifact: String,
    hash: String,
    load: Vec<String>,
}

/// The entry of `path`, processed as `record`, in `project` as it is now.
pub(super) fn entry(project: &Project, path: &str, r: &Record) -> Entry {
    let file = project.file_id(path);
    let id = file.and_then(|f| project.asset_id(f)).map(|u| u.hyphenated().to_string());
    let mut load: Vec<String> = file
        .map(|f| project.dependencies(f))
        .unwrap_or_default()
        .into_iter()
        .filter(|&(_, _, kind, _)| kind == DepKind::Load)
        .map(|(_, _, _, t)| {
            project.asset_id(t).map_or_else(|| project.path(t).to_owned(), |u| u.hyphenated().to_string())
        })
        .collect();
    load.sort();
    load.dedup();
    Entry { path: path.to_owned(), id, artifact: r.artifact.clone(), hash: r.artifact_hash.clone(), load }
}

/// Every entry, made from the records on `jobs` threads (a few
/// microseconds each: 30 ms of a cold run of 10,000 assets on one).
pub(super) fn entries(project: &Project, records: &HashMap<String, Record>, jobs: usize) -> BTreeMap<String, Entry> {
    let records: Vec<(&String, &Record)> = records.iter().collect();
    let made = super::schedule::parallel_map(&records, jobs, |&(p, r)| entry(project, p, r));
    records.into_iter().map(|(p, _)| p.clone()).zip(made).collect()
}

/// Writes the manifest: a temporary file renamed over the old one, so a
/// reader sees one or the other. Not synced here: a full run's `syncfs`
/// makes it durable with the artifacts, before the records are committed
/// (a bounded run leaves it to the page cache, as the next session's
/// first run, a full one, rewrites it from the store).
pub(super) fn write(out: &Path, scratch: &Path, entries: &BTreeMap<String, Entry>) -> Result<(), ProcessError> {
    let text = serde_json::to_vec_pretty(&Manifest { assets: entries.values().collect() }).unwrap_or_default();
    let target = out.join(MANIFEST);
    let tmp = scratch.join(MANIFEST);
    let io = |e| ProcessError::io(&target, e);
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(&text).map_err(io)?;
    f.write_all(b"\n").map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, &target).map_err(io)
}
