//! The coalescing window: raw file-system facts in, [`ChangeBatch`]es out.
//!
//! Every fact is folded into one entry per path (last state wins), so a storm
//! costs memory per distinct path, not per event, and that is capped: past
//! `max_pending` paths the window gives up on detail and asks for a rescan of
//! the roots. A batch is cut when the folder has been quiet for `window`, or
//! at the latest `max_delay` after its first event.
//!
//! Before a batch is cut, two things may hold part of it back, for at most
//! `pair_window` after that part's first event:
//!
//! - **Pairing**: an asset created or removed while its `.meta` has not
//!   followed yet (or the reverse) waits for its partner, so the engine never
//!   reports a `missing-meta` or `orphan-meta` that the next batch retracts.
//!   An asset and its `.meta` (and both ends of a move) always leave in the
//!   same batch.
//! - **Moves by id**: a removed `.meta` whose id is known waits for a created
//!   `.meta` carrying the same id; if one arrives, both the asset and the
//!   `.meta` are reported as [`Change::Moved`] (a file manager's copy + delete,
//!   or git re-creating a renamed file).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assetry_pipeline::{Change, ChangeBatch};

use crate::meta_id::{IdIndex, is_meta, read_id, sidecar};

/// A fact the backends observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raw {
    /// A file appeared (created, or moved in from an unwatched place).
    Created(PathBuf),
    /// A file's content or metadata changed.
    Modified(PathBuf),
    /// A file or folder is gone.
    Removed(PathBuf),
    /// A file or folder was renamed within the watched tree.
    Moved { from: PathBuf, to: PathBuf },
    /// Details were lost (kernel queue overflow): re-read this folder whole.
    Rescan(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Disk,
    Removed,
    MovedFrom(PathBuf),
    MovedTo(PathBuf),
}

#[derive(Debug, Clone)]
struct Entry {
    op: Op,
    /// The path did not exist when the batch opened: the engine never saw it.
    fresh: bool,
    since: Instant,
    seq: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub window: Duration,
    pub max_delay: Duration,
    pub pair_window: Duration,
    pub max_pending: usize,
}

pub struct Pending {
    timing: Timing,
    entries: BTreeMap<PathBuf, Entry>,
    rescan: BTreeSet<PathBuf>,
    /// Folders where `.meta` pairing applies (the asset roots).
    asset_roots: Vec<PathBuf>,
    /// Folders re-read whole when detail is given up.
    all_roots: Vec<PathBuf>,
    /// First and last event since the last cut.
    open: Option<(Instant, Instant)>,
    last_cut: Instant,
    seq: u64,
    pub ids: IdIndex,
    /// New `.meta` files whose id could not be read at the last cut while a
    /// removed one waited for its id to reappear.
    unread_metas: BTreeSet<PathBuf>,
}

impl Pending {
    pub fn new(timing: Timing, asset_roots: Vec<PathBuf>, all_roots: Vec<PathBuf>, ids: IdIndex) -> Pending {
        Pending {
            timing,
            entries: BTreeMap::new(),
            rescan: BTreeSet::new(),
            asset_roots,
            all_roots,
            open: None,
            last_cut: Instant::now(),
            seq: 0,
            ids,
            unread_metas: BTreeSet::new(),
        }
    }

