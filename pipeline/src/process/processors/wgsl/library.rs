//! Bevy's own shader modules (`#import bevy_pbr::forward_io::VertexOutput`),
//! found where cargo put them: the version of each `bevy*` crate in the
//! `Cargo.lock` of the project (or of a folder above it: its workspace),
//! then `$CARGO_HOME/registry/src/*/<crate>-<version>/src/**/*.wgsl`, read
//! for their `#define_import_path`. Read lazily (only when a shader imports
//! a module no project shader declares), once per run for the lock and once
//! per process for each crate's folder. Git and path dependencies are not
//! looked up (their checkout is not named by the lock alone): a clear
//! error says so.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use naga_oil::compose::ShaderDefValue;

use crate::project::Project;

/// One run's view of Bevy's shader library, built on first use.
pub(crate) struct Library {
    crates: OnceLock<Crates>,
}

/// A module of Bevy's, ready to add to the composer.
pub(super) struct LibraryModule {
    pub name: String,
    pub path: PathBuf,
    pub source: String,
}

/// The `bevy*` crates the lock names, and where their sources are.
#[derive(Default)]
struct Crates {
    lock: Option<PathBuf>,
    by_name: HashMap<String, Located>,
}

enum Located {
    /// The crate's modules: `#define_import_path` → file.
    Found { version: String, dir: PathBuf, modules: Arc<Modules> },
    /// Not downloaded: not in `looked` (the registry's or git's folder).
    Missing { version: String, looked: PathBuf },
    /// A path dependency: the lock does not say where.
    NotRegistry { version: String },
}

#[derive(Default)]
struct Modules {
    by_name: HashMap<String, PathBuf>,
    /// `.wesl` files seen: Bevy after 0.19 ships its modules as WESL.
    wesl: usize,
}

/// Each crate folder's modules, read once per process.
static FOLDERS: Mutex<Option<HashMap<PathBuf, Arc<Modules>>>> = Mutex::new(None);

impl Library {
    pub(crate) fn new() -> Library {
        Library { crates: OnceLock::new() }
    }

    /// The module of Bevy's that `import` (`bevy_pbr::forward_io::X`)
    /// names: `Ok(None)` when the import is not under a Bevy crate's name
    /// (naga_oil then reports it missing), an error saying what to do when
    /// it is but the crate's sources cannot be read.
    pub(super) fn find(&self, project: &Project, import: &str) -> Result<Option<LibraryModule>, String> {
        let Some(krate) = self.locate(project, import)? else { return Ok(None) };
        let (first, version, modules) = (krate.name, krate.version, krate.modules);
        let found = prefixes(import).find_map(|m| modules.by_name.get(m).map(|p| (m, p)));
        let Some((name, path)) = found else {
            if modules.by_name.is_empty() && modules.wesl > 0 {
                return Err(format!(
                    "`{import}`: crate `{first}` {version} has no WGSL shader modules (its shaders are WESL): \
                     write this shader as a `.wesl` file, composed as Bevy composes WESL"
                ));
            }
            return Ok(None);
        };
        let source = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read Bevy's `{name}` ({}): {e}", path.display()))?;
        Ok(Some(LibraryModule { name: name.to_owned(), path: path.clone(), source }))
    }
}

/// A `bevy*` crate whose sources cargo has downloaded.
pub(crate) struct CrateSources<'a> {
    pub name: &'a str,
    pub version: &'a str,
    /// The crate's folder (its `Cargo.toml`'s).
    pub dir: &'a Path,
    modules: &'a Modules,
}

