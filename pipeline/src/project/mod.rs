//! The ground state of one project and the asset graph derived from it.
//!
//! Ground state: the config, and per file its kind and parse (references,
//! `.meta` content, line index). Derived state: how each reference resolves,
//! the graph's strongly connected components, and each file's diagnostics.
//! [`Project::apply`] changes the ground state and then recomputes derived
//! state only where it can have changed, found through reverse indexes
//! keyed by what a reference points at (a lowercased path or an id).
//!
//! Here: the types, opening a project and the basic accessors. `apply`
//! (changes and `settle`), `index` (reverse index, id owners), `files`
//! (listings and folders), `resolution` (moves included), `path_moves`
//! and `contents` (moves without ids, by path and content), `graph`,
//! `outside` (findings on `assetry.toml` and unlistable folders) and
//! `parallel` hold the rest.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use uuid::Uuid;

use crate::config::{CONFIG_FILE, Config, ConfigError};
use crate::cycles::Cycles;
use crate::diagnostic::{Diagnostic, FileDiagnostics};
use crate::extract::RawRef;
use crate::meta::{META_SUFFIX, Meta};
use crate::resolve::RefKey;
use crate::scan::{self, Classifier, FileKind, Loaded};
use crate::text::{LineIndex, TextRange};

mod apply;
mod consts;
mod contents;
mod embeds;
mod files;
mod graph;
mod index;
mod outside;
mod parallel;
mod path_moves;
mod resolution;

pub use contents::ContentsReady;
use index::OneOrMany;
use parallel::{Timings, parallel_map};

/// How many deleted asset paths a Bevy project remembers while waiting for
/// where they went.
const MAX_PATH_DEPARTURES: usize = 4096;

/// Index of a file in the project; stable while the file exists.
pub type FileId = u32;

/// One file the project knows.
#[derive(Debug)]
pub struct File {
    pub path: Arc<str>,
    pub kind: FileKind,
    pub(crate) loaded: Loaded,
    /// Parallel to `loaded.refs`: how each resolves now.
    pub(crate) resolved: Vec<Resolution>,
    /// The editor's text, in charge of this file while it is open.
    pub overlay: Option<Arc<str>>,
}

/// What graph walks and resolution ask of a file most: its kind and its
/// pair (an asset's `.meta`, or a `.meta`'s asset, when both exist). Kept
/// beside the files in a dense array (8 bytes a file, cache-resident on a
/// large project), so following a pair costs no visit to the file itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Link {
    kind: LinkKind,
    pair: Option<FileId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkKind {
    Gone,
    Asset,
    Meta,
    Code,
}

impl Link {
    const GONE: Link = Link { kind: LinkKind::Gone, pair: None };

    fn of(kind: FileKind, pair: Option<FileId>) -> Link {
        Link { kind: LinkKind::of(kind), pair }
    }
}

impl LinkKind {
    fn of(kind: FileKind) -> LinkKind {
        match kind {
            FileKind::Asset { .. } => LinkKind::Asset,
            FileKind::Meta { .. } => LinkKind::Meta,
            FileKind::Code => LinkKind::Code,
        }
    }
}

impl File {
    pub fn refs(&self) -> &[RawRef] {
        &self.loaded.refs
    }

    pub fn resolutions(&self) -> &[Resolution] {
        &self.resolved
    }

    pub fn meta(&self) -> Option<&Meta> {
        self.loaded.meta.as_deref()
    }

    pub fn is_asset(&self) -> bool {
        matches!(self.kind, FileKind::Asset { .. })
    }

    /// The module a shader declares (`#define_import_path a::b`).
    pub fn shader_module(&self) -> Option<&str> {
        self.loaded.bevy()?.defines.as_deref()
    }

    /// [`Self::shader_module`] with where its path is written.
    pub fn shader_module_at(&self) -> Option<(&str, TextRange)> {
        let facts = self.loaded.bevy()?;
        Some((facts.defines.as_deref()?, facts.defines_at))
    }

