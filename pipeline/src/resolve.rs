//! Path arithmetic for references: where a reference string points, as a
//! project-relative path, before asking whether anything lives there.
//! Pure functions of (referencing file, string, roots): no project state,
//! so the result can key the reverse index that drives invalidation.

use uuid::Uuid;

use crate::config::Config;
use crate::extract::is_uuid;
use crate::flavor::Flavor;

/// Where a reference string points.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// By id (a UUID string).
    Id(Uuid),
    /// Project-relative candidate paths, in lookup order (game code tries
    /// each asset root in turn), plus an optional `#Label`.
    Path { candidates: Vec<String>, label: Option<String> },
    /// The path leaves the asset roots (or the project).
    Escapes,
}

/// [`Target`] borrowing its strings from the reference and a [`Scratch`]:
/// the scan and resolution compute one per reference (280,000 on a
/// 100,000-asset project), so they must not allocate.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TargetRef<'a> {
    Id(Uuid),
    Path { candidates: Candidates<'a>, label: Option<&'a str> },
    Escapes,
}

/// Candidate paths, in lookup order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidates<'a>(&'a Scratch);

impl<'a> Candidates<'a> {
    pub(crate) fn iter(self) -> impl Iterator<Item = &'a str> {
        let s = self.0;
        s.ends.iter().scan(0, move |start, &end| {
            let c = &s.text[*start..end];
            *start = end;
            Some(c)
        })
    }

    pub(crate) fn first(self) -> Option<&'a str> {
        self.iter().next()
    }
}

/// Reusable storage for the candidate paths of one target at a time.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    text: String,
    ends: Vec<usize>,
    /// Path segments while `..` is resolved.
    parts: Vec<Segment>,
}

/// A path segment, as a range of the base folder or of the reference.
#[derive(Debug, Clone, Copy)]
struct Segment {
    in_rel: bool,
    start: usize,
    len: usize,
}

impl Scratch {
    fn end_candidate(&mut self) {
        self.ends.push(self.text.len());
    }
}

/// Where `value`, written in the file at project-relative `from` (inside
/// asset root `from_root`, or in game code when `None`), points.
pub fn target(value: &str, file_relative: bool, from: &str, from_root: Option<&str>, config: &Config) -> Target {
    let mut scratch = Scratch::default();
    match target_in(value, file_relative, from, from_root, config, &mut scratch) {
        TargetRef::Id(u) => Target::Id(u),
        TargetRef::Escapes => Target::Escapes,
        TargetRef::Path { candidates, label } => {
            Target::Path { candidates: candidates.iter().map(str::to_owned).collect(), label: label.map(str::to_owned) }
        }
    }
}

/// [`target`], with the candidate paths written into `scratch`.
pub(crate) fn target_in<'a>(
    value: &'a str,
    file_relative: bool,
    from: &str,
    from_root: Option<&str>,
    config: &Config,
    scratch: &'a mut Scratch,
) -> TargetRef<'a> {
    let roots: &[String] = &config.roots;
    if is_uuid(value)
        && let Ok(id) = Uuid::try_parse(value)
    {
        return TargetRef::Id(id);
    }
    let (path, label) = match value.split_once('#') {
        Some((p, l)) => (p, Some(l)),
        None => (value, None),
    };
    scratch.text.clear();
    scratch.ends.clear();
    // One byte search for the common case, a plain path: no `:` at all.
    let colon = memchr::memchr(b':', path.as_bytes()).is_some();
    // Shader module imports in every flavour (a shader's `#import a::b`);
    // in a Bevy project a `::` path anywhere is one (WESL, code).
    if colon && path.contains("::") && (config.flavor == Flavor::Bevy || is_shader(from)) {
        return module_target(path, from, from_root, scratch);
    }
    if colon
        && let Some((scheme, rest)) = path.split_once("://")
        && is_url(path)
    {
        // An asset source: `embedded://` is looked up among the code's
        // `embedded_asset!` registrations (the candidate keeps its scheme);
        // a mapped source is a path in its folder.
        match config.sources.get(scheme) {
            Some(folder) => {
                if !join(scratch, folder, folder.split('/').filter(|p| !p.is_empty()).count(), rest) {
                    return TargetRef::Escapes;
                }
            }
            None => scratch.text.push_str(path),
        }
        scratch.end_candidate();
        return TargetRef::Path { candidates: Candidates(scratch), label };
    }
    let relative = file_relative || path.starts_with("./") || path.starts_with("../");
    if relative {
        let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
        if !join(scratch, dir, 0, path) || !in_any_root(&scratch.text, from_root, roots) {
            return TargetRef::Escapes;
        }
        scratch.end_candidate();
    } else {
        let path = path.trim_start_matches('/');
        // Code that moved its asset root (`AssetPlugin { file_path }`)
        // loads from there only.
        let moved = if from_root.is_none() && !config.code_roots.is_empty() {
            config.code_roots.get(from).map(String::as_str)
        } else {
            None
        };
        let (one, all) = match (from_root, moved) {
            (Some(r), _) | (None, Some(r)) => (Some(r), &[][..]),
            (None, None) => (None, roots),
        };
        for base in one.into_iter().chain(all.iter().map(String::as_str)) {
            if !join(scratch, base, base.split('/').filter(|p| !p.is_empty()).count(), path) {
                return TargetRef::Escapes;
            }
            scratch.end_candidate();
        }
    }
    TargetRef::Path { candidates: Candidates(scratch), label }
}

