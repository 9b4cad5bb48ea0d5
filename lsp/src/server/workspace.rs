//! The server's state, owned by the engine thread: one [`Project`] per
//! project found in the workspace folders, and the documents the client has
//! open. Every method takes LSP types, asks the engine or its IDE queries,
//! and converts the answer back at the edge.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use assetry_pipeline::config::CONFIG_FILE;
use assetry_pipeline::ide::{self, SourceChange};
use assetry_pipeline::{Change, ChangeBatch, FileDiagnostics, LineIndex, Project, ProjectError, Severity, TextRange};
use assetry_watcher::{WatchEvent, WatchOptions, Watcher};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tower_lsp_server::ls_types::*;

use super::config::{self, ConfigProblem};
use super::convert::{self, normalize, path_to_uri, uri_to_path};
use super::document::Document;

/// What the engine thread sends to the client, in order.
pub enum Outgoing {
    Diagnostics {
        uri: Uri,
        diagnostics: Vec<Diagnostic>,
        version: Option<i32>,
    },
    /// A line for the client's log.
    Message {
        typ: MessageType,
        text: String,
    },
    /// A message the user should see (`window/showMessage`).
    Show {
        typ: MessageType,
        text: String,
    },
}

#[derive(Debug, Deserialize)]
pub struct DependenciesParams {
    pub uri: Uri,
}

/// The result of `assetry/dependencies` (README.md, "Custom LSP requests").
#[derive(Debug, Serialize)]
pub struct DependencyTree {
    pub uri: Uri,
    pub path: String,
    pub id: Option<String>,
    pub dependencies: Vec<DependencyNode>,
    pub dependents: Vec<DependencyNode>,
    pub truncated: bool,
}

#[derive(Debug, Serialize)]
pub struct DependencyNode {
    pub uri: Uri,
    pub path: String,
    pub id: Option<String>,
    pub kind: &'static str,
    pub cycle: bool,
    pub children: Vec<DependencyNode>,
}

/// Folders never searched for nested projects.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules", ".git", ".assetry"];
/// How deep below a workspace folder nested `assetry.toml` files are found.
const NESTED_DEPTH: usize = 6;

struct Slot {
    root: PathBuf,
    project: Project,
    /// Keeps the project in step with changes made outside the editor;
    /// `None` when watching could not start (the user was told).
    watcher: Option<(Watcher, WatchOptions)>,
    /// Set while `assetry.toml` is invalid: the project runs on its last
    /// good configuration meanwhile.
    config_problem: Option<ConfigProblem>,
}

/// A project whose `assetry.toml` was invalid from the start: nothing to
/// fall back on, so it is not loaded; only `assetry.toml` is watched, and
/// the project opens once the file is fixed.
struct Unloaded {
    root: PathBuf,
    /// Whether `root` is a workspace folder (a project even without an
    /// `assetry.toml`) rather than a nested project (one only with it).
    folder: bool,
    problem: ConfigProblem,
    _watcher: Option<(Watcher, WatchOptions)>,
}

/// Queues a job on the engine thread; given to watchers so their batches
/// are applied in order with everything else.
pub type Enqueue = Arc<dyn Fn(Box<dyn FnOnce(&mut Workspace) + Send>) + Send + Sync>;

pub struct Workspace {
    outgoing: mpsc::UnboundedSender<Outgoing>,
    enqueue: Option<Enqueue>,
    /// Deepest roots first, so the first match owns a path.
    projects: Vec<Slot>,
    unloaded: Vec<Unloaded>,
    documents: HashMap<PathBuf, Document>,
    /// Open documents edited since their text was last given to the engine.
    edited: HashSet<PathBuf>,
}

impl Workspace {
    pub fn new(outgoing: mpsc::UnboundedSender<Outgoing>) -> Self {
        Workspace {
            outgoing,
            enqueue: None,
            projects: Vec::new(),
            unloaded: Vec::new(),
            documents: HashMap::new(),
            edited: HashSet::new(),
        }
    }