impl Library {
    /// The crate that `import` (`bevy_pbr::…`) starts with, as the lock
    /// names it: `Ok(None)` when its first segment is not a Bevy crate's
    /// name, an error saying what to do when it is but its sources cannot
    /// be read (not in the lock, not fetched, a path dependency).
    pub(crate) fn locate<'a>(&'a self, project: &Project, import: &str) -> Result<Option<CrateSources<'a>>, String> {
        let first = import.split("::").next().unwrap_or_default();
        if !is_bevy_crate(first) {
            return Ok(None);
        }
        let crates = self.crates.get_or_init(|| Crates::read(project.root()));
        let Some((name, located)) = crates.by_name.get_key_value(first) else {
            return Err(match &crates.lock {
                Some(lock) => format!(
                    "`{import}` is Bevy's, but {} names no crate `{first}` (is the `bevy` feature that brings it off?)",
                    lock.display()
                ),
                None => format!(
                    "`{import}` is Bevy's, but no Cargo.lock is in the project or a folder above it \
                     (run `cargo generate-lockfile` in the game's folder)"
                ),
            });
        };
        match located {
            Located::Found { version, dir, modules } => Ok(Some(CrateSources { name, version, dir, modules })),
            Located::Missing { version, looked } => {
                let folder = crates.lock.as_deref().and_then(Path::parent).unwrap_or(project.root());
                Err(format!(
                    "`{import}` is Bevy's, but the sources of crate `{first}` {version} are not in {}: \
                     run `cargo fetch` in {}",
                    looked.display(),
                    folder.display()
                ))
            }
            Located::NotRegistry { version } => Err(format!(
                "`{import}` is Bevy's, but crate `{first}` {version} is a path dependency, whose shader \
                 modules are not read (only crates.io and git sources are)"
            )),
        }
    }
}

impl Crates {
    fn read(project_root: &Path) -> Crates {
        let Some(lock) = project_root.ancestors().map(|d| d.join("Cargo.lock")).find(|p| p.is_file()) else {
            return Crates::default();
        };
        let Ok(text) = std::fs::read_to_string(&lock) else { return Crates { lock: Some(lock), ..Crates::default() } };
        let Ok(parsed) = text.parse::<toml::Table>() else {
            return Crates { lock: Some(lock), ..Crates::default() };
        };
        let cargo_home = cargo_home();
        let mut by_name = HashMap::new();
        let packages = parsed.get("package").and_then(|p| p.as_array()).map_or(&[][..], |a| a.as_slice());
        for p in packages {
            let field = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            let (name, version, source) = (field("name"), field("version"), field("source"));
            if !is_bevy_crate(&name) || version.is_empty() {
                continue;
            }
            let (found, looked) = if source.starts_with("registry+") || source.starts_with("sparse+") {
                (crate_folder(&cargo_home, &name, &version), cargo_home.join("registry/src"))
            } else if let Some(commit) = source.strip_prefix("git+").and_then(|s| s.rsplit_once('#')).map(|(_, c)| c) {
                (git_folder(&cargo_home, &name, commit), cargo_home.join("git/checkouts"))
            } else {
                by_name.insert(name, Located::NotRegistry { version });
                continue;
            };
            let located = match found {
                Some(dir) => Located::Found { version, modules: modules_of(&dir), dir },
                None => Located::Missing { version, looked },
            };
            by_name.insert(name, located);
        }
        Crates { lock: Some(lock), by_name }
    }
}

