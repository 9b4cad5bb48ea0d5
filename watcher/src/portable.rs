//! The `notify` crate as a backend, for platforms without the inotify one
//! (FSEvents on macOS, ReadDirectoryChangesW on Windows), and no backend at
//! all for [`crate::Backend::Poll`].
//!
//! `notify` reports paths, and watches whole trees best (one FSEvents stream
//! per root); the session thinks in folders with watch ids. So each tracked
//! root gets one recursive OS watch, every folder under it gets an id of its
//! own without any OS call, and each event is mapped back to the id of its
//! parent folder. Renames come paired (Linux, by tracker), in two halves
//! (Windows) or as bare "something was renamed" (macOS), which is settled by
//! looking at the disk.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::event::{EventKind, ModifyKind, RenameMode};
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::kernel::{AddError, KernelEvent, Kind};

/// How long the second half of a rename is waited for.
const RENAME_HALF_WAIT: Duration = Duration::from_millis(5);

enum Message {
    Event(notify::Result<notify::Event>),
    Wake,
}

pub struct Kernel {
    /// `None` for the polling backend.
    watcher: Option<RecommendedWatcher>,
    rx: mpsc::Receiver<Message>,
    tx: mpsc::Sender<Message>,
    ids: HashMap<PathBuf, i32>,
    paths: HashMap<i32, PathBuf>,
    /// Ids that own an OS watch, and whether it is recursive.
    os_watches: HashMap<i32, bool>,
    next_id: i32,
    next_cookie: u32,
    /// The first half of a rename reported in two events without a tracker.
    pending_from: Option<u32>,
}

#[derive(Clone)]
pub struct Waker(mpsc::Sender<Message>);

impl Waker {
    pub fn wake(&self) {
        // The thread already ended: nothing to wake.
        let _ = self.0.send(Message::Wake);
    }
}

impl Kernel {
    pub fn new(notify: bool) -> io::Result<Kernel> {
        let (tx, rx) = mpsc::channel();
        let watcher = if notify {
            let events = tx.clone();
            let watcher = notify::recommended_watcher(move |res| {
                let _ = events.send(Message::Event(res));
            })
            .map_err(to_io)?;
            Some(watcher)
        } else {
            None
        };
        Ok(Kernel {
            watcher,
            rx,
            tx,
            ids: HashMap::new(),
            paths: HashMap::new(),
            os_watches: HashMap::new(),
            next_id: 1,
            next_cookie: 1 << 31,
            pending_from: None,
        })
    }

    pub fn notifies(&self) -> bool {
        self.watcher.is_some()
    }

    pub fn waker(&self) -> Waker {
        Waker(self.tx.clone())
    }