    /// Enables file watching: each project opened from now on gets a
    /// watcher whose batches are queued through `enqueue`.
    pub fn watch_with(&mut self, enqueue: Enqueue) {
        self.enqueue = Some(enqueue);
    }

    fn start_watcher(
        &self,
        project: &Project,
        scanned_at: Option<std::time::SystemTime>,
    ) -> Option<(Watcher, WatchOptions)> {
        self.start_watching(WatchOptions::for_project(project, scanned_at))
    }

    fn start_watching(&self, options: WatchOptions) -> Option<(Watcher, WatchOptions)> {
        let enqueue = self.enqueue.clone()?;
        let root = options.project_root.clone();
        let started = Watcher::start(options.clone(), move |event| {
            let root = root.clone();
            enqueue(Box::new(move |ws: &mut Workspace| ws.watched(&root, event)));
        });
        match started {
            Ok(watcher) => Some((watcher, options)),
            Err(err) => {
                self.message(
                    MessageType::WARNING,
                    format!(
                        "assetry: cannot watch {}: {err}; changes outside the editor are not seen",
                        options.project_root.display()
                    ),
                );
                None
            }
        }
    }

    /// A batch or notice from the watcher of the project at `root`.
    fn watched(&mut self, root: &Path, event: WatchEvent) {
        self.flush();
        let Some(slot) = self.projects.iter().position(|s| s.root == root) else {
            if let Some(i) = self.unloaded.iter().position(|u| u.root == root) {
                match event {
                    WatchEvent::Notice(notice) => self.message(MessageType::WARNING, format!("assetry: {notice}")),
                    WatchEvent::Changes(_) => self.retry_unloaded(i),
                }
            }
            return;
        };
        match event {
            WatchEvent::Notice(notice) => self.message(MessageType::WARNING, format!("assetry: {notice}")),
            WatchEvent::Changes(batch) => {
                let applied_at = std::time::SystemTime::now();
                self.apply(slot, batch.changes);
                self.rewatch_if_stale(slot, applied_at);
            }
        }
    }

    /// When assetry.toml moved the roots or the ignores, watches the new set.
    /// Folders changed since `applied_at` (when the change was applied) are
    /// re-read, so nothing written during the switch is lost.
    fn rewatch_if_stale(&mut self, slot: usize, applied_at: std::time::SystemTime) {
        let stale =
            self.projects[slot].watcher.as_ref().is_some_and(|(_, o)| o.differs_from(&self.projects[slot].project));
        if stale {
            self.projects[slot].watcher = None;
            let watcher = self.start_watcher(&self.projects[slot].project, Some(applied_at));
            self.projects[slot].watcher = watcher;
        }
    }

    fn message(&self, typ: MessageType, text: String) {
        let _ = self.outgoing.send(Outgoing::Message { typ, text });
    }

    fn show(&self, typ: MessageType, text: String) {
        let _ = self.outgoing.send(Outgoing::Show { typ, text });
    }

    // ---- projects -----------------------------------------------------------

    /// Opens the projects of each folder and publishes their diagnostics.
    pub fn open_folders(&mut self, folders: Vec<PathBuf>) {
        for folder in folders {
            for root in project_roots(&folder) {
                let is_folder = root == folder;
                self.open_project(&root, is_folder);
            }
        }
    }

