//! The no-op fast path of `assetry process`: when nothing the last clean
//! run saw has changed, answer without scanning the project.
//!
//! A run's result depends on the configuration and on the files of the
//! project (their names, and their contents, which a size + mtime + inode
//! stat stands for, as the records' own fast path already assumes). Before
//! a run reads anything, one walk stats every file under the roots and
//! code folders (`fstatat` against the folder's descriptor; nothing is
//! opened) and folds them into one digest, with the effective
//! configuration and the `Cargo.lock` files that name Bevy's shader
//! sources. After a run with no failure, the digest of the outputs
//! (artifacts and manifest) is recorded beside it. The next run that
//! computes the same two digests has nothing to do: its full plan would
//! find every record current. Any change to the records (a background
//! run's commit) forgets the snapshot.
//!
//! Racy stats: a file written within [`RACY`] of the walk could change again
//! without changing its stat (coarse file-system clocks), so such a run
//! records no snapshot; the next one does.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ignore::gitignore::Gitignore;

use super::store::Store;
use super::{ProcessError, out_dir, state_dir};
use crate::config::Config;
use crate::walk::{self, Found};

/// Files modified this close to the walk make its digest untrustworthy.
const RACY: Duration = Duration::from_secs(2);

/// What a walk saw: an order-independent digest of its files, how many,
/// and the newest modification time among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Digest {
    sum: [u64; 4],
    files: u64,
    newest_ns: i128,
}

impl Digest {
    const EMPTY: Digest = Digest { sum: [0; 4], files: 0, newest_ns: i128::MIN };

