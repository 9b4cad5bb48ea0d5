//! What a change batch can change in processing: the assets a run after it
//! must look at, so the others are neither stat-ed nor planned.
//!
//! An asset's cache key and manifest entry are made of its source, its
//! `.meta`, the configuration, where its references point (path, id, label
//! id of each target) and the keys of its build dependencies. So a batch
//! reaches: the assets at (or under) the paths it names, the asset of each
//! `.meta` it names, every asset whose references point at one of those
//! before or after the batch (a target's path or id changed, or it came or
//! went), and then, transitively, everything above them along build edges.
//! A batch that can change more than that (the configuration, ignore
//! rules, the Cargo manifests a flavour is read from, an asset root) is not
//! bounded: the run is a full one.

use std::collections::BTreeSet;
use std::path::Path;

use crate::change::{Change, ChangeBatch};
use crate::config::CONFIG_FILE;
use crate::extract::DepKind;
use crate::meta::META_SUFFIX;
use crate::project::Project;

/// The assets (project-relative paths) a bounded run looks at: those that
/// exist are planned, those that have gone lose their artifact and record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub assets: BTreeSet<String>,
}

/// What is learnt of a batch before it is applied (the referrers of what it
/// removes exist only then).
#[derive(Debug)]
pub struct Before {
    touched: Vec<String>,
    seeds: BTreeSet<String>,
}

/// Files whose change can reach any asset: the run after them is a full one.
fn unbounded(project: &Project, rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    rel.is_empty()
        || rel == CONFIG_FILE
        || matches!(name, ".gitignore" | ".ignore" | "Cargo.toml")
        || project.classifier().is_root(rel)
}

/// Call with the project as it is before `batch` is applied; `None` when the
/// batch cannot be bounded.
pub fn before(project: &Project, batch: &ChangeBatch) -> Option<Before> {
    let mut touched = Vec::new();
    for change in &batch.changes {
        let paths: Vec<&Path> = match change {
            Change::Disk(p) | Change::Removed(p) => vec![p],
            Change::Moved { from, to } => vec![from, to],
            Change::Overlay { .. } | Change::CloseOverlay(_) => Vec::new(),
        };
        for p in paths {
            let Some(rel) = project.rel_path(p) else { continue };
            if unbounded(project, &rel) {
                return None;
            }
            touched.push(rel);
        }
    }
    let mut seeds = BTreeSet::new();
    for rel in &touched {
        reached(project, rel, &mut seeds);
    }
    Some(Before { touched, seeds })
}

/// Call with the project once the batch is applied.
pub fn after(project: &Project, before: Before) -> Scope {
    let Before { touched, mut seeds } = before;
    for rel in &touched {
        reached(project, rel, &mut seeds);
    }
    // Everything above along build edges: its key holds theirs.
    let mut stack: Vec<String> = seeds.iter().cloned().collect();
    while let Some(path) = stack.pop() {
        let Some(id) = project.file_id(&path) else { continue };
        for (node, kind) in project.dependents(id) {
            if kind == DepKind::Build {
                let p = project.path(node);
                if seeds.insert(p.to_owned()) {
                    stack.push(p.to_owned());
                }
            }
        }
    }
    Scope { assets: seeds }
}

/// The assets at or under `rel`, the asset a `.meta` at `rel` belongs to,
/// and the assets whose references point at any of them.
fn reached(project: &Project, rel: &str, out: &mut BTreeSet<String>) {
    let mut here: Vec<String> = Vec::new();
    if let Some(asset) = rel.strip_suffix(META_SUFFIX) {
        here.push(asset.to_owned());
    }
    here.push(rel.to_owned());
    let folder = format!("{rel}/");
    for (path, id) in project.files_with_prefix(&folder) {
        if project.file(id).is_some_and(|f| f.is_asset()) {
            here.push(path.to_owned());
        } else if let Some(asset) = path.strip_suffix(META_SUFFIX) {
            here.push(asset.to_owned());
        }
    }
    for path in here {
        let id = project.file_id(&path).filter(|&id| project.file(id).is_some_and(|f| f.is_asset()));
        if let Some(id) = id {
            for (node, _) in project.dependents(id) {
                out.insert(project.path(node).to_owned());
            }
            out.insert(path);
        } else if !path.ends_with(META_SUFFIX) {
            // Not an asset now: one that was (it goes) or game code (it has no record).
            out.insert(path);
        }
    }
}
