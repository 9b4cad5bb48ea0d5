//! Reading the project from disk: the initial parallel walk and the loading
//! of single files for incremental changes. This is the engine's only read
//! path, so its rules hold everywhere: ignored paths are never read, binary
//! assets are never opened (their name is enough), and a file that cannot be
//! read becomes a diagnostic instead of an error.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::WalkState;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::config::{CONFIG_FILE, Config};
use crate::extract::{self, RawRef, Syntax};
use crate::meta::{self, META_SUFFIX, Meta};
use crate::text::LineIndex;

/// Text files larger than this are reported, not scanned: nothing a game
/// writes by hand is that big, and reading it would stall every edit.
pub const MAX_TEXT_BYTES: u64 = 256 * 1024 * 1024;

/// Folders that are never part of a project's assets, whatever the ignore files say.
const ALWAYS_IGNORED: &[&str] = &[".git", ".assetry", "target", "node_modules"];

/// What a file is to Assetry, decided by its place and name alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A file inside asset root number `root`; `syntax` is `None` for
    /// binary assets, which are never read.
    Asset { root: u16, syntax: Option<Syntax> },
    /// A `.meta` sidecar inside asset root number `root`.
    Meta { root: u16 },
    /// Game code (`*.rs` under `project.code`).
    Code,
}

/// The parsed content of one file.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub refs: Vec<RawRef>,
    pub meta: Option<Box<Meta>>,
    /// Built on first use from the editor's text or the disk: positions are
    /// needed only for the few files with findings or open in an editor, and
    /// line tables for every file of a 100,000-asset project cost ~20 MiB.
    pub line_index: std::sync::OnceLock<Box<LineIndex>>,
    /// Why the file could not be read or decoded, for `unreadable-file`.
    pub unreadable: Option<Box<str>>,
    /// Whether the file exists (false: it vanished before it was read).
    pub exists: bool,
}

/// Decides which paths belong to the project and what they are, and holds
/// what loading a file needs to know about the project.
#[derive(Debug, Clone)]
pub struct Classifier {
    roots: Vec<String>,
    code_calls: Vec<String>,
    code: Vec<String>,
    /// The project's `.gitignore` plus `project.ignore`, for single paths.
    ignore: Gitignore,
    /// `project.ignore` alone: the walker reads `.gitignore` files itself.
    extra: Gitignore,
}

impl Classifier {
    pub fn new(project_root: &Path, config: &Config) -> Classifier {
        let mut b = GitignoreBuilder::new(project_root);
        // Errors in a user's .gitignore leave the rest of it in force.
        let _ = b.add(project_root.join(".gitignore"));
        let mut extra = GitignoreBuilder::new(project_root);
        for glob in &config.ignore {
            let _ = b.add_line(None, glob);
            let _ = extra.add_line(None, glob);
        }
        Classifier {
            extra: extra.build().unwrap_or_else(|_| Gitignore::empty()),
            roots: config.roots.clone(),
            code_calls: config.code_calls.clone(),
            code: config.code.clone(),
            ignore: b.build().unwrap_or_else(|_| Gitignore::empty()),
        }
    }

    /// The kind of the file at project-relative path `rel`, or `None` when
    /// Assetry does not look at it (outside roots and code, ignored, hidden).
    pub fn classify(&self, rel: &str) -> Option<FileKind> {
        if self.is_ignored(rel, false) {
            return None;
        }
        self.kind_of(rel)
    }

    /// The kind of a path already known not to be ignored.
    fn kind_of(&self, rel: &str) -> Option<FileKind> {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if let Some(root) = self.root_of(rel) {
            if rel == CONFIG_FILE {
                return None;
            }
            if name.ends_with(META_SUFFIX) {
                return Some(FileKind::Meta { root });
            }
            return Some(FileKind::Asset { root, syntax: Syntax::of_asset(name) });
        }
        if name.ends_with(".rs") && self.code.iter().any(|c| under(rel, c)) {
            return Some(FileKind::Code);
        }
        None
    }

    /// The index of the asset root holding `rel`.
    pub fn root_of(&self, rel: &str) -> Option<u16> {
        self.roots.iter().position(|r| under(rel, r)).map(|i| i as u16)
    }

    /// Whether a path (file or folder) is ignored: hidden, a build or VCS
    /// folder, `.gitignore`d at the project root, or in `project.ignore`.
    pub fn is_ignored(&self, rel: &str, is_dir: bool) -> bool {
        if rel.split('/').any(|c| c.starts_with('.') && c != "." && c != ".." || ALWAYS_IGNORED.contains(&c)) {
            return true;
        }
        self.ignore.matched_path_or_any_parents(rel, is_dir).is_ignore()
    }
}