    pub fn root(&self) -> Option<u16> {
        match self.kind {
            FileKind::Asset { root, .. } | FileKind::Meta { root } => Some(root),
            FileKind::Code => None,
        }
    }
}

/// How one reference resolves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A data string that turned out not to be a reference (its extension
    /// is not an asset extension).
    NotReference,
    /// Resolves to an asset (and, with `#Label` or a label's id, to one of
    /// its labels, by index into the target's `.meta` labels).
    Asset {
        target: FileId,
        label: Option<u32>,
    },
    /// No asset at this path (the first candidate, project-relative).
    Broken {
        path: String,
    },
    /// A file matches only when case is ignored.
    CaseMismatch {
        target: FileId,
    },
    UnknownId,
    UnknownLabel {
        target: FileId,
        label: String,
    },
    EscapesRoot,
}

impl Resolution {
    /// The asset this reference points at, if it resolves.
    pub fn target(&self) -> Option<FileId> {
        match self {
            Resolution::Asset { target, .. } => Some(*target),
            _ => None,
        }
    }
}

/// Who declares an id: a `.meta` for its asset, or for one of its labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdOwner {
    pub meta: FileId,
    pub label: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot open project `{path}`: {source}")]
    Root { path: PathBuf, source: std::io::Error },
}

/// A game project's assets, references and diagnostics, held in memory.
pub struct Project {
    root: PathBuf,
    config: Config,
    classifier: Classifier,
    files: Vec<Option<File>>,
    /// Parallel to `files`.
    links: Vec<Link>,
    /// Parallel to `files`: targets of each file's build and load
    /// references, as last resolved (apart from the file, so the old edges
    /// are known after a re-parse, and a graph walk reads dense arrays only).
    edges: Vec<Box<[FileId]>>,
    /// How many strings are references (resolved or not), kept as files are
    /// resolved: counting means visiting every file.
    references: usize,
    /// Every file by path, with whether it is an asset: resolution asks
    /// "is there an asset at this path" 280,000 times on a large project,
    /// and the answer must not cost a visit to the file itself.
    by_path: HashMap<Arc<str>, (FileId, bool)>,
    /// Folder (project-relative, "" for the project folder) → its direct
    /// children, for completion and folder renames without scanning every path.
    folders: HashMap<Box<str>, Folder>,
    /// Assets by the hash of their lowercased path (case-mismatch lookups).
    by_lower: HashMap<u64, OneOrMany<FileId>>,
    ids: HashMap<Uuid, OneOrMany<IdOwner>>,
    /// Files by what their references point at: the reverse index that
    /// drives invalidation. Built on first use rather than by the scan, as
    /// `check` never needs it (on 100,000 assets: 280,000 keys, ~60 ms of
    /// CPU and ~10 MiB); once built, every change keeps it up to date.
    referrers: OnceLock<HashMap<RefKey, OneOrMany<FileId>>>,
    /// Extensions (lowercase) of assets that have a `.meta`, with counts.
    meta_extensions: HashMap<String, u32>,
    /// `embedded://` paths registered by `embedded_asset!` in the code
    /// (Bevy projects), with how many calls register each.
    embedded: HashMap<Box<str>, u32>,
    /// Shader modules declared by `#define_import_path`: module → the files
    /// declaring it (by path: the first is the one imports resolve to), and
    /// each first segment's count.
    modules: HashMap<Box<str>, Vec<FileId>>,
    module_roots: HashMap<Box<str>, u32>,
    /// Consts used as asset paths in one code file and defined in another.
    consts: consts::ConstIndex,
    cycles: Cycles,
    diagnostics: HashMap<FileId, Vec<Diagnostic>>,
    /// Asset paths whose `.meta` went away with an id (and has not come
    /// back), to tell where a moved asset went.
    tombstones: HashMap<Box<str>, Departure>,
    /// Bevy projects (no ids): asset paths seen to move (a rename, a delete
    /// and a create of the same file name, or of the same content) → where
    /// the asset went. Kept until a file is back at the old path.
    path_moves: HashMap<Box<str>, PathMove>,
    /// Bevy projects: asset paths deleted whose move is not known yet, with
    /// their content's fingerprint (0: not known), oldest first (at most
    /// [`MAX_PATH_DEPARTURES`]): a later asset of the same content, or else
    /// of the same name if one alone, is where it went.
    path_departed: Vec<(Box<str>, u64)>,
    /// Bevy projects in `watch` and the server: content fingerprints.
    contents: Option<contents::Contents>,
    /// The editor's open buffers by project-relative path, whether or not
    /// the path is a project file under the current configuration: they are
    /// ground state, and a configuration reload must apply them again.
    overlays: HashMap<Box<str>, Arc<str>>,
    scan_dirs: Vec<PathBuf>,
    scan_errors: Vec<String>,
    /// Findings on paths that are not project files, made by the scan:
    /// `assetry.toml` (a root that does not exist) and folders that could
    /// not be listed. Sorted by path; recomputed by every full scan.
    outside_files: Vec<FileDiagnostics>,
    /// Line index of `assetry.toml`, when it has findings.
    config_index: Option<Box<LineIndex>>,
    /// Files read or parsed since the project was opened (scan included):
    /// lets tests and benchmarks prove a change touched only what it must.
    files_parsed: u64,
}