    pub fn add(&mut self, dir: &Path, recursive: bool) -> Result<i32, AddError> {
        if self.watcher.is_none() {
            return Err(AddError::Limit);
        }
        if let Some(id) = self.ids.get(dir) {
            return Ok(*id);
        }
        let covered = self.under_recursive(dir);
        if !covered && let Some(watcher) = self.watcher.as_mut() {
            if !dir.is_dir() {
                return Err(AddError::Io(io::Error::new(io::ErrorKind::NotFound, "no such folder")));
            }
            let mode = if recursive { RecursiveMode::Recursive } else { RecursiveMode::NonRecursive };
            watcher.watch(dir, mode).map_err(|e| match e.kind {
                notify::ErrorKind::MaxFilesWatch => AddError::Limit,
                _ => AddError::Io(to_io(e)),
            })?;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.ids.insert(dir.to_path_buf(), id);
        self.paths.insert(id, dir.to_path_buf());
        if !covered {
            self.os_watches.insert(id, recursive);
        }
        Ok(id)
    }

    /// Whether a recursive OS watch covers `dir` (its root may not have an
    /// id of its own any more after a rename).
    fn under_recursive(&self, dir: &Path) -> bool {
        self.os_watches
            .iter()
            .any(|(id, recursive)| *recursive && self.paths.get(id).is_some_and(|p| dir.starts_with(p) && dir != p))
    }

    pub fn remove(&mut self, watch: i32) {
        if let Some(path) = self.paths.remove(&watch) {
            self.ids.remove(&path);
            if self.os_watches.remove(&watch).is_some()
                && let Some(watcher) = self.watcher.as_mut()
            {
                // Gone already (the folder was deleted): nothing to undo.
                let _ = watcher.unwatch(&path);
            }
        }
    }

    pub fn forget(&mut self, watch: i32) {
        self.remove(watch);
    }

    pub fn renamed(&mut self, from: &Path, to: &Path) {
        let moved: Vec<(PathBuf, i32)> =
            self.ids.iter().filter(|(p, _)| p.starts_with(from)).map(|(p, id)| (p.clone(), *id)).collect();
        for (path, id) in moved {
            if let Ok(rest) = path.strip_prefix(from) {
                let new = to.join(rest);
                self.ids.remove(&path);
                self.ids.insert(new.clone(), id);
                self.paths.insert(id, new);
            }
        }
    }

    pub fn wait(&mut self, timeout: Duration, out: &mut Vec<KernelEvent>) -> io::Result<bool> {
        let first = match self.rx.recv_timeout(timeout) {
            Ok(m) => m,
            Err(mpsc::RecvTimeoutError::Timeout) => return Ok(true),
            // The sender lives in `self`: cannot happen, but stopping is safe.
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(false),
        };
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Wake => return Ok(false),
                Message::Event(Ok(event)) => self.translate(event, out),
                // An error from the OS backend: whatever it lost is recovered
                // by re-reading, as after an inotify overflow.
                Message::Event(Err(_)) => out.push(self.overflow()),
            }
            next = self.rx.try_recv().ok();
            if next.is_none() && self.awaits_rename_half(out) {
                // notify sends the halves of a rename as separate messages
                // from its own thread: give the second one a moment, or the
                // session calls the first a move out of the tree.
                next = self.rx.recv_timeout(RENAME_HALF_WAIT).ok();
            }
        }
        Ok(true)
    }

    /// Whether `out` ends with a `MovedFrom` whose `MovedTo` has not come.
    fn awaits_rename_half(&self, out: &[KernelEvent]) -> bool {
        out.iter().rev().find(|e| matches!(e.kind, Kind::MovedFrom | Kind::MovedTo)).is_some_and(|e| {
            e.kind == Kind::MovedFrom && !out.iter().any(|t| t.kind == Kind::MovedTo && t.cookie == e.cookie)
        })
    }

    fn overflow(&self) -> KernelEvent {
        KernelEvent { watch: -1, kind: Kind::Overflow, name: None, is_dir: false, cookie: 0 }
    }

    fn cookie(&mut self) -> u32 {
        self.next_cookie = self.next_cookie.wrapping_add(1).max(1 << 31);
        self.next_cookie
    }

    /// The event for `path` as seen from its parent folder's watch.
    fn at(&self, path: &Path, kind: Kind, cookie: u32) -> Option<KernelEvent> {
        let parent = path.parent()?;
        let watch = *self.ids.get(parent)?;
        let name: OsString = path.file_name()?.to_owned();
        // A removed path cannot be stat'ed: it was a folder if it had an id.
        let is_dir = self.ids.contains_key(path) || path.is_dir();
        Some(KernelEvent { watch, kind, name: Some(name), is_dir, cookie })
    }

    fn push_self(&self, path: &Path, kind: Kind, out: &mut Vec<KernelEvent>) {
        if let Some(watch) = self.ids.get(path) {
            out.push(KernelEvent { watch: *watch, kind, name: None, is_dir: true, cookie: 0 });
        }
    }

    fn translate(&mut self, event: notify::Event, out: &mut Vec<KernelEvent>) {
        if event.need_rescan() {
            out.push(self.overflow());
            return;
        }
        let tracker = event.tracker().and_then(|t| u32::try_from(t).ok());
        match event.kind {
            EventKind::Access(_) => {}
            EventKind::Create(_) => {
                for p in &event.paths {
                    out.extend(self.at(p, Kind::Created, 0));
                }
            }
            EventKind::Remove(_) => {
                for p in &event.paths {
                    out.extend(self.at(p, Kind::Deleted, 0));
                    self.push_self(p, Kind::SelfDeleted, out);
                }
            }
            // Linux reports both halves with a tracker, then `Both`: the
            // halves are enough.
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)) if tracker.is_some() => {}
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
                if let [from, to] = event.paths.as_slice() {
                    let cookie = self.cookie();
                    out.extend(self.at(from, Kind::MovedFrom, cookie));
                    out.extend(self.at(to, Kind::MovedTo, cookie));
                }
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::From)) => {
                let cookie = match tracker {
                    Some(t) => t,
                    None => {
                        let c = self.cookie();
                        self.pending_from = Some(c);
                        c
                    }
                };
                for p in &event.paths {
                    out.extend(self.at(p, Kind::MovedFrom, cookie));
                }
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::To)) => {
                let cookie = match tracker {
                    Some(t) => t,
                    None => match self.pending_from.take() {
                        Some(c) => c,
                        None => self.cookie(),
                    },
                };
                for p in &event.paths {
                    out.extend(self.at(p, Kind::MovedTo, cookie));
                }
            }
            // A rename without direction (macOS): the disk says which half.
            EventKind::Modify(ModifyKind::Name(_)) => {
                for p in &event.paths {
                    let cookie = self.cookie();
                    let kind = if p.exists() { Kind::MovedTo } else { Kind::MovedFrom };
                    out.extend(self.at(p, kind, cookie));
                    if kind == Kind::MovedFrom {
                        self.push_self(p, Kind::SelfMoved, out);
                    }
                }
            }
            EventKind::Modify(_) | EventKind::Any | EventKind::Other => {
                for p in &event.paths {
                    if p.exists() {
                        out.extend(self.at(p, Kind::Modified, 0));
                    } else {
                        out.extend(self.at(p, Kind::Deleted, 0));
                        self.push_self(p, Kind::SelfDeleted, out);
                    }
                }
            }
        }
    }
}

fn to_io(e: notify::Error) -> io::Error {
    match e.kind {
        notify::ErrorKind::Io(io) => io,
        notify::ErrorKind::PathNotFound => io::Error::new(io::ErrorKind::NotFound, "no such folder"),
        other => io::Error::other(format!("{other:?}")),
    }
}