fn under(rel: &str, dir: &str) -> bool {
    dir.is_empty() || (rel.len() > dir.len() && rel.starts_with(dir) && rel.as_bytes()[dir.len()] == b'/')
}

/// Reads and parses the file at `abs`. Never
/// fails: problems become `unreadable`.
pub fn load(abs: &Path, kind: FileKind, cx: &Classifier) -> Loaded {
    load_known(abs, kind, cx, Regular::Unknown)
}

fn load_known(abs: &Path, kind: FileKind, cx: &Classifier, regular: Regular) -> Loaded {
    if let FileKind::Asset { syntax: None, .. } = kind {
        // Binary assets are not read; a stat answers "does it exist".
        return Loaded { exists: abs.is_file(), ..Loaded::default() };
    }
    // Files are parsed straight from a per-thread buffer: the text is not
    // kept, so 100,000 files cost no allocation (and no fresh pages) each.
    READ_BUFFER.with(|cell| {
        let mut buf = cell.borrow_mut();
        buf.clear();
        let loaded = match read_limited(abs, regular, &mut buf) {
            Ok(()) => match std::str::from_utf8(&buf) {
                Ok(text) => parse_text(kind, text, cx),
                Err(e) => {
                    let at = e.valid_up_to();
                    let why = format!(
                        "not valid UTF-8 text (first bad byte at offset {at}); its references were not checked"
                    );
                    let mut l = Loaded { unreadable: Some(why.into()), exists: true, ..Loaded::default() };
                    if matches!(kind, FileKind::Meta { .. }) {
                        l.meta = Some(Box::new(Meta::default()));
                    }
                    l
                }
            },
            Err(ReadError::Missing) => Loaded::default(),
            Err(ReadError::Other(why)) => Loaded { unreadable: Some(why.into()), exists: true, ..Loaded::default() },
        };
        // One huge file must not pin its size in every reader thread.
        if buf.capacity() > 1 << 20 {
            *buf = Vec::with_capacity(64 * 1024);
        }
        loaded
    })
}

thread_local! {
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(64 * 1024));
}

/// Parses text that is already in memory (an editor's buffer, or a file
/// just read) as a file of `kind`.
pub fn parse_text(kind: FileKind, text: &str, cx: &Classifier) -> Loaded {
    let line_index = std::sync::OnceLock::new();
    let (mut refs, meta) = match kind {
        FileKind::Meta { .. } => {
            let mut m = meta::parse(text);
            // The dependencies are the file's references; kept once.
            (std::mem::take(&mut m.dependencies), Some(Box::new(m)))
        }
        FileKind::Asset { syntax, .. } => {
            (syntax.map(|s| extract::extract(s, text, &cx.code_calls)).unwrap_or_default(), None)
        }
        FileKind::Code => (extract::extract(Syntax::Rust, text, &cx.code_calls), None),
    };
    // Growth slack would cost ~10 MiB on a 100,000-asset project.
    refs.shrink_to_fit();
    Loaded { refs, meta, line_index, unreadable: None, exists: true }
}

/// The text of a file, read as the scan reads it (regular files only, size
/// limit, UTF-8), or `None`.
pub fn read_text(abs: &Path) -> Option<String> {
    let mut buf = Vec::new();
    read_limited(abs, Regular::Unknown, &mut buf).ok()?;
    String::from_utf8(buf).ok()
}

enum ReadError {
    Missing,
    Other(String),
}

fn read_limited(abs: &Path, regular: Regular, buf: &mut Vec<u8>) -> Result<(), ReadError> {
    // Opening a FIFO or a device for reading can block forever: look first,
    // unless the walk already saw a regular file there.
    if regular == Regular::Unknown {
        match std::fs::metadata(abs) {
            Ok(m) if !m.is_file() => return Err(not_regular()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReadError::Missing),
            _ => {}
        }
    }
    let file = open_file(abs).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::Missing,
        std::io::ErrorKind::PermissionDenied => {
            ReadError::Other("permission denied: Assetry cannot read this file".into())
        }
        _ => ReadError::Other(format!("cannot read: {e}")),
    })?;
    // No fstat for a size hint: open, read, read, close is the whole cost of
    // a small file, and most project files are small.
    use std::io::Read;
    file.take(MAX_TEXT_BYTES + 1).read_to_end(buf).map_err(|e| ReadError::Other(format!("cannot read: {e}")))?;
    if buf.len() as u64 > MAX_TEXT_BYTES {
        return Err(ReadError::Other(format!(
            "larger than the {} MiB Assetry scans; its references were not checked",
            MAX_TEXT_BYTES >> 20
        )));
    }
    Ok(())
}