/// What a shader's artifact depends on in Bevy's library, for its cache
/// key: the `bevy*` crates and versions of the project's `Cargo.lock` (and
/// `CARGO_HOME`), and whether each one's sources are on this machine, when
/// the shader imports a module under a `bevy*` name that no project shader
/// declares, or is WESL; else nothing, so other shaders' keys do not change
/// with the lock. Sources counted as present make a failure for want of
/// them (kept by key, not tried again) end when `cargo fetch` brings them.
/// The lock is read again only when its size or modification time changed,
/// the sources looked for again until all are there.
pub(crate) fn cache_key(project: &Project, file: crate::project::FileId) -> String {
    let Some(f) = project.file(file) else { return String::new() };
    // A WESL shader's imports of other packages are not references of the
    // graph (the extractor keeps the project's own): any may be Bevy's.
    let wesl = project.path(file).rsplit_once('.').is_some_and(|(_, e)| e.eq_ignore_ascii_case("wesl"));
    let imports_bevy = wesl
        || f.refs().iter().zip(f.resolutions()).any(|(r, res)| {
            r.value.contains("::")
                && is_bevy_crate(r.value.split("::").next().unwrap_or_default())
                && res.target().is_none()
        });
    if !imports_bevy {
        return String::new();
    }
    /// What one lock gave: its modification time and size, its Bevy crates
    /// (name, version, source), and which of them are on this machine once all are.
    struct Seen {
        mtime: std::time::SystemTime,
        len: u64,
        crates: Vec<(String, String, String)>,
        all_present: Option<String>,
    }
    static LOCKS: Mutex<Option<HashMap<PathBuf, Seen>>> = Mutex::new(None);
    let Some(lock) = project.root().ancestors().map(|d| d.join("Cargo.lock")).find(|p| p.is_file()) else {
        return "no Cargo.lock".to_owned();
    };
    let stat = std::fs::metadata(&lock).ok().map(|m| (m.modified().unwrap_or(std::time::UNIX_EPOCH), m.len()));
    let mut cache = LOCKS.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    let home = cargo_home();
    let fresh = matches!((stat, cache.get(&lock)), (Some((m, l)), Some(seen)) if (seen.mtime, seen.len) == (m, l));
    if !fresh {
        let text = std::fs::read_to_string(&lock).unwrap_or_default();
        let mut crates = Vec::new();
        if let Ok(parsed) = text.parse::<toml::Table>() {
            let packages = parsed.get("package").and_then(|p| p.as_array()).map_or(&[][..], |a| a.as_slice());
            for p in packages {
                let field = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                if is_bevy_crate(&field("name")) {
                    crates.push((field("name"), field("version"), field("source")));
                }
            }
        }
        let (mtime, len) = stat.unwrap_or((std::time::UNIX_EPOCH, 0));
        cache.insert(lock.clone(), Seen { mtime, len, crates, all_present: None });
    }
    let Some(seen) = cache.get_mut(&lock) else { return String::new() };
    let present = match &seen.all_present {
        Some(p) => p.clone(),
        None => {
            let mut all = true;
            let mut present = String::new();
            for (name, version, source) in &seen.crates {
                let here = if source.starts_with("registry+") || source.starts_with("sparse+") {
                    crate_folder(&home, name, version).is_some()
                } else if let Some(commit) =
                    source.strip_prefix("git+").and_then(|s| s.rsplit_once('#')).map(|(_, c)| c)
                {
                    git_folder(&home, name, commit).is_some()
                } else {
                    false
                };
                all &= here;
                present.push(if here { '1' } else { '0' });
            }
            if all {
                seen.all_present = Some(present.clone());
            }
            present
        }
    };
    let mut key = String::new();
    for (name, version, source) in &seen.crates {
        key.push_str(&format!("{name} {version} {source}\n"));
    }
    blake3::hash(format!("{}\0{key}\0{present}", home.display()).as_bytes()).to_hex().to_string()
}

/// `bevy` and `bevy_*`: the crates of Bevy (and of its ecosystem) whose
/// shader modules are imported under the crate's name.
fn is_bevy_crate(name: &str) -> bool {
    name == "bevy" || name.starts_with("bevy_")
}

fn cargo_home() -> PathBuf {
    match std::env::var_os("CARGO_HOME") {
        Some(h) if !h.is_empty() => PathBuf::from(h),
        _ => std::env::var_os("HOME").map_or_else(|| PathBuf::from(".cargo"), |h| PathBuf::from(h).join(".cargo")),
    }
}

/// `$CARGO_HOME/registry/src/<index>/<name>-<version>`, in any index.
fn crate_folder(cargo_home: &Path, name: &str, version: &str) -> Option<PathBuf> {
    let indexes = std::fs::read_dir(cargo_home.join("registry/src")).ok()?;
    let mut found: Vec<PathBuf> =
        indexes.flatten().map(|i| i.path().join(format!("{name}-{version}"))).filter(|d| d.is_dir()).collect();
    found.sort();
    found.into_iter().next()
}

