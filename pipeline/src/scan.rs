//! Reading the project from disk: the initial parallel walk and the loading
//! of single files for incremental changes. This is the engine's only read
//! path, so its rules hold everywhere: ignored paths are never read, binary
//! assets are never opened (their name is enough), and a file that cannot be
//! read becomes a diagnostic instead of an error.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use ignore::gitignore::Gitignore;
use rustc_hash::FxHashMap as HashMap;

use crate::config::{CONFIG_FILE, Config};
use crate::extract::{self, CodeApi, CodeLinks, Extracted, RawRef, Syntax, SyntaxError};
use crate::flavor::{Flavor, MetaSyntax};
use crate::meta::{self, META_SUFFIX, Meta};
use crate::rules;
use crate::text::{LineIndex, TextRange};
use crate::walk::{self, Folder};

/// Text files larger than this are reported, not scanned: nothing a game
/// writes by hand is that big, and reading it would stall every edit.
pub const MAX_TEXT_BYTES: u64 = 256 * 1024 * 1024;

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
    /// The lines of the parsed text as far as its ranges go, built in the
    /// same pass (see [`LineIndex`]): positions must come from the text the
    /// ranges came from, not from whatever the disk holds later. Nothing is
    /// stored when that part is one ASCII line (most `.meta` files).
    pub lines: LineIndex,
    /// Whether the file exists (false: it vanished before it was read).
    pub exists: bool,
    /// What few files have, behind one pointer: 8 bytes a file instead of
    /// 40 (6 MiB on a 100,000-asset project).
    rare: Option<Box<Rare>>,
}

/// The parts of a [`Loaded`] that most files do not have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Rare {
    unreadable: Option<Box<str>>,
    syntax_error: Option<SyntaxError>,
    code: Option<CodeLinks>,
    bevy: Option<BevyFacts>,
}

impl Loaded {
    /// A file that exists but was not read, and why.
    fn unread(why: impl Into<Box<str>>) -> Loaded {
        Loaded {
            exists: true,
            rare: Some(Box::new(Rare { unreadable: Some(why.into()), ..Rare::default() })),
            ..Loaded::default()
        }
    }

    /// Why the file could not be read or decoded, or was not read (larger
    /// than its kind allows, too costly to parse), for `unreadable-file`.
    pub fn unreadable(&self) -> Option<&str> {
        self.rare.as_ref()?.unreadable.as_deref()
    }

    /// The first syntax error of a data file, for `invalid-syntax`.
    pub fn syntax_error(&self) -> Option<&SyntaxError> {
        self.rare.as_ref()?.syntax_error.as_ref()
    }

    /// Game code only: how its references relate to consts (see [`CodeLinks`]).
    pub fn code(&self) -> Option<&CodeLinks> {
        self.rare.as_ref()?.code.as_ref()
    }

    /// What a Bevy project reads beyond references; in other flavours only
    /// a shader's `#define_import_path`.
    pub fn bevy(&self) -> Option<&BevyFacts> {
        self.rare.as_ref()?.bevy.as_ref()
    }
}

/// What a file declares for others to resolve against (a Bevy project's
/// files; a WGSL module in every flavour).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BevyFacts {
    /// A glTF or GLB file's labels, read from its JSON.
    pub gltf: Option<crate::gltf_labels::GltfLabels>,
    /// A code file's `embedded_asset!` registrations (`crate/dir/file`).
    pub embedded: Vec<Box<str>>,
    /// The module a WGSL file declares (`#define_import_path a::b`).
    pub defines: Option<Box<str>>,
    /// Where `defines` is written.
    pub defines_at: TextRange,
}

/// Decides which paths belong to the project and what they are, and holds
/// what loading a file needs to know about the project.
#[derive(Debug, Clone)]
pub struct Classifier {
    /// Asset root → its index; roots never lie inside one another (the
    /// config refuses it), so at most one holds a path.
    roots: HashMap<Box<str>, u16>,
    code_api: CodeApi,
    code: Vec<String>,
    project_root: PathBuf,
    /// `project.ignore` (ignore files are read where they are, when needed).
    extra: Gitignore,
    /// Bevy's conventions: glTF labels and `embedded_asset!` read, GLB
    /// JSON chunks read, `embedded://` kept, templates dropped.
    bevy: bool,
    meta_syntax: MetaSyntax,
    /// Asset sources whose `name://` strings are references.
    sources: Vec<String>,
}