/// Opens a file for reading relative to a descriptor of its folder, kept
/// per thread: the walk reads a folder's files one after another, and
/// `openat` spares the kernel looking up every folder of the path again
/// (measured: 5 % of a warm scan's CPU time).
#[cfg(unix)]
fn open_file(abs: &Path) -> std::io::Result<std::fs::File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;

    thread_local! {
        static FOLDER: std::cell::RefCell<Option<(PathBuf, std::fs::File)>> = const { std::cell::RefCell::new(None) };
    }
    let (Some(dir), Some(name)) = (abs.parent(), abs.file_name()) else { return std::fs::File::open(abs) };
    let name = name.as_bytes();
    let mut c_name = [0u8; 256];
    if name.len() >= c_name.len() || name.contains(&0) {
        return std::fs::File::open(abs);
    }
    c_name[..name.len()].copy_from_slice(name);
    FOLDER.with_borrow_mut(|folder| {
        if folder.as_ref().is_none_or(|(d, _)| d != dir) {
            *folder = Some((dir.to_path_buf(), std::fs::File::open(dir)?));
        }
        let Some((_, dir_file)) = folder.as_ref() else { return std::fs::File::open(abs) };
        // SAFETY: `c_name` is NUL-terminated (checked above) and outlives the call.
        let fd = unsafe {
            libc::openat(
                dir_file.as_raw_fd(),
                c_name.as_ptr().cast(),
                libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOCTTY,
            )
        };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and is owned by nothing else.
        Ok(unsafe { std::fs::File::from_raw_fd(fd) })
    })
}

#[cfg(not(unix))]
fn open_file(abs: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(abs)
}

fn not_regular() -> ReadError {
    ReadError::Other("not a regular file (a pipe or device?); Assetry does not read it".into())
}

/// What the caller knows about the kind of file at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Regular {
    /// The directory walk listed it as a regular file.
    Yes,
    Unknown,
}

/// One file found by the walk, already loaded.
pub struct Scanned {
    pub rel: String,
    pub kind: FileKind,
    pub loaded: Loaded,
}

/// What the initial walk found.
#[derive(Default)]
pub struct ScanResult {
    /// In chunks as the reader threads produced them (order is not defined).
    pub files: Vec<Vec<Scanned>>,
    /// Every folder walked (absolute), so a watcher can watch them without walking again.
    pub dirs: Vec<PathBuf>,
    /// Problems of the walk itself (a symlink loop, a folder that vanished).
    pub errors: Vec<String>,
}

/// How many threads read files. Cold-cache scans are bound by I/O latency,
/// not CPU, so more readers than cores keep the disk queue full.
/// `ASSETRY_READERS` overrides it (for benchmarks and slow network drives).
fn reader_threads() -> usize {
    if let Some(n) = std::env::var("ASSETRY_READERS").ok().and_then(|v| v.parse::<usize>().ok()) {
        return n.clamp(1, 256);
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 16).clamp(16, 64)
}

/// Walks `dirs` (absolute) in parallel, loading every project file found.
pub fn walk(project_root: &Path, dirs: &[PathBuf], classifier: &Classifier) -> ScanResult {
    let mut files = Vec::new();
    let mut result = walk_into(project_root, dirs, classifier, |chunk| files.push(chunk));
    result.files = files;
    result
}