/// What left an asset path: the id its `.meta` carried, and where the
/// watcher saw it go (the `.meta`, or a folder holding it, moved), which is
/// certain where an id is not: two `.meta` files may share one.
#[derive(Debug, Clone)]
struct Departure {
    id: Uuid,
    to: Option<Box<str>>,
}

/// Where an asset of a Bevy project went.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathMove {
    /// Seen to go there (a rename), or the only asset of its name created.
    To(Box<str>),
    /// Its content (this fingerprint) was created again: every asset created
    /// lately with it, as they are now (several: copies, none preferred).
    Content(u64),
}

/// The direct children of one folder.
#[derive(Debug, Default)]
struct Folder {
    files: Vec<FileId>,
    /// Names of child folders that hold files (at any depth).
    dirs: Vec<Box<str>>,
}

/// The direct children of a folder, names sorted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DirListing<'a> {
    pub dirs: Vec<&'a str>,
    /// File names (the last path segment) with their ids.
    pub files: Vec<(&'a str, FileId)>,
}

/// Files whose derived state must be recomputed after a change.
#[derive(Default)]
struct Dirty {
    /// The initial scan: everything is computed afterwards anyway.
    bulk: bool,
    files: HashSet<FileId>,
    keys: HashSet<RefKey>,
    /// Graph nodes whose out-edges may have changed.
    nodes: HashSet<FileId>,
    /// Last diagnostics of files removed in this batch, by path: cleared
    /// unless the same path is created again in the batch.
    removed: HashMap<String, Vec<Diagnostic>>,
    /// Asset paths whose `.meta` left with an id in this batch, in order:
    /// a move learns where they went.
    departed: Vec<Box<str>>,
    /// Assets that are new in this batch (not in the initial scan).
    inserted: Vec<Arc<str>>,
    /// Bevy assets re-read from disk in this batch (their content may have
    /// changed), when contents are fingerprinted.
    rewritten: Vec<FileId>,
    /// Fingerprints of the assets removed in this batch, when known.
    left_contents: HashMap<Box<str>, u64>,
    everything: bool,
}

impl Project {
    /// Loads `assetry.toml` (defaults when absent) and scans every asset
    /// root and code folder. Missing roots are treated as empty.
    pub fn open(root: &Path) -> Result<Project, ProjectError> {
        let root = root.canonicalize().map_err(|source| ProjectError::Root { path: root.to_path_buf(), source })?;
        let config = Config::load(&root)?;
        Ok(Project::with_config(root, config))
    }

    /// Scans the project at `root` (absolute, canonical) with `config`.
    pub fn with_config(root: PathBuf, config: Config) -> Project {
        Project::rescan(root, config, HashMap::default(), HashMap::default())
    }

