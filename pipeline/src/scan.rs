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
    pub line_index: Option<LineIndex>,
    /// Why the file could not be read or decoded, for `unreadable-file`.
    pub unreadable: Option<String>,
    /// Whether the file exists (false: it vanished before it was read).
    pub exists: bool,
}

/// Decides which paths belong to the project and what they are.
#[derive(Debug, Clone)]
pub struct Classifier {
    roots: Vec<String>,
    code: Vec<String>,
    ignore: Gitignore,
}

impl Classifier {
    pub fn new(project_root: &Path, config: &Config) -> Classifier {
        let mut b = GitignoreBuilder::new(project_root);
        // Errors in a user's .gitignore leave the rest of it in force.
        let _ = b.add(project_root.join(".gitignore"));
        for glob in &config.ignore {
            let _ = b.add_line(None, glob);
        }
        Classifier {
            roots: config.roots.clone(),
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

/// Reads and parses one file. Never fails: problems become `unreadable`.
pub fn load(abs: &Path, kind: FileKind, code_calls: &[String]) -> Loaded {
    let syntax = match kind {
        FileKind::Asset { syntax: None, .. } => {
            // Binary assets are not read; a stat answers "does it exist".
            return Loaded { exists: abs.is_file(), ..Loaded::default() };
        }
        FileKind::Asset { syntax: Some(s), .. } => Some(s),
        FileKind::Meta { .. } => None,
        FileKind::Code => Some(Syntax::Rust),
    };
    let bytes = match read_limited(abs) {
        Ok(b) => b,
        Err(ReadError::Missing) => return Loaded::default(),
        Err(ReadError::Other(why)) => {
            return Loaded { unreadable: Some(why), exists: true, ..Loaded::default() };
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => parse_text(kind, syntax, &text, code_calls),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let why = format!("not valid UTF-8 text (first bad byte at offset {at}); its references were not checked");
            let mut l = Loaded { unreadable: Some(why), exists: true, ..Loaded::default() };
            if matches!(kind, FileKind::Meta { .. }) {
                l.meta = Some(Box::new(Meta::default()));
            }
            l
        }
    }
}

/// Parses text that is already in memory (an editor's buffer, or a file just read).
pub fn parse_text(kind: FileKind, syntax: Option<Syntax>, text: &str, code_calls: &[String]) -> Loaded {
    let line_index = Some(LineIndex::new(text));
    match kind {
        FileKind::Meta { .. } => {
            let m = meta::parse(text);
            Loaded { refs: m.dependencies.clone(), meta: Some(Box::new(m)), line_index, unreadable: None, exists: true }
        }
        _ => {
            let refs = syntax.map(|s| extract::extract(s, text, code_calls)).unwrap_or_default();
            Loaded { refs, meta: None, line_index, unreadable: None, exists: true }
        }
    }
}

enum ReadError {
    Missing,
    Other(String),
}

fn read_limited(abs: &Path) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(abs).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::Missing,
        std::io::ErrorKind::PermissionDenied => {
            ReadError::Other("permission denied: Assetry cannot read this file".into())
        }
        _ => ReadError::Other(format!("cannot read: {e}")),
    })?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_TEXT_BYTES {
        return Err(ReadError::Other(format!(
            "{} MiB is larger than the {} MiB Assetry scans; its references were not checked",
            len >> 20,
            MAX_TEXT_BYTES >> 20
        )));
    }
    let mut buf = Vec::with_capacity(len as usize + 1);
    use std::io::Read;
    file.take(MAX_TEXT_BYTES + 1).read_to_end(&mut buf).map_err(|e| ReadError::Other(format!("cannot read: {e}")))?;
    Ok(buf)
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
    pub files: Vec<Scanned>,
    /// Every folder walked (absolute), so a watcher can watch them without walking again.
    pub dirs: Vec<PathBuf>,
    /// Problems of the walk itself (a symlink loop, a folder that vanished).
    pub errors: Vec<String>,
}

/// How many threads read files. Cold-cache scans are bound by I/O latency,
/// not CPU, so more readers than cores keep the disk queue full.
fn reader_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 8).clamp(8, 32)
}

/// Walks `dirs` (absolute) in parallel, loading every project file found.
pub fn walk(project_root: &Path, dirs: &[PathBuf], classifier: &Classifier, code_calls: &[String]) -> ScanResult {
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
        .filter_entry(move |e| match e.path().strip_prefix(&filter_root) {
            Ok(rel) => {
                let rel = rel.to_string_lossy();
                rel.is_empty()
                    || !filter_classifier.is_ignored(&rel.replace('\\', "/"), e.file_type().is_some_and(|t| t.is_dir()))
            }
            Err(_) => false,
        });
    let out = Mutex::new(ScanResult::default());
    builder.build_parallel().run(|| {
        let mut local = LocalBuf { out: &out, buf: ScanResult::default() };
        Box::new(move |entry| {
            let LocalBuf { out, buf: local } = &mut local;
            match entry {
                Ok(entry) => {
                    let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                    if is_dir {
                        local.dirs.push(entry.path().to_path_buf());
                    } else if let Ok(rel) = entry.path().strip_prefix(project_root) {
                        let rel = rel.to_string_lossy().replace('\\', "/");
                        if let Some(kind) = classifier.classify(&rel) {
                            let loaded = load(entry.path(), kind, code_calls);
                            if loaded.exists {
                                local.files.push(Scanned { rel, kind, loaded });
                            }
                        }
                    }
                }
                Err(err) => local.errors.push(err.to_string()),
            }
            // Flush in chunks so threads rarely contend for the lock.
            if local.files.len() >= 512 || local.dirs.len() >= 512 || local.errors.len() >= 64 {
                flush(out, local);
            }
            WalkState::Continue
        })
    });
    // Visitors flush their last chunk when dropped, which happens at the end of `run`.
    out.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// A visitor's buffer, flushed into the shared result when the visitor is
/// dropped at the end of the walk.
struct LocalBuf<'a> {
    out: &'a Mutex<ScanResult>,
    buf: ScanResult,
}

impl Drop for LocalBuf<'_> {
    fn drop(&mut self) {
        flush(self.out, &mut self.buf);
    }
}

fn flush(out: &Mutex<ScanResult>, local: &mut ScanResult) {
    let mut o = out.lock().unwrap_or_else(|p| p.into_inner());
    o.files.append(&mut local.files);
    o.dirs.append(&mut local.dirs);
    o.errors.append(&mut local.errors);
}
