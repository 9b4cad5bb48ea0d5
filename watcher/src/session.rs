//! The watcher thread: folder watches, the polling fallback, and the loop
//! that turns kernel events into facts for the coalescing window.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use crate::kernel::{AddError, Kernel, KernelEvent, Kind};
use crate::pending::{Pending, Raw};
use crate::rules::IgnoreRules;
use crate::{Control, Notice, Stats, WatchEvent};

/// What a wait for the kernel ended with.
enum Read {
    /// Events (or none, at the timeout) were taken in.
    Events,
    /// [`crate::Watcher::settle`] woke the thread; events read before the
    /// wake were taken in.
    Woken,
    /// Watching has ended (the watcher was dropped, or the kernel failed,
    /// which is reported).
    End,
}

pub struct Dir {
    path: PathBuf,
    /// Watched for everything under it (an asset root or code folder), or
    /// only for the few names that matter at the project root.
    deep: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    is_dir: bool,
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

type Snapshot = BTreeMap<OsString, Stamp>;

pub struct Session {
    pub project_root: PathBuf,
    /// Asset roots and code folders: everything under them is watched.
    pub tracked: Vec<PathBuf>,
    pub kernel: Kernel,
    pub rules: IgnoreRules,
    pub pending: Pending,
    pub stats: Arc<Stats>,
    pub poll_interval: Duration,
    pub watch_budget: Option<usize>,
    dirs: HashMap<i32, Dir>,
    by_path: BTreeMap<PathBuf, i32>,
    polled: BTreeMap<PathBuf, Snapshot>,
    missing: BTreeSet<PathBuf>,
    cookies: HashMap<u32, (PathBuf, bool, bool)>,
    notices: Vec<Notice>,
    limit_reported: bool,
    control: Arc<Control>,
    /// Settle requests taken in, answered once nothing is held back.
    settling: Vec<std::sync::mpsc::Sender<()>>,
    next_poll: Instant,
}

impl Session {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        project_root: PathBuf,
        tracked: Vec<PathBuf>,
        kernel: Kernel,
        rules: IgnoreRules,
        pending: Pending,
        stats: Arc<Stats>,
        poll_interval: Duration,
        watch_budget: Option<usize>,
        control: Arc<Control>,
    ) -> Session {
        Session {
            project_root,
            tracked,
            kernel,
            rules,
            pending,
            stats,
            poll_interval,
            watch_budget,
            dirs: HashMap::new(),
            by_path: BTreeMap::new(),
            polled: BTreeMap::new(),
            missing: BTreeSet::new(),
            cookies: HashMap::new(),
            notices: Vec::new(),
            limit_reported: false,
            control,
            settling: Vec::new(),
            next_poll: Instant::now() + poll_interval,
        }
    }

    /// Sets up every watch. With `walked`, the folders the engine's own scan
    /// visited are watched as they are (no second walk); otherwise the tracked
    /// folders are walked here.
    pub fn set_up(&mut self, walked: Option<Vec<PathBuf>>, scanned_at: Option<SystemTime>) {
        if !self.tracked.contains(&self.project_root) {
            // assetry.toml, the top .gitignore, and roots created later.
            let root = self.project_root.clone();
            self.watch(&root, false);
        }
        let tracked = self.tracked.clone();
        for root in &tracked {
            if !root.is_dir() {
                self.missing.insert(root.clone());
            }
        }
        match walked {
            Some(dirs) => {
                for dir in &dirs {
                    if tracked.iter().any(|t| dir.starts_with(t)) {
                        self.watch(dir, true);
                    }
                }
                if let Some(scanned_at) = scanned_at {
                    for dir in dirs {
                        let changed = std::fs::metadata(&dir).and_then(|m| m.modified()).is_ok_and(|t| t >= scanned_at);
                        if changed {
                            self.record(Raw::Rescan(dir));
                        }
                    }
                }
                // A tracked folder the engine did not list (it was created
                // after the scan, or the engine skipped it) is walked here.
                for root in &tracked {
                    if !self.missing.contains(root) && !self.is_watched_or_polled(root) {
                        self.add_tree(root, false);
                    }
                }
            }
            None => {
                for root in &tracked {
                    if !self.missing.contains(root) {
                        self.add_tree(root, false);
                    }
                }
            }
        }
        // A missing code folder is normal (a project without game code);
        // a missing asset root is worth a word.
        for root in self.missing.clone() {
            if self.pending.is_asset_root(&root) {
                self.notices.push(Notice::RootMissing(root));
            }
        }
    }