    fn add_bytes(&mut self, bytes: &[u8]) {
        let hash = blake3::hash(bytes);
        for (s, chunk) in self.sum.iter_mut().zip(hash.as_bytes().chunks_exact(8)) {
            *s = s.wrapping_add(u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
        }
        self.files += 1;
    }

    fn merge(&mut self, other: &Digest) {
        for (s, o) in self.sum.iter_mut().zip(other.sum) {
            *s = s.wrapping_add(o);
        }
        self.files += other.files;
        self.newest_ns = self.newest_ns.max(other.newest_ns);
    }

    fn encode(&self) -> String {
        format!("{:016x}{:016x}{:016x}{:016x}:{}", self.sum[0], self.sum[1], self.sum[2], self.sum[3], self.files)
    }
}

/// The digest of the project's inputs, taken before a run reads anything.
pub struct Inputs {
    digest: String,
    /// A file changed within [`RACY`] of the walk.
    racy: bool,
}

/// Stats every file of the project (roots and code folders, by the
/// walk's rules) and the inputs beside them.
pub fn inputs(root: &Path, config: &Config, profile: &str) -> Inputs {
    let started = now_ns();
    let dirs: Vec<_> = config.walk_folders().into_iter().map(|d| root.join(d)).filter(|d| d.is_dir()).collect();
    let extra = crate::rules::project_ignore(root, &config.ignore).unwrap_or_else(|_| Gitignore::empty());
    let (mut digest, problems) = walk_digest(root, &dirs, &extra);
    let mut context = format!("{}\0{profile}\0{config:?}\0{problems:?}", env!("CARGO_PKG_VERSION"));
    // Bevy's shader modules come from the crate versions a lock file names.
    for dir in root.ancestors().take(4) {
        if let Ok(m) = std::fs::metadata(dir.join("Cargo.lock")) {
            let stat = crate::process::store::Stat::of(&m);
            context.push_str(&format!("\0{}:{stat:?}", dir.display()));
            digest.newest_ns = digest.newest_ns.max(stat.mtime_ns);
        }
    }
    let mut all = Digest::EMPTY;
    all.add_bytes(context.as_bytes());
    all.merge(&digest);
    let racy = all.newest_ns >= started - RACY.as_nanos() as i128;
    Inputs { digest: all.encode(), racy }
}

/// The outputs of `profile` as they are on disk now.
fn outputs(root: &Path, profile: &str) -> String {
    let out = out_dir(root, profile);
    if !out.is_dir() {
        return "none".to_owned();
    }
    let (digest, problems) = walk_digest(&out, std::slice::from_ref(&out), &Gitignore::empty());
    format!("{}:{}", digest.encode(), problems.len())
}

/// How many assets the last clean run covered, when `inputs` and the
/// outputs are what it left: then there is nothing to do.
pub fn unchanged(root: &Path, profile: &str, inputs: &Inputs) -> Result<Option<usize>, ProcessError> {
    if inputs.racy {
        return Ok(None);
    }
    let state = state_dir(root);
    if !state.join("store.redb").is_file() {
        return Ok(None);
    }
    let Some(saved) = Store::open(&state)?.snapshot(profile)? else { return Ok(None) };
    let saved = String::from_utf8_lossy(&saved);
    let mut parts = saved.splitn(3, '\n');
    let (Some(count), Some(ins), Some(outs)) = (parts.next(), parts.next(), parts.next()) else { return Ok(None) };
    if ins != inputs.digest || outs != outputs(root, profile) {
        return Ok(None);
    }
    Ok(count.parse().ok())
}

/// Records, after a run that processed or skipped `assets` assets and
/// failed none, what it saw and what it left, in the run's `store` when
/// it is still open (one open of the store less), else in the project's.
pub fn record(
    root: &Path,
    store: Option<&Store>,
    profile: &str,
    inputs: &Inputs,
    assets: usize,
) -> Result<(), ProcessError> {
    if inputs.racy {
        return Ok(());
    }
    let value = format!("{assets}\n{}\n{}", inputs.digest, outputs(root, profile));
    match store {
        Some(store) => store.set_snapshot(profile, value.as_bytes()),
        None => Store::open(&state_dir(root))?.set_snapshot(profile, value.as_bytes()),
    }
}

/// One parallel walk of `dirs`: every file's relative path and stat folded
/// into a digest, plus the walk's problems (sorted), which change the
/// result of a run too.
fn walk_digest(root: &Path, dirs: &[std::path::PathBuf], extra: &Gitignore) -> (Digest, Vec<String>) {
    let total = Mutex::new(Digest::EMPTY);
    let report = walk::walk(root, dirs, extra, crate::scan::reader_threads(), || {
        let mut local = Local { digest: Digest::EMPTY, total: &total, line: Vec::new() };
        move |found: Found<'_>| local.add(&found)
    });
    let mut problems = report.errors;
    problems.extend(report.unreadable.into_iter().map(|(p, why)| format!("{p}: {why}")));
    problems.sort();
    (total.into_inner().unwrap_or_else(|p| p.into_inner()), problems)
}

/// A walk thread's part of the digest, added to the total when the thread ends.
struct Local<'a> {
    digest: Digest,
    total: &'a Mutex<Digest>,
    line: Vec<u8>,
}

impl Local<'_> {
    fn add(&mut self, found: &Found<'_>) {
        self.line.clear();
        self.line.extend_from_slice(found.rel.as_bytes());
        self.line.push(0);
        match found.folder.stat_file(found.name) {
            Ok(s) if found.regular => {
                self.line.extend_from_slice(format!("{}:{}:{}", s.size, s.mtime_ns, s.inode).as_bytes());
                self.digest.newest_ns = self.digest.newest_ns.max(s.mtime_ns);
            }
            Ok(_) => self.line.extend_from_slice(b"not a regular file"),
            Err(e) => self.line.extend_from_slice(e.to_string().as_bytes()),
        }
        self.digest.add_bytes(&self.line);
    }
}

impl Drop for Local<'_> {
    fn drop(&mut self) {
        self.total.lock().unwrap_or_else(|p| p.into_inner()).merge(&self.digest);
    }
}

fn now_ns() -> i128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i128)
}
