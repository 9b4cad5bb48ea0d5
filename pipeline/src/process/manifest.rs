//! `.assetry/out/<profile>/manifest.json`: for every processed asset, its
//! id, path, artifact, the artifact's BLAKE3 and its load dependencies (by
//! id where they have one). Sorted by path, no timestamps: the same state
//! gives the same bytes. Written to a temporary file, synced, renamed.

use std::collections::HashMap;
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
    assets: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    path: &'a str,
    id: Option<String>,
    artifact: &'a str,
    hash: &'a str,
    load: Vec<String>,
}

pub(super) fn write(
    project: &Project,
    out: &Path,
    scratch: &Path,
    records: &HashMap<String, Record>,
) -> Result<(), ProcessError> {
    let mut paths: Vec<&String> = records.keys().collect();
    paths.sort();
    let mut assets = Vec::with_capacity(paths.len());
    for path in paths {
        let r = &records[path];
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
        assets.push(Entry { path, id, artifact: &r.artifact, hash: &r.artifact_hash, load });
    }
    let text = serde_json::to_vec_pretty(&Manifest { assets }).unwrap_or_default();
    let target = out.join(MANIFEST);
    let tmp = scratch.join(MANIFEST);
    let io = |e| ProcessError::io(&target, e);
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(&text).map_err(io)?;
    f.write_all(b"\n").map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, &target).map_err(io)
}
