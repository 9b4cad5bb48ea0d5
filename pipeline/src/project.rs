//! The ground state of one project and the asset graph derived from it.
//!
//! Ground state: the config, and per file its kind and parse (references,
//! `.meta` content, line index). Derived state: how each reference resolves,
//! the graph's strongly connected components, and each file's diagnostics.
//! [`Project::apply`] changes the ground state and then recomputes derived
//! state only where it can have changed, found through reverse indexes
//! keyed by what a reference points at (a lowercased path or an id).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use uuid::Uuid;

use crate::change::{Change, ChangeBatch};
use crate::config::{BUILTIN_ASSET_EXTENSIONS, CONFIG_FILE, Config, ConfigError};
use crate::cycles::Cycles;
use crate::diagnostic::{Code, Diagnostic, FileDiagnostics};
use crate::extract::{DepKind, RawRef, path_extension};
use crate::meta::{META_SUFFIX, Meta};
use crate::resolve::{self, RefKey, TargetRef, lower_hash};
use crate::scan::{self, Classifier, FileKind, Loaded};
use crate::text::{LineIndex, TextRange};

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

/// The entries under one index key (files referring to a target, owners of
/// an id): almost always one, so no allocation for it (200,000 files and
/// 280,000 references would otherwise allocate a vector each while the index
/// is built on a single thread).
#[derive(Debug, Clone)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Copy> OneOrMany<T> {
    fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(x) => std::slice::from_ref(x),
            OneOrMany::Many(v) => v,
        }
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            OneOrMany::One(x) => std::slice::from_mut(x),
            OneOrMany::Many(v) => v,
        }
    }

    fn push(&mut self, x: T) {
        match self {
            OneOrMany::One(first) => *self = OneOrMany::Many(vec![*first, x]),
            OneOrMany::Many(v) => v.push(x),
        }
    }

    /// Keeps the entries `keep` accepts; `true` when none is left.
    fn retain(&mut self, keep: impl Fn(&T) -> bool) -> bool {
        match self {
            OneOrMany::One(x) => !keep(x),
            OneOrMany::Many(v) => {
                v.retain(|x| keep(x));
                match v.as_slice() {
                    [] => true,
                    [one] => {
                        *self = OneOrMany::One(*one);
                        false
                    }
                    _ => false,
                }
            }
        }
    }
}

fn push_id<K: std::hash::Hash + Eq>(map: &mut HashMap<K, OneOrMany<FileId>>, key: K, id: FileId) {
    match map.entry(key) {
        std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().push(id),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(OneOrMany::One(id));
        }
    }
}

