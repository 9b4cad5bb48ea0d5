//! Watching an Assetry project: file-system events in, [`ChangeBatch`]es out.
//!
//! The engine (`assetry-pipeline`) holds the ground state and changes only
//! through [`ChangeBatch`]es; this crate is what keeps it in step with the
//! disk when files change outside the editor: an artist exporting textures,
//! `git checkout` of another branch, a file manager move. Its values:
//!
//! - **Prompt**: a write is reported one quiet `window` after it (10 ms by
//!   default, [`WatchOptions::window`]); nothing else waits on a timer.
//! - **Whole**: an asset and its `.meta` arrive in the same batch, and a move
//!   is reported as a move, whether it came as a rename or as a delete plus a
//!   create carrying the same UUID.
//! - **Quiet**: watches cover only what the engine scans (asset roots, code
//!   folders, `assetry.toml`), never ignored folders, and never file opens or
//!   reads, so the engine reading the whole project produces no events (on
//!   Linux; FSEvents and ReadDirectoryChangesW do not report reads either).
//! - **Bounded**: a storm of any size is folded into few batches with memory
//!   per distinct path, capped; past the cap, or when the kernel drops events,
//!   the affected roots are re-read whole.
//! - **Degrading, never failing silently**: past the OS watch limit the rest
//!   is polled, and the user is told how to raise the limit; a root that is
//!   deleted and re-created is watched again.
//!
//! # Use
//!
//! With an opened project (what `assetry watch` and `assetry lsp` do):
//!
//! ```no_run
//! use assetry_pipeline::Project;
//! use assetry_watcher::{WatchEvent, WatchOptions, Watcher};
//!
//! let scanned_at = std::time::SystemTime::now();
//! let mut project = Project::open("/path/to/my-game".as_ref())?;
//! let (watcher, events) = Watcher::channel(WatchOptions::for_project(&project, Some(scanned_at)))?;
//! for event in events {
//!     match event {
//!         WatchEvent::Changes(batch) => {
//!             let changed = project.apply(batch);
//!             // publish `changed`: the files whose diagnostics changed
//!         }
//!         WatchEvent::Notice(notice) => eprintln!("{notice}"),
//!     }
//! }
//! drop(watcher); // stops the thread
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Watcher::start`] takes a callback instead of returning a channel; it runs
//! on the watcher's own thread and should only hand the event on (an
//! unbounded `tokio::sync::mpsc` send from a language server, for instance).
//! All watches are in place when `start` returns: anything that changes
//! afterwards is reported. A re-read folder (`Change::Disk` of a folder,
//! after a queue overflow or an ignore-file edit) is complete on the engine's
//! side: what the folder no longer holds is removed.
//!
//! # Folders already walked
//!
//! [`WatchOptions::for_project`] passes the folders the engine's scan visited
//! ([`WatchOptions::walked_dirs`]): the watcher adds one watch per folder
//! without walking again (one `inotify_add_watch` each, no `stat` of any
//! file). With `scanned_at` (when the scan started), every such folder whose
//! entries changed since is re-read, so a file created, removed or renamed
//! during the scan is not missed; a file whose content changed in place
//! during the scan, after the engine read it, is. Leave `walked_dirs` empty
//! to have the watcher walk (and watch) the tracked folders itself.
//!
//! # What a batch contains
//!
//! Absolute paths, in this order: [`Change::Removed`] (a folder covers what is
//! under it), [`Change::Moved`] in the order they happened, then
//! [`Change::Disk`] for files to re-read. A re-read of a whole root
//! (`Change::Disk(root)`) follows a kernel queue overflow, a change to an
//! ignore file, or a storm past [`WatchOptions::max_pending`] paths. Paths
//! under `.git/`, `.assetry/`, `target/`, or ignored by `.gitignore`,
//! `.ignore` or `project.ignore` never appear.
//!
//! Changes to `assetry.toml` arrive as `Disk`/`Removed` of that file; when the
//! roots, code folders or ignore globs change, start a new watcher with the
//! new configuration.
//!
//! # Platforms
//!
//! Linux uses inotify directly. Other platforms use the `notify` crate, one
//! recursive watch per root (FSEvents on macOS, ReadDirectoryChangesW on
//! Windows); that backend is exercised on Linux by the tests
//! ([`Backend::Notify`]), not on those systems. [`Backend::Poll`] lists every
//! folder at [`WatchOptions::poll_interval`] instead, for network file
//! systems where no notification arrives.

mod kernel;
mod meta_id;
mod pending;
mod portable;
mod project;
mod rules;
mod session;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

pub use assetry_pipeline::{Change, ChangeBatch};
pub use kernel::Backend;
pub use rules::ALWAYS_IGNORED;

use kernel::{Kernel, Waker};
use pending::{Pending, Timing};
use rules::IgnoreRules;
use session::Session;

/// What to watch and how. Paths are absolute; [`WatchOptions::new`] and
/// [`WatchOptions::from_config`] resolve them against the project root.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub project_root: PathBuf,
    /// Asset roots (`project.roots`): watched recursively, with `.meta` pairing.
    pub asset_roots: Vec<PathBuf>,
    /// Code folders (`project.code`): watched recursively.
    pub code_dirs: Vec<PathBuf>,
    /// `project.ignore` globs (gitignore syntax, relative to the project root).
    pub ignore: Vec<String>,
    /// The coalescing window: a batch is cut once no event arrived for this
    /// long. Default 10 ms.
    pub window: Duration,
    /// The longest a batch stays open while events keep coming (a long
    /// storm still produces a batch this often). Default 250 ms.
    pub max_delay: Duration,
    /// How long an asset waits for its `.meta` (or the reverse), and a removed
    /// `.meta` for a created one with the same UUID. Default 100 ms.
    pub pair_window: Duration,
    /// Most distinct paths held in one window; past it the roots are re-read
    /// whole instead. Default 100,000.
    pub max_pending: usize,
    /// How often folders that could not be watched are listed. Default 1 s.
    pub poll_interval: Duration,
    /// Most folders watched natively; the rest are polled. Default: no limit
    /// but the operating system's (`fs.inotify.max_user_watches`).
    pub watch_budget: Option<usize>,
    /// How folders are watched. Default [`Backend::Native`].
    pub backend: Backend,
    /// Folders the engine's scan visited, to watch without walking again.
    pub walked_dirs: Option<Vec<PathBuf>>,
    /// When the engine's scan started. With `walked_dirs`, a folder whose
    /// entries changed since (its mtime is later) is re-read, which closes
    /// the gap between the scan and the watches for files created, removed
    /// or renamed meanwhile.
    pub scanned_at: Option<std::time::SystemTime>,
    /// `(path of .meta, id)` the engine knows, so a delete plus a create with
    /// the same id is recognised as a move from the first change on. The id
    /// is the UUID as a number (`uuid::Uuid::as_u128`): 16 bytes per asset.
    pub known_meta_ids: Vec<(PathBuf, u128)>,
}

impl WatchOptions {
    /// The defaults of `assetry.toml`: asset root `assets`, code folder `src`.
    pub fn new(project_root: impl Into<PathBuf>) -> WatchOptions {
        let project_root = project_root.into();
        WatchOptions {
            asset_roots: vec![project_root.join("assets")],
            code_dirs: vec![project_root.join("src")],
            project_root,
            ignore: Vec::new(),
            window: Duration::from_millis(10),
            max_delay: Duration::from_millis(250),
            pair_window: Duration::from_millis(100),
            max_pending: 100_000,
            poll_interval: Duration::from_secs(1),
            watch_budget: None,
            backend: Backend::Native,
            walked_dirs: None,
            scanned_at: None,
            known_meta_ids: Vec::new(),
        }
    }

    /// From the `[project]` table: `roots`, `code` and `ignore` as written
    /// there (relative to the project root, `/`-separated).
    pub fn from_config(
        project_root: impl Into<PathBuf>,
        roots: &[String],
        code: &[String],
        ignore: &[String],
    ) -> WatchOptions {
        let mut options = WatchOptions::new(project_root);
        let resolve = |rel: &String| normalize(&options.project_root.join(rel));
        options.asset_roots = roots.iter().map(resolve).collect();
        options.code_dirs = code.iter().map(resolve).collect();
        options.ignore = ignore.to_vec();
        options
    }
}

/// Drops `.` components and trailing separators so `./assets/` and `assets`
/// name the same folder.
fn normalize(path: &Path) -> PathBuf {
    path.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect()
}

/// What the watcher hands on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// Apply these together (`Project::apply`).
    Changes(ChangeBatch),
    /// Something the user should know about the watching itself.
    Notice(Notice),
}

/// A condition of the watching itself, worded for the user ([`std::fmt::Display`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The OS watch limit (or [`WatchOptions::watch_budget`]) is exhausted;
    /// folders from `first_polled` on are polled.
    WatchLimit { first_polled: PathBuf, native: bool, poll_interval: Duration },
    /// A folder could not be watched for another reason (permissions).
    WatchFailed { dir: PathBuf, error: String },
    /// A tracked root does not exist (yet, or any more); it is watched again
    /// when it appears.
    RootMissing(PathBuf),
    /// A missing root appeared and is watched again.
    RootRestored(PathBuf),
    /// The kernel dropped events; the roots are being re-read.
    Overflow,
    /// The watcher thread stopped on an error; restart the watcher.
    Stopped { error: String },
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Notice::WatchLimit { first_polled, native: true, poll_interval } => write!(
                f,
                "cannot watch `{}` and further folders: the inotify watch limit is reached; \
                 they are checked every {:.1} s instead (changes there show up late). \
                 Raise the limit: `sudo sysctl fs.inotify.max_user_watches=524288` \
                 (add it to /etc/sysctl.conf to keep it)",
                first_polled.display(),
                poll_interval.as_secs_f64()
            ),
            Notice::WatchLimit { poll_interval, .. } => write!(
                f,
                "file watching is off (polling backend): folders are checked every {:.1} s",
                poll_interval.as_secs_f64()
            ),
            Notice::WatchFailed { dir, error } => {
                write!(f, "cannot watch `{}`: {error}; check its permissions", dir.display())
            }
            Notice::RootMissing(root) => write!(
                f,
                "`{}` does not exist; it is watched again as soon as it is created \
                 (or fix `project.roots`/`project.code` in assetry.toml)",
                root.display()
            ),
            Notice::RootRestored(root) => write!(f, "`{}` exists again and is watched", root.display()),
            Notice::Overflow => write!(
                f,
                "too many file changes at once for the kernel queue; re-reading the project \
                 (raise `fs.inotify.max_queued_events` if this repeats)"
            ),
            Notice::Stopped { error } => write!(f, "file watching stopped: {error}; restart Assetry"),
        }
    }
}

/// Why a watcher could not start.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(
        "cannot start watching `{root}`: {source}. If the error is \"too many open files\", \
         the inotify instance limit is reached: close other watchers or raise \
         `fs.inotify.max_user_instances`"
    )]
    Init { root: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Ignore(#[from] rules::BadPattern),
    #[error("cannot start the watcher thread: {0}")]
    Thread(std::io::Error),
}

/// Counters, for benchmarks and status displays.
#[derive(Debug, Default)]
pub struct Stats {
    events: AtomicU64,
    batches: AtomicU64,
    changes: AtomicU64,
    overflows: AtomicU64,
    watched_dirs: AtomicUsize,
    polled_dirs: AtomicUsize,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WatchStats {
    /// Kernel events read so far (before any filtering).
    pub events: u64,
    pub batches: u64,
    pub changes: u64,
    pub overflows: u64,
    pub watched_dirs: usize,
    pub polled_dirs: usize,
}

/// Requests from the [`Watcher`] handle to its thread (which is woken for
/// each).
#[derive(Default)]
pub(crate) struct Control {
    /// Set when the watcher is dropped.
    stop: AtomicBool,
    /// [`Watcher::settle`] calls not taken in by the thread yet.
    settle: Mutex<Vec<mpsc::Sender<()>>>,
}

impl Control {
    pub(crate) fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    pub(crate) fn take_settle_requests(&self) -> Vec<mpsc::Sender<()>> {
        std::mem::take(&mut *self.settle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

/// A running watcher; dropping it stops its thread.
pub struct Watcher {
    waker: Waker,
    thread: Option<JoinHandle<()>>,
    stats: Arc<Stats>,
    control: Arc<Control>,
}

impl Watcher {
    /// Sets up every watch, then hands events to `on_event` from a thread of
    /// its own until the watcher is dropped.
    pub fn start(
        options: WatchOptions,
        on_event: impl FnMut(WatchEvent) + Send + 'static,
    ) -> Result<Watcher, WatchError> {
        let rules = IgnoreRules::new(&options.project_root, &options.ignore)?;
        let kernel = Kernel::new(options.backend)
            .map_err(|source| WatchError::Init { root: options.project_root.clone(), source })?;
        let waker = kernel.waker();
        let stats = Arc::new(Stats::default());
        let control = Arc::new(Control::default());
        let mut tracked: Vec<PathBuf> = options.asset_roots.iter().chain(&options.code_dirs).cloned().collect();
        tracked.sort();
        tracked.dedup();
        let timing = Timing {
            window: options.window,
            max_delay: options.max_delay.max(options.window),
            pair_window: options.pair_window,
            max_pending: options.max_pending.max(1),
        };
        let pending = Pending::new(
            timing,
            options.asset_roots.clone(),
            tracked.clone(),
            meta_id::IdIndex::new(options.known_meta_ids),
        );
        let mut session = Session::new(
            options.project_root,
            tracked,
            kernel,
            rules,
            pending,
            stats.clone(),
            options.poll_interval,
            options.watch_budget,
            control.clone(),
        );
        session.set_up(options.walked_dirs, options.scanned_at);
        let thread = std::thread::Builder::new()
            .name("assetry-watcher".to_owned())
            .spawn(move || session.run(Box::new(on_event)))
            .map_err(WatchError::Thread)?;
        Ok(Watcher { waker, thread: Some(thread), stats, control })
    }

    /// [`Watcher::start`] with a channel: the receiver ends when the watcher
    /// is dropped.
    pub fn channel(options: WatchOptions) -> Result<(Watcher, std::sync::mpsc::Receiver<WatchEvent>), WatchError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let watcher = Watcher::start(options, move |event| {
            // The receiver was dropped: nobody listens, nothing to do.
            let _ = tx.send(event);
        })?;
        Ok((watcher, rx))
    }

    /// Asks to be told once every change made before this call has been
    /// handed on: the returned receiver gets `()` after the batches (and
    /// notices) holding those changes went to the callback, and the
    /// watcher held nothing back any more. It is disconnected if the
    /// watcher stops first.
    ///
    /// The watcher takes in what the kernel queued up to the call (or, for
    /// polled folders, lists them once more), then waits for its own holds
    /// (the coalescing window, `.meta` pairing) to end as they would have
    /// anyway: batches are cut exactly as without the call. While changes
    /// keep coming, the answer waits for a pause. With [`Backend::Notify`],
    /// `notify` hands events over from a thread of its own, so a change
    /// made just before the call may still be on its way.
    pub fn settle(&self) -> mpsc::Receiver<()> {
        let (tx, rx) = mpsc::channel();
        self.control.settle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(tx);
        self.waker.wake();
        rx
    }

    pub fn stats(&self) -> WatchStats {
        let s = &self.stats;
        WatchStats {
            events: s.events.load(Ordering::Relaxed),
            batches: s.batches.load(Ordering::Relaxed),
            changes: s.changes.load(Ordering::Relaxed),
            overflows: s.overflows.load(Ordering::Relaxed),
            watched_dirs: s.watched_dirs.load(Ordering::Relaxed),
            polled_dirs: s.polled_dirs.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.control.stop.store(true, Ordering::SeqCst);
        self.waker.wake();
        if let Some(thread) = self.thread.take() {
            // A panic on the watcher thread has already been printed; there
            // is nothing more to report while dropping.
            let _ = thread.join();
        }
    }
}
