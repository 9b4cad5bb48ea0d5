//! Projects: finding them in the workspace folders, opening them, their
//! `assetry.toml` (screened before the engine sees it; a project whose file
//! is invalid from the start waits unloaded), folders added and removed,
//! and rebuilding everything after an internal error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use assetry_pipeline::config::CONFIG_FILE;
use assetry_pipeline::{Change, ChangeBatch, FileDiagnostics, Project, ProjectError};
use assetry_watcher::WatchOptions;
use tower_lsp_server::ls_types::*;

use super::config::{self, ConfigProblem};
use super::convert::{self, path_to_uri, uri_to_path};
use super::workspace::{Outgoing, Slot, Unloaded, Workspace, merge};

/// How deep below a workspace folder nested `assetry.toml` files are found.
const NESTED_DEPTH: usize = 6;

impl Workspace {
    /// Opens the projects of each folder and publishes their diagnostics.
    pub fn open_folders(&mut self, folders: Vec<PathBuf>) {
        for folder in folders {
            for root in project_roots(&folder) {
                let is_folder = root == folder;
                self.open_project(&root, is_folder);
            }
        }
    }

    pub(super) fn open_project(&mut self, root: &Path, is_folder: bool) {
        let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        if self.projects.iter().any(|s| s.root == canonical) || self.unloaded.iter().any(|u| u.root == canonical) {
            return;
        }
        let scanned_at = std::time::SystemTime::now();
        // Checked here rather than taken from `Project::open`'s error, which
        // has lost the text the line and column refer to.
        if let Err(problem) = config::read(&canonical) {
            self.leave_unloaded(canonical, is_folder, problem);
            return;
        }
        let project = match Project::open(&canonical) {
            Ok(p) => p,
            Err(ProjectError::Config(err)) => {
                // The file changed between the two reads.
                let problem = config::read(&canonical)
                    .err()
                    .unwrap_or_else(|| ConfigProblem { message: err.to_string(), range: Range::default() });
                self.leave_unloaded(canonical, is_folder, problem);
                return;
            }
            Err(err) => {
                self.message(MessageType::ERROR, format!("assetry: {err}"));
                return;
            }
        };
        for err in project.scan_errors() {
            self.message(MessageType::WARNING, format!("assetry: {err}"));
        }
        let config = project.config();
        self.message(
            MessageType::INFO,
            format!(
                "assetry: `{}` is a {} project: {}",
                canonical.display(),
                config.flavor.as_str(),
                config.flavor_reason
            ),
        );
        let initial = project.all_diagnostics();
        self.projects.push(Slot { root: canonical.clone(), project, watcher: None, config_problem: None });
        self.projects.sort_by_key(|s| std::cmp::Reverse(s.root.components().count()));
        let Some(i) = self.projects.iter().position(|s| s.root == canonical) else { return };
        // Documents opened before the project was known now take effect.
        let open: Vec<(PathBuf, Arc<str>)> = self
            .documents
            .iter()
            .filter(|(p, _)| self.owner(p) == Some(i))
            .map(|(p, d)| (p.clone(), Arc::from(d.text())))
            .collect();
        let mut changed = initial;
        let batch = open.into_iter().map(|(path, text)| Change::Overlay { path, text }).collect::<Vec<_>>();
        // An open assetry.toml is no overlay (it would make the engine rescan).
        let batch = self.screen_config(i, batch);
        if !batch.is_empty() {
            changed = merge(changed, self.projects[i].project.apply(ChangeBatch::from(batch)));
        }
        self.publish(i, changed);
        self.projects[i].project.prepare_for_changes();
        // Watching starts after the diagnostics are out, so the user sees
        // them sooner; what changed on disk since the scan began is re-read
        // (`scanned_at`), so nothing falls in between.
        let watcher = self.start_watcher(&self.projects[i].project, Some(scanned_at));
        self.projects[i].watcher = watcher;
        // Once watching: from the log line on, a move made on disk is seen.
        self.recognise_moves(i);
        self.start_processing(&canonical);
        // The watcher catches up on the folders the scan walked, not on the
        // project folder: an assetry.toml saved since it was read (during a
        // scan of seconds on a large project) is read again now that the
        // watch is in place, or it would wait for the next save. Always, not
        // by modification time, whose clock ticks too coarsely to order a
        // save against the start of the scan; an unchanged file costs one
        // read and no rescan (see `screen_config`).
        let applied_at = std::time::SystemTime::now();
        self.apply(i, vec![Change::Disk(canonical.join(CONFIG_FILE))]);
        self.rewatch_if_stale(i, applied_at);
    }