fn remove_id<K: std::hash::Hash + Eq>(map: &mut HashMap<K, OneOrMany<FileId>>, key: &K, id: FileId) {
    if map.get_mut(key).is_some_and(|l| l.retain(|x| *x != id)) {
        map.remove(key);
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
    cycles: Cycles,
    diagnostics: HashMap<FileId, Vec<Diagnostic>>,
    /// Last known id of asset paths whose `.meta` went away, to tell where a
    /// moved asset went.
    tombstones: HashMap<Box<str>, Uuid>,
    /// Where the watcher saw a path (an asset, by its own path or its
    /// `.meta`'s, or a folder) move to: certain where an id is not (two
    /// `.meta` files may share one).
    moves: HashMap<Box<str>, Box<str>>,
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

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, n)| n)
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
            cycles: Cycles::default(),
            diagnostics: HashMap::default(),
            tombstones: HashMap::default(),
            moves: HashMap::default(),
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
        project.resolve_all();
        timer.lap("resolve");
        // The cycle search is one thread's work: it runs beside the
        // diagnostics of every file, made without cycles, and the few files
        // whose references are on a cycle are done again once it is known.
        let ids: Vec<FileId> = project.file_ids().collect();
        let (cycles, found) = std::thread::scope(|scope| {
            let p = &project;
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
        project
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

    /// Every file, sorted by path.
    pub fn files_by_path(&self) -> impl Iterator<Item = (&str, FileId)> + '_ {
        let mut v: Vec<(&str, FileId)> = self.by_path.iter().map(|(p, e)| (&**p, e.0)).collect();
        v.sort_unstable();
        v.into_iter()
    }

    /// Files whose paths start with `prefix`, sorted (for completion and
    /// folder renames). A linear pass: 200,000 paths take about a millisecond,
    /// less than keeping a second, ordered copy of every path in memory.
    pub fn files_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, FileId)> + 'a {
        let mut v: Vec<(&str, FileId)> = match prefix.strip_suffix('/') {
            // A folder: walk the folder index instead of every path.
            Some(dir) => {
                let mut out = Vec::new();
                let mut stack = vec![dir.to_owned()];
                while let Some(d) = stack.pop() {
                    let Some(folder) = self.folders.get(d.as_str()) else { continue };
                    out.extend(folder.files.iter().map(|&f| (self.path(f), f)));
                    stack.extend(
                        folder.dirs.iter().map(|n| if d.is_empty() { n.to_string() } else { format!("{d}/{n}") }),
                    );
                }
                out
            }
            None => self.by_path.iter().filter(|(p, _)| p.starts_with(prefix)).map(|(p, e)| (&**p, e.0)).collect(),
        };
        v.sort_unstable();
        v.into_iter()
    }

    /// The line index of a text file, to convert its byte ranges to
    /// positions: built once from the editor's text or the disk. `None` for
    /// files the project does not know.
    pub fn line_index(&self, rel: &str) -> Option<&LineIndex> {
        let Some(id) = self.file_id(rel) else {
            return self.config_index.as_deref().filter(|_| rel == CONFIG_FILE);
        };
        let f = self.file(id)?;
        let index = f.loaded.line_index.get_or_init(|| {
            let text = match &f.overlay {
                Some(t) => t.to_string(),
                // Binary assets are never opened: their findings sit at 0:0.
                None if matches!(f.kind, FileKind::Asset { syntax: None, .. }) => String::new(),
                None => scan::read_text(&self.root.join(rel)).unwrap_or_default(),
            };
            Box::new(LineIndex::new(&text))
        });
        Some(index)
    }

    /// Builds the line indexes of `paths` on every core, ahead of
    /// converting many ranges (each may mean reading the file again).
    pub fn prepare_line_indexes<'a>(&self, paths: impl IntoIterator<Item = &'a str>) {
        let mut ids: Vec<FileId> = paths.into_iter().filter_map(|p| self.file_id(p)).collect();
        ids.sort_unstable();
        ids.dedup();
        parallel_map(&ids, |id| {
            self.line_index(self.path(id));
        });
    }

    /// The `.meta` of an asset.
    pub fn meta_of(&self, asset: FileId) -> Option<(FileId, &Meta)> {
        let id = self.links.get(asset as usize).filter(|l| l.kind == LinkKind::Asset)?.pair?;
        Some((id, self.file(id)?.meta()?))
    }

    /// Whether an asset has its `.meta`, or a `.meta` its asset (from the
    /// dense kinds: no visit to either file).
    pub(crate) fn has_pair(&self, id: FileId) -> bool {
        self.links.get(id as usize).is_some_and(|l| l.pair.is_some())
    }

    /// The asset a `.meta` describes.
    pub fn asset_of_meta(&self, meta: FileId) -> Option<FileId> {
        self.links.get(meta as usize).filter(|l| l.kind == LinkKind::Meta)?.pair
    }

    /// The id of an asset, from its `.meta`.
    pub fn asset_id(&self, asset: FileId) -> Option<Uuid> {
        self.meta_of(asset)?.1.id.map(|(id, _)| id)
    }

    /// Who declares `id`.
    pub fn id_owners(&self, id: &Uuid) -> &[IdOwner] {
        self.ids.get(id).map_or(&[], OneOrMany::as_slice)
    }

    /// The asset `id` names (the first owner, by path, when duplicated).
    pub fn asset_by_id(&self, id: &Uuid) -> Option<(FileId, Option<u32>)> {
        let owner = self.id_owners(id).first()?;
        Some((self.asset_of_meta(owner.meta)?, owner.label))
    }

    /// Whether `ext` (any case) is an asset extension in this project.
    pub fn is_asset_extension(&self, ext: &str) -> bool {
        // Lowercased on the stack (extensions are at most 16 bytes): this
        // runs for every data-file string that looks like a path.
        let mut buf = [0u8; 16];
        let owned;
        let lower = match buf.get_mut(..ext.len()) {
            Some(b) => {
                b.copy_from_slice(ext.as_bytes());
                b.make_ascii_lowercase();
                // ASCII lowercasing keeps UTF-8 valid.
                std::str::from_utf8(b).unwrap_or(ext)
            }
            None => {
                owned = ext.to_ascii_lowercase();
                &owned
            }
        };
        BUILTIN_ASSET_EXTENSIONS.contains(&lower) || self.meta_extensions.contains_key(lower)
    }

    /// Every reference that resolves to `asset`: (referencing file, index
    /// into its references).
    pub fn references_to(&self, asset: FileId) -> Vec<(FileId, usize)> {
        let Some(f) = self.file(asset) else { return Vec::new() };
        let mut keys = vec![RefKey::path(&f.path)];
        if let Some((_, meta)) = self.meta_of(asset) {
            keys.extend(meta.id.map(|(id, _)| RefKey::Id(id)));
            keys.extend(meta.labels.iter().filter_map(|l| l.id.map(RefKey::Id)));
        }
        let mut out = Vec::new();
        let mut seen = HashSet::default();
        for key in keys {
            for &src in self.referrers().get(&key).map_or(&[][..], OneOrMany::as_slice) {
                if !seen.insert(src) {
                    continue;
                }
                if let Some(file) = self.file(src) {
                    for (i, r) in file.resolved.iter().enumerate() {
                        if r.target() == Some(asset) {
                            out.push((src, i));
                        }
                    }
                }
            }
        }
        out.sort_unstable_by(|a, b| self.path(a.0).cmp(self.path(b.0)).then(a.1.cmp(&b.1)));
        out
    }

    /// Where a file's references go: (index of the reference, its kind, target).
    pub fn dependencies(&self, node: FileId) -> Vec<(FileId, usize, DepKind, FileId)> {
        let mut out = Vec::new();
        for src in self.edge_sources(node) {
            if let Some(f) = self.file(src) {
                for (i, (r, res)) in f.loaded.refs.iter().zip(&f.resolved).enumerate() {
                    if let Some(t) = res.target() {
                        out.push((src, i, r.kind, t));
                    }
                }
            }
        }
        out
    }

    /// Assets that depend on `asset`: (the dependent graph node, kind).
    pub fn dependents(&self, asset: FileId) -> Vec<(FileId, DepKind)> {
        let mut out: Vec<(FileId, DepKind)> = self
            .references_to(asset)
            .into_iter()
            .filter_map(|(src, i)| {
                let kind = self.file(src)?.loaded.refs.get(i)?.kind;
                Some((self.node_of(src)?, kind))
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Where the asset that used to live at `old_path` is now, when that is
    /// certain: the watcher saw it move there, or its `.meta` id was seen
    /// leaving that path and now lives in exactly one other place.
    pub fn moved_to(&self, old_path: &str) -> Option<FileId> {
        match self.move_candidates(old_path).as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Where the asset that used to live at `old_path` may be now, sorted by
    /// path: the one place the watcher saw it move to, else every asset
    /// whose `.meta` carries the id that left that path. Several when the id
    /// is duplicated (a copied `.meta`) and the move was not seen: the id
    /// alone cannot tell which copy is the moved one.
    pub fn move_candidates(&self, old_path: &str) -> Vec<FileId> {
        if let Some(to) = self.seen_move(old_path)
            && let Some(id) = self.file_id(&to).filter(|id| self.is_asset(*id))
        {
            return vec![id];
        }
        let Some(u) = self.tombstones.get(old_path) else { return Vec::new() };
        let mut found: Vec<FileId> =
            self.id_owners(u).iter().filter(|o| o.label.is_none()).filter_map(|o| self.asset_of_meta(o.meta)).collect();
        found.sort_by(|a, b| self.path(*a).cmp(self.path(*b)));
        found.dedup();
        found
    }

    /// Where the watcher saw `old_path`, or the folder holding it, move to.
    fn seen_move(&self, old_path: &str) -> Option<String> {
        if let Some(to) = self.moves.get(old_path) {
            return Some(to.to_string());
        }
        let mut dir = old_path;
        while let Some((parent, _)) = dir.rsplit_once('/') {
            if let Some(to) = self.moves.get(parent) {
                return Some(format!("{to}{}", &old_path[parent.len()..]));
            }
            dir = parent;
        }
        None
    }

    /// Remembers a move the watcher saw, under the asset's path for an
    /// asset or its `.meta`.
    fn record_move(&mut self, from: &Path, to: &Path) {
        let (Some(from), Some(to)) = (self.rel_path(from), self.rel_path(to)) else { return };
        let (from, to) = match (from.strip_suffix(META_SUFFIX), to.strip_suffix(META_SUFFIX)) {
            (Some(f), Some(t)) => (f.to_owned(), t.to_owned()),
            _ => (from, to),
        };
        // A move back leaves nothing to remember.
        self.moves.remove(to.as_str());
        if from != to {
            self.moves.insert(from.into(), to.into());
        }
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

    /// The findings of the scan on paths that are not files of the project
    /// (see `outside_files`).
    fn set_outside_files(&mut self, unreadable_dirs: Vec<(String, String)>) {
        let mut found = self.config.missing_roots(&self.root);
        if !found.is_empty() {
            let text = std::fs::read_to_string(self.root.join(CONFIG_FILE)).unwrap_or_default();
            self.config_index = Some(Box::new(LineIndex::new(&text)));
        }
        found.extend(unreadable_dirs.into_iter().map(|(dir, why)| {
            Diagnostic::new(
                Code::UnreadableFile,
                &dir,
                TextRange::default(),
                format!("Assetry cannot list this folder ({why}); the files in it were not checked"),
            )
        }));
        found.sort();
        for d in found {
            match self.outside_files.last_mut() {
                Some(last) if last.path == d.path => last.diagnostics.push(d),
                _ => self.outside_files.push(FileDiagnostics { path: d.path.clone(), diagnostics: vec![d] }),
            }
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

    // ---- applying changes -------------------------------------------------

    /// Applies a batch of changes and returns the complete new diagnostics
    /// of exactly the files whose diagnostics changed (an empty list for a
    /// file means it is clean now, or was removed).
    pub fn apply(&mut self, batch: ChangeBatch) -> Vec<FileDiagnostics> {
        let config_path = self.root.join(CONFIG_FILE);
        // Only the saved file counts: an editor's unsaved assetry.toml is a
        // draft, and rescanning on every keystroke would be absurd.
        let mut config_moved = false;
        let on_disk = |c: &Change| {
            matches!(c, Change::Disk(_) | Change::Removed(_) | Change::Moved { .. })
                && change_paths(c).iter().any(|p| **p == config_path)
        };
        if batch.changes.iter().any(on_disk) {
            // A config that does not parse keeps the last good one; one that
            // parses to the same settings changes nothing.
            match Config::load(&self.root) {
                Ok(config) if config != self.config => return self.reload(config),
                // The same settings, maybe elsewhere in the file now.
                Ok(_) => config_moved = true,
                Err(_) => {}
            }
        }
        // A root created or removed changes the config's findings; while one
        // is missing, any change may be the first news of it (a watcher
        // reports the files in a new folder, not always the folder).
        let roots_touched = self.outside_files.iter().any(|f| f.path == CONFIG_FILE)
            || batch
                .changes
                .iter()
                .flat_map(change_paths)
                .any(|p| self.rel_path(p).is_some_and(|rel| self.classifier.is_root(&rel) || rel.is_empty()));
        let mut dirty = Dirty::default();
        for change in batch.changes {
            match change {
                Change::Disk(abs) => self.refresh_from_disk(&abs, false, &mut dirty),
                Change::Removed(abs) => self.remove_path(&abs, &mut dirty),
                Change::Moved { from, to } => {
                    self.remove_path(&from, &mut dirty);
                    self.refresh_from_disk(&to, false, &mut dirty);
                    self.record_move(&from, &to);
                }
                Change::Overlay { path, text } => self.set_overlay(&path, &text, &mut dirty),
                Change::CloseOverlay(abs) => self.refresh_from_disk(&abs, true, &mut dirty),
            }
        }
        let mut out = self.settle(dirty);
        if (roots_touched || config_moved)
            && let Some(config) = self.recheck_roots()
        {
            out.push(config);
            out.sort_by(|a, b| a.path.cmp(&b.path));
        }
        out
    }

    /// Recomputes the missing-root findings on `assetry.toml`: the changed
    /// file's new diagnostics, when they changed.
    fn recheck_roots(&mut self) -> Option<FileDiagnostics> {
        let now = self.config.missing_roots(&self.root);
        let at = self.outside_files.iter().position(|f| f.path == CONFIG_FILE);
        if at.map_or(&[][..], |i| &self.outside_files[i].diagnostics) == now.as_slice() {
            return None;
        }
        let changed = FileDiagnostics { path: CONFIG_FILE.to_owned(), diagnostics: now };
        if !changed.diagnostics.is_empty() {
            let text = std::fs::read_to_string(self.root.join(CONFIG_FILE)).unwrap_or_default();
            self.config_index = Some(Box::new(LineIndex::new(&text)));
        }
        match at {
            Some(i) if changed.diagnostics.is_empty() => {
                self.outside_files.remove(i);
            }
            Some(i) => self.outside_files[i] = changed.clone(),
            None => {
                self.outside_files.push(changed.clone());
                self.outside_files.sort_by(|a, b| a.path.cmp(&b.path));
            }
        }
        Some(changed)
    }

    /// Re-reads the config and rescans everything (assetry.toml changed).
    fn reload(&mut self, config: Config) -> Vec<FileDiagnostics> {
        let before: HashMap<String, Vec<Diagnostic>> =
            self.all_diagnostics().into_iter().map(|fd| (fd.path, fd.diagnostics)).collect();
        let overlays: Vec<(PathBuf, Arc<str>)> =
            self.files.iter().flatten().filter_map(|f| Some((self.root.join(&*f.path), f.overlay.clone()?))).collect();
        let parsed_before = self.files_parsed;
        *self = Project::with_config(self.root.clone(), config);
        self.files_parsed += parsed_before;
        for (path, text) in overlays {
            let mut d = Dirty::default();
            self.set_overlay(&path, &text, &mut d);
        }
        let mut out = Vec::new();
        let mut seen = HashSet::default();
        for fd in self.all_diagnostics() {
            seen.insert(fd.path.clone());
            if before.get(&fd.path) != Some(&fd.diagnostics) {
                out.push(fd);
            }
        }
        for path in before.keys() {
            if !seen.contains(path) && !before[path].is_empty() {
                out.push(FileDiagnostics { path: path.clone(), diagnostics: Vec::new() });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    fn refresh_from_disk(&mut self, abs: &Path, closing: bool, dirty: &mut Dirty) {
        let Some(rel) = self.rel_path(abs) else { return };
        if abs.is_dir() {
            if self.classifier.is_ignored(&rel, true) {
                return;
            }
            let result = scan::walk(&self.root, &[abs.to_path_buf()], &self.classifier);
            // A folder re-read is the truth about it: what the walk no longer
            // finds there (deleted, or now ignored) is gone.
            let found: HashSet<&str> = result.files.iter().flatten().map(|f| &*f.rel).collect();
            let prefix = folder_prefix(&rel);
            let gone: Vec<String> = self
                .files_with_prefix(&prefix)
                .filter(|(p, _)| !found.contains(p))
                .map(|(p, _)| p.to_owned())
                .collect();
            for p in gone {
                self.remove_rel(&p, dirty);
            }
            for f in result.files.into_iter().flatten() {
                self.files_parsed += 1;
                self.upsert(&f.rel, f.kind, f.loaded, None, dirty);
            }
            return;
        }
        let Some(kind) = self.classifier.classify(&rel) else { return };
        if let Some(id) = self.file_id(&rel)
            && !closing
            && self.file(id).is_some_and(|f| f.overlay.is_some())
        {
            // The editor's buffer is in charge until it is closed.
            return;
        }
        let loaded = scan::load(abs, kind, &self.classifier);
        self.files_parsed += 1;
        if loaded.exists {
            self.upsert(&rel, kind, loaded, None, dirty);
        } else {
            self.remove_rel(&rel, dirty);
        }
    }

    fn set_overlay(&mut self, abs: &Path, text: &Arc<str>, dirty: &mut Dirty) {
        let Some(rel) = self.rel_path(abs) else { return };
        let Some(kind) = self.classifier.classify(&rel) else { return };
        let loaded = scan::parse_text(kind, text, &self.classifier);
        self.files_parsed += 1;
        self.upsert(&rel, kind, loaded, Some(text.clone()), dirty);
    }

    fn remove_path(&mut self, abs: &Path, dirty: &mut Dirty) {
        let Some(rel) = self.rel_path(abs) else { return };
        if self.file_id(&rel).is_some() {
            self.remove_rel(&rel, dirty);
        }
        let prefix = folder_prefix(&rel);
        let under: Vec<String> = self.files_with_prefix(&prefix).map(|(p, _)| p.to_owned()).collect();
        for p in under {
            self.remove_rel(&p, dirty);
        }
    }

    fn upsert(&mut self, rel: &str, kind: FileKind, loaded: Loaded, overlay: Option<Arc<str>>, dirty: &mut Dirty) {
        match self.file_id(rel) {
            Some(id) => {
                self.unregister(id, dirty);
                if let Some(f) = self.files[id as usize].as_mut() {
                    f.loaded = loaded;
                    f.kind = kind;
                    f.overlay = overlay;
                }
                if let Some(link) = self.links.get_mut(id as usize) {
                    link.kind = LinkKind::of(kind);
                }
                self.register(id, dirty);
            }
            None => {
                let id = self.insert(rel.into(), kind, loaded, dirty);
                if let Some(f) = self.files[id as usize].as_mut() {
                    f.overlay = overlay;
                }
            }
        }
    }

    fn insert(&mut self, path: Arc<str>, kind: FileKind, loaded: Loaded, dirty: &mut Dirty) -> FileId {
        let id = self.files.len() as FileId;
        let pair = self.counterpart(&path, kind);
        self.files.push(Some(File { path: path.clone(), kind, loaded, resolved: Vec::new(), overlay: None }));
        self.links.push(Link::of(kind, pair));
        self.edges.push(Box::default());
        if let Some(other) = pair.and_then(|p| self.links.get_mut(p as usize)) {
            other.pair = Some(id);
        }
        self.by_path.insert(path.clone(), (id, matches!(kind, FileKind::Asset { .. })));
        self.add_to_folder(&path, id, dirty);
        if matches!(kind, FileKind::Asset { .. }) {
            push_id(&mut self.by_lower, lower_hash(&path), id);
        }
        if !dirty.bulk {
            dirty.keys.insert(RefKey::path(&path));
            self.pair_dirty(&path, kind, dirty);
        }
        self.register(id, dirty);
        id
    }

    fn add_to_folder(&mut self, path: &str, id: FileId, dirty: &mut Dirty) {
        let mut dir = parent_dir(path);
        if let Some(folder) = self.folders.get_mut(dir) {
            folder.files.push(id);
            if folder.files.len() + folder.dirs.len() > 1 {
                return;
            }
        } else {
            self.folders.insert(dir.into(), Folder { files: vec![id], dirs: Vec::new() });
        }
        // A new folder: register it with its parents up to the first that existed.
        while !dir.is_empty() {
            self.folder_meta_dirty(dir, dirty);
            let (parent, name) = (parent_dir(dir), file_name(dir));
            let up = self.folders.entry(parent.into()).or_default();
            let was_new = up.files.is_empty() && up.dirs.is_empty();
            up.dirs.push(name.into());
            if !was_new {
                break;
            }
            dir = parent;
        }
    }

    fn remove_from_folder(&mut self, path: &str, id: FileId, dirty: &mut Dirty) {
        let mut dir = parent_dir(path);
        let Some(folder) = self.folders.get_mut(dir) else { return };
        folder.files.retain(|f| *f != id);
        // An emptied folder leaves its parent, and so on up.
        loop {
            let empty = self.folders.get(dir).is_some_and(|f| f.files.is_empty() && f.dirs.is_empty());
            if !empty || dir.is_empty() {
                break;
            }
            self.folders.remove(dir);
            self.folder_meta_dirty(dir, dirty);
            let (parent, name) = (parent_dir(dir), file_name(dir));
            if let Some(up) = self.folders.get_mut(parent) {
                up.dirs.retain(|d| &**d != name);
            }
            dir = parent;
        }
    }

    /// A folder appearing or disappearing changes whether `<folder>.meta` is
    /// a folder's sidecar (as Unity writes them) or an orphan.
    fn folder_meta_dirty(&self, dir: &str, dirty: &mut Dirty) {
        if !dirty.bulk
            && let Some(m) = self.meta_file_id(dir)
        {
            dirty.files.insert(m);
        }
    }

    /// Whether `path` is a folder that holds project files.
    pub fn is_folder(&self, path: &str) -> bool {
        self.folders.contains_key(path)
    }

    /// The direct children of folder `dir` (project-relative, no trailing
    /// `/`, "" for the project folder): sub-folders and files, each sorted.
    pub fn list_dir(&self, dir: &str) -> DirListing<'_> {
        let Some(folder) = self.folders.get(dir.trim_end_matches('/')) else { return DirListing::default() };
        let mut dirs: Vec<&str> = folder.dirs.iter().map(|d| &**d).collect();
        dirs.sort_unstable();
        let mut files: Vec<(&str, FileId)> = folder.files.iter().map(|&f| (file_name(self.path(f)), f)).collect();
        files.sort_unstable();
        DirListing { dirs, files }
    }

    /// The existing asset of a `.meta` path, or `.meta` of an asset path.
    fn counterpart(&self, path: &str, kind: FileKind) -> Option<FileId> {
        match kind {
            FileKind::Asset { .. } => self.meta_file_id(path),
            FileKind::Meta { .. } => self.file_id(path.strip_suffix(META_SUFFIX)?).filter(|id| self.is_asset(*id)),
            FileKind::Code => None,
        }
    }

    fn remove_rel(&mut self, rel: &str, dirty: &mut Dirty) {
        let Some(id) = self.file_id(rel) else { return };
        self.unregister(id, dirty);
        let Some(file) = self.files[id as usize].take() else { return };
        self.references -= count_references(&file.resolved);
        let link = std::mem::replace(&mut self.links[id as usize], Link::GONE);
        self.edges[id as usize] = Box::default();
        if let Some(other) = link.pair.and_then(|p| self.links.get_mut(p as usize)) {
            other.pair = None;
        }
        self.by_path.remove(rel);
        self.remove_from_folder(rel, id, dirty);
        let lower = lower_hash(rel);
        remove_id(&mut self.by_lower, &lower, id);
        dirty.keys.insert(RefKey::Path(lower));
        self.pair_dirty(rel, file.kind, dirty);
        dirty.files.remove(&id);
        dirty.nodes.insert(id);
        let old = self.diagnostics.remove(&id).unwrap_or_default();
        dirty.removed.entry(file.path.to_string()).or_insert(old);
    }

    /// An asset and its `.meta` affect each other's diagnostics
    /// (missing-meta, orphan-meta) and the asset's graph edges.
    fn pair_dirty(&self, rel: &str, kind: FileKind, dirty: &mut Dirty) {
        match kind {
            FileKind::Asset { .. } => {
                if let Some(m) = self.meta_file_id(rel) {
                    dirty.files.insert(m);
                    // References by id resolve through the asset file: they
                    // change with its existence.
                    if let Some(meta) = self.file(m).and_then(File::meta) {
                        let ids = meta.id.map(|(u, _)| u).into_iter().chain(meta.labels.iter().filter_map(|l| l.id));
                        dirty.keys.extend(ids.map(RefKey::Id));
                    }
                }
            }
            FileKind::Meta { .. } => {
                if let Some(asset) = rel.strip_suffix(META_SUFFIX) {
                    if let Some(a) = self.file_id(asset) {
                        dirty.files.insert(a);
                        dirty.nodes.insert(a);
                    }
                    // Labels and the id live here: references to the asset by
                    // path (with #Label) must be re-resolved.
                    dirty.keys.insert(RefKey::path(asset));
                }
            }
            FileKind::Code => {}
        }
    }

    /// Adds a file's references, id and extension to the indexes.
    fn register(&mut self, id: FileId, dirty: &mut Dirty) {
        let Some(file) = self.files[id as usize].as_ref() else { return };
        let path = file.path.clone();
        let keys = self.referrers.get().is_some().then(|| self.keys_of(file));
        if let (Some(keys), Some(referrers)) = (keys, self.referrers.get_mut()) {
            for k in keys {
                push_id(referrers, k, id);
            }
        }
        let Some(file) = self.files[id as usize].as_ref() else { return };
        let meta_id = file.meta().and_then(|m| m.id.map(|(u, _)| u));
        let label_ids: Vec<(u32, Uuid)> = file
            .meta()
            .map(|m| m.labels.iter().enumerate().filter_map(|(i, l)| Some((i as u32, l.id?))).collect())
            .unwrap_or_default();
        let kind = file.kind;
        if let Some(u) = meta_id {
            self.add_owner(u, IdOwner { meta: id, label: None });
            if !dirty.bulk {
                dirty.keys.insert(RefKey::Id(u));
            }
        }
        for (i, u) in label_ids {
            self.add_owner(u, IdOwner { meta: id, label: Some(i) });
            if !dirty.bulk {
                dirty.keys.insert(RefKey::Id(u));
            }
        }
        if matches!(kind, FileKind::Meta { .. })
            && let Some(ext) = meta_asset_extension(&path)
        {
            match self.meta_extensions.get_mut(ext.as_ref()) {
                Some(count) => *count += 1,
                None => {
                    self.meta_extensions.insert(ext.into_owned(), 1);
                    if !dirty.bulk {
                        dirty.everything = true;
                    }
                }
            }
        }
        if !dirty.bulk {
            dirty.files.insert(id);
            if let Some(node) = self.node_of(id) {
                dirty.nodes.insert(node);
            }
        }
    }

    fn add_owner(&mut self, u: Uuid, owner: IdOwner) {
        let Some(owners) = self.ids.get_mut(&u) else {
            self.ids.insert(u, OneOrMany::One(owner));
            return;
        };
        owners.push(owner);
        // The first owner (by path) is the one references by id resolve to.
        let files = &self.files;
        let path = |o: &IdOwner| files[o.meta as usize].as_ref().map(|f| f.path.clone());
        owners.as_mut_slice().sort_by(|a, b| path(a).cmp(&path(b)).then(a.label.cmp(&b.label)));
    }

    /// Removes a file's references, id and extension from the indexes.
    fn unregister(&mut self, id: FileId, dirty: &mut Dirty) {
        let Some(file) = self.files[id as usize].as_ref() else { return };
        let keys = self.referrers.get().is_some().then(|| self.keys_of(file));
        let path = file.path.clone();
        let is_meta = matches!(file.kind, FileKind::Meta { .. });
        let owned: Vec<Uuid> = file
            .meta()
            .map(|m| m.id.map(|(u, _)| u).into_iter().chain(m.labels.iter().filter_map(|l| l.id)).collect())
            .unwrap_or_default();
        let meta_id = file.meta().and_then(|m| m.id.map(|(u, _)| u));
        if let (Some(keys), Some(referrers)) = (keys, self.referrers.get_mut()) {
            for k in &keys {
                remove_id(referrers, k, id);
            }
        }
        for u in owned {
            if self.ids.get_mut(&u).is_some_and(|owners| owners.retain(|o| o.meta != id)) {
                self.ids.remove(&u);
            }
            dirty.keys.insert(RefKey::Id(u));
        }
        if is_meta {
            if let (Some(u), Some(asset)) = (meta_id, path.strip_suffix(META_SUFFIX)) {
                self.tombstones.insert(asset.into(), u);
            }
            if let Some(ext) = meta_asset_extension(&path)
                && let Some(c) = self.meta_extensions.get_mut(ext.as_ref())
            {
                *c -= 1;
                if *c == 0 {
                    self.meta_extensions.remove(ext.as_ref());
                    dirty.everything = true;
                }
            }
        }
        if let Some(node) = self.node_of(id) {
            dirty.nodes.insert(node);
        }
        dirty.files.insert(id);
    }

    /// Recomputes derived state for what `dirty` names and returns the files
    /// whose diagnostics changed.
    fn settle(&mut self, mut dirty: Dirty) -> Vec<FileDiagnostics> {
        if dirty.everything {
            dirty.files.extend(self.file_ids());
        }
        let referrers = self.referrers();
        for key in &dirty.keys {
            if let Some(v) = referrers.get(key) {
                dirty.files.extend(v.as_slice().iter().copied());
            }
            // Every owner of an id can gain or lose a duplicate-id finding.
            if let RefKey::Id(u) = key
                && let Some(owners) = self.ids.get(u)
            {
                dirty.files.extend(owners.as_slice().iter().map(|o| o.meta));
            }
        }
        dirty.files.retain(|id| self.file(*id).is_some());
        // Graph nodes whose edges may change, with their edges before.
        let mut nodes = dirty.nodes;
        nodes.extend(dirty.files.iter().filter_map(|id| self.node_of(*id)));
        let before: Vec<(FileId, Vec<FileId>)> = nodes.into_iter().map(|n| (n, self.out_edges(n))).collect();
        for &id in &dirty.files {
            self.resolve_file(id);
        }
        let mut diag_dirty = dirty.files;
        let changes: Vec<(FileId, Vec<FileId>, Vec<FileId>)> = before
            .into_iter()
            .map(|(n, old)| {
                let new = self.out_edges(n);
                (n, old, new)
            })
            .filter(|(n, old, new)| old != new || self.cycle_of(*n).is_some())
            .collect();
        if !changes.is_empty() {
            let mut cycles = std::mem::take(&mut self.cycles);
            let changed = {
                let project = &*self;
                cycles.update(&changes, |n, out| project.extend_out_edges(n, out))
            };
            self.cycles = cycles;
            for n in changed {
                if self.file(n).is_some() {
                    diag_dirty.insert(n);
                }
                if let Some(path) = self.file(n).map(|f| f.path.clone())
                    && let Some(m) = self.meta_file_id(&path)
                {
                    diag_dirty.insert(m);
                }
            }
        }
        let mut out = Vec::new();
        for id in diag_dirty {
            let new = self.compute_diagnostics(id);
            let recreated = dirty.removed.remove(self.path(id));
            let old = self.diagnostics.get(&id).or(recreated.as_ref()).map_or(&[][..], Vec::as_slice);
            if new != old {
                out.push(FileDiagnostics { path: self.path(id).to_owned(), diagnostics: new.clone() });
            }
            if new.is_empty() {
                self.diagnostics.remove(&id);
            } else {
                self.diagnostics.insert(id, new);
            }
        }
        for (path, old) in dirty.removed {
            if !old.is_empty() {
                out.push(FileDiagnostics { path, diagnostics: Vec::new() });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    // ---- the reverse index ----------------------------------------------------

    /// The reverse index, built now if it does not exist yet.
    fn referrers(&self) -> &HashMap<RefKey, OneOrMany<FileId>> {
        self.referrers.get_or_init(|| {
            let ids: Vec<FileId> = self.file_ids().collect();
            let keys = parallel_map(&ids, |id| self.file(id).map(|f| self.keys_of(f)).unwrap_or_default());
            let mut map = HashMap::default();
            map.reserve(keys.iter().map(Vec::len).sum());
            for (id, keys) in ids.into_iter().zip(keys) {
                for k in keys {
                    push_id(&mut map, k, id);
                }
            }
            map
        })
    }

    /// Builds what applying changes needs and a one-shot check does not
    /// (the reverse index), so the first edit does not pay for it. Long-lived
    /// users (the language server, `watch`) call it once the first
    /// diagnostics are out.
    pub fn prepare_for_changes(&self) {
        self.referrers();
    }

    /// The reverse-index keys of a file's references: pure path arithmetic
    /// on its references, so the same before and after any other change.
    fn keys_of(&self, file: &File) -> Vec<RefKey> {
        let from_root = file.root().map(|r| self.config.roots[r as usize].as_str());
        let mut scratch = resolve::Scratch::default();
        let mut keys = Vec::new();
        for r in &file.loaded.refs {
            let t =
                resolve::target_in(&r.value, r.file_relative, &file.path, from_root, &self.config.roots, &mut scratch);
            resolve::push_keys(t, &mut keys);
        }
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    // ---- resolution ---------------------------------------------------------

    fn resolve_all(&mut self) {
        let ids: Vec<FileId> = self.file_ids().collect();
        let resolved = parallel_map(&ids, |id| {
            let r = self.resolutions_of(id);
            let edges = self.file(id).map(|f| blocking_targets(&f.loaded.refs, &r)).unwrap_or_default();
            (r, edges)
        });
        for (id, (r, edges)) in ids.into_iter().zip(resolved) {
            if let Some(f) = self.files[id as usize].as_mut() {
                let (old, new) = (count_references(&f.resolved), count_references(&r));
                self.references = self.references + new - old;
                f.resolved = r;
                self.edges[id as usize] = edges;
            }
        }
    }

    fn resolve_file(&mut self, id: FileId) {
        let resolved = self.resolutions_of(id);
        if let Some(f) = self.files[id as usize].as_mut() {
            self.edges[id as usize] = blocking_targets(&f.loaded.refs, &resolved);
            self.references = self.references + count_references(&resolved) - count_references(&f.resolved);
            f.resolved = resolved;
        }
    }

    fn resolutions_of(&self, id: FileId) -> Vec<Resolution> {
        let Some(file) = self.file(id) else { return Vec::new() };
        let from_root = file.root().map(|r| self.config.roots[r as usize].as_str());
        let mut scratch = resolve::Scratch::default();
        let resolved: Vec<Resolution> = file
            .loaded
            .refs
            .iter()
            .map(|r| {
                let t = resolve::target_in(
                    &r.value,
                    r.file_relative,
                    &file.path,
                    from_root,
                    &self.config.roots,
                    &mut scratch,
                );
                self.resolve(r, t)
            })
            .collect();
        resolved
    }

    /// How one reference, pointing at `target`, resolves against the current state.
    pub(crate) fn resolve(&self, r: &RawRef, target: TargetRef<'_>) -> Resolution {
        if !r.explicit
            && let TargetRef::Path { .. } | TargetRef::Escapes = target
        {
            match path_extension(&r.value) {
                Some(ext) if self.is_asset_extension(ext) => {}
                _ => return Resolution::NotReference,
            }
        }
        match target {
            TargetRef::Escapes => Resolution::EscapesRoot,
            TargetRef::Id(u) => match self.id_owners(&u).first() {
                Some(owner) => match self.asset_of_meta(owner.meta) {
                    Some(asset) => Resolution::Asset { target: asset, label: owner.label },
                    None => Resolution::UnknownId,
                },
                None => Resolution::UnknownId,
            },
            TargetRef::Path { candidates, label } => {
                let found = candidates.iter().find_map(|c| self.by_path.get(c).filter(|e| e.1).map(|e| e.0));
                let Some(target) = found else {
                    for c in candidates.iter() {
                        let lower = c.to_lowercase();
                        let same = self.by_lower.get(&lower_hash(c)).map_or(&[][..], OneOrMany::as_slice);
                        if let Some(t) = same.iter().copied().find(|t| self.path(*t).to_lowercase() == lower) {
                            return Resolution::CaseMismatch { target: t };
                        }
                    }
                    let path = candidates.first().unwrap_or_default().to_owned();
                    return Resolution::Broken { path };
                };
                match label {
                    None => Resolution::Asset { target, label: None },
                    Some(name) => {
                        let idx = self.meta_of(target).and_then(|(_, m)| m.labels.iter().position(|l| l.name == name));
                        match idx {
                            Some(i) => Resolution::Asset { target, label: Some(i as u32) },
                            None => Resolution::UnknownLabel { target, label: name.to_owned() },
                        }
                    }
                }
            }
        }
    }

    fn is_asset(&self, id: FileId) -> bool {
        self.links.get(id as usize).is_some_and(|l| l.kind == LinkKind::Asset)
    }

    // ---- graph --------------------------------------------------------------

    /// The graph node a file's references belong to: an asset is its own
    /// node, a `.meta`'s `[dependencies]` belong to its asset, game code is
    /// not a node.
    pub fn node_of(&self, id: FileId) -> Option<FileId> {
        match self.links.get(id as usize)?.kind {
            LinkKind::Asset => Some(id),
            LinkKind::Meta => self.asset_of_meta(id),
            LinkKind::Code | LinkKind::Gone => None,
        }
    }

    /// Files whose references are the out-edges of `node`: the asset itself and its `.meta`.
    fn edge_sources(&self, node: FileId) -> impl Iterator<Item = FileId> + use<> {
        let meta = self.links.get(node as usize).filter(|l| l.kind == LinkKind::Asset).and_then(|l| l.pair);
        std::iter::once(node).chain(meta)
    }

    fn nodes(&self) -> Vec<FileId> {
        self.links.iter().enumerate().filter(|(_, l)| l.kind == LinkKind::Asset).map(|(i, _)| i as FileId).collect()
    }

    /// Build and load edges out of `node` (weak edges never form cycles).
    pub(crate) fn out_edges(&self, node: FileId) -> Vec<FileId> {
        let mut out = Vec::new();
        self.extend_out_edges(node, &mut out);
        out
    }

    /// Appends the build and load edges out of `node` to `out`.
    fn extend_out_edges(&self, node: FileId, out: &mut Vec<FileId>) {
        if !self.is_asset(node) {
            return;
        }
        for src in self.edge_sources(node) {
            out.extend_from_slice(self.edges.get(src as usize).map_or(&[][..], |e| e));
        }
    }

    /// The strongly connected component `node` is in, if it is on a cycle.
    pub fn cycle_of(&self, node: FileId) -> Option<&[FileId]> {
        self.cycles.component_of(node)
    }

    // ---- diagnostics --------------------------------------------------------

    fn compute_diagnostics(&self, id: FileId) -> Vec<Diagnostic> {
        crate::checks::file_diagnostics(self, id)
    }
}

/// `f` over `items` on every core (the state is read-only here), in order.
/// Threads take small batches as they go, so one slow part (big files, a
/// cold disk) does not leave the other cores idle.
fn parallel_map<T: Send>(items: &[FileId], f: impl Fn(FileId) -> T + Sync) -> Vec<T> {
    const BATCH: usize = 256;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads < 2 || items.len() < 4 * BATCH {
        return items.iter().map(|&i| f(i)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut batches: Vec<(usize, Vec<T>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (f, next) = (&f, &next);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(part) = items.chunks(BATCH).nth(b) else { break };
                        done.push((b, part.iter().map(|&i| f(i)).collect::<Vec<T>>()));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    batches.sort_unstable_by_key(|(b, _)| *b);
    batches.into_iter().flat_map(|(_, v)| v).collect()
}

/// How many of a file's strings are references (resolved or not).
fn count_references(resolved: &[Resolution]) -> usize {
    resolved.iter().filter(|r| **r != Resolution::NotReference).count()
}

/// Targets of the build and load references among `refs`, resolved as `resolved`.
fn blocking_targets(refs: &[RawRef], resolved: &[Resolution]) -> Box<[FileId]> {
    refs.iter().zip(resolved).filter(|(r, _)| r.kind.blocks()).filter_map(|(_, res)| res.target()).collect()
}

/// What every path under folder `rel` starts with ("" for the project folder).
fn folder_prefix(rel: &str) -> String {
    if rel.is_empty() { String::new() } else { format!("{rel}/") }
}

/// The extension (lowercase) of the asset a `.meta` path describes.
fn meta_asset_extension(meta_path: &str) -> Option<std::borrow::Cow<'_, str>> {
    let asset = meta_path.strip_suffix(META_SUFFIX)?.as_bytes();
    let dot = memchr::memrchr(b'.', asset)?;
    if memchr::memchr(b'/', &asset[dot..]).is_some() {
        return None;
    }
    let ext = &meta_path[dot + 1..asset.len()];
    Some(if ext.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(ext.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(ext)
    })
}

fn change_paths(c: &Change) -> Vec<&PathBuf> {
    match c {
        Change::Disk(p) | Change::Removed(p) | Change::CloseOverlay(p) => vec![p],
        Change::Overlay { path, .. } => vec![path],
        Change::Moved { from, to } => vec![from, to],
    }
}

/// Phase timings of a scan, printed to stderr when `ASSETRY_TIMINGS` is set
/// (for benchmarks and profiling; silent otherwise).
struct Timings(Option<std::cell::Cell<(std::time::Instant, std::time::Duration)>>);

impl Timings {
    fn start() -> Self {
        let cpu = || crate::walk::process_cpu_time().unwrap_or_default();
        Timings(std::env::var_os("ASSETRY_TIMINGS").map(|_| std::cell::Cell::new((std::time::Instant::now(), cpu()))))
    }

    /// Prints the wall time of the phase just ended, and the CPU time the
    /// whole process spent in it (all threads).
    fn lap(&self, phase: &str) {
        if let Some(t) = &self.0 {
            let (now, cpu) = (std::time::Instant::now(), crate::walk::process_cpu_time().unwrap_or_default());
            let (then, cpu_then) = t.get();
            eprintln!(
                "timing: {phase} {:.1} ms (cpu {:.1} ms)",
                (now - then).as_secs_f64() * 1000.0,
                (cpu.saturating_sub(cpu_then)).as_secs_f64() * 1000.0
            );
            t.set((now, cpu));
        }
    }
}
