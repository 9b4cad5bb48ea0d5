//! Bevy projects (no ids): where a deleted asset went, by path. A rename
//! the watcher saw; else the assets created with its content (fingerprints:
//! `contents.rs`), in this batch or another; else the one asset created with
//! its file name. Kept until a file is back at the old path; "moved to" in
//! a `broken-path` message is the only trace (`resolution.rs`).

use std::path::{Path, PathBuf};

use rustc_hash::FxHashSet as HashSet;

use super::files::file_name;
use super::{Dirty, FileId, PathMove, Project};
use crate::resolve::RefKey;
use crate::scan::FileKind;

impl Project {
    /// Bevy projects: the watcher saw `from` (a file or a folder) move to
    /// `to`; each asset that left (`gone`) is now at the same place under `to`.
    pub(super) fn record_path_moves(&mut self, from: &Path, to: &Path, gone: Vec<String>, dirty: &mut Dirty) {
        let (Some(from), Some(to)) = (self.rel_path(from), self.rel_path(to)) else { return };
        for old in gone {
            let rest = match old.strip_prefix(from.as_str()) {
                Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
                _ => continue,
            };
            let new = format!("{to}{rest}");
            if self.file_id(&new).is_some_and(|id| self.is_asset(id)) {
                self.add_path_move(old, PathMove::To(new.into()), dirty);
            }
        }
    }

    /// Bevy projects: an asset deleted, and later or earlier (this batch or
    /// another: the watcher may see a move into a new folder as two events,
    /// holds a new asset back a while for its `.meta`, and cuts a `git
    /// checkout` into several batches) assets created with the same content
    /// (when fingerprinted: see `contents.rs`), or else an asset created
    /// with the same file name when exactly one deleted path has that name.
    /// The references to the old path are re-resolved.
    pub(super) fn record_path_departures(&mut self, dirty: &mut Dirty) {
        let all_fresh: Vec<FileId> =
            std::mem::take(&mut dirty.inserted).iter().filter_map(|p| self.file_id(p)).collect();
        let created: HashSet<Box<str>> = all_fresh.iter().map(|id| self.path(*id).into()).collect();
        // Where a seen move (a rename) went is accounted for.
        let taken: HashSet<&str> =
            self.path_moves.values().filter_map(|m| if let PathMove::To(t) = m { Some(&**t) } else { None }).collect();
        let fresh: Vec<FileId> = all_fresh.iter().copied().filter(|id| !taken.contains(self.path(*id))).collect();
        // Contents whose places changed: what a move by content says of them.
        let mut touched: HashSet<u64> = dirty.left_contents.values().copied().collect();
        if self.contents.is_some() {
            let abs = |ids: &[FileId]| -> Vec<(FileId, PathBuf)> {
                ids.iter().map(|id| (*id, self.root.join(self.path(*id)))).collect()
            };
            let (rewritten, arrived) = (abs(&dirty.rewritten), abs(&all_fresh));
            let unseen: HashSet<FileId> = fresh.iter().copied().collect();
            if let Some(contents) = self.contents.as_mut() {
                // Read now: compared right away, or later when they leave
                // (a renamed file too, though the rename accounts for it).
                for (id, path) in rewritten {
                    let (before, after) = contents.read(id, &path);
                    touched.extend(before.into_iter().chain(after));
                }
                for (id, path) in arrived {
                    let (_, found) = contents.read(id, &path);
                    if unseen.contains(&id) {
                        contents.arrive(id);
                        touched.extend(found);
                    }
                }
            }
        }
        let went: Vec<(Box<str>, u64)> = dirty
            .removed
            .keys()
            .filter(|p| self.file_id(p).is_none() && !self.path_moves.contains_key(p.as_str()))
            .filter(|p| self.classifier.classify(p).is_some_and(|k| matches!(k, FileKind::Asset { .. })))
            .map(|p| (p.as_str().into(), dirty.left_contents.get(p.as_str()).copied().unwrap_or(0)))
            .collect();
        self.path_departed.extend(went);
        let excess = self.path_departed.len().saturating_sub(super::MAX_PATH_DEPARTURES);
        self.path_departed.drain(..excess);
        if self.contents.is_some() {
            self.record_content_moves(dirty);
        }
        let moved_contents: HashSet<u64> = self
            .path_moves
            .values()
            .filter_map(|m| if let PathMove::Content(f) = m { Some(*f) } else { None })
            .collect();
        for id in fresh {
            if self.contents.as_ref().and_then(|c| c.get(id)).is_some_and(|f| moved_contents.contains(&f)) {
                continue; // where a move by content went
            }
            let new = self.path(id).to_owned();
            let name = file_name(&new);
            let mut same = self.path_departed.iter().enumerate().filter(|(_, (o, _))| file_name(o) == name);
            if let (Some((i, _)), None) = (same.next(), same.next()) {
                let (old, _) = self.path_departed.remove(i);
                self.add_path_move(old.into(), PathMove::To(new.into()), dirty);
            }
        }
        self.moves_to_changed_places(&created, &touched, dirty);
    }

    /// Each deleted path whose content an asset created lately has moved
    /// there (several: copies, none preferred).
    fn record_content_moves(&mut self, dirty: &mut Dirty) {
        let mut moves = Vec::new();
        let departed = std::mem::take(&mut self.path_departed);
        for (old, f) in departed {
            if f > 1 && !self.created_with(f).is_empty() {
                moves.push((old, f));
            } else {
                self.path_departed.push((old, f));
            }
        }
        for (old, f) in moves {
            self.add_path_move(old.into(), PathMove::Content(f), dirty);
        }
    }

    /// A place a recorded move went to was removed or `created` again, or
    /// a content it went with was created, removed or rewritten (`touched`):
    /// what the old path's references say changes.
    fn moves_to_changed_places(&self, created: &HashSet<Box<str>>, touched: &HashSet<u64>, dirty: &mut Dirty) {
        if self.path_moves.is_empty() || (dirty.removed.is_empty() && created.is_empty() && touched.is_empty()) {
            return;
        }
        let changed: Vec<RefKey> = self
            .path_moves
            .iter()
            .filter(|(_, m)| match m {
                PathMove::To(t) => dirty.removed.contains_key(&**t) || created.contains(t),
                PathMove::Content(f) => touched.contains(f),
            })
            .map(|(old, _)| RefKey::path(old))
            .collect();
        dirty.keys.extend(changed);
    }

    /// `old` moved as `to` says; an earlier move that ended at `old` now
    /// ends there, and what its references say changes.
    fn add_path_move(&mut self, old: String, to: PathMove, dirty: &mut Dirty) {
        dirty.keys.insert(RefKey::path(&old));
        for (earlier, m) in self.path_moves.iter_mut() {
            if matches!(m, PathMove::To(t) if **t == *old) {
                dirty.keys.insert(RefKey::path(earlier));
                *m = to.clone();
            }
        }
        if let PathMove::To(t) = &to {
            self.path_moves.remove(&**t);
        }
        self.path_moves.insert(old.into(), to);
    }
}