impl Classifier {
    pub fn new(project_root: &Path, config: &Config) -> Classifier {
        // The config was checked by `Config::parse`, globs and root count included.
        let extra = rules::project_ignore(project_root, &config.ignore).unwrap_or_else(|_| Gitignore::empty());
        let roots = config.roots.iter().zip(0..=u16::MAX).map(|(r, i)| (r.as_str().into(), i)).collect();
        Classifier {
            project_root: project_root.to_path_buf(),
            extra,
            roots,
            code_api: config.code_api(),
            code: config.code.clone(),
            bevy: config.flavor == Flavor::Bevy,
            meta_syntax: config.meta_syntax,
            sources: config.sources.keys().cloned().collect(),
        }
    }

    /// Whether a `scheme://…` string names a file of the project: an
    /// `embedded://` asset in a Bevy project, or a mapped asset source.
    fn is_source_reference(&self, value: &str) -> bool {
        let Some((scheme, _)) = value.split_once("://") else { return false };
        (self.bevy && scheme == "embedded") || self.sources.iter().any(|s| s == scheme)
    }

    /// The kind of the file at project-relative path `rel`, or `None` when
    /// Assetry does not look at it (outside roots and code, ignored, hidden).
    pub fn classify(&self, rel: &str) -> Option<FileKind> {
        if self.is_ignored(rel, false) {
            return None;
        }
        self.kind_of(rel)
    }

    /// The kind of a path already known not to be ignored. A file has one
    /// role: inside an asset root it is an asset (or `.meta`), even when
    /// the root lies in a code folder.
    fn kind_of(&self, rel: &str) -> Option<FileKind> {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if let Some(root) = self.root_of(rel) {
            if rel == CONFIG_FILE {
                return None;
            }
            if name.ends_with(META_SUFFIX) {
                return Some(FileKind::Meta { root });
            }
            let syntax = match Syntax::of_asset(name) {
                None if self.bevy => match name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
                    Some("glb") => Some(Syntax::Glb),
                    Some("wesl") => Some(Syntax::Wesl),
                    _ => None,
                },
                s => s,
            };
            return Some(FileKind::Asset { root, syntax });
        }
        if name.ends_with(".rs") && self.code.iter().any(|c| under(rel, c)) {
            return Some(FileKind::Code);
        }
        None
    }

    /// The index of the asset root holding `rel`: one lookup per folder
    /// above it, whatever the number of roots.
    pub fn root_of(&self, rel: &str) -> Option<u16> {
        let folders = rel.match_indices('/').map(|(i, _)| &rel[..i]);
        std::iter::once("").chain(folders).find_map(|dir| self.roots.get(dir).copied())
    }

    /// Whether project-relative folder `rel` is an asset root.
    pub fn is_root(&self, rel: &str) -> bool {
        self.roots.contains_key(rel)
    }

    /// Whether a path (file or folder) is ignored, by the walk's rules:
    /// hidden, a build or VCS folder, in `project.ignore`, or excluded by
    /// the `.gitignore`/`.ignore` of any folder above it.
    pub fn is_ignored(&self, rel: &str, is_dir: bool) -> bool {
        rules::path_is_ignored(&self.project_root, &self.extra, rel, is_dir, &mut rules::read_folder_matcher)
    }
}

fn under(rel: &str, dir: &str) -> bool {
    dir.is_empty() || (rel.len() > dir.len() && rel.starts_with(dir) && rel.as_bytes()[dir.len()] == b'/')
}

/// Reads and parses the file at `abs`. Never fails: problems become
/// `unreadable`.
pub fn load(abs: &Path, kind: FileKind, cx: &Classifier) -> Loaded {
    if let FileKind::Asset { syntax: None, .. } = kind {
        // Binary assets are not read; a stat answers "does it exist".
        return Loaded { exists: abs.is_file(), ..Loaded::default() };
    }
    let rel = abs.strip_prefix(&cx.project_root).ok().and_then(Path::to_str).unwrap_or_default();
    load_from(Source::Path(abs), kind, rel, cx)
}

