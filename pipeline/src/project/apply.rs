//! Applying a change batch: the ground state changes, then `settle`
//! recomputes the derived state of exactly what the change can reach.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::files::folder_prefix;
use super::index::{push_id, remove_id};
use super::resolution::count_references;
use super::{Departure, Dirty, File, FileId, Link, LinkKind, Project};
use crate::change::{Change, ChangeBatch};
use crate::config::{CONFIG_FILE, Config};
use crate::diagnostic::{Diagnostic, FileDiagnostics};
use crate::extract::Syntax;
use crate::flavor::Flavor;
use crate::meta::META_SUFFIX;
use crate::resolve::{RefKey, lower_hash};
use crate::scan::{self, FileKind, Loaded};
use crate::text::LineIndex;

impl Project {
    /// Applies a batch of changes and returns the complete new diagnostics
    /// of exactly the files whose diagnostics changed (an empty list for a
    /// file means it is clean now, or was removed).
    pub fn apply(&mut self, batch: ChangeBatch) -> Vec<FileDiagnostics> {
        let config_path = self.root.join(CONFIG_FILE);
        // Only the saved file counts: an editor's unsaved assetry.toml is a
        // draft, and rescanning on every keystroke would be absurd.
        let mut config_moved = false;
        let on_disk = |c: &Change| {
            matches!(c, Change::Disk(_) | Change::Removed(_) | Change::Moved { .. })
                && change_paths(c).iter().any(|p| **p == config_path)
        };
        if batch.changes.iter().any(on_disk) {
            // A config that does not parse keeps the last good one; one that
            // parses to the same settings changes nothing.
            match Config::load(&self.root) {
                Ok(config) if config != self.config => {
                    // The rescan reads the disk; the batch's buffers are
                    // ground state it cannot read.
                    for change in &batch.changes {
                        match change {
                            Change::Overlay { path, text } => {
                                if let Some(rel) = self.rel_path(path) {
                                    self.overlays.insert(rel.into(), text.clone());
                                }
                            }
                            Change::CloseOverlay(path) => {
                                if let Some(rel) = self.rel_path(path) {
                                    self.overlays.remove(rel.as_str());
                                }
                            }
                            _ => {}
                        }
                    }
                    return self.reload(config);
                }
                // The same settings, maybe elsewhere in the file now.
                Ok(_) => config_moved = true,
                Err(_) => {}
            }
        }
        // A root created or removed changes the config's findings; while one
        // is missing, any change may be the first news of it (a watcher
        // reports the files in a new folder, not always the folder).
        let roots_touched = self.config_has_findings()
            || batch
                .changes
                .iter()
                .flat_map(change_paths)
                .any(|p| self.rel_path(p).is_some_and(|rel| self.classifier.is_root(&rel) || rel.is_empty()));
        let mut dirty = Dirty::default();
        // Bevy projects have no ids to follow a move by: paths that came
        // and went in this batch.
        let by_path = self.config.flavor == Flavor::Bevy;
        for change in batch.changes {
            match change {
                Change::Disk(abs) => self.refresh_from_disk(&abs, false, &mut dirty),
                Change::Removed(abs) => self.remove_path(&abs, &mut dirty),
                Change::Moved { from, to } => {
                    let departed = dirty.departed.len();
                    let removed: Vec<String> = dirty.removed.keys().cloned().collect();
                    self.remove_path(&from, &mut dirty);
                    self.refresh_from_disk(&to, false, &mut dirty);
                    self.record_move(&from, &to, &dirty.departed[departed..]);
                    if by_path {
                        let gone = dirty.removed.keys().filter(|p| !removed.contains(p)).cloned().collect();
                        self.record_path_moves(&from, &to, gone, &mut dirty);
                    }
                }
                Change::Overlay { path, text } => self.set_overlay(&path, &text, &mut dirty),
                Change::CloseOverlay(abs) => {
                    if let Some(rel) = self.rel_path(&abs) {
                        self.overlays.remove(rel.as_str());
                    }
                    self.refresh_from_disk(&abs, true, &mut dirty)
                }
            }
        }
        if by_path {
            self.record_path_departures(&mut dirty);
        }
        let mut out = self.settle(dirty);
        if (roots_touched || config_moved)
            && let Some(config) = self.recheck_roots()
        {
            out.push(config);
            out.sort_by(|a, b| a.path.cmp(&b.path));
        }
        out
    }