/// A git dependency's crate: cargo checks commit `c` of a repository out
/// at `$CARGO_HOME/git/checkouts/<repo>-<hash>/<first 7 digits of c>/`;
/// the crate is the checkout itself or its `crates/<name>` or `<name>`.
fn git_folder(cargo_home: &Path, name: &str, commit: &str) -> Option<PathBuf> {
    let short = commit.get(..7)?;
    let repos = std::fs::read_dir(cargo_home.join("git/checkouts")).ok()?;
    let mut checkouts: Vec<PathBuf> = repos.flatten().map(|r| r.path().join(short)).filter(|c| c.is_dir()).collect();
    checkouts.sort();
    let names = |dir: &Path| {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?.parse::<toml::Table>().ok()?;
        let package = manifest.get("package")?.get("name")?.as_str()?.to_owned();
        Some(package)
    };
    checkouts.into_iter().find_map(|c| {
        [c.join("crates").join(name), c.join(name), c].into_iter().find(|d| names(d).as_deref() == Some(name))
    })
}

/// A crate folder's modules, read once per process.
fn modules_of(dir: &Path) -> Arc<Modules> {
    let mut cache = FOLDERS.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some(m) = cache.get(dir) {
        return m.clone();
    }
    let mut modules = Modules::default();
    let mut stack = vec![dir.join("src")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "wesl") {
                modules.wesl += 1;
            } else if path.extension().is_some_and(|x| x == "wgsl")
                && let Ok(text) = std::fs::read_to_string(&path)
                && let Some(name) = crate::extract::define_import_path(&text)
            {
                modules.by_name.entry(name.into()).or_insert(path);
            }
        }
    }
    let modules = Arc::new(modules);
    cache.insert(dir.to_owned(), modules.clone());
    modules
}

/// `a::b::c`, `a::b`, `a`: an import names a module or an item of one.
fn prefixes(name: &str) -> impl Iterator<Item = &str> {
    let mut ends: Vec<usize> = name.match_indices("::").map(|(i, _)| i).collect();
    ends.push(name.len());
    ends.into_iter().rev().map(move |e| &name[..e])
}

/// The shader defs a typical material shader is composed with, as Bevy's
/// renderer sets them on a desktop GPU (Bevy 0.19): the pipeline cache's
/// global `AVAILABLE_STORAGE_BUFFER_BINDINGS` (wgpu's default limit, 8),
/// the mesh view types' light limits (`MAX_DIRECTIONAL_LIGHTS` 10,
/// `MAX_CASCADES_PER_LIGHT` 4, `MAX_RECT_LIGHTS` 8), the material's bind
/// group (3), the mesh pipeline's own (`MESH_PIPELINE`,
/// `VERTEX_OUTPUT_INSTANCE_INDEX`) and a mesh with positions, normals and
/// UVs (the vertex attributes `Mesh3d` of a primitive shape has). None outside a Bevy project.
pub(crate) fn shader_defs(project: &Project) -> HashMap<String, ShaderDefValue> {
    let mut defs = HashMap::new();
    if project.config().flavor != crate::flavor::Flavor::Bevy {
        return defs;
    }
    for (name, value) in [
        ("AVAILABLE_STORAGE_BUFFER_BINDINGS", 8),
        ("MAX_DIRECTIONAL_LIGHTS", 10),
        ("MAX_CASCADES_PER_LIGHT", 4),
        ("MAX_RECT_LIGHTS", 8),
        ("MATERIAL_BIND_GROUP", 3),
    ] {
        defs.insert(name.to_owned(), ShaderDefValue::UInt(value));
    }
    for flag in [
        "MESH_PIPELINE",
        "VERTEX_OUTPUT_INSTANCE_INDEX",
        "VERTEX_POSITIONS",
        "VERTEX_NORMALS",
        "VERTEX_UVS",
        "VERTEX_UVS_A",
    ] {
        defs.insert(flag.to_owned(), ShaderDefValue::Bool(true));
    }
    defs
}
