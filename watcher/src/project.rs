//! Glue between a [`Project`] and the watcher, so a front end (the language
//! server, `assetry watch`) needs three lines.

use std::path::PathBuf;
use std::time::SystemTime;

use assetry_pipeline::{Change, ChangeBatch, Project};

use crate::WatchOptions;
use crate::rules::IgnoreRules;

impl WatchOptions {
    /// Everything the watcher needs from an opened project: its roots, code
    /// folders and ignore globs, the folders its scan walked (watched without
    /// walking again) and the ids of its `.meta` files (so moves by id are
    /// recognised). `scanned_at` is when [`Project::open`] was called.
    pub fn for_project(project: &Project, scanned_at: Option<SystemTime>) -> WatchOptions {
        let config = project.config();
        let mut options = WatchOptions::from_config(project.root(), &config.roots, &config.code, &config.ignore);
        options.walked_dirs = Some(project.scan_dirs().to_vec());
        options.scanned_at = scanned_at;
        options.known_meta_ids = project
            .files_by_path()
            .filter_map(|(rel, id)| {
                let (uuid, _) = project.file(id)?.meta()?.id?;
                Some((project.abs_path(rel), uuid.as_u128()))
            })
            .collect();
        options
    }

    /// Whether a watcher started with `self` must be replaced after the
    /// project's configuration changed (roots, code folders or ignores).
    pub fn differs_from(&self, project: &Project) -> bool {
        let config = project.config();
        let now = WatchOptions::from_config(project.root(), &config.roots, &config.code, &config.ignore);
        now.asset_roots != self.asset_roots || now.code_dirs != self.code_dirs || now.ignore != self.ignore
    }
}

/// Makes every folder re-read (`Change::Disk` of a folder: after a kernel
/// queue overflow, an ignore-file edit or a storm past the cap) complete:
/// the engine's folder walk adds and refreshes files but cannot know which
/// ones vanished, so each known file under the folder that is gone from disk
/// (or now ignored) is added as `Change::Removed` before it.
pub fn complete_rescans(project: &Project, batch: ChangeBatch) -> ChangeBatch {
    if !batch.changes.iter().any(|c| matches!(c, Change::Disk(p) if p.is_dir())) {
        return batch;
    }
    // The engine's own classifier knows only the top `.gitignore`; its walk
    // (and the watcher) honour every level, so files that a nested ignore
    // file now hides are judged by the watcher's rules.
    let mut rules = IgnoreRules::new(project.root(), &project.config().ignore).ok();
    let mut out = ChangeBatch::new();
    for change in batch.changes {
        if let Change::Disk(dir) = &change
            && dir.is_dir()
            && let Some(rel) = project.rel_path(dir)
        {
            let prefix = if rel.is_empty() { String::new() } else { format!("{rel}/") };
            let gone: Vec<PathBuf> = project
                .files_with_prefix(&prefix)
                .filter(|(path, _)| {
                    let abs = project.abs_path(path);
                    !abs.exists()
                        || project.classifier().classify(path).is_none()
                        || rules.as_mut().is_some_and(|r| r.is_ignored(&abs, false))
                })
                .map(|(path, _)| project.abs_path(path))
                .collect();
            for path in gone {
                out.push(Change::Removed(path));
            }
        }
        out.push(change);
    }
    out
}
