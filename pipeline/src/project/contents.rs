//! Content fingerprints, for moves without ids (Bevy projects): an asset
//! deleted, and an asset created with the same bytes, is a move, whatever
//! the names (`git checkout` of a commit that renamed a file, `cp` then
//! `rm`, a file manager moving across devices).
//!
//! They exist only where moves matter, in `watch` and the server
//! ([`Project::recognise_moves_by_content`]); `check` never reads a binary
//! asset, and does not here either. A deleted file cannot be read any
//! more, so its fingerprint must be known before: one background thread
//! reads every asset once, bounded per file ([`fingerprint`]), into a table
//! of 8 bytes per file. A file a batch creates or rewrites is fingerprinted
//! when the batch is applied (it is compared right then).

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap as HashMap;

use super::{FileId, Project};

/// Files up to this size are hashed whole.
const WHOLE: u64 = 64 * 1024;
/// Beyond it: the size, and this much of the head and of the tail (a file
/// of any size costs at most 64 KiB read).
const EDGE: u64 = 32 * 1024;
/// Created assets remembered while no deletion matched them (a checkout
/// may delete after it creates, in a later batch).
const MAX_ARRIVALS: usize = 4096;
/// How many results the background pass stores at a time (one lock each).
const CHUNK: usize = 256;

/// What a content fingerprint says of a file: the first 8 bytes of BLAKE3
/// over the whole file up to [`WHOLE`], else over its size, head and tail.
/// `None` for an empty file (all empty files are alike: it tells nothing of
/// which asset it is), one that is not a regular file, or unreadable. Never
/// 0 or 1, which stand for "not known yet" and "read: none" in the table.
pub(crate) fn fingerprint(path: &Path) -> Option<u64> {
    let meta = std::fs::metadata(path).ok()?;
    // A pipe would block the reader; a folder has no content.
    if !meta.is_file() || meta.len() == 0 {
        return None;
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let mut file = options.open(path).ok()?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = Vec::new();
    let len = meta.len();
    if len <= WHOLE {
        // Whatever is there now (the file may have changed since the stat).
        file.by_ref().take(WHOLE).read_to_end(&mut buf).ok()?;
        hasher.update(&buf);
    } else {
        hasher.update(&len.to_le_bytes());
        file.by_ref().take(EDGE).read_to_end(&mut buf).ok()?;
        file.seek(SeekFrom::End(-(EDGE as i64))).ok()?;
        file.take(EDGE).read_to_end(&mut buf).ok()?;
        hasher.update(&buf);
    }
    let hash = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    Some(u64::from_le_bytes(first).max(2))
}

/// The background pass has fingerprinted every asset the project had when
/// it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentsReady {
    pub assets: usize,
    pub elapsed: Duration,
}

impl std::fmt::Display for ContentsReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "moves are recognised by content from now on ({} asset{} fingerprinted in {:.1} s)",
            self.assets,
            if self.assets == 1 { "" } else { "s" },
            self.elapsed.as_secs_f64()
        )
    }
}

/// The fingerprints of a project's assets, and the assets created lately.
pub(super) struct Contents {
    /// By file id: the content's fingerprint, 0 while unknown, 1 when read
    /// and there is none (an empty file). Shared with the background pass,
    /// which fills only slots still 0: a slot a batch set holds the file as
    /// it is now, newer than the pass's read.
    table: Arc<Mutex<Vec<u64>>>,
    /// Tells the background pass to stop (the project is dropped).
    stop: Arc<AtomicBool>,
    /// Assets created by batches that no seen move accounts for, oldest
    /// first (at most [`MAX_ARRIVALS`]): where a deleted asset with their
    /// content went.
    arrived: VecDeque<FileId>,
    /// The same by fingerprint as the file is now (1: no content yet).
    by_content: HashMap<u64, Vec<FileId>>,
}

impl Drop for Contents {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Contents {
    fn lock(&self) -> MutexGuard<'_, Vec<u64>> {
        // A panic elsewhere cannot leave a fingerprint half written.
        self.table.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The fingerprint of `id`, if known.
    pub(super) fn get(&self, id: FileId) -> Option<u64> {
        self.lock().get(id as usize).copied().filter(|&f| f > 1)
    }

    /// Reads `abs` now and records its fingerprint as `id`'s. Returns the
    /// fingerprints before and after; an asset created lately is found
    /// under its new content from now on (also one that had none yet: the
    /// watcher may report a file created before its bytes are written).
    pub(super) fn read(&mut self, id: FileId, abs: &Path) -> (Option<u64>, Option<u64>) {
        let found = fingerprint(abs);
        let now = found.unwrap_or(1);
        let before = {
            let mut table = self.lock();
            if table.len() <= id as usize {
                table.resize(id as usize + 1, 0);
            }
            std::mem::replace(&mut table[id as usize], now)
        };
        if before != now && self.unindex(before, id) {
            self.by_content.entry(now).or_default().push(id);
        }
        (Some(before).filter(|&f| f > 1), found)
    }

