//! The server's state, owned by the engine thread: one [`Project`] per
//! project found in the workspace folders, and the documents the client has
//! open. The methods are split by concern: [`super::projects`] (opening,
//! configuration, folders, rebuilding), [`super::watching`] (the file
//! watcher and the client's file events), [`super::documents`] (the open
//! documents' notifications) and [`super::requests`] (every request). This
//! module holds the state and what they share: which project owns a path,
//! handing changes to the engine and publishing diagnostics. Every LSP value
//! is built in [`super::convert`].

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use assetry_pipeline::{Change, ChangeBatch, FileDiagnostics, Project, Severity};
use assetry_watcher::{WatchOptions, Watcher};
use tokio::sync::mpsc;
use tower_lsp_server::ls_types::*;

use super::config::ConfigProblem;
use super::convert::{self, path_to_uri, uri_to_path};
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
    /// `$/progress` of a background processing run (server/processing.rs).
    ProgressBegin {
        token: String,
        title: String,
        message: String,
    },
    ProgressEnd {
        token: String,
        message: String,
    },
}

pub(super) struct Slot {
    pub(super) root: PathBuf,
    pub(super) project: Project,
    /// Keeps the project in step with changes made outside the editor;
    /// `None` when watching could not start (the user was told).
    pub(super) watcher: Option<(Watcher, WatchOptions)>,
    /// Set while `assetry.toml` is invalid: the project runs on its last
    /// good configuration meanwhile.
    pub(super) config_problem: Option<ConfigProblem>,
}

/// A project whose `assetry.toml` was invalid from the start: nothing to
/// fall back on, so it is not loaded; only `assetry.toml` is watched, and
/// the project opens once the file is fixed.
pub(super) struct Unloaded {
    pub(super) root: PathBuf,
    /// Whether `root` is a workspace folder (a project even without an
    /// `assetry.toml`) rather than a nested project (one only with it).
    pub(super) folder: bool,
    pub(super) problem: ConfigProblem,
    pub(super) _watcher: Option<(Watcher, WatchOptions)>,
}

/// Queues a job on the engine thread; given to watchers so their batches
/// are applied in order with everything else.
pub type Enqueue = Arc<dyn Fn(Box<dyn FnOnce(&mut Workspace) + Send>) + Send + Sync>;

pub struct Workspace {
    pub(super) outgoing: mpsc::UnboundedSender<Outgoing>,
    pub(super) enqueue: Option<Enqueue>,
    /// Deepest roots first, so the first match owns a path.
    pub(super) projects: Vec<Slot>,
    pub(super) unloaded: Vec<Unloaded>,
    pub(super) documents: HashMap<PathBuf, Document>,
    /// Open documents edited since their text was last given to the engine.
    pub(super) edited: HashSet<PathBuf>,
    pub(super) processing: super::processing::Processing,
    pub(super) reloads: super::reload::Reloads,
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
            processing: Default::default(),
            reloads: Default::default(),
        }
    }

    pub(super) fn message(&self, typ: MessageType, text: String) {
        let _ = self.outgoing.send(Outgoing::Message { typ, text });
    }

    pub(super) fn show(&self, typ: MessageType, text: String) {
        let _ = self.outgoing.send(Outgoing::Show { typ, text });
    }

    /// The project that owns `path`: the one with the deepest root above it.
    pub(super) fn owner(&self, path: &Path) -> Option<usize> {
        self.projects.iter().position(|s| path.starts_with(&s.root))
    }

    /// The owning project and the project-relative path of a document.
    pub(super) fn locate(&self, uri: &Uri) -> Option<(usize, String)> {
        let path = uri_to_path(uri)?;
        let i = self.owner(&path)?;
        let rel = self.projects[i].project.rel_path(&path)?;
        Some((i, rel))
    }

    /// The URI of a project-relative path: the client's own spelling for an
    /// open document.
    pub(super) fn uri_of(&self, slot: usize, rel: &str) -> Option<Uri> {
        let abs = self.projects[slot].project.abs_path(rel);
        match self.documents.get(&abs) {
            Some(doc) => Some(doc.uri.clone()),
            None => path_to_uri(&abs),
        }
    }

    pub(super) fn publish(&self, slot: usize, changed: Vec<FileDiagnostics>) {
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
            let mut diagnostics: Vec<Diagnostic> =
                shown.iter().map(|d| convert::diagnostic(project, |p| self.uri_of(slot, p), index, d)).collect();
            diagnostics.extend(convert::omitted_diagnostic(index, MAX_DIAGNOSTICS_PER_FILE, &omitted));
            diagnostics.extend(self.processing_diagnostics(slot, &fd.path));
            let _ = self.outgoing.send(Outgoing::Diagnostics { uri, diagnostics, version });
        }
    }

    pub(super) fn apply(&mut self, slot: usize, changes: Vec<Change>) {
        let changes = self.screen_config(slot, changes);
        if changes.is_empty() {
            return;
        }
        self.processing_changed(slot, &changes);
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
}

/// Merges two lists of changed-file diagnostics; the later one wins per file.
pub(super) fn merge(first: Vec<FileDiagnostics>, later: Vec<FileDiagnostics>) -> Vec<FileDiagnostics> {
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

#[cfg(test)]
mod tests {
    use assetry_pipeline::{Code, Diagnostic as EngineDiagnostic, TextRange};

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
        let last = convert::omitted_diagnostic(None, MAX_DIAGNOSTICS_PER_FILE, &omitted).expect("one left out");
        assert_eq!(last.severity, Some(DiagnosticSeverity::WARNING));
        assert!(last.message.starts_with("and 1 more in this file"), "{}", last.message);
    }
}