    fn open_project(&mut self, root: &Path, is_folder: bool) {
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
    fn retry_unloaded(&mut self, i: usize) {
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
    fn unloaded_config(&self, path: &Path) -> Option<usize> {
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
        let diagnostics = problem.map(ConfigProblem::diagnostic).into_iter().collect();
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
    fn screen_config(&mut self, slot: usize, changes: Vec<Change>) -> Vec<Change> {
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
            Ok(config) => {
                if self.projects[slot].config_problem.take().is_some() {
                    self.publish_config(&root, None);
                }
                if config != *self.projects[slot].project.config() {
                    out.push(Change::Disk(config_path));
                }
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

    /// The project that owns `path`: the one with the deepest root above it.
    fn owner(&self, path: &Path) -> Option<usize> {
        self.projects.iter().position(|s| path.starts_with(&s.root))
    }

    /// The owning project and the project-relative path of a document.
    fn locate(&self, uri: &Uri) -> Option<(usize, String)> {
        let path = uri_to_path(uri)?;
        let i = self.owner(&path)?;
        let rel = self.projects[i].project.rel_path(&path)?;
        Some((i, rel))
    }

    fn publish(&self, slot: usize, changed: Vec<FileDiagnostics>) {
        let project = &self.projects[slot].project;
        for fd in changed {
            let abs = project.abs_path(&fd.path);
            // A nested project reports on its own files.
            if self.owner(&abs) != Some(slot) {
                continue;
            }
            let (uri, version) = match self.documents.get(&abs) {
                Some(doc) => (doc.uri.clone(), Some(doc.version)),
                None => match path_to_uri(&abs) {
                    Some(uri) => (uri, None),
                    None => continue,
                },
            };
            let index = project.line_index(&fd.path);
            let (shown, omitted) = capped(&fd.diagnostics);
            let mut diagnostics: Vec<Diagnostic> = shown.iter().map(|d| self.diagnostic(slot, index, d)).collect();
            if let Some(first) = omitted.first() {
                diagnostics.push(omitted_diagnostic(index, first, &omitted));
            }
            let _ = self.outgoing.send(Outgoing::Diagnostics { uri, diagnostics, version });
        }
    }

    fn diagnostic(&self, slot: usize, index: Option<&LineIndex>, d: &assetry_pipeline::Diagnostic) -> Diagnostic {
        let project = &self.projects[slot].project;
        let related: Vec<DiagnosticRelatedInformation> = d
            .related
            .iter()
            .filter_map(|r| {
                Some(DiagnosticRelatedInformation {
                    location: Location {
                        uri: self.uri_of(slot, &r.path)?,
                        range: lsp_range(project.line_index(&r.path), r.range),
                    },
                    message: r.message.clone(),
                })
            })
            .collect();
        Diagnostic {
            range: lsp_range(index, d.range),
            severity: Some(match d.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
                Severity::Hint => DiagnosticSeverity::HINT,
            }),
            code: Some(NumberOrString::String(d.code.as_str().to_owned())),
            source: Some("assetry".into()),
            message: d.message.clone(),
            related_information: (!related.is_empty()).then_some(related),
            ..Default::default()
        }
    }

    /// The URI of a project-relative path: the client's own spelling for an
    /// open document.
    fn uri_of(&self, slot: usize, rel: &str) -> Option<Uri> {
        let abs = self.projects[slot].project.abs_path(rel);
        match self.documents.get(&abs) {
            Some(doc) => Some(doc.uri.clone()),
            None => path_to_uri(&abs),
        }
    }

    fn apply(&mut self, slot: usize, changes: Vec<Change>) {
        let changes = self.screen_config(slot, changes);
        if changes.is_empty() {
            return;
        }
        let changed = self.projects[slot].project.apply(ChangeBatch::from(changes));
        self.publish(slot, changed);
    }

    /// Hands every pending edit to the engine: called before anything that
    /// reads or changes state, so bursts of `didChange` cost one update.
    pub fn flush(&mut self) {
        let edited: Vec<PathBuf> = self.edited.drain().collect();
        let mut by_slot: HashMap<usize, Vec<Change>> = HashMap::new();
        for path in edited {
            let (Some(doc), Some(slot)) = (self.documents.get(&path), self.owner(&path)) else { continue };
            by_slot.entry(slot).or_default().push(Change::Overlay { path, text: Arc::from(doc.text()) });
        }
        let mut slots: Vec<usize> = by_slot.keys().copied().collect();
        slots.sort_unstable();
        for slot in slots {
            let changes = by_slot.remove(&slot).unwrap_or_default();
            self.apply(slot, changes);
        }
    }

    // ---- notifications ------------------------------------------------------

    pub fn did_open(&mut self, params: DidOpenTextDocumentParams) {
        self.flush();
        let doc = params.text_document;
        let Some(path) = uri_to_path(&doc.uri) else { return };
        let text: Arc<str> = Arc::from(doc.text.as_str());
        self.documents.insert(path.clone(), Document::new(doc.uri, doc.version, &doc.text));
        if let Some(slot) = self.owner(&path) {
            self.apply(slot, vec![Change::Overlay { path, text }]);
        }
    }

    pub fn did_change(&mut self, params: DidChangeTextDocumentParams) {
        let Some(path) = uri_to_path(&params.text_document.uri) else { return };
        // A change for a document never opened has no base text to apply to.
        let Some(doc) = self.documents.get_mut(&path) else { return };
        for change in &params.content_changes {
            doc.apply(change);
        }
        doc.version = params.text_document.version;
        self.edited.insert(path);
    }

    pub fn did_save(&mut self, params: DidSaveTextDocumentParams) {
        self.flush();
        let Some(path) = uri_to_path(&params.text_document.uri) else { return };
        if let Some(i) = self.unloaded_config(&path) {
            self.retry_unloaded(i);
        }
        // The buffer stays in charge while open; the disk event matters for
        // files the engine reads only from disk (assetry.toml).
        if let Some(slot) = self.owner(&path) {
            self.apply(slot, vec![Change::Disk(path)]);
        }
    }

    pub fn did_close(&mut self, params: DidCloseTextDocumentParams) {
        self.flush();
        let Some(path) = uri_to_path(&params.text_document.uri) else { return };
        if self.documents.remove(&path).is_none() {
            return;
        }
        if let Some(slot) = self.owner(&path) {
            self.apply(slot, vec![Change::CloseOverlay(path)]);
        }
        crate::return_free_memory();
    }

    pub fn did_change_watched_files(&mut self, params: DidChangeWatchedFilesParams) {
        self.flush();
        let mut by_slot: HashMap<usize, Vec<Change>> = HashMap::new();
        let mut retry = Vec::new();
        for event in params.changes {
            let Some(path) = uri_to_path(&event.uri) else { continue };
            if let Some(i) = self.unloaded_config(&path) {
                retry.push(self.unloaded[i].root.clone());
            }
            let Some(slot) = self.owner(&path) else { continue };
            let change = if event.typ == FileChangeType::DELETED { Change::Removed(path) } else { Change::Disk(path) };
            by_slot.entry(slot).or_default().push(change);
        }
        self.apply_batches(by_slot);
        for root in retry {
            if let Some(i) = self.unloaded.iter().position(|u| u.root == root) {
                self.retry_unloaded(i);
            }
        }
    }

    /// Applies change batches from the file watcher.
    pub fn apply_batches(&mut self, by_slot: HashMap<usize, Vec<Change>>) {
        let mut slots: Vec<usize> = by_slot.keys().copied().collect();
        slots.sort_unstable();
        let mut by_slot = by_slot;
        for slot in slots {
            let changes = by_slot.remove(&slot).unwrap_or_default();
            self.apply(slot, changes);
        }
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
                self.projects.remove(i);
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

    // ---- requests -----------------------------------------------------------

    /// The project, path and byte offset of a client position.
    fn position(&mut self, doc: &TextDocumentPositionParams) -> Option<(usize, String, u32)> {
        self.flush();
        let (slot, rel) = self.locate(&doc.text_document.uri)?;
        let offset = self.projects[slot].project.line_index(&rel).map_or(0, |i| convert::offset(i, doc.position));
        Some((slot, rel, offset))
    }

    fn location(&self, slot: usize, target: &ide::NavTarget) -> Option<Location> {
        let project = &self.projects[slot].project;
        Some(Location {
            uri: self.uri_of(slot, &target.path)?,
            range: lsp_range(project.line_index(&target.path), target.range),
        })
    }

    pub fn definition(&mut self, params: GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
        let (slot, rel, offset) = self.position(&params.text_document_position_params)?;
        let target = ide::definition(&self.projects[slot].project, &rel, offset)?;
        Some(GotoDefinitionResponse::Scalar(self.location(slot, &target)?))
    }

    pub fn references(&mut self, params: ReferenceParams) -> Option<Vec<Location>> {
        let (slot, rel, offset) = self.position(&params.text_document_position)?;
        let sites = ide::references(&self.projects[slot].project, &rel, offset);
        Some(sites.iter().filter_map(|t| self.location(slot, t)).collect())
    }

    pub fn hover(&mut self, params: HoverParams) -> Option<Hover> {
        let (slot, rel, offset) = self.position(&params.text_document_position_params)?;
        let project = &self.projects[slot].project;
        let info = ide::hover(project, &rel, offset)?;
        let mut lines = vec![match &info.label {
            Some(label) => format!("**{}#{label}**", info.path),
            None => format!("**{}**", info.path),
        }];
        lines.push(String::new());
        if let Some(id) = info.id {
            lines.push(format!("- id: `{id}`"));
        }
        let default = "default (by extension)";
        lines.push(format!("- loader: {}", info.loader.as_deref().unwrap_or(default)));
        lines.push(format!("- processor: {}", info.processor.as_deref().unwrap_or(default)));
        lines.push(format!("- dependency kind: {}", info.kind.as_str()));
        if let Ok(meta) = std::fs::metadata(project.abs_path(&info.path)) {
            lines.push(format!("- size: {}", human_size(meta.len())));
        }
        lines.push(format!("- dependencies: {} · dependents: {}", info.dependencies, info.dependents));
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: lines.join("\n") }),
            range: Some(lsp_range(project.line_index(&rel), info.range)),
        })
    }

    pub fn completion(&mut self, params: CompletionParams) -> Option<CompletionResponse> {
        let (slot, rel, offset) = self.position(&params.text_document_position)?;
        let project = &self.projects[slot].project;
        let completion = ide::completion(project, &rel, offset)?;
        let range = lsp_range(project.line_index(&rel), completion.replace);
        let items = completion
            .items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let (kind, new_text) = match item.kind {
                    ide::CompletionKind::Folder => (CompletionItemKind::FOLDER, format!("{}/", item.label)),
                    ide::CompletionKind::File => (CompletionItemKind::FILE, item.label.clone()),
                    ide::CompletionKind::Label => (CompletionItemKind::ENUM_MEMBER, item.label.clone()),
                };
                CompletionItem {
                    label: item.label,
                    kind: Some(kind),
                    detail: item.detail,
                    sort_text: Some(format!("{i:05}")),
                    text_edit: Some(CompletionTextEdit::Edit(TextEdit { range, new_text })),
                    ..Default::default()
                }
            })
            .collect();
        Some(CompletionResponse::List(CompletionList { is_incomplete: false, items }))
    }

    pub fn document_links(&mut self, params: DocumentLinkParams) -> Option<Vec<DocumentLink>> {
        self.flush();
        let (slot, rel) = self.locate(&params.text_document.uri)?;
        let project = &self.projects[slot].project;
        let index = project.line_index(&rel);
        Some(
            ide::document_links(project, &rel)
                .into_iter()
                .filter_map(|l| {
                    Some(DocumentLink {
                        range: lsp_range(index, l.range),
                        target: Some(self.uri_of(slot, &l.target)?),
                        tooltip: Some(l.target),
                        data: None,
                    })
                })
                .collect(),
        )
    }

    pub fn inlay_hints(&mut self, params: InlayHintParams) -> Option<Vec<InlayHint>> {
        self.flush();
        let (slot, rel) = self.locate(&params.text_document.uri)?;
        let project = &self.projects[slot].project;
        let index = project.line_index(&rel)?;
        let visible = convert::text_range(index, params.range);
        Some(
            ide::inlay_hints(project, &rel)
                .into_iter()
                .filter(|h| visible.contains_inclusive(h.offset))
                .map(|h| InlayHint {
                    position: convert::position(index, h.offset),
                    label: InlayHintLabel::String(h.label),
                    kind: None,
                    text_edits: None,
                    tooltip: None,
                    padding_left: Some(true),
                    padding_right: None,
                    data: None,
                })
                .collect(),
        )
    }

    pub fn code_actions(&mut self, params: CodeActionParams) -> Option<CodeActionResponse> {
        self.flush();
        let (slot, rel) = self.locate(&params.text_document.uri)?;
        let project = &self.projects[slot].project;
        let range = project.line_index(&rel).map_or(TextRange::EMPTY, |i| convert::text_range(i, params.range));
        let fixes = ide::code_actions(project, &rel, range);
        let kind_of = |fix: &ide::Fix| match fix.kind {
            ide::FixKind::QuickFix => CodeActionKind::QUICKFIX,
            ide::FixKind::Rewrite => CodeActionKind::REFACTOR_REWRITE,
        };
        // `only: ["refactor"]` asks for refactor.rewrite too: kinds are
        // dot-separated hierarchies.
        let wanted = |kind: &CodeActionKind| {
            params.context.only.as_ref().is_none_or(|only| {
                only.iter()
                    .any(|o| kind.as_str() == o.as_str() || kind.as_str().starts_with(&format!("{}.", o.as_str())))
            })
        };
        Some(
            fixes
                .into_iter()
                .filter(|fix| wanted(&kind_of(fix)))
                .filter_map(|fix| {
                    let kind = kind_of(&fix);
                    let diagnostics: Vec<Diagnostic> = params
                        .context
                        .diagnostics
                        .iter()
                        .filter(|d| {
                            fix.fixes
                                .is_some_and(|code| d.code == Some(NumberOrString::String(code.as_str().to_owned())))
                        })
                        .cloned()
                        .collect();
                    Some(CodeActionOrCommand::CodeAction(CodeAction {
                        title: fix.title,
                        kind: Some(kind),
                        diagnostics: (!diagnostics.is_empty()).then_some(diagnostics),
                        edit: Some(self.workspace_edit(slot, &fix.change)?),
                        is_preferred: fix.preferred.then_some(true),
                        ..Default::default()
                    }))
                })
                .collect(),
        )
    }

    pub fn will_rename_files(&mut self, params: RenameFilesParams) -> Option<WorkspaceEdit> {
        self.flush();
        let mut by_slot: HashMap<usize, Vec<(String, String)>> = HashMap::new();
        for file in &params.files {
            let (Ok(old), Ok(new)) = (file.old_uri.parse::<Uri>(), file.new_uri.parse::<Uri>()) else { continue };
            let (Some(old), Some(new)) = (uri_to_path(&old), uri_to_path(&new)) else { continue };
            let Some(slot) = self.owner(&old) else { continue };
            let project = &self.projects[slot].project;
            let (Some(old_rel), Some(new_rel)) = (project.rel_path(&old), project.rel_path(&normalize(&new))) else {
                continue;
            };
            by_slot.entry(slot).or_default().push((old_rel, new_rel));
        }
        let mut edit: Option<WorkspaceEdit> = None;
        for (slot, renames) in by_slot {
            let change = ide::rename(&self.projects[slot].project, &renames);
            if change.is_empty() {
                continue;
            }
            let Some(next) = self.workspace_edit(slot, &change) else { continue };
            edit = Some(match edit {
                None => next,
                Some(mut acc) => {
                    if let (Some(DocumentChanges::Operations(a)), Some(DocumentChanges::Operations(b))) =
                        (&mut acc.document_changes, next.document_changes)
                    {
                        a.extend(b);
                    }
                    acc
                }
            });
        }
        edit
    }

    pub fn workspace_symbols(&mut self, params: WorkspaceSymbolParams) -> Option<WorkspaceSymbolResponse> {
        self.flush();
        let mut out = Vec::new();
        for slot in 0..self.projects.len() {
            for s in ide::workspace_symbols(&self.projects[slot].project, &params.query) {
                let Some(uri) = self.uri_of(slot, &s.path) else { continue };
                out.push(WorkspaceSymbol {
                    name: s.name,
                    kind: SymbolKind::FILE,
                    tags: None,
                    container_name: Some(match s.id {
                        Some(id) => format!("{} · {id}", s.path),
                        None => s.path,
                    }),
                    location: OneOf::Left(Location { uri, range: Range::default() }),
                    data: None,
                });
            }
        }
        Some(WorkspaceSymbolResponse::Nested(out))
    }

    pub fn dependencies(&mut self, params: &DependenciesParams) -> Option<DependencyTree> {
        self.flush();
        let (slot, rel) = self.locate(&params.uri)?;
        let tree = ide::dependency_tree(&self.projects[slot].project, &rel)?;
        Some(DependencyTree {
            uri: self.uri_of(slot, &tree.path)?,
            path: tree.path,
            id: tree.id.map(|u| u.to_string()),
            dependencies: self.dependency_nodes(slot, tree.dependencies),
            dependents: self.dependency_nodes(slot, tree.dependents),
            truncated: tree.truncated,
        })
    }

    fn dependency_nodes(&self, slot: usize, nodes: Vec<ide::DependencyNode>) -> Vec<DependencyNode> {
        nodes
            .into_iter()
            .filter_map(|n| {
                Some(DependencyNode {
                    uri: self.uri_of(slot, &n.path)?,
                    path: n.path,
                    id: n.id.map(|u| u.to_string()),
                    kind: n.kind.as_str(),
                    cycle: n.cycle,
                    children: self.dependency_nodes(slot, n.children),
                })
            })
            .collect()
    }

    /// An engine [`SourceChange`] as a `WorkspaceEdit`: text edits first
    /// (against the current texts), then creations and moves.
    fn workspace_edit(&self, slot: usize, change: &SourceChange) -> Option<WorkspaceEdit> {
        let project = &self.projects[slot].project;
        let mut ops = Vec::new();
        for (path, edits) in &change.edits {
            if edits.is_empty() {
                continue;
            }
            let uri = self.uri_of(slot, path)?;
            let index = project.line_index(path);
            let version = self.documents.get(&project.abs_path(path)).map(|d| d.version);
            ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
                edits: edits
                    .iter()
                    .map(|e| OneOf::Left(TextEdit { range: lsp_range(index, e.range), new_text: e.new_text.clone() }))
                    .collect(),
            }));
        }
        for op in &change.file_ops {
            match op {
                ide::FileOp::Create { path, text } => {
                    let uri = path_to_uri(&project.abs_path(path))?;
                    ops.push(DocumentChangeOperation::Op(ResourceOp::Create(CreateFile {
                        uri: uri.clone(),
                        options: Some(CreateFileOptions { overwrite: Some(false), ignore_if_exists: Some(true) }),
                        annotation_id: None,
                    })));
                    ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                        text_document: OptionalVersionedTextDocumentIdentifier { uri, version: None },
                        edits: vec![OneOf::Left(TextEdit { range: Range::default(), new_text: text.clone() })],
                    }));
                }
                ide::FileOp::Rename { from, to } => {
                    ops.push(DocumentChangeOperation::Op(ResourceOp::Rename(RenameFile {
                        old_uri: self.uri_of(slot, from)?,
                        new_uri: path_to_uri(&project.abs_path(to))?,
                        options: Some(RenameFileOptions { overwrite: Some(false), ignore_if_exists: Some(false) }),
                        annotation_id: None,
                    })));
                }
            }
        }
        Some(WorkspaceEdit {
            changes: None,
            document_changes: Some(DocumentChanges::Operations(ops)),
            change_annotations: None,
        })
    }
}