/// Whether `path` is a WGSL or WESL shader, whose `::` paths are modules.
fn is_shader(path: &str) -> bool {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    ext.eq_ignore_ascii_case("wgsl") || ext.eq_ignore_ascii_case("wesl")
}

/// The candidates of a shader module import, longest
/// module first, down to its first segment: WESL `package::a::b` and
/// `super::a::b` are `.wesl` files (from the asset root, from the file's
/// folder; each further `super` one folder up); a naga_oil module
/// `a::b::c` is `module://a::b::c`, looked up among the `#define_import_path`
/// declarations.
fn module_target<'a>(path: &str, from: &str, from_root: Option<&str>, scratch: &'a mut Scratch) -> TargetRef<'a> {
    let mut segments: Vec<&str> = path.split("::").collect();
    let (base, floor) = match segments[0] {
        "package" => {
            let Some(root) = from_root else { return TargetRef::Escapes };
            segments.remove(0);
            (root.to_owned(), root.split('/').filter(|p| !p.is_empty()).count())
        }
        "super" => {
            let Some(root) = from_root else { return TargetRef::Escapes };
            let mut dir = from.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
            segments.remove(0);
            while segments.first() == Some(&"super") {
                segments.remove(0);
                match dir.rsplit_once('/') {
                    Some((up, _)) if up.len() >= root.len() => dir = up.to_owned(),
                    _ => return TargetRef::Escapes,
                }
            }
            (dir, root.split('/').filter(|p| !p.is_empty()).count())
        }
        _ => {
            for k in (1..=segments.len()).rev() {
                scratch.text.push_str("module://");
                scratch.text.push_str(&segments[..k].join("::"));
                scratch.end_candidate();
            }
            return TargetRef::Path { candidates: Candidates(scratch), label: None };
        }
    };
    for k in (1..=segments.len()).rev() {
        let rel = format!("{}.wesl", segments[..k].join("/"));
        if !join(scratch, &base, floor, &rel) {
            return TargetRef::Escapes;
        }
        scratch.end_candidate();
    }
    TargetRef::Path { candidates: Candidates(scratch), label: None }
}

/// Whether a string is a template filled in at run time: `${name}`, or a
/// `{}` / `{name}` / `{0}` placeholder (never a reference in a Bevy project).
pub fn is_template(value: &str) -> bool {
    if value.contains("${") {
        return true;
    }
    value.match_indices('{').any(|(i, _)| {
        let rest = &value[i + 1..];
        rest.find('}').is_some_and(|end| rest[..end].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    })
}

/// Whether a reference string is a URL (`https://…`, `file://…`, any
/// `scheme://`): a scheme of RFC 3986's characters, then `://`. URLs are
/// never references, even where the syntax says "this is an asset"
/// (a glTF `uri`, a `load("...")` call).
pub fn is_url(value: &str) -> bool {
    let Some((scheme, _)) = value.split_once("://") else { return false };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Whether `path` lies in an asset root. The referencing file's own root
/// is asked first: a relative reference almost always stays in it, and
/// then the answer costs nothing whatever the number of roots.
fn in_any_root(path: &str, from_root: Option<&str>, roots: &[String]) -> bool {
    let inside =
        |r: &str| r.is_empty() || (path.len() > r.len() && path.starts_with(r) && path.as_bytes()[r.len()] == b'/');
    from_root.is_some_and(inside) || roots.iter().any(|r| inside(r))
}

/// Appends `base/rel`, normalized, to the scratch text as a new candidate;
/// `false` when `..` would remove one of the first `floor` segments of `base`.
fn join(scratch: &mut Scratch, base: &str, floor: usize, rel: &str) -> bool {
    let start = scratch.text.len();
    // The common case, already normal: copied as is.
    if !rel.is_empty() && !rel.split('/').any(|seg| matches!(seg, "" | "." | "..")) {
        let base = base.trim_matches('/');
        if !base.is_empty() && !base.split('/').any(|seg| matches!(seg, "" | "." | "..")) {
            scratch.text.push_str(base);
            scratch.text.push('/');
        } else if !base.is_empty() {
            return join_slow(scratch, start, base, floor, rel);
        }
        scratch.text.push_str(rel);
        return true;
    }
    join_slow(scratch, start, base, floor, rel)
}

fn join_slow(scratch: &mut Scratch, start: usize, base: &str, floor: usize, rel: &str) -> bool {
    let mut parts = std::mem::take(&mut scratch.parts);
    parts.clear();
    let offset = |whole: &str, seg: &str| seg.as_ptr() as usize - whole.as_ptr() as usize;
    let mut ok = true;
    for seg in base.split('/').filter(|s| !s.is_empty()) {
        parts.push(Segment { in_rel: false, start: offset(base, seg), len: seg.len() });
    }
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." if parts.len() > floor => {
                parts.pop();
            }
            ".." => {
                ok = false;
                break;
            }
            s => parts.push(Segment { in_rel: true, start: offset(rel, s), len: s.len() }),
        }
    }
    if ok {
        for (n, p) in parts.iter().enumerate() {
            let src = if p.in_rel { rel } else { base };
            if n > 0 {
                scratch.text.push('/');
            }
            scratch.text.push_str(&src[p.start..p.start + p.len]);
        }
    } else {
        scratch.text.truncate(start);
    }
    scratch.parts = parts;
    ok
}