    /// A project whose `assetry.toml` was invalid when it was to be opened:
    /// told once, shown on the file, and opened when the file is fixed.
    fn leave_unloaded(&mut self, root: PathBuf, folder: bool, problem: ConfigProblem) {
        // Only the project folder is watched (for assetry.toml): its asset
        // roots are unknown until the file is valid. Watching starts before
        // anything is published, so a fix made on seeing the diagnostic is
        // not missed.
        let mut options = WatchOptions::from_config(&root, &[], &[], &[]);
        options.walked_dirs = Some(Vec::new());
        let watcher = self.start_watching(options);
        self.show(
            MessageType::WARNING,
            format!(
                "assetry: {} is invalid ({}); the project is not checked until it is fixed",
                root.join(CONFIG_FILE).display(),
                problem.summary()
            ),
        );
        self.publish_config(&root, Some(&problem));
        self.unloaded.push(Unloaded { root, folder, problem, _watcher: watcher });
        // A fix saved between the first read and the start of the watch.
        self.retry_unloaded(self.unloaded.len() - 1);
    }

    /// `assetry.toml` of the unloaded project `i` changed: open the project
    /// if the file is valid now.
    pub(super) fn retry_unloaded(&mut self, i: usize) {
        let root = self.unloaded[i].root.clone();
        if !self.unloaded[i].folder && !root.join(CONFIG_FILE).exists() {
            // A nested project exists only through its assetry.toml.
            self.unloaded.remove(i);
            self.publish_config(&root, None);
            return;
        }
        match config::read(&root) {
            Err(problem) => {
                // Still failing: the diagnostic follows the file, the user
                // was told already.
                if problem != self.unloaded[i].problem {
                    self.publish_config(&root, Some(&problem));
                    self.unloaded[i].problem = problem;
                }
            }
            Ok(_) => {
                let folder = self.unloaded.remove(i).folder;
                self.publish_config(&root, None);
                self.open_project(&root, folder);
            }
        }
    }

    /// The unloaded project whose `assetry.toml` is at `path`.
    pub(super) fn unloaded_config(&self, path: &Path) -> Option<usize> {
        self.unloaded.iter().position(|u| u.root.join(CONFIG_FILE) == path)
    }

    /// Publishes the `invalid-config` diagnostic of the project at `root`,
    /// or clears it.
    fn publish_config(&self, root: &Path, problem: Option<&ConfigProblem>) {
        let path = root.join(CONFIG_FILE);
        let uri = match self.documents.get(&path) {
            Some(doc) => doc.uri.clone(),
            None => match path_to_uri(&path) {
                Some(uri) => uri,
                None => return,
            },
        };
        let diagnostics = match (problem, self.projects.iter().position(|s| s.root == root)) {
            (Some(problem), _) => vec![problem.diagnostic()],
            // Valid: what the engine found in it (a root that does not exist).
            (None, Some(slot)) => {
                let project = &self.projects[slot].project;
                let index = project.line_index(CONFIG_FILE);
                project
                    .diagnostics_of(CONFIG_FILE)
                    .iter()
                    .map(|d| convert::diagnostic(project, |p| self.uri_of(slot, p), index, d))
                    .collect()
            }
            (None, None) => Vec::new(),
        };
        // No version: the diagnostic is about the file on disk, which an open
        // buffer with unsaved edits no longer matches.
        let _ = self.outgoing.send(Outgoing::Diagnostics { uri, diagnostics, version: None });
    }

    /// Takes the changes of `assetry.toml` out of a batch for the project in
    /// `slot`. The engine rescans the whole project on any of them, so it
    /// gets one only when the file is valid and says something new; an
    /// invalid file is reported on itself and the last good configuration
    /// stays. Editor buffers of the file are not the engine's business: the
    /// configuration is what is on disk.
    pub(super) fn screen_config(&mut self, slot: usize, changes: Vec<Change>) -> Vec<Change> {
        let root = self.projects[slot].root.clone();
        let config_path = root.join(CONFIG_FILE);
        let mut touched = false;
        let mut out = Vec::with_capacity(changes.len());
        for change in changes {
            match change {
                Change::Overlay { path, .. } | Change::CloseOverlay(path) if path == config_path => {}
                Change::Disk(path) | Change::Removed(path) if path == config_path => touched = true,
                Change::Moved { from, to } if from == config_path || to == config_path => {
                    touched = true;
                    if to == config_path && from != config_path {
                        out.push(Change::Removed(from));
                    } else if from == config_path && to != config_path {
                        out.push(Change::Disk(to));
                    }
                }
                other => out.push(other),
            }
        }
        if !touched {
            return out;
        }
        match config::read(&root) {
            Ok(_) => {
                if self.projects[slot].config_problem.take().is_some() {
                    self.publish_config(&root, None);
                }
                // The engine rescans only when the settings changed; when they
                // only moved in the file, its findings on the file follow.
                out.push(Change::Disk(config_path));
            }
            Err(problem) => {
                let before = self.projects[slot].config_problem.replace(problem.clone());
                if before.is_none() {
                    self.show(
                        MessageType::WARNING,
                        format!(
                            "assetry: {} is invalid ({}); the last valid configuration is used until it is fixed",
                            config_path.display(),
                            problem.summary()
                        ),
                    );
                }
                if before.as_ref() != Some(&problem) {
                    self.publish_config(&root, Some(&problem));
                }
            }
        }
        out
    }