/// Where a file's bytes come from.
enum Source<'a> {
    /// Anything at a path: looked at before it is opened.
    Path(&'a Path),
    /// A regular file the walk just listed in an open folder.
    Listed(&'a Folder, &'a OsStr),
}

fn load_from(source: Source<'_>, kind: FileKind, rel: &str, cx: &Classifier) -> Loaded {
    if let FileKind::Asset { syntax: Some(Syntax::Glb), .. } = kind {
        return load_glb(source, kind, rel, cx);
    }
    // Files are parsed straight from a per-thread buffer: the text is not
    // kept, so 100,000 files cost no allocation (and no fresh pages) each.
    READ_BUFFER.with(|cell| {
        let mut buf = cell.borrow_mut();
        buf.clear();
        let loaded = match read_limited(source, &mut buf) {
            Ok(()) => match std::str::from_utf8(&buf) {
                Ok(text) => parse_text(kind, rel, text, cx),
                Err(e) => {
                    let at = e.valid_up_to();
                    let why = format!(
                        "not valid UTF-8 text (first bad byte at offset {at}); its references were not checked"
                    );
                    let mut l = Loaded::unread(why);
                    if matches!(kind, FileKind::Meta { .. }) {
                        l.meta = Some(Box::new(Meta::default()));
                    }
                    l
                }
            },
            Err(ReadError::Missing) => Loaded::default(),
            Err(ReadError::Other(why)) => Loaded::unread(why),
        };
        // One huge file must not pin its size in every reader thread.
        if buf.capacity() > 1 << 20 {
            *buf = Vec::with_capacity(64 * 1024);
        }
        loaded
    })
}

/// A GLB is binary: only its JSON chunk is read (bounded), for its labels.
/// One that cannot be read or is not a GLB has no labels to judge by.
fn load_glb(source: Source<'_>, kind: FileKind, rel: &str, cx: &Classifier) -> Loaded {
    let opened = match source {
        Source::Path(abs) => match std::fs::metadata(abs) {
            Ok(m) if m.is_file() => std::fs::File::open(abs),
            Ok(_) => return Loaded { exists: true, ..Loaded::default() },
            Err(_) => return Loaded::default(),
        },
        Source::Listed(folder, name) => folder.open_file(name),
    };
    let Ok(mut file) = opened else { return Loaded { exists: true, ..Loaded::default() } };
    match crate::gltf_labels::read_glb_json(&mut file) {
        Some(json) => parse_text(kind, rel, &json, cx),
        None => Loaded { exists: true, ..Loaded::default() },
    }
}

thread_local! {
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(64 * 1024));
}