    fn is_watched_or_polled(&self, dir: &Path) -> bool {
        self.by_path.contains_key(dir) || self.polled.contains_key(dir)
    }

    /// Watches one folder, or polls it when no watch can be had.
    fn watch(&mut self, dir: &Path, deep: bool) {
        if self.by_path.contains_key(dir) {
            return;
        }
        let over_budget = self.watch_budget.is_some_and(|b| self.dirs.len() >= b);
        let result = if over_budget { Err(AddError::Limit) } else { self.kernel.add(dir, deep) };
        match result {
            // The same folder reached again through a symlink: inotify
            // returns its existing watch, which keeps reporting under the
            // first path it was watched by.
            Ok(id) if self.dirs.contains_key(&id) => {}
            Ok(id) => {
                self.dirs.insert(id, Dir { path: dir.to_path_buf(), deep });
                self.by_path.insert(dir.to_path_buf(), id);
                self.stats.watched_dirs.store(self.dirs.len(), Ordering::Relaxed);
            }
            Err(AddError::Limit) => {
                if !self.limit_reported {
                    self.limit_reported = true;
                    self.notices.push(Notice::WatchLimit {
                        first_polled: dir.to_path_buf(),
                        native: self.kernel.notifies(),
                        poll_interval: self.poll_interval,
                    });
                }
                if deep && let Ok(snapshot) = snapshot(dir) {
                    self.polled.insert(dir.to_path_buf(), snapshot);
                    self.stats.polled_dirs.store(self.polled.len(), Ordering::Relaxed);
                }
            }
            // Vanished between listing and watching: its parent reports it.
            Err(AddError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(AddError::Io(e)) => {
                self.notices.push(Notice::WatchFailed { dir: dir.to_path_buf(), error: e.to_string() })
            }
        }
    }

    /// Watches `dir` and every folder under it that is not ignored. The watch
    /// is set before the folder is listed, so a file created meanwhile is
    /// seen twice rather than never. With `report`, every file found is a
    /// new file for the engine (a folder created or moved in).
    fn add_tree(&mut self, dir: &Path, report: bool) {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            self.watch(&d, true);
            let Ok(entries) = std::fs::read_dir(&d) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                // `file_type` does not follow symlinks: a link to a folder is
                // reported as a file and never walked (no loops).
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                if self.rules.is_ignored(&path, is_dir) {
                    continue;
                }
                if is_dir {
                    stack.push(path);
                } else if report {
                    self.pending.record(Raw::Created(path), Instant::now());
                }
            }
        }
    }

    /// Drops the watches (and polling) of `dir` and everything under it.
    fn drop_tree(&mut self, dir: &Path, unwatch: bool) {
        let ids: Vec<(PathBuf, i32)> = subtree(&self.by_path, dir).map(|(p, id)| (p.clone(), *id)).collect();
        for (path, id) in ids {
            self.by_path.remove(&path);
            self.dirs.remove(&id);
            if unwatch {
                self.kernel.remove(id);
            } else {
                // The kernel dropped it with the folder.
                self.kernel.forget(id);
            }
        }
        let polled: Vec<PathBuf> = subtree(&self.polled, dir).map(|(p, _)| p.clone()).collect();
        for p in polled {
            self.polled.remove(&p);
        }
        self.rules.invalidate_tree(dir);
        self.stats.watched_dirs.store(self.dirs.len(), Ordering::Relaxed);
        self.stats.polled_dirs.store(self.polled.len(), Ordering::Relaxed);
    }

    /// A watched folder moved within the tree: its watches keep working, only
    /// the paths they stand for change.
    fn rename_tree(&mut self, from: &Path, to: &Path) {
        self.kernel.renamed(from, to);
        let ids: Vec<(PathBuf, i32)> = subtree(&self.by_path, from).map(|(p, id)| (p.clone(), *id)).collect();
        for (path, id) in ids {
            self.by_path.remove(&path);
            if let Ok(rest) = path.strip_prefix(from) {
                let new = to.join(rest);
                if let Some(d) = self.dirs.get_mut(&id) {
                    d.path = new.clone();
                }
                self.by_path.insert(new, id);
            }
        }
        let polled: Vec<PathBuf> = subtree(&self.polled, from).map(|(p, _)| p.clone()).collect();
        for path in polled {
            if let (Some(snap), Ok(rest)) = (self.polled.remove(&path), path.strip_prefix(from)) {
                self.polled.insert(to.join(rest), snap);
            }
        }
        self.rules.invalidate_tree(from);
    }

    pub fn run(mut self, mut on_event: Box<dyn FnMut(WatchEvent) + Send>) {
        let mut events = Vec::new();
        self.next_poll = Instant::now() + self.poll_interval;
        self.deliver(&mut on_event);
        loop {
            let now = Instant::now();
            let mut timeout = Duration::from_secs(3600);
            if !self.polled.is_empty() || !self.missing.is_empty() {
                timeout = timeout.min(self.next_poll.saturating_duration_since(now));
            }
            if let Some(deadline) = self.pending.deadline() {
                timeout = timeout.min(deadline.saturating_duration_since(now));
            }
            events.clear();
            if !self.take_in(timeout, &mut events, &mut on_event) {
                return;
            }
            let cut_due = self.pending.deadline().is_some_and(|d| d <= Instant::now());
            if cut_due || !self.cookies.is_empty() {
                // Read what the kernel queued up to now before cutting, so an
                // asset written just before its `.meta` is not cut from it,
                // and before calling a lone `MOVED_FROM` a move out of the
                // tree (its `MOVED_TO` is queued right after it).
                if !self.take_in(Duration::ZERO, &mut events, &mut on_event) {
                    return;
                }
            }
            self.settle_moves();
            if Instant::now() >= self.next_poll {
                self.poll();
                self.next_poll = Instant::now() + self.poll_interval;
            }
            self.deliver(&mut on_event);
        }
    }

    /// Waits up to `timeout` for kernel events and takes them in, and any
    /// settle request with what it needs taken in; `false` when watching
    /// has ended.
    fn take_in(
        &mut self,
        mut timeout: Duration,
        events: &mut Vec<KernelEvent>,
        on_event: &mut Box<dyn FnMut(WatchEvent) + Send>,
    ) -> bool {
        loop {
            match self.read_kernel(timeout, events, on_event) {
                Read::End => return false,
                Read::Events => return true,
                Read::Woken => {
                    // Every change made before the request is in the
                    // kernel's queue already (read next, without waiting)
                    // or, in a polled folder, seen by listing it now.
                    self.settling.extend(self.control.take_settle_requests());
                    if !self.polled.is_empty() || !self.missing.is_empty() {
                        self.poll();
                        self.next_poll = Instant::now() + self.poll_interval;
                    }
                    timeout = Duration::ZERO;
                }
            }
        }
    }

    fn read_kernel(
        &mut self,
        timeout: Duration,
        events: &mut Vec<KernelEvent>,
        on_event: &mut Box<dyn FnMut(WatchEvent) + Send>,
    ) -> Read {
        let woken = match self.kernel.wait(timeout, events) {
            Ok(keep_going) => !keep_going,
            Err(e) => {
                on_event(WatchEvent::Notice(Notice::Stopped { error: e.to_string() }));
                return Read::End;
            }
        };
        if woken && self.control.stopping() {
            return Read::End;
        }
        self.stats.events.fetch_add(events.len() as u64, Ordering::Relaxed);
        for event in events.drain(..) {
            self.handle(event);
        }
        if woken { Read::Woken } else { Read::Events }
    }

    fn deliver(&mut self, on_event: &mut Box<dyn FnMut(WatchEvent) + Send>) {
        for notice in self.notices.drain(..) {
            on_event(WatchEvent::Notice(notice));
        }
        if let Some(batch) = self.pending.cut(Instant::now()) {
            self.stats.batches.fetch_add(1, Ordering::Relaxed);
            self.stats.changes.fetch_add(batch.len() as u64, Ordering::Relaxed);
            on_event(WatchEvent::Changes(batch));
        }
        if !self.settling.is_empty() && self.pending.deadline().is_none() && self.cookies.is_empty() {
            for settled in self.settling.drain(..) {
                // Nobody waits for this answer any more: nothing to do.
                let _ = settled.send(());
            }
        }
    }

    fn record(&mut self, raw: Raw) {
        self.pending.record(raw, Instant::now());
    }

    fn handle(&mut self, event: KernelEvent) {
        if event.kind == Kind::Overflow {
            self.overflow();
            return;
        }
        let Some(dir) = self.dirs.get(&event.watch) else { return };
        let (dir_path, deep) = (dir.path.clone(), dir.deep);
        match event.kind {
            Kind::Ignored => {
                self.dirs.remove(&event.watch);
                if self.by_path.get(&dir_path) == Some(&event.watch) {
                    self.by_path.remove(&dir_path);
                }
                self.kernel.forget(event.watch);
                self.stats.watched_dirs.store(self.dirs.len(), Ordering::Relaxed);
                return;
            }
            Kind::SelfDeleted | Kind::SelfMoved => {
                if self.tracked.contains(&dir_path) {
                    self.root_gone(&dir_path);
                }
                return;
            }
            _ => {}
        }
        let Some(name) = event.name else { return };
        let path = dir_path.join(&name);
        if !deep {
            self.handle_top(&name, path, event.kind, event.is_dir);
            return;
        }
        if IgnoreRules::is_ignore_file(&name) && !event.is_dir {
            // Different files may now be ignored: re-read the folder whole.
            self.rules.invalidate(&dir_path);
            self.add_tree(&dir_path, false);
            self.record(Raw::Rescan(dir_path));
            return;
        }
        let ignored = self.rules.is_ignored(&path, event.is_dir);
        match event.kind {
            Kind::Created if !ignored => {
                if event.is_dir {
                    self.add_tree(&path, true);
                } else {
                    self.record(Raw::Created(path));
                }
            }
            Kind::Modified if !ignored && !event.is_dir => self.record(Raw::Modified(path)),
            Kind::Deleted if !ignored => {
                if event.is_dir {
                    self.drop_tree(&path, false);
                }
                self.record(Raw::Removed(path));
            }
            Kind::MovedFrom => {
                self.cookies.insert(event.cookie, (path, event.is_dir, ignored));
            }
            Kind::MovedTo => self.moved_to(path, event.cookie, event.is_dir, ignored),
            _ => {}
        }
    }

    fn moved_to(&mut self, to: PathBuf, cookie: u32, is_dir: bool, ignored: bool) {
        match (self.cookies.remove(&cookie), ignored) {
            (Some((from, _, false)), false) => {
                if is_dir {
                    self.rename_tree(&from, &to);
                    // Ignore rules may differ at the new place; new folders
                    // there are picked up, the engine re-walks it anyway.
                    self.add_tree(&to, false);
                }
                self.record(Raw::Moved { from, to });
            }
            (Some((from, _, false)), true) => {
                if is_dir {
                    self.drop_tree(&from, true);
                }
                self.record(Raw::Removed(from));
            }
            (Some((_, _, true)), true) => {}
            // Moved in from an ignored name or from outside the tree.
            (_, false) => {
                if is_dir {
                    self.add_tree(&to, true);
                } else {
                    self.record(Raw::Created(to));
                }
            }
            (None, true) => {}
        }
    }

    /// A `MOVED_FROM` whose `MOVED_TO` did not follow in the same read: the
    /// kernel queues both halves of a rename together, so this is a move out
    /// of the watched tree.
    fn settle_moves(&mut self) {
        for (_, (from, is_dir, ignored)) in std::mem::take(&mut self.cookies) {
            if is_dir {
                self.drop_tree(&from, true);
            }
            if !ignored {
                self.record(Raw::Removed(from));
            }
        }
    }

    /// Events at the project root itself (not an asset root).
    fn handle_top(&mut self, name: &std::ffi::OsStr, path: PathBuf, kind: Kind, is_dir: bool) {
        if name == "assetry.toml" {
            match kind {
                Kind::Created | Kind::Modified | Kind::MovedTo => self.record(Raw::Modified(path)),
                Kind::Deleted | Kind::MovedFrom => self.record(Raw::Removed(path)),
                _ => {}
            }
        } else if IgnoreRules::is_ignore_file(name) && !is_dir {
            self.rules.invalidate(&self.project_root.clone());
            for root in self.tracked.clone() {
                if self.is_watched_or_polled(&root) {
                    self.add_tree(&root, false);
                    self.record(Raw::Rescan(root));
                }
            }
        } else if is_dir && matches!(kind, Kind::Created | Kind::MovedTo) {
            self.check_missing();
        } else if is_dir && kind == Kind::MovedFrom && self.tracked.contains(&path) {
            // A root renamed away: its own watch reports `SelfMoved` too.
            self.root_gone(&path);
        }
    }

    fn root_gone(&mut self, root: &Path) {
        if self.missing.contains(root) {
            return;
        }
        self.drop_tree(root, true);
        self.missing.insert(root.to_path_buf());
        self.record(Raw::Removed(root.to_path_buf()));
        self.notices.push(Notice::RootMissing(root.to_path_buf()));
    }

    fn check_missing(&mut self) {
        for root in self.missing.clone() {
            if root.is_dir() {
                self.missing.remove(&root);
                self.add_tree(&root, true);
                self.notices.push(Notice::RootRestored(root));
            }
        }
    }

    /// Events were lost: re-walk for new folders and have the engine re-read
    /// every tracked folder.
    fn overflow(&mut self) {
        self.stats.overflows.fetch_add(1, Ordering::Relaxed);
        self.notices.push(Notice::Overflow);
        self.cookies.clear();
        for root in self.tracked.clone() {
            if !self.missing.contains(&root) {
                self.add_tree(&root, false);
                self.record(Raw::Rescan(root));
            }
        }
    }

    /// One polling round over the folders that could not be watched.
    fn poll(&mut self) {
        self.check_missing();
        let dirs: Vec<PathBuf> = self.polled.keys().cloned().collect();
        for dir in dirs {
            let Some(old) = self.polled.get(&dir) else { continue };
            let new = match snapshot(&dir) {
                Ok(new) => new,
                Err(_) => {
                    // Gone: whoever lists its parent reports the removal.
                    self.polled.remove(&dir);
                    continue;
                }
            };
            let mut facts = Vec::new();
            for (name, stamp) in &new {
                match old.get(name) {
                    None => facts.push((name.clone(), *stamp, Kind::Created)),
                    Some(before) if before != stamp && !stamp.is_dir => {
                        let kind =
                            if before.inode != stamp.inode || before.is_dir { Kind::Created } else { Kind::Modified };
                        facts.push((name.clone(), *stamp, kind));
                    }
                    _ => {}
                }
            }
            for (name, stamp) in old {
                if !new.contains_key(name) {
                    facts.push((name.clone(), *stamp, Kind::Deleted));
                }
            }
            self.polled.insert(dir.clone(), new);
            for (name, stamp, kind) in facts {
                let path = dir.join(&name);
                if IgnoreRules::is_ignore_file(&name) {
                    self.rules.invalidate(&dir);
                }
                if self.rules.is_ignored(&path, stamp.is_dir) {
                    continue;
                }
                match (kind, stamp.is_dir) {
                    (Kind::Created, true) => self.add_tree(&path, true),
                    (Kind::Created, false) => self.record(Raw::Created(path)),
                    (Kind::Modified, _) => self.record(Raw::Modified(path)),
                    (_, is_dir) => {
                        if is_dir {
                            self.drop_tree(&path, true);
                        }
                        self.record(Raw::Removed(path));
                    }
                }
            }
        }
        self.stats.polled_dirs.store(self.polled.len(), Ordering::Relaxed);
    }
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

fn snapshot(dir: &Path) -> std::io::Result<Snapshot> {
    let mut out = Snapshot::new();
    for entry in std::fs::read_dir(dir)?.flatten() {
        // Vanished between listing and stat: the next round sees it gone.
        let Ok(meta) = entry.metadata() else { continue };
        out.insert(
            entry.file_name(),
            Stamp { is_dir: meta.is_dir(), len: meta.len(), modified: meta.modified().ok(), inode: inode(&meta) },
        );
    }
    Ok(out)
}

fn subtree<'a, V>(map: &'a BTreeMap<PathBuf, V>, dir: &'a Path) -> impl Iterator<Item = (&'a PathBuf, &'a V)> + 'a {
    map.range(dir.to_path_buf()..).take_while(move |(p, _)| p.starts_with(dir))
}