    /// Scans the project and lays the editor's `overlays` over what the disk
    /// holds before anything is derived, so references, resolutions and
    /// diagnostics all come from the same text. `tombstones` (where moved
    /// assets went) is history the disk cannot tell, kept across a reload.
    fn rescan(
        root: PathBuf,
        config: Config,
        overlays: HashMap<Box<str>, Arc<str>>,
        tombstones: HashMap<Box<str>, Departure>,
    ) -> Project {
        let classifier = Classifier::new(&root, &config);
        let mut project = Project {
            root,
            config,
            classifier,
            files: Vec::new(),
            links: Vec::new(),
            edges: Vec::new(),
            references: 0,
            by_path: HashMap::default(),
            folders: HashMap::default(),
            by_lower: HashMap::default(),
            ids: HashMap::default(),
            referrers: OnceLock::new(),
            meta_extensions: HashMap::default(),
            embedded: HashMap::default(),
            modules: HashMap::default(),
            module_roots: HashMap::default(),
            consts: consts::ConstIndex::default(),
            cycles: Cycles::default(),
            diagnostics: HashMap::default(),
            tombstones: HashMap::default(),
            path_moves: HashMap::default(),
            path_departed: Vec::new(),
            contents: None,
            overlays: HashMap::default(),
            scan_dirs: Vec::new(),
            scan_errors: Vec::new(),
            outside_files: Vec::new(),
            config_index: None,
            files_parsed: 0,
        };
        let dirs: Vec<PathBuf> = project.walk_dirs();
        let timer = Timings::start();
        // The first scan computes everything afterwards: no invalidation bookkeeping.
        let mut dirty = Dirty { bulk: true, ..Dirty::default() };
        let (root, classifier) = (project.root.clone(), project.classifier.clone());
        // Index each chunk on this thread while the reader threads go on.
        let result = scan::walk_into(&root, &dirs, &classifier, |chunk| {
            project.files_parsed += chunk.len() as u64;
            for f in chunk {
                project.insert(f.rel, f.kind, f.loaded, &mut dirty);
            }
        });
        timer.lap("scan and index");
        project.scan_dirs = result.dirs;
        project.scan_errors = result.errors;
        project.set_outside_files(result.unreadable_dirs);
        for (rel, text) in overlays {
            project.overlay_rel(&rel, &text, &mut dirty);
            project.overlays.insert(rel, text);
        }
        project.tombstones = tombstones;
        // As `insert` does: a `.meta` at the path ends what its departure said.
        let metas_back: Vec<Box<str>> =
            project.tombstones.keys().filter(|p| project.meta_file_id(p).is_some()).cloned().collect();
        for p in metas_back {
            project.tombstones.remove(&p);
        }
        project.derive_all(&timer);
        project
    }

    /// Computes every derived thing (resolutions, cycles, diagnostics) from
    /// the ground state.
    fn derive_all(&mut self, timer: &Timings) {
        let project = self;
        project.resolve_all();
        timer.lap("resolve");
        // The cycle search is one thread's work: it runs beside the
        // diagnostics of every file, made without cycles, and the few files
        // whose references are on a cycle are done again once it is known.
        let ids: Vec<FileId> = project.file_ids().collect();
        let (cycles, found) = std::thread::scope(|scope| {
            let p = &*project;
            let cycles = scope.spawn(move || Cycles::compute(&p.nodes(), |n, out| p.extend_out_edges(n, out)));
            let found = parallel_map(&ids, |id| p.compute_diagnostics(id));
            (cycles.join().unwrap_or_else(|e| std::panic::resume_unwind(e)), found)
        });
        project.cycles = cycles;
        let mut on_cycles: Vec<FileId> = project.cycles.nodes().flat_map(|n| project.edge_sources(n)).collect();
        on_cycles.sort_unstable();
        on_cycles.dedup();
        let redone: Vec<(FileId, Vec<Diagnostic>)> =
            on_cycles.into_iter().map(|id| (id, project.compute_diagnostics(id))).collect();
        timer.lap("cycles and diagnostics");
        for (id, d) in ids.into_iter().zip(found).chain(redone) {
            if d.is_empty() {
                project.diagnostics.remove(&id);
            } else {
                project.diagnostics.insert(id, d);
            }
        }
        timer.lap("store diagnostics");
    }