/// Parses text that is already in memory (an editor's buffer, or a file
/// just read) as a file of `kind`.
pub fn parse_text(kind: FileKind, rel: &str, text: &str, cx: &Classifier) -> Loaded {
    let mut code = None;
    let (extracted, meta) = match kind {
        // Past the size bound the TOML reader reports the file unread.
        FileKind::Meta { .. } if cx.meta_syntax == MetaSyntax::Ron && text.len() <= meta::MAX_META_BYTES => {
            (Extracted::default(), Some(Box::new(crate::meta_ron::parse(text))))
        }
        FileKind::Meta { .. } => {
            let mut m = meta::parse(text);
            // The dependencies are the file's references; kept once.
            let refs = std::mem::take(&mut m.dependencies);
            (Extracted { refs, ..Extracted::default() }, Some(Box::new(m)))
        }
        // A GLB's references would be at offsets of its JSON chunk, not of
        // the file: never offered to an edit. Its labels are what counts.
        FileKind::Asset { syntax: Some(Syntax::Glb), .. } => (Extracted::default(), None),
        FileKind::Asset { syntax, .. } => {
            (syntax.map(|s| extract::extract(s, text, &cx.code_api)).unwrap_or_default(), None)
        }
        FileKind::Code => {
            let (extracted, links) = extract::extract_code(text, &cx.code_api);
            code = links;
            (extracted, None)
        }
    };
    let Extracted { mut refs, error, skipped } = extracted;
    // Shader modules are every flavour's: the WGSL processor composes them
    // (naga_oil), so an import of one is a build edge like a quoted import.
    let wgsl = matches!(kind, FileKind::Asset { syntax: Some(Syntax::Wgsl), .. });
    let bevy = if cx.bevy || wgsl { bevy_facts(kind, rel, text, cx) } else { None };
    if wgsl {
        // naga_oil module imports, resolved through `#define_import_path`.
        refs.extend(extract::module_imports(text));
        refs.sort_by_key(|r| r.range.start);
    }
    // A URL names something on a server, never a project file: dropped here,
    // once for every syntax, so nothing downstream looks it up. (Game code
    // drops its own before numbering its references for `CodeLinks`.)
    // Bevy's asset sources (`embedded://`, a mapped `name://`) are files.
    if kind != FileKind::Code {
        refs.retain(|r| !crate::resolve::is_url(&r.value) || cx.is_source_reference(&r.value));
    }
    // Growth slack would cost ~10 MiB on a 100,000-asset project.
    refs.shrink_to_fit();
    // A syntax error is a range too: its position is asked for.
    let error_end = error.as_ref().map_or(0, |e| e.range.end);
    let end = ranges_end(&refs, meta.as_deref()).max(code.as_ref().map_or(0, |c| c.ranges_end())).max(error_end);
    // A shader module's declaration is a range too (`duplicate-id`).
    let end = end.max(bevy.as_ref().map_or(0, |b| b.defines_at.end));
    let lines = LineIndex::covering(text, end);
    let rare = Rare { unreadable: skipped, syntax_error: error, code: code.map(|c| *c), bevy: bevy.map(|b| *b) };
    let rare = (rare != Rare::default()).then(|| Box::new(rare));
    Loaded { refs, meta, lines, exists: true, rare }
}

/// The glTF labels of a `.gltf`/`.glb`, the `embedded_asset!` registrations of code.
fn bevy_facts(kind: FileKind, rel: &str, text: &str, cx: &Classifier) -> Option<Box<BevyFacts>> {
    match kind {
        FileKind::Asset { syntax: Some(Syntax::Gltf | Syntax::Glb), .. } => {
            let gltf = crate::gltf_labels::GltfLabels::from_json(text);
            Some(Box::new(BevyFacts { gltf, ..BevyFacts::default() }))
        }
        FileKind::Asset { syntax: Some(Syntax::Wgsl), .. } => {
            let (at, defines) = extract::define_import_path_at(text)?;
            Some(Box::new(BevyFacts { defines: Some(defines), defines_at: at, ..BevyFacts::default() }))
        }
        FileKind::Code => {
            let embedded = crate::embedded::registrations(rel, text, || package_name(&cx.project_root, rel));
            (!embedded.is_empty()).then(|| Box::new(BevyFacts { embedded, ..BevyFacts::default() }))
        }
        _ => None,
    }
}

/// The name (as a crate name) of the nearest package above `rel`.
fn package_name(project_root: &Path, rel: &str) -> Option<String> {
    let mut dir = Path::new(rel).parent();
    while let Some(d) = dir {
        let manifest = project_root.join(d).join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&manifest) {
            let t: toml::Table = text.parse().ok()?;
            let name = t.get("package")?.get("name")?.as_str()?;
            return Some(name.replace('-', "_"));
        }
        dir = d.parent();
    }
    None
}

/// Where the last range of a parse ends: the part of the text whose
/// positions can ever be asked.
fn ranges_end(refs: &[RawRef], meta: Option<&Meta>) -> u32 {
    let refs = refs.iter().map(|r| r.range.end);
    let meta = meta.into_iter().flat_map(|m| {
        let id = m.id.map(|(_, r)| r.end);
        let labels = m.labels.iter().map(|l| l.range.end);
        id.into_iter().chain(labels).chain(m.problems.iter().map(|p| p.range.end))
    });
    refs.chain(meta).max().unwrap_or(0)
}

/// The text of a file, read as the scan reads it (regular files only, size
/// limit, UTF-8), or `None`.
pub fn read_text(abs: &Path) -> Option<String> {
    let mut buf = Vec::new();
    read_limited(Source::Path(abs), &mut buf).ok()?;
    String::from_utf8(buf).ok()
}