// ---- recovery after an internal error (used by `engine::run`) -------------

impl Workspace {
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
            self.publish(slot, now.into_values().collect());
        }
    }
}

/// Merges two lists of changed-file diagnostics; the later one wins per file.
fn merge(first: Vec<FileDiagnostics>, later: Vec<FileDiagnostics>) -> Vec<FileDiagnostics> {
    let mut by_path: std::collections::BTreeMap<String, FileDiagnostics> =
        first.into_iter().map(|fd| (fd.path.clone(), fd)).collect();
    for fd in later {
        by_path.insert(fd.path.clone(), fd);
    }
    by_path.into_values().collect()
}

/// The most diagnostics published for one file. A file with more (a
/// generated 5 MB scene with 200,000 broken paths) would cost seconds to
/// send and render and hide everything else; the rest are summed up in one
/// last diagnostic. `assetry check` still lists them all (docs/REFERENCE.md).
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 1000;

/// The diagnostics of one file to publish, and those left out (empty when
/// they fit). When there are too many, the most severe are kept, in file
/// order, so an error is never hidden behind warnings.
fn capped(
    all: &[assetry_pipeline::Diagnostic],
) -> (Vec<&assetry_pipeline::Diagnostic>, Vec<&assetry_pipeline::Diagnostic>) {
    if all.len() <= MAX_DIAGNOSTICS_PER_FILE {
        return (all.iter().collect(), Vec::new());
    }
    let rank = |s: Severity| match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Hint => 2,
    };
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by_key(|&i| (rank(all[i].severity), i));
    let mut keep = vec![false; all.len()];
    for &i in &order[..MAX_DIAGNOSTICS_PER_FILE] {
        keep[i] = true;
    }
    let (mut shown, mut omitted) = (Vec::new(), Vec::new());
    for (d, kept) in all.iter().zip(keep) {
        if kept { shown.push(d) } else { omitted.push(d) }
    }
    (shown, omitted)
}