    pub fn did_change_workspace_folders(&mut self, params: DidChangeWorkspaceFoldersParams) {
        self.flush();
        for removed in params.event.removed {
            let Some(folder) = uri_to_path(&removed.uri) else { continue };
            let folder = folder.canonicalize().unwrap_or(folder);
            let gone: Vec<usize> =
                (0..self.projects.len()).filter(|&i| self.projects[i].root.starts_with(&folder)).collect();
            for &i in gone.iter().rev() {
                if self.projects[i].config_problem.is_some() {
                    self.publish_config(&self.projects[i].root, None);
                }
                // Clear what this project had published.
                let cleared: Vec<FileDiagnostics> = self.projects[i]
                    .project
                    .all_diagnostics()
                    .into_iter()
                    .map(|fd| FileDiagnostics { path: fd.path, diagnostics: Vec::new() })
                    .collect();
                self.publish(i, cleared);
                let root = self.projects.remove(i).root;
                self.stop_reload(&root);
            }
            let (gone, kept): (Vec<Unloaded>, Vec<Unloaded>) =
                std::mem::take(&mut self.unloaded).into_iter().partition(|u| u.root.starts_with(&folder));
            self.unloaded = kept;
            for u in gone {
                self.publish_config(&u.root, None);
            }
        }
        let added: Vec<PathBuf> = params.event.added.iter().filter_map(|f| uri_to_path(&f.uri)).collect();
        self.open_folders(added);
    }

    /// Bevy projects (no ids): once every asset is fingerprinted, a deleted
    /// asset and a created one with the same bytes are a move; the log says
    /// from when.
    fn recognise_moves(&mut self, slot: usize) {
        let outgoing = self.outgoing.clone();
        self.projects[slot].project.recognise_moves_by_content(move |ready| {
            let _ = outgoing.send(Outgoing::Message { typ: MessageType::INFO, text: format!("assetry: {ready}") });
        });
    }

    /// Rebuilds every loaded project from disk and the open documents, for
    /// when a job panicked halfway through a change and left indexes nobody
    /// can trust. Publishes every file that had or has diagnostics, since
    /// what the client was last told may come from the broken state.
    pub fn rebuild_all(&mut self) {
        // Every open document's current text goes in below.
        self.edited.clear();
        for slot in 0..self.projects.len() {
            let before: Vec<String> =
                self.projects[slot].project.all_diagnostics().into_iter().map(|fd| fd.path).collect();
            // The configuration it ran on was valid; the disk's may not be.
            let config = self.projects[slot].project.config().clone();
            let root = self.projects[slot].root.clone();
            self.projects[slot].project = Project::with_config(root, config);
            let open: Vec<Change> = self
                .documents
                .iter()
                .filter(|(p, _)| self.owner(p) == Some(slot))
                .map(|(p, d)| Change::Overlay { path: p.clone(), text: Arc::from(d.text()) })
                .collect();
            let open = self.screen_config(slot, open);
            let project = &mut self.projects[slot].project;
            project.apply(ChangeBatch::from(open));
            project.prepare_for_changes();
            let mut now: std::collections::BTreeMap<String, FileDiagnostics> =
                project.all_diagnostics().into_iter().map(|fd| (fd.path.clone(), fd)).collect();
            for path in before {
                now.entry(path.clone()).or_insert(FileDiagnostics { path, diagnostics: Vec::new() });
            }
            self.recognise_moves(slot);
            self.publish(slot, now.into_values().collect());
        }
    }
}

/// The project roots inside a workspace folder: every folder holding an
/// `assetry.toml` (nested ones too), and the folder itself when it has one,
/// has an `assets/` folder, or nothing nested was found.
fn project_roots(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    find_configs(folder, folder, 0, &mut found);
    let own = folder.join("assetry.toml").is_file() || folder.join("assets").is_dir();
    if (own || found.is_empty()) && !found.iter().any(|f| f == folder) {
        found.insert(0, folder.to_path_buf());
    }
    found
}

fn find_configs(top: &Path, dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    if dir.join("assetry.toml").is_file() {
        found.push(dir.to_path_buf());
    }
    if depth >= NESTED_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut subdirs: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        // What the scan and the watcher skip: dot-folders, `target/`, and
        // folders the ignore files name.
        .filter(|e| {
            let rel = e.path().strip_prefix(top).ok().and_then(|r| r.to_str()).map(|r| r.replace('\\', "/"));
            rel.is_some_and(|rel| !assetry_pipeline::rules::folder_is_ignored(top, &rel))
        })
        .map(|e| e.path())
        .collect();
    subdirs.sort();
    for sub in subdirs {
        find_configs(top, &sub, depth + 1, found);
    }
}