enum ReadError {
    Missing,
    Other(String),
}

fn read_limited(source: Source<'_>, buf: &mut Vec<u8>) -> Result<(), ReadError> {
    let opened = match source {
        Source::Path(abs) => {
            // Opening a FIFO or a device for reading can block forever: look first.
            match std::fs::metadata(abs) {
                Ok(m) if !m.is_file() => return Err(not_regular()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReadError::Missing),
                _ => {}
            }
            std::fs::File::open(abs)
        }
        Source::Listed(folder, name) => folder.open_file(name),
    };
    let file = opened.map_err(|e| match e.kind() {
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

const NOT_REGULAR: &str = "not a regular file (a pipe or device?); Assetry does not read it";

fn not_regular() -> ReadError {
    ReadError::Other(NOT_REGULAR.into())
}

/// One file found by the walk, already loaded.
pub struct Scanned {
    /// Project-relative path, shared as is by the project's indexes.
    pub rel: std::sync::Arc<str>,
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
    /// Folders that exist but could not be listed, and ignore files too
    /// long to honour (project-relative), each with its message: the
    /// `unreadable-file` findings on paths that are not project files.
    pub unreadable_dirs: Vec<(String, String)>,
}

/// How many threads read files: one per core to start with, and up to 16
/// per core (at least 16, at most 64: 32 on 2 cores) when reads wait for the disk (a cold
/// cache, a network drive): then I/O latency, not CPU, bounds the scan, and
/// many requests in flight hide it. `ASSETRY_READERS` fixes the count (for
/// benchmarks).
pub(crate) fn reader_threads() -> walk::Threads {
    if let Some(n) = std::env::var("ASSETRY_READERS").ok().and_then(|v| v.parse::<usize>().ok()) {
        let n = n.clamp(1, 256);
        return walk::Threads { start: n, max: n };
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    walk::Threads { start: cores, max: (cores * 16).clamp(16, 64) }
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
    let existing: Vec<PathBuf> = dirs.iter().filter(|d| d.is_dir()).cloned().collect();
    if existing.is_empty() {
        return ScanResult::default();
    }
    // Few chunks in flight: readers wait for the indexing thread rather than
    // starve it of CPU (and memory stays bounded).
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Scanned>>(4);
    let report = std::thread::scope(|scope| {
        let walker = scope.spawn(|| {
            let report = walk::walk(project_root, &existing, &classifier.extra, reader_threads(), || {
                let mut out = Chunk { tx: tx.clone(), files: Vec::new() };
                move |found: walk::Found<'_>| {
                    if let Some(kind) = classifier.kind_of(found.rel) {
                        let loaded = match kind {
                            // The walk just listed it: not even a stat.
                            FileKind::Asset { syntax: None, .. } => Loaded { exists: true, ..Loaded::default() },
                            _ if !found.regular => Loaded {
                                meta: matches!(kind, FileKind::Meta { .. }).then(Box::default),
                                ..Loaded::unread(NOT_REGULAR)
                            },
                            _ => load_from(Source::Listed(found.folder, found.name), kind, found.rel, classifier),
                        };
                        if loaded.exists {
                            out.files.push(Scanned { rel: found.rel.into(), kind, loaded });
                        }
                    }
                    // Flush in chunks so threads rarely contend.
                    if out.files.len() >= 512 {
                        out.flush();
                    }
                }
            });
            // Visitors flush their last chunk when dropped; dropping the last
            // sender ends the loop below.
            drop(tx);
            report
        });
        for chunk in rx {
            sink(chunk);
        }
        walker.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
    });
    ScanResult { files: Vec::new(), dirs: report.dirs, errors: report.errors, unreadable_dirs: report.unreadable }
}

/// A reader thread's files not yet handed over; flushed when dropped.
struct Chunk {
    tx: std::sync::mpsc::SyncSender<Vec<Scanned>>,
    files: Vec<Scanned>,
}

impl Chunk {
    fn flush(&mut self) {
        if !self.files.is_empty() {
            // The receiver lives until the walk ends, so this cannot fail.
            let _ = self.tx.send(std::mem::take(&mut self.files));
        }
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        self.flush();
    }
}