    /// An asset created by a batch, just read: indexed by its fingerprint,
    /// or under 1 while it has none (empty so far).
    pub(super) fn arrive(&mut self, id: FileId) {
        let now = self.lock().get(id as usize).copied().unwrap_or(0);
        self.arrived.push_back(id);
        self.by_content.entry(now).or_default().push(id);
        if self.arrived.len() > MAX_ARRIVALS
            && let Some(old) = self.arrived.pop_front()
        {
            let was = self.lock().get(old as usize).copied().unwrap_or(0);
            self.unindex(was, old);
        }
    }

    /// Takes `id` out of the assets created with content `f`; whether it was.
    fn unindex(&mut self, f: u64, id: FileId) -> bool {
        let Some(ids) = self.by_content.get_mut(&f) else { return false };
        let Some(i) = ids.iter().position(|x| *x == id) else { return false };
        ids.swap_remove(i);
        if ids.is_empty() {
            self.by_content.remove(&f);
        }
        true
    }

    /// The assets created lately with content `f` (some may be gone since).
    pub(super) fn created_with(&self, f: u64) -> &[FileId] {
        match f > 1 {
            true => self.by_content.get(&f).map_or(&[], Vec::as_slice),
            false => &[],
        }
    }
}

impl Project {
    /// Starts recognising moves of assets by their content (Bevy projects,
    /// which have no ids; nothing otherwise): a background thread
    /// fingerprints every asset, then calls `on_ready`. Until it has
    /// reached an asset, a deletion of that asset matches nothing by
    /// content. For long-lived users (`watch`, the server), after
    /// [`Project::prepare_for_changes`].
    pub fn recognise_moves_by_content(&mut self, on_ready: impl FnOnce(ContentsReady) + Send + 'static) {
        self.start_contents(Some(Box::new(on_ready)));
    }

    pub(super) fn start_contents(&mut self, on_ready: Option<Box<dyn FnOnce(ContentsReady) + Send>>) {
        if self.config.flavor != crate::flavor::Flavor::Bevy || self.contents.is_some() {
            return;
        }
        let assets: Vec<(FileId, Arc<str>)> = self
            .file_ids()
            .filter(|id| self.is_asset(*id))
            .filter_map(|id| Some((id, self.file(id)?.path.clone())))
            .collect();
        let table = Arc::new(Mutex::new(vec![0u64; self.files.len()]));
        let stop = Arc::new(AtomicBool::new(false));
        let (shared, stopping, root) = (table.clone(), stop.clone(), self.root.clone());
        // Without a thread (none could start), moves by content are
        // recognised only between files the batches read.
        let _ = std::thread::Builder::new()
            .name("assetry-contents".to_owned())
            .spawn(move || fingerprint_all(&root, assets, &shared, &stopping, on_ready));
        self.contents = Some(Contents { table, stop, arrived: VecDeque::new(), by_content: HashMap::default() });
    }
}

/// The background pass: every asset in `assets`, results stored `CHUNK` at
/// a time in the slots nobody set meanwhile.
fn fingerprint_all(
    root: &Path,
    assets: Vec<(FileId, Arc<str>)>,
    table: &Mutex<Vec<u64>>,
    stop: &AtomicBool,
    on_ready: Option<Box<dyn FnOnce(ContentsReady) + Send>>,
) {
    let started = Instant::now();
    let count = assets.len();
    let mut done: Vec<(FileId, u64)> = Vec::with_capacity(CHUNK);
    let store = |done: &mut Vec<(FileId, u64)>| {
        let mut t = table.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (id, f) in done.drain(..) {
            if let Some(slot) = t.get_mut(id as usize).filter(|s| **s == 0) {
                *slot = f;
            }
        }
    };
    for (id, rel) in assets {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let abs: PathBuf = root.join(&*rel);
        if let Some(f) = fingerprint(&abs) {
            done.push((id, f));
        }
        if done.len() == CHUNK {
            store(&mut done);
        }
    }
    store(&mut done);
    if let Some(on_ready) = on_ready {
        on_ready(ContentsReady { assets: count, elapsed: started.elapsed() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_contents_apart_within_their_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        let a = write("a.png", b"png one");
        let b = write("b.png", b"png one");
        let c = write("c.png", b"png two");
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
        assert_eq!(fingerprint(&write("empty.png", b"")), None);
        assert_eq!(fingerprint(&dir.path().join("missing.png")), None);
        assert_eq!(fingerprint(dir.path()), None);
        // Large files: size, head and tail; a change in the middle is not
        // seen (the bound on the cost), one at either end or in size is.
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut middle = big.clone();
        middle[100_000] ^= 1;
        let mut tail = big.clone();
        tail[199_999] ^= 1;
        let f = fingerprint(&write("big.bin", &big));
        assert_eq!(fingerprint(&write("middle.bin", &middle)), f);
        assert_ne!(fingerprint(&write("tail.bin", &tail)), f);
        assert_ne!(fingerprint(&write("longer.bin", &[&big[..], b"x"].concat())), f);
    }
}