    pub fn record(&mut self, raw: Raw, now: Instant) {
        self.open = Some(match self.open {
            Some((first, _)) => (first, now),
            None => (now, now),
        });
        match raw {
            Raw::Created(path) => self.created(path, now),
            Raw::Modified(path) => self.modified(path, now),
            Raw::Removed(path) => self.removed(path, now),
            Raw::Moved { from, to } => self.moved(from, to, now),
            Raw::Rescan(dir) => {
                self.rescan.insert(dir);
            }
        }
        if self.entries.len() > self.timing.max_pending {
            // Bounded memory: the detail of a storm this large is not worth
            // its cost; re-reading the roots gives the same final graph.
            self.entries.clear();
            self.rescan.extend(self.all_roots.iter().cloned());
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn put(&mut self, path: PathBuf, op: Op, fresh: bool, now: Instant) {
        let seq = self.next_seq();
        let since = self.entries.get(&path).map_or(now, |e| e.since);
        self.entries.insert(path, Entry { op, fresh, since, seq });
    }

    fn created(&mut self, path: PathBuf, now: Instant) {
        match self.entries.get(&path).map(|e| (e.op.clone(), e.fresh)) {
            None => self.put(path, Op::Disk, true, now),
            Some((Op::Disk | Op::MovedTo(_), _)) => {}
            // It existed before this batch (it was removed or moved away in it).
            Some((Op::Removed | Op::MovedFrom(_), _)) => self.put(path, Op::Disk, false, now),
        }
    }

    fn modified(&mut self, path: PathBuf, now: Instant) {
        match self.entries.get(&path).map(|e| e.op.clone()) {
            None => self.put(path, Op::Disk, false, now),
            Some(Op::Disk | Op::MovedTo(_)) => {}
            Some(Op::Removed | Op::MovedFrom(_)) => self.put(path, Op::Disk, false, now),
        }
    }

    fn removed(&mut self, path: PathBuf, now: Instant) {
        // Whatever happened under a removed folder in this batch is moot.
        let under: Vec<PathBuf> = under(&self.entries, &path).collect();
        for p in under {
            self.entries.remove(&p);
        }
        match self.entries.get(&path).map(|e| (e.op.clone(), e.fresh)) {
            Some((Op::Disk, true)) => {
                self.entries.remove(&path);
            }
            _ => self.put(path, Op::Removed, false, now),
        }
    }

    fn moved(&mut self, from: PathBuf, to: PathBuf, now: Instant) {
        // Entries under a moved folder follow it, so pairing and id checks
        // look at where the files are now.
        let under: Vec<PathBuf> = under(&self.entries, &from).collect();
        for p in under {
            if let (Some(entry), Ok(rest)) = (self.entries.remove(&p), p.strip_prefix(&from)) {
                self.entries.insert(to.join(rest), entry);
            }
        }
        let from_state = self.entries.get(&from).map(|e| (e.op.clone(), e.fresh));
        match from_state {
            // Created in this batch (an editor's temporary file renamed over
            // the real one): the engine never saw it, only the target matters.
            Some((Op::Disk, true)) => {
                self.entries.remove(&from);
                self.put(to, Op::Disk, true, now);
            }
            // A chain a -> b -> c is one move a -> c; b was replaced or never
            // existed for the engine, and removing an unknown path is harmless.
            Some((Op::MovedTo(origin), _)) => {
                self.put(from, Op::Removed, false, now);
                self.put(origin.clone(), Op::MovedFrom(to.clone()), false, now);
                self.put(to, Op::MovedTo(origin), true, now);
            }
            _ => {
                self.put(from.clone(), Op::MovedFrom(to.clone()), false, now);
                self.put(to, Op::MovedTo(from), true, now);
            }
        }
    }

    /// When the next batch may be cut, if anything waits.
    pub fn deadline(&self) -> Option<Instant> {
        if let Some((first, last)) = self.open {
            return Some((last + self.timing.window).min(first + self.timing.max_delay));
        }
        if self.entries.is_empty() {
            return None;
        }
        // Held entries whose own wait is over stay only for a partner whose
        // wait is not: the next deadline is the earliest one still ahead.
        let ahead =
            self.entries.values().map(|e| e.since + self.timing.pair_window).filter(|d| *d > self.last_cut).min();
        Some(ahead.unwrap_or(self.last_cut + self.timing.pair_window))
    }

    /// Cuts a batch if the deadline has passed. Entries still waiting for a
    /// partner stay for the next cut.
    pub fn cut(&mut self, now: Instant) -> Option<ChangeBatch> {
        if self.deadline().is_none_or(|d| d > now) {
            return None;
        }
        self.open = None;
        self.last_cut = now;
        self.match_moves_by_id();
        let held = self.held(now);

        let mut batch = ChangeBatch::new();
        let rescan = std::mem::take(&mut self.rescan);
        let covered = |p: &Path| rescan.iter().any(|d| p.starts_with(d));

        let mut ready: Vec<(PathBuf, Entry)> = Vec::new();
        let keys: Vec<PathBuf> = self.entries.keys().filter(|p| !held.contains(*p)).cloned().collect();
        for key in keys {
            if let Some(entry) = self.entries.remove(&key) {
                ready.push((key, entry));
            }
        }
        let state: HashMap<&Path, &Op> = ready.iter().map(|(p, e)| (p.as_path(), &e.op)).collect();
        // A move whose destination is re-read whole anyway is reported as the
        // removal of its source only.
        let valid_move = |from: &Path, to: &Path| {
            !covered(to) && matches!(state.get(to), Some(Op::MovedTo(origin)) if origin == from)
        };

        // Removals first (a folder covers what is under it), then moves in the
        // order they happened, then files to re-read.
        let mut last_removed: Option<&Path> = None;
        for (path, entry) in &ready {
            let removed = match &entry.op {
                Op::Removed => true,
                Op::MovedFrom(to) => !valid_move(path, to),
                _ => false,
            };
            if !removed || covered(path) || last_removed.is_some_and(|d| path.starts_with(d)) {
                continue;
            }
            last_removed = Some(path);
            batch.push(Change::Removed(path.clone()));
        }
        let mut moves: Vec<(u64, &Path, &Path)> = ready
            .iter()
            .filter_map(|(to, e)| match &e.op {
                Op::MovedTo(from) if !covered(to) => Some((e.seq, from.as_path(), to.as_path())),
                _ => None,
            })
            .collect();
        moves.sort_by_key(|(seq, _, _)| *seq);
        for (_, from, to) in moves {
            batch.push(Change::Moved { from: from.to_path_buf(), to: to.to_path_buf() });
        }
        for (path, entry) in &ready {
            if entry.op == Op::Disk && !covered(path) {
                batch.push(Change::Disk(path.clone()));
            }
        }
        for dir in &rescan {
            batch.push(Change::Disk(dir.clone()));
        }
        self.remember_ids(&batch);
        (!batch.is_empty()).then_some(batch)
    }

    fn remember_ids(&mut self, batch: &ChangeBatch) {
        for change in &batch.changes {
            match change {
                Change::Removed(p) => self.ids.remove_tree(p),
                Change::Moved { from, to } => self.ids.move_tree(from, to),
                Change::Disk(p) if is_meta(p) => self.ids.refresh(p),
                _ => {}
            }
        }
    }

    /// A removed `.meta` and a created one with the same id are one move;
    /// their assets, if removed and created alongside, moved too.
    fn match_moves_by_id(&mut self) {
        self.unread_metas.clear();
        let removed: HashMap<u128, PathBuf> = self
            .entries
            .iter()
            .filter(|(p, e)| e.op == Op::Removed && is_meta(p))
            .filter_map(|(p, _)| Some((self.ids.get(p)?, p.clone())))
            .collect();
        if removed.is_empty() {
            return;
        }
        let created: Vec<PathBuf> = self
            .entries
            .iter()
            .filter(|(p, e)| e.op == Op::Disk && e.fresh && is_meta(p))
            .map(|(p, _)| p.clone())
            .collect();
        let now_since = |entries: &BTreeMap<PathBuf, Entry>, p: &Path| entries.get(p).map(|e| e.since);
        for new_meta in created {
            let Some(id) = read_id(&new_meta) else {
                // Created but not written yet (or not valid): it may still
                // turn out to carry one of the removed ids.
                self.unread_metas.insert(new_meta);
                continue;
            };
            let Some(old_meta) = removed.get(&id) else { continue };
            let since = now_since(&self.entries, old_meta).unwrap_or_else(Instant::now);
            let (old_asset, new_asset) = (sidecar(old_meta), sidecar(&new_meta));
            let asset_moved = matches!(self.entries.get(&old_asset), Some(e) if e.op == Op::Removed)
                && matches!(self.entries.get(&new_asset), Some(e) if e.op == Op::Disk && e.fresh);
            if asset_moved {
                self.put(old_asset.clone(), Op::MovedFrom(new_asset.clone()), false, since);
                self.put(new_asset, Op::MovedTo(old_asset), true, since);
            }
            self.put(old_meta.clone(), Op::MovedFrom(new_meta.clone()), false, since);
            self.put(new_meta, Op::MovedTo(old_meta.clone()), true, since);
        }
    }

    /// Paths that must wait for a partner, closed over pairs (asset and
    /// `.meta`, both ends of a move) so partners always leave together.
    fn held(&self, now: Instant) -> BTreeSet<PathBuf> {
        let waiting = |e: &Entry| e.since + self.timing.pair_window > now;
        let mut held: BTreeSet<PathBuf> = BTreeSet::new();
        for (path, entry) in &self.entries {
            if !waiting(entry) || !self.in_asset_root(path) {
                continue;
            }
            let partner = sidecar(path);
            let partner_in_batch = self.entries.contains_key(&partner);
            // A partner that is on disk but not in the batch yet may have
            // been written after the last read of the kernel queue: it is
            // waited for if it changed within the time a batch can span.
            let partner_pending = || match std::fs::symlink_metadata(&partner) {
                Ok(meta) => changed_within(&meta, self.timing.max_delay + self.timing.pair_window),
                Err(_) => true,
            };
            let hold = match &entry.op {
                Op::Disk if entry.fresh => (!partner_in_batch && partner_pending()) || self.unread_metas.contains(path),
                Op::MovedTo(_) => !partner_in_batch && !path.is_dir() && partner_pending(),
                Op::Removed | Op::MovedFrom(_) => {
                    let waits_for_partner = !partner_in_batch && partner.exists() && !partner.is_dir();
                    let waits_for_id = entry.op == Op::Removed && is_meta(path) && self.ids.get(path).is_some();
                    waits_for_partner || waits_for_id
                }
                Op::Disk => false,
            };
            if hold {
                held.insert(path.clone());
            }
        }
        // Close over partners until nothing changes (groups are tiny).
        loop {
            let mut more = Vec::new();
            for path in &held {
                let mut partners = vec![sidecar(path)];
                if let Some(e) = self.entries.get(path) {
                    match &e.op {
                        Op::MovedFrom(p) | Op::MovedTo(p) => partners.push(p.clone()),
                        _ => {}
                    }
                }
                for p in partners {
                    if self.entries.contains_key(&p) && !held.contains(&p) {
                        more.push(p);
                    }
                }
            }
            if more.is_empty() {
                return held;
            }
            held.extend(more);
        }
    }

    pub fn is_asset_root(&self, path: &Path) -> bool {
        self.asset_roots.iter().any(|r| r == path)
    }

    fn in_asset_root(&self, path: &Path) -> bool {
        self.asset_roots.iter().any(|r| path.starts_with(r))
    }
}

/// Whether the inode changed (created, written, renamed) within `horizon`.
fn changed_within(meta: &std::fs::Metadata, horizon: Duration) -> bool {
    let Some(threshold) = std::time::SystemTime::now().checked_sub(horizon) else { return true };
    changed_at(meta).is_none_or(|t| t >= threshold)
}

#[cfg(unix)]
fn changed_at(meta: &std::fs::Metadata) -> Option<std::time::SystemTime> {
    use std::os::unix::fs::MetadataExt;
    // ctime, not mtime: copies and checkouts can set an old mtime, but
    // creating or renaming a file always sets its ctime to now.
    let secs = u64::try_from(meta.ctime()).ok()?;
    let nanos = u32::try_from(meta.ctime_nsec()).ok()?;
    std::time::UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

#[cfg(not(unix))]
fn changed_at(meta: &std::fs::Metadata) -> Option<std::time::SystemTime> {
    meta.modified().ok()
}

fn under<'a>(entries: &'a BTreeMap<PathBuf, Entry>, dir: &'a Path) -> impl Iterator<Item = PathBuf> + 'a {
    entries
        .range(dir.to_path_buf()..)
        .skip_while(move |(p, _)| p.as_path() == dir)
        .take_while(move |(p, _)| p.starts_with(dir))
        .map(|(p, _)| p.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(max_pending: usize) -> Pending {
        let timing = Timing {
            window: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
            pair_window: Duration::from_millis(50),
            max_pending,
        };
        // No asset roots: nothing is held for pairing, so these tests never
        // look at the disk.
        Pending::new(timing, Vec::new(), vec![PathBuf::from("/p/assets")], IdIndex::default())
    }

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    fn cut_all(pending: &mut Pending, start: Instant) -> Vec<Change> {
        pending.cut(start + Duration::from_secs(1)).map(|b| b.changes).unwrap_or_default()
    }

    #[test]
    fn a_chain_of_moves_is_one_move() {
        let mut q = pending(100);
        let t = Instant::now();
        q.record(Raw::Moved { from: p("/p/a"), to: p("/p/b") }, t);
        q.record(Raw::Moved { from: p("/p/b"), to: p("/p/c") }, t);
        assert_eq!(cut_all(&mut q, t), [Change::Removed(p("/p/b")), Change::Moved { from: p("/p/a"), to: p("/p/c") }]);
    }

    #[test]
    fn a_file_created_and_moved_in_one_window_is_only_created() {
        let mut q = pending(100);
        let t = Instant::now();
        q.record(Raw::Created(p("/p/tmp")), t);
        q.record(Raw::Modified(p("/p/tmp")), t);
        q.record(Raw::Moved { from: p("/p/tmp"), to: p("/p/x") }, t);
        assert_eq!(cut_all(&mut q, t), [Change::Disk(p("/p/x"))]);
    }

    #[test]
    fn a_removed_folder_covers_what_was_under_it() {
        let mut q = pending(100);
        let t = Instant::now();
        q.record(Raw::Modified(p("/p/d/x")), t);
        q.record(Raw::Removed(p("/p/d/y")), t);
        q.record(Raw::Removed(p("/p/d")), t);
        q.record(Raw::Modified(p("/p/dx")), t);
        assert_eq!(cut_all(&mut q, t), [Change::Removed(p("/p/d")), Change::Disk(p("/p/dx"))]);
    }

    #[test]
    fn changes_under_a_moved_folder_follow_it() {
        let mut q = pending(100);
        let t = Instant::now();
        q.record(Raw::Modified(p("/p/a/x")), t);
        q.record(Raw::Moved { from: p("/p/a"), to: p("/p/b") }, t);
        assert_eq!(cut_all(&mut q, t), [Change::Moved { from: p("/p/a"), to: p("/p/b") }, Change::Disk(p("/p/b/x"))]);
    }

    #[test]
    fn a_move_then_a_new_file_at_the_source() {
        let mut q = pending(100);
        let t = Instant::now();
        q.record(Raw::Moved { from: p("/p/a"), to: p("/p/b") }, t);
        q.record(Raw::Created(p("/p/a")), t);
        assert_eq!(cut_all(&mut q, t), [Change::Moved { from: p("/p/a"), to: p("/p/b") }, Change::Disk(p("/p/a"))]);
    }

    #[test]
    fn the_window_waits_for_quiet_and_caps_the_delay() {
        let mut q = pending(100);
        let t = Instant::now();
        q.record(Raw::Modified(p("/p/a")), t);
        assert!(q.cut(t + Duration::from_millis(5)).is_none());
        // Events every 5 ms keep the window open, until max_delay.
        for i in 1..30 {
            q.record(Raw::Modified(p(&format!("/p/f{i}"))), t + Duration::from_millis(5 * i));
            if 5 * i < 100 {
                assert!(q.cut(t + Duration::from_millis(5 * i)).is_none());
            } else {
                assert!(q.cut(t + Duration::from_millis(5 * i)).is_some(), "cut at max_delay");
                return;
            }
        }
        panic!("never cut");
    }

    #[test]
    fn a_move_into_a_rescanned_folder_still_removes_its_source() {
        let mut q = pending(100);
        let t = Instant::now();
        q.record(Raw::Moved { from: p("/p/src/a.rs"), to: p("/p/assets/a.rs") }, t);
        q.record(Raw::Rescan(p("/p/assets")), t);
        assert_eq!(cut_all(&mut q, t), [Change::Removed(p("/p/src/a.rs")), Change::Disk(p("/p/assets"))]);
    }

    #[test]
    fn a_new_meta_not_written_yet_waits_for_its_id() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("assets");
        std::fs::create_dir_all(&root).unwrap();
        let id = 0x0b6d3f6e_3c1f_4f54_9f0e_2d8a3c6b9e11_u128;
        let (old_meta, new_meta) = (root.join("a.png.meta"), root.join("b.png.meta"));
        let timing = Timing {
            window: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
            pair_window: Duration::from_millis(50),
            max_pending: 100,
        };
        let mut q =
            Pending::new(timing, vec![root.clone()], vec![root.clone()], IdIndex::new([(old_meta.clone(), id)]));
        let t = Instant::now();
        q.record(Raw::Removed(root.join("a.png")), t);
        q.record(Raw::Removed(old_meta.clone()), t);
        std::fs::write(root.join("b.png"), "png").unwrap();
        std::fs::write(&new_meta, "").unwrap();
        q.record(Raw::Created(root.join("b.png")), t);
        q.record(Raw::Created(new_meta.clone()), t);
        // Cut while the new .meta is still empty: everything waits.
        assert_eq!(q.cut(t + Duration::from_millis(20)), None);
        std::fs::write(&new_meta, "id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n").unwrap();
        q.record(Raw::Modified(new_meta.clone()), t + Duration::from_millis(25));
        let changes = q.cut(t + Duration::from_millis(40)).map(|b| b.changes);
        assert_eq!(
            changes,
            Some(vec![
                Change::Moved { from: root.join("a.png"), to: root.join("b.png") },
                Change::Moved { from: old_meta, to: new_meta },
            ])
        );
    }

    #[test]
    fn past_the_cap_the_roots_are_read_again() {
        let mut q = pending(3);
        let t = Instant::now();
        for i in 0..10 {
            q.record(Raw::Modified(p(&format!("/p/assets/f{i}"))), t);
        }
        let changes = cut_all(&mut q, t);
        assert!(changes.contains(&Change::Disk(p("/p/assets"))), "{changes:?}");
        assert!(changes.len() <= 4, "{changes:?}");
    }
}
