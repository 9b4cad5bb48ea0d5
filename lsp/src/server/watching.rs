//! Watching: each project's file watcher, whose batches queue on the engine
//! thread like every other change, and the client's own file events.

use std::collections::HashMap;
use std::path::Path;

use assetry_pipeline::{Change, Project};
use assetry_watcher::{WatchEvent, WatchOptions, Watcher};
use tower_lsp_server::ls_types::*;

use super::convert::uri_to_path;
use super::workspace::{Enqueue, Workspace};

impl Workspace {
    /// Enables file watching: each project opened from now on gets a
    /// watcher whose batches are queued through `enqueue`.
    pub fn watch_with(&mut self, enqueue: Enqueue) {
        self.enqueue = Some(enqueue);
    }

    pub(super) fn start_watcher(
        &self,
        project: &Project,
        scanned_at: Option<std::time::SystemTime>,
    ) -> Option<(Watcher, WatchOptions)> {
        self.start_watching(WatchOptions::for_project(project, scanned_at))
    }

    pub(super) fn start_watching(&self, options: WatchOptions) -> Option<(Watcher, WatchOptions)> {
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
    pub(super) fn rewatch_if_stale(&mut self, slot: usize, applied_at: std::time::SystemTime) {
        let stale =
            self.projects[slot].watcher.as_ref().is_some_and(|(_, o)| o.differs_from(&self.projects[slot].project));
        if stale {
            self.projects[slot].watcher = None;
            let watcher = self.start_watcher(&self.projects[slot].project, Some(applied_at));
            self.projects[slot].watcher = watcher;
        }
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
}