/// A path relative to the referencing file's asset root, as a user would
/// write it in that file (the form fixes produce).
pub fn root_relative<'a>(path: &'a str, roots: &[String]) -> &'a str {
    for r in roots {
        if r.is_empty() {
            return path;
        }
        if let Some(rest) = path.strip_prefix(r.as_str()).and_then(|s| s.strip_prefix('/')) {
            return rest;
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots() -> Config {
        Config { roots: vec!["assets".to_owned()], ..Config::default() }
    }

    fn paths(t: Target) -> Vec<String> {
        match t {
            Target::Path { candidates, .. } => candidates,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn forms() {
        let from = "assets/scenes/level1.scene.json";
        let r = Some("assets");
        assert_eq!(paths(target("textures/hero.png", false, from, r, &roots())), ["assets/textures/hero.png"]);
        assert_eq!(paths(target("./a.png", false, from, r, &roots())), ["assets/scenes/a.png"]);
        assert_eq!(paths(target("../textures/b.png", false, from, r, &roots())), ["assets/textures/b.png"]);
        match target("models/ship.gltf#Mesh0", false, from, r, &roots()) {
            Target::Path { candidates, label } => {
                assert_eq!(candidates, ["assets/models/ship.gltf"]);
                assert_eq!(label.as_deref(), Some("Mesh0"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(target("0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11", false, from, r, &roots()), Target::Id(_)));
    }

    #[test]
    fn escapes() {
        let from = "assets/scenes/a.json";
        assert_eq!(target("../../etc/passwd.png", false, from, Some("assets"), &roots()), Target::Escapes);
        assert_eq!(target("../../../../etc/passwd.png", false, from, Some("assets"), &roots()), Target::Escapes);
        assert_eq!(target("textures/../../x.png", false, from, Some("assets"), &roots()), Target::Escapes);
        assert_eq!(root_relative("assets/textures/a.png", &roots().roots), "textures/a.png");
    }

    #[test]
    fn urls_are_recognised_by_their_scheme() {
        for url in
            ["https://cdn.example.com/scene.gltf", "http://x/a.png", "file:///tmp/a.png", "my-cdn+v2.x://a.png", "a://"]
        {
            assert!(is_url(url), "{url}");
        }
        for not in ["textures/a.png", "1http://x.png", "dir/https://x.png", "", "://x.png", "c:/a.png"] {
            assert!(!is_url(not), "{not}");
        }
    }

    #[test]
    fn code_tries_every_root() {
        let roots = Config { roots: vec!["assets".to_owned(), "dlc".to_owned()], ..Config::default() };
        assert_eq!(paths(target("a.png", false, "src/main.rs", None, &roots)), ["assets/a.png", "dlc/a.png"]);
    }
}

/// What a reference points at, as a key of the reverse index: any change to
/// a file with this (lowercased) path or to an owner of this id re-resolves
/// every file that registered the key.
///
/// Paths are keyed by a hash of their lowercased form: a collision only
/// makes an unrelated file be re-resolved (never a wrong result), and the
/// index holds no second copy of every referenced path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum RefKey {
    Path(u64),
    Id(Uuid),
}

impl RefKey {
    pub(crate) fn path(p: &str) -> RefKey {
        RefKey::Path(lower_hash(p))
    }
}

/// Hash of a path's lowercase form, computed without allocating.
pub(crate) fn lower_hash(p: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    if p.is_ascii() {
        for b in p.bytes() {
            h.write_u32(u32::from(b.to_ascii_lowercase()));
        }
    } else {
        for c in p.chars().flat_map(char::to_lowercase) {
            h.write_u32(c as u32);
        }
    }
    h.finish()
}

/// Adds the reverse-index keys of a reference pointing at `target` to `keys`.
pub(crate) fn push_keys(target: TargetRef<'_>, keys: &mut Vec<RefKey>) {
    match target {
        TargetRef::Id(u) => keys.push(RefKey::Id(u)),
        TargetRef::Path { candidates, .. } => keys.extend(candidates.iter().map(RefKey::path)),
        TargetRef::Escapes => {}
    }
}