    /// The watcher saw `from` move to `to`: each asset whose `.meta` left
    /// with it (`departed`: the `.meta` itself, or every one in a moved
    /// folder) went to the same place under `to`.
    fn record_move(&mut self, from: &Path, to: &Path, departed: &[Box<str>]) {
        let (Some(from), Some(to)) = (self.rel_path(from), self.rel_path(to)) else { return };
        // A `.meta` moved: its asset's path is what references name.
        let (from, to) = match (from.strip_suffix(META_SUFFIX), to.strip_suffix(META_SUFFIX)) {
            (Some(f), Some(t)) => (f.to_owned(), t.to_owned()),
            _ => (from, to),
        };
        for asset in departed {
            let rest = match asset.strip_prefix(from.as_str()) {
                Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
                _ => continue,
            };
            let dest: Box<str> = format!("{to}{rest}").into();
            if let Some(d) = self.tombstones.get_mut(&**asset)
                && *asset != dest
            {
                d.to = Some(dest);
            }
        }
    }

    /// Re-reads the config and rescans everything (assetry.toml changed).
    /// The editor's buffers are ground state like the disk: they are laid
    /// over the new scan before anything is derived (re-applying them after
    /// the derived state was computed would leave resolutions made for the
    /// disk's references beside the buffer's references).
    fn reload(&mut self, config: Config) -> Vec<FileDiagnostics> {
        let before: HashMap<String, Vec<Diagnostic>> =
            self.all_diagnostics().into_iter().map(|fd| (fd.path, fd.diagnostics)).collect();
        let overlays = std::mem::take(&mut self.overlays);
        let tombstones = std::mem::take(&mut self.tombstones);
        let parsed_before = self.files_parsed;
        let had_referrers = self.referrers.get().is_some();
        let had_contents = self.contents.is_some();
        *self = Project::rescan(self.root.clone(), config, overlays, tombstones);
        self.files_parsed += parsed_before;
        if had_referrers {
            self.prepare_for_changes();
        }
        if had_contents {
            self.start_contents(None);
        }
        let mut out = Vec::new();
        let mut seen = HashSet::default();
        for fd in self.all_diagnostics() {
            seen.insert(fd.path.clone());
            if before.get(&fd.path) != Some(&fd.diagnostics) {
                out.push(fd);
            }
        }
        for path in before.keys() {
            if !seen.contains(path) && !before[path].is_empty() {
                out.push(FileDiagnostics { path: path.clone(), diagnostics: Vec::new() });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    fn refresh_from_disk(&mut self, abs: &Path, closing: bool, dirty: &mut Dirty) {
        let Some(rel) = self.rel_path(abs) else { return };
        if abs.is_dir() {
            if self.classifier.is_ignored(&rel, true) {
                return;
            }
            let result = scan::walk(&self.root, &[abs.to_path_buf()], &self.classifier);
            // A folder re-read is the truth about it: what the walk no longer
            // finds there (deleted, or now ignored) is gone.
            let found: HashSet<&str> = result.files.iter().flatten().map(|f| &*f.rel).collect();
            let prefix = folder_prefix(&rel);
            let gone: Vec<String> = self
                .files_with_prefix(&prefix)
                .filter(|(p, _)| !found.contains(p))
                .map(|(p, _)| p.to_owned())
                .collect();
            for p in gone {
                self.remove_from_disk(&p, dirty);
            }
            for f in result.files.into_iter().flatten() {
                self.files_parsed += 1;
                // The editor's buffer is in charge of an open file.
                if !self.has_overlay(&f.rel) {
                    self.upsert(&f.rel, f.kind, f.loaded, None, dirty);
                }
            }
            return;
        }
        let Some(kind) = self.classifier.classify(&rel) else {
            // Not a project file, but code may embed it (`include_bytes!`).
            dirty.keys.insert(RefKey::path(&rel));
            return;
        };
        if !closing && self.has_overlay(&rel) {
            // The editor's buffer is in charge until it is closed.
            return;
        }
        let loaded = scan::load(abs, kind, &self.classifier);
        self.files_parsed += 1;
        if loaded.exists {
            self.upsert(&rel, kind, loaded, None, dirty);
        } else {
            self.remove_rel(&rel, dirty);
        }
    }

    fn set_overlay(&mut self, abs: &Path, text: &Arc<str>, dirty: &mut Dirty) {
        let Some(rel) = self.rel_path(abs) else { return };
        self.overlay_rel(&rel, text, dirty);
        self.overlays.insert(rel.into(), text.clone());
    }

    pub(super) fn overlay_rel(&mut self, rel: &str, text: &Arc<str>, dirty: &mut Dirty) {
        let Some(kind) = self.classifier.classify(rel) else { return };
        let mut loaded = scan::parse_text(kind, rel, text, &self.classifier);
        // The editor asks about any place in its buffer (hover, completion).
        loaded.lines = LineIndex::new(text);
        self.files_parsed += 1;
        self.upsert(rel, kind, loaded, Some(text.clone()), dirty);
    }

    fn remove_path(&mut self, abs: &Path, dirty: &mut Dirty) {
        let Some(rel) = self.rel_path(abs) else { return };
        // Code may embed it even when it is no project file (`include_bytes!`).
        dirty.keys.insert(RefKey::path(&rel));
        if self.file_id(&rel).is_some() {
            self.remove_from_disk(&rel, dirty);
        }
        let prefix = folder_prefix(&rel);
        let under: Vec<String> = self.files_with_prefix(&prefix).map(|(p, _)| p.to_owned()).collect();
        for p in under {
            self.remove_from_disk(&p, dirty);
        }
    }

    /// The disk lost `rel`: it leaves the project unless the editor holds it
    /// open, whose buffer stays in charge until it is closed.
    fn remove_from_disk(&mut self, rel: &str, dirty: &mut Dirty) {
        if !self.has_overlay(rel) {
            self.remove_rel(rel, dirty);
        }
    }

    fn has_overlay(&self, rel: &str) -> bool {
        self.file_id(rel).and_then(|id| self.file(id)).is_some_and(|f| f.overlay.is_some())
    }

    fn upsert(&mut self, rel: &str, kind: FileKind, loaded: Loaded, overlay: Option<Arc<str>>, dirty: &mut Dirty) {
        match self.file_id(rel) {
            Some(id) => {
                let from_disk = overlay.is_none();
                self.unregister(id, dirty);
                #[cfg(debug_assertions)]
                test_panic_hook(rel);
                if let Some(f) = self.files[id as usize].as_mut() {
                    f.loaded = loaded;
                    f.kind = kind;
                    f.overlay = overlay;
                }
                if let Some(link) = self.links.get_mut(id as usize) {
                    link.kind = LinkKind::of(kind);
                }
                if !dirty.bulk {
                    // A `.meta`'s id and labels decide how references to its
                    // asset by path resolve (`#Label`) and read (prefer-id).
                    self.pair_dirty(rel, kind, dirty);
                    // So do the labels a glTF file declares itself (Bevy).
                    if let FileKind::Asset { syntax: Some(Syntax::Gltf | Syntax::Glb), .. } = kind {
                        dirty.keys.insert(RefKey::path(rel));
                    }
                    // Its content may be another now (a move by content
                    // compares it when it leaves).
                    if self.contents.is_some() && from_disk && matches!(kind, FileKind::Asset { .. }) {
                        dirty.rewritten.push(id);
                    }
                }
                self.register(id, dirty);
            }
            None => {
                let id = self.insert(rel.into(), kind, loaded, dirty);
                if let Some(f) = self.files[id as usize].as_mut() {
                    f.overlay = overlay;
                }
            }
        }
    }

    pub(super) fn insert(&mut self, path: Arc<str>, kind: FileKind, loaded: Loaded, dirty: &mut Dirty) -> FileId {
        let id = self.files.len() as FileId;
        let pair = self.counterpart(&path, kind);
        self.files.push(Some(File { path: path.clone(), kind, loaded, resolved: Vec::new(), overlay: None }));
        self.links.push(Link::of(kind, pair));
        self.edges.push(Box::default());
        if let Some(other) = pair.and_then(|p| self.links.get_mut(p as usize)) {
            other.pair = Some(id);
        }
        self.by_path.insert(path.clone(), (id, matches!(kind, FileKind::Asset { .. })));
        if !self.path_moves.is_empty() || !self.path_departed.is_empty() {
            // A file is back at this path: whatever left it is history.
            self.path_moves.remove(&*path);
            self.path_departed.retain(|(p, _)| **p != *path);
        }
        if !dirty.bulk && matches!(kind, FileKind::Asset { .. }) && self.config.flavor == Flavor::Bevy {
            dirty.inserted.push(path.clone());
        }
        if let (FileKind::Meta { .. }, Some(asset)) = (kind, path.strip_suffix(META_SUFFIX))
            && !self.tombstones.is_empty()
        {
            // A `.meta` is back at this path: whatever left it is history.
            self.tombstones.remove(asset);
        }
        self.add_to_folder(&path, id, dirty);
        if matches!(kind, FileKind::Asset { .. }) {
            push_id(&mut self.by_lower, lower_hash(&path), id);
        }
        if !dirty.bulk {
            dirty.keys.insert(RefKey::path(&path));
            self.pair_dirty(&path, kind, dirty);
        }
        self.register(id, dirty);
        id
    }

    fn remove_rel(&mut self, rel: &str, dirty: &mut Dirty) {
        let Some(id) = self.file_id(rel) else { return };
        self.unregister(id, dirty);
        let Some(file) = self.files[id as usize].take() else { return };
        self.references -= count_references(&file.resolved);
        let link = std::mem::replace(&mut self.links[id as usize], Link::GONE);
        self.edges[id as usize] = Box::default();
        if let Some(other) = link.pair.and_then(|p| self.links.get_mut(p as usize)) {
            other.pair = None;
        }
        self.by_path.remove(rel);
        if let (FileKind::Meta { .. }, Some(asset)) = (file.kind, rel.strip_suffix(META_SUFFIX)) {
            // The id that left this path tells where its asset went, if the
            // id shows up elsewhere (a move; where the watcher saw it go is
            // added by `record_move`). A `.meta` without an id leaves no
            // trace, and an older trace would now be wrong.
            match file.meta().and_then(|m| m.id) {
                Some((id, _)) => {
                    self.tombstones.insert(asset.into(), Departure { id, to: None });
                    dirty.departed.push(asset.into());
                }
                None => {
                    self.tombstones.remove(asset);
                }
            };
        }
        if let Some(f) = self.contents.as_ref().filter(|_| file.is_asset()).and_then(|c| c.get(id)) {
            dirty.left_contents.insert(rel.into(), f);
        }
        self.remove_from_folder(rel, id, dirty);
        let lower = lower_hash(rel);
        remove_id(&mut self.by_lower, &lower, id);
        dirty.keys.insert(RefKey::Path(lower));
        self.pair_dirty(rel, file.kind, dirty);
        dirty.files.remove(&id);
        dirty.nodes.insert(id);
        let old = self.diagnostics.remove(&id).unwrap_or_default();
        dirty.removed.entry(file.path.to_string()).or_insert(old);
    }

    /// An asset and its `.meta` affect each other's diagnostics
    /// (missing-meta, orphan-meta) and the asset's graph edges.
    fn pair_dirty(&self, rel: &str, kind: FileKind, dirty: &mut Dirty) {
        match kind {
            FileKind::Asset { .. } => {
                if let Some(m) = self.meta_file_id(rel) {
                    dirty.files.insert(m);
                    // References by id resolve through the asset file: they
                    // change with its existence.
                    if let Some(meta) = self.file(m).and_then(File::meta) {
                        let ids = meta.id.map(|(u, _)| u).into_iter().chain(meta.labels.iter().filter_map(|l| l.id));
                        dirty.keys.extend(ids.map(RefKey::Id));
                    }
                }
            }
            FileKind::Meta { .. } => {
                if let Some(asset) = rel.strip_suffix(META_SUFFIX) {
                    if let Some(a) = self.file_id(asset) {
                        dirty.files.insert(a);
                        dirty.nodes.insert(a);
                    }
                    // Labels and the id live here: references to the asset by
                    // path (with #Label) must be re-resolved.
                    dirty.keys.insert(RefKey::path(asset));
                }
            }
            FileKind::Code => {}
        }
    }

    /// Recomputes derived state for what `dirty` names and returns the files
    /// whose diagnostics changed.
    fn settle(&mut self, mut dirty: Dirty) -> Vec<FileDiagnostics> {
        if dirty.everything {
            dirty.files.extend(self.file_ids());
        }
        // A broken path that once held a moved asset says where the asset
        // went: that answer changes with the owners of the asset's id.
        if !self.tombstones.is_empty() && dirty.keys.iter().any(|k| matches!(k, RefKey::Id(_))) {
            let left: Vec<RefKey> = self
                .tombstones
                .iter()
                .filter(|(_, d)| dirty.keys.contains(&RefKey::Id(d.id)))
                .map(|(p, _)| RefKey::path(p))
                .collect();
            dirty.keys.extend(left);
        }
        let referrers = self.referrers();
        for key in &dirty.keys {
            if let Some(v) = referrers.get(key) {
                dirty.files.extend(v.as_slice().iter().copied());
            }
            // Every owner of an id can gain or lose a duplicate-id finding.
            if let RefKey::Id(u) = key
                && let Some(owners) = self.ids.get(u)
            {
                dirty.files.extend(owners.as_slice().iter().map(|o| o.meta));
            }
        }
        dirty.files.retain(|id| self.file(*id).is_some());
        // Graph nodes whose edges may change, with their edges before.
        let mut nodes = dirty.nodes;
        nodes.extend(dirty.files.iter().filter_map(|id| self.node_of(*id)));
        let before: Vec<(FileId, Vec<FileId>)> = nodes.into_iter().map(|n| (n, self.out_edges(n))).collect();
        for &id in &dirty.files {
            self.resolve_file(id);
        }
        let mut diag_dirty = dirty.files;
        let changes: Vec<(FileId, Vec<FileId>, Vec<FileId>)> = before
            .into_iter()
            .map(|(n, old)| {
                let new = self.out_edges(n);
                (n, old, new)
            })
            .filter(|(n, old, new)| old != new || self.cycle_of(*n).is_some())
            .collect();
        if !changes.is_empty() {
            let mut cycles = std::mem::take(&mut self.cycles);
            let changed = {
                let project = &*self;
                cycles.update(&changes, |n, out| project.extend_out_edges(n, out))
            };
            self.cycles = cycles;
            for n in changed {
                if self.file(n).is_some() {
                    diag_dirty.insert(n);
                }
                if let Some(path) = self.file(n).map(|f| f.path.clone())
                    && let Some(m) = self.meta_file_id(&path)
                {
                    diag_dirty.insert(m);
                }
            }
        }
        let mut out = Vec::new();
        for id in diag_dirty {
            let new = self.compute_diagnostics(id);
            let recreated = dirty.removed.remove(self.path(id));
            let old = self.diagnostics.get(&id).or(recreated.as_ref()).map_or(&[][..], Vec::as_slice);
            if new != old {
                out.push(FileDiagnostics { path: self.path(id).to_owned(), diagnostics: new.clone() });
            }
            if new.is_empty() {
                self.diagnostics.remove(&id);
            } else {
                self.diagnostics.insert(id, new);
            }
        }
        for (path, old) in dirty.removed {
            if !old.is_empty() {
                out.push(FileDiagnostics { path, diagnostics: Vec::new() });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }
}

fn change_paths(c: &Change) -> Vec<&PathBuf> {
    match c {
        Change::Disk(p) | Change::Removed(p) | Change::CloseOverlay(p) => vec![p],
        Change::Overlay { path, .. } => vec![path],
        Change::Moved { from, to } => vec![from, to],
    }
}

/// For tests of recovery from an internal error (debug builds only; release
/// builds have no such code): `ASSETRY_TEST_PANIC_ON=<file name>` makes the
/// first update of an existing file of that name panic halfway, after its
/// old entries left the indexes and before its new ones are in: the state a
/// bug would leave. Once per process, so a rebuild afterwards succeeds.
#[cfg(debug_assertions)]
fn test_panic_hook(rel: &str) {
    static FIRED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if let Some(name) = std::env::var_os("ASSETRY_TEST_PANIC_ON")
        && name.to_str() == Some(super::files::file_name(rel))
        && !FIRED.swap(true, std::sync::atomic::Ordering::SeqCst)
    {
        panic!("ASSETRY_TEST_PANIC_ON: updating `{rel}`");
    }
}
