//! Glue between a [`Project`] and the watcher, so a front end (the language
//! server, `assetry watch`) needs three lines.

use std::time::SystemTime;

use assetry_pipeline::Project;

use crate::WatchOptions;

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