/// The last diagnostic of a capped file: how many more there are, at the
/// first one left out, as severe as the most severe of them.
fn omitted_diagnostic(
    index: Option<&LineIndex>,
    first: &assetry_pipeline::Diagnostic,
    omitted: &[&assetry_pipeline::Diagnostic],
) -> Diagnostic {
    let severity = if omitted.iter().any(|d| d.severity == Severity::Error) {
        DiagnosticSeverity::ERROR
    } else if omitted.iter().any(|d| d.severity == Severity::Warning) {
        DiagnosticSeverity::WARNING
    } else {
        DiagnosticSeverity::HINT
    };
    Diagnostic {
        range: lsp_range(index, TextRange::new(first.range.start, first.range.start)),
        severity: Some(severity),
        source: Some("assetry".into()),
        message: format!(
            "and {} more in this file, not shown: the editor gets at most {MAX_DIAGNOSTICS_PER_FILE} per file (`assetry check` lists them all)",
            omitted.len()
        ),
        ..Default::default()
    }
}

fn lsp_range(index: Option<&LineIndex>, range: TextRange) -> Range {
    index.map_or_else(Range::default, |i| convert::range(i, range))
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// The project roots inside a workspace folder: every folder holding an
/// `assetry.toml` (nested ones too), and the folder itself when it has one,
/// has an `assets/` folder, or nothing nested was found.
fn project_roots(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    find_configs(folder, 0, &mut found);
    let own = folder.join("assetry.toml").is_file() || folder.join("assets").is_dir();
    if (own || found.is_empty()) && !found.iter().any(|f| f == folder) {
        found.insert(0, folder.to_path_buf());
    }
    found
}

fn find_configs(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
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
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_ref())
        })
        .map(|e| e.path())
        .collect();
    subdirs.sort();
    for sub in subdirs {
        find_configs(&sub, depth + 1, found);
    }
}

#[cfg(test)]
mod tests {
    use assetry_pipeline::{Code, Diagnostic as EngineDiagnostic};

    use super::*;

    #[test]
    fn a_capped_file_keeps_its_errors_before_its_warnings_in_file_order() {
        let at = |i: u32| TextRange::new(i, i + 1);
        let mut all: Vec<EngineDiagnostic> = (0..MAX_DIAGNOSTICS_PER_FILE as u32)
            .map(|i| EngineDiagnostic::new(Code::UnknownMetaKey, "a.meta", at(i), "warning"))
            .collect();
        all.push(EngineDiagnostic::new(Code::InvalidMeta, "a.meta", at(5000), "error"));
        let (shown, omitted) = capped(&all);
        assert_eq!(shown.len(), MAX_DIAGNOSTICS_PER_FILE);
        assert_eq!(shown.last().map(|d| d.code), Some(Code::InvalidMeta));
        assert_eq!(omitted.iter().map(|d| d.range).collect::<Vec<_>>(), vec![at(999)]);
        let last = omitted_diagnostic(None, omitted[0], &omitted);
        assert_eq!(last.severity, Some(DiagnosticSeverity::WARNING));
        assert!(last.message.starts_with("and 1 more in this file"), "{}", last.message);
    }
}