    fn walk_dirs(&self) -> Vec<PathBuf> {
        self.config.walk_folders().into_iter().map(|d| self.root.join(d)).collect()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Folders walked by the initial scan (absolute): a watcher can set its
    /// watches from this list instead of walking the tree again.
    pub fn scan_dirs(&self) -> &[PathBuf] {
        &self.scan_dirs
    }

    /// Problems of the scan itself (symlink loops, vanished folders).
    pub fn scan_errors(&self) -> &[String] {
        &self.scan_errors
    }

    /// The project-relative, `/`-separated form of an absolute path inside the project.
    pub fn rel_path(&self, abs: &Path) -> Option<String> {
        let rel = abs.strip_prefix(&self.root).ok()?;
        let s = rel.to_str()?.replace('\\', "/");
        Some(s)
    }

    pub fn abs_path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn file_id(&self, rel: &str) -> Option<FileId> {
        self.by_path.get(rel).map(|e| e.0)
    }

    /// The id of `<rel>.meta` (the scan asks once per asset: no allocation).
    fn meta_file_id(&self, rel: &str) -> Option<FileId> {
        thread_local! {
            static BUF: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        BUF.with_borrow_mut(|buf| {
            buf.clear();
            buf.push_str(rel);
            buf.push_str(META_SUFFIX);
            self.file_id(buf)
        })
    }

    pub fn file(&self, id: FileId) -> Option<&File> {
        self.files.get(id as usize)?.as_ref()
    }

    pub fn file_ids(&self) -> impl Iterator<Item = FileId> + '_ {
        self.files.iter().enumerate().filter(|(_, f)| f.is_some()).map(|(i, _)| i as FileId)
    }

    /// The line index of a file, to convert its byte ranges to positions:
    /// made from the very text that was parsed (the editor's buffer, whole,
    /// or the disk's text as far as its ranges go), or that of
    /// `assetry.toml` while it has findings. `None` for files the project
    /// does not know.
    pub fn line_index(&self, rel: &str) -> Option<&LineIndex> {
        let Some(id) = self.file_id(rel) else {
            return self.config_index.as_deref().filter(|_| rel == CONFIG_FILE);
        };
        Some(&self.file(id)?.loaded.lines)
    }

    /// Files read or parsed since the project was opened, the initial scan included.
    pub fn files_parsed(&self) -> u64 {
        self.files_parsed
    }

    pub fn path(&self, id: FileId) -> &str {
        self.file(id).map_or("", |f| &f.path)
    }

    /// Current diagnostics of one file.
    pub fn diagnostics_of(&self, rel: &str) -> &[Diagnostic] {
        match self.file_id(rel) {
            Some(id) => self.diagnostics.get(&id).map_or(&[], Vec::as_slice),
            None => self.outside_files.iter().find(|f| f.path == rel).map_or(&[], |f| &f.diagnostics),
        }
    }

    /// Every file's diagnostics, files sorted by path, only non-empty ones.
    pub fn all_diagnostics(&self) -> Vec<FileDiagnostics> {
        let mut out: Vec<FileDiagnostics> = self
            .diagnostics
            .iter()
            .filter(|(_, d)| !d.is_empty())
            .map(|(id, d)| FileDiagnostics { path: self.path(*id).to_owned(), diagnostics: d.clone() })
            .chain(self.outside_files.iter().cloned())
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// Number of assets (files in asset roots other than `.meta`).
    pub fn asset_count(&self) -> usize {
        self.links.iter().filter(|l| l.kind == LinkKind::Asset).count()
    }

    /// Number of references (strings that resolved as references or failed to).
    pub fn reference_count(&self) -> usize {
        self.references
    }

    fn compute_diagnostics(&self, id: FileId) -> Vec<Diagnostic> {
        crate::checks::file_diagnostics(self, id)
    }
}