/// Walks `dirs` in parallel on reader threads and hands each chunk of
/// loaded files to `sink` on the calling thread as it is ready, so the
/// caller indexes while the walk goes on. Returns the folders and errors
/// (its `files` is empty).
pub fn walk_into(
    project_root: &Path,
    dirs: &[PathBuf],
    classifier: &Classifier,
    mut sink: impl FnMut(Vec<Scanned>),
) -> ScanResult {
    let existing: Vec<&PathBuf> = dirs.iter().filter(|d| d.exists()).collect();
    let Some((first, rest)) = existing.split_first() else {
        return ScanResult::default();
    };
    let mut builder = ignore::WalkBuilder::new(first);
    for d in rest {
        builder.add(d);
    }
    let filter_root = project_root.to_path_buf();
    let filter_classifier = classifier.clone();
    builder
        .hidden(true)
        .follow_links(true)
        .require_git(false)
        .git_global(false)
        .threads(reader_threads())
        // Parents are visited first, so each entry only needs its own name
        // and `project.ignore` checked (the walker applies .gitignore files).
        .filter_entry(move |e| {
            let name = e.file_name().to_string_lossy();
            if ALWAYS_IGNORED.contains(&name.as_ref()) {
                return false;
            }
            match e.path().strip_prefix(&filter_root) {
                Ok(rel) => {
                    let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                    rel.as_os_str().is_empty()
                        || filter_classifier.extra.is_empty()
                        || !filter_classifier.extra.matched(rel, is_dir).is_ignore()
                }
                Err(_) => false,
            }
        });
    let out = Mutex::new(ScanResult::default());
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Scanned>>(4);
    let walker = builder.build_parallel();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            walker.run(|| {
                let mut local = LocalBuf { out: &out, tx: tx.clone(), buf: LocalScan::default() };
                Box::new(move |entry| {
                    let LocalBuf { out, tx, buf: local } = &mut local;
                    match entry {
                        Ok(entry) => {
                            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                            if is_dir {
                                local.dirs.push(entry.path().to_path_buf());
                            } else if let Some(rel) = relative_to(entry.path(), project_root)
                                && let Some(kind) = classifier.kind_of(&rel)
                            {
                                let regular = entry.file_type().is_some_and(|t| t.is_file());
                                let loaded = match kind {
                                    // The walk just listed it: not even a stat.
                                    FileKind::Asset { syntax: None, .. } => {
                                        Loaded { exists: true, ..Loaded::default() }
                                    }
                                    _ if !regular => Loaded {
                                        unreadable: Some(
                                            "not a regular file (a pipe or device?); Assetry does not read it".into(),
                                        ),
                                        exists: true,
                                        meta: matches!(kind, FileKind::Meta { .. }).then(Box::default),
                                        ..Loaded::default()
                                    },
                                    _ => load_known(entry.path(), kind, classifier, Regular::Yes),
                                };
                                if loaded.exists {
                                    local.files.push(Scanned { rel, kind, loaded });
                                }
                            }
                        }
                        Err(err) => local.errors.push(err.to_string()),
                    }
                    // Flush in chunks so threads rarely contend.
                    if local.files.len() >= 512 || local.dirs.len() >= 512 || local.errors.len() >= 64 {
                        flush(out, tx, local);
                    }
                    WalkState::Continue
                })
            });
            // Visitors flush their last chunk when dropped, at the end of `run`;
            // dropping the last sender ends the loop below.
            drop(tx);
        });
        for chunk in rx {
            sink(chunk);
        }
    });
    out.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// The project-relative, `/`-separated form of `path` (under `root`).
fn relative_to(path: &Path, root: &Path) -> Option<String> {
    // Byte slicing: `Path::strip_prefix` parses both paths into components
    // for each of 200,000 files.
    let (p, r) = (path.as_os_str().as_encoded_bytes(), root.as_os_str().as_encoded_bytes());
    if let Some(rest) = p.strip_prefix(r).and_then(|rest| rest.strip_prefix(std::path::MAIN_SEPARATOR_STR.as_bytes()))
        && let Ok(rel) = std::str::from_utf8(rest)
        && !rel.contains('\\')
    {
        return Some(rel.to_owned());
    }
    let rel = path.strip_prefix(root).ok()?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}

/// A visitor's buffer, flushed into the shared result when the visitor is
/// dropped at the end of the walk.
struct LocalBuf<'a> {
    out: &'a Mutex<ScanResult>,
    tx: std::sync::mpsc::SyncSender<Vec<Scanned>>,
    buf: LocalScan,
}

#[derive(Default)]
struct LocalScan {
    files: Vec<Scanned>,
    dirs: Vec<PathBuf>,
    errors: Vec<String>,
}

impl Drop for LocalBuf<'_> {
    fn drop(&mut self) {
        flush(self.out, &self.tx, &mut self.buf);
    }
}

fn flush(out: &Mutex<ScanResult>, tx: &std::sync::mpsc::SyncSender<Vec<Scanned>>, local: &mut LocalScan) {
    if !local.files.is_empty() {
        // The receiver lives until the walk ends, so this cannot fail.
        let _ = tx.send(std::mem::take(&mut local.files));
    }
    if local.dirs.is_empty() && local.errors.is_empty() {
        return;
    }
    let mut o = out.lock().unwrap_or_else(|p| p.into_inner());
    o.dirs.append(&mut local.dirs);
    o.errors.append(&mut local.errors);
}
