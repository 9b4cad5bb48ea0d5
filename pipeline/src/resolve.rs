//! Path arithmetic for references: where a reference string points, as a
//! project-relative path, before asking whether anything lives there.
//! Pure functions of (referencing file, string, roots): no project state,
//! so the result can key the reverse index that drives invalidation.

use uuid::Uuid;

use crate::extract::is_uuid;

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

/// Where `value`, written in the file at project-relative `from` (inside
/// asset root `from_root`, or in game code when `None`), points.
pub fn target(value: &str, file_relative: bool, from: &str, from_root: Option<&str>, roots: &[String]) -> Target {
    if is_uuid(value)
        && let Ok(id) = Uuid::try_parse(value)
    {
        return Target::Id(id);
    }
    let (path, label) = match value.split_once('#') {
        Some((p, l)) => (p, Some(l.to_owned())),
        None => (value, None),
    };
    let relative = file_relative || path.starts_with("./") || path.starts_with("../");
    let candidates = if relative {
        let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
        match join_normalized(dir, path) {
            Some(p) if in_any_root(&p, roots) => vec![p],
            _ => return Target::Escapes,
        }
    } else {
        let path = path.trim_start_matches('/');
        let bases: Vec<&str> = match from_root {
            Some(r) => vec![r],
            None => roots.iter().map(String::as_str).collect(),
        };
        let mut out = Vec::new();
        for base in bases {
            match join_within(base, path) {
                Some(p) => out.push(p),
                None => return Target::Escapes,
            }
        }
        out
    };
    Target::Path { candidates, label }
}

fn in_any_root(path: &str, roots: &[String]) -> bool {
    roots.iter().any(|r| {
        r.is_empty() || (path.len() > r.len() && path.starts_with(r.as_str()) && path.as_bytes()[r.len()] == b'/')
    })
}

/// `base/rel` normalized, or `None` when `..` climbs above the project.
fn join_normalized(base: &str, rel: &str) -> Option<String> {
    let parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    normalize(parts, 0, rel)
}

/// `root/rel` normalized, or `None` when `..` climbs above `root`.
fn join_within(root: &str, rel: &str) -> Option<String> {
    // The common case, already normal: one allocation, no segment list.
    if !rel.is_empty() && !rel.split('/').any(|seg| matches!(seg, "" | "." | "..")) {
        let mut out = String::with_capacity(root.len() + 1 + rel.len());
        if !root.is_empty() {
            out.push_str(root);
            out.push('/');
        }
        out.push_str(rel);
        return Some(out);
    }
    let parts: Vec<&str> = root.split('/').filter(|p| !p.is_empty()).collect();
    let floor = parts.len();
    normalize(parts, floor, rel)
}

/// Appends the segments of `rel` to `parts`, resolving `.` and `..`;
/// `None` when `..` would remove one of the first `floor` parts.
fn normalize<'a>(mut parts: Vec<&'a str>, floor: usize, rel: &'a str) -> Option<String> {
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." if parts.len() > floor => {
                parts.pop();
            }
            ".." => return None,
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
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

    fn roots() -> Vec<String> {
        vec!["assets".to_owned()]
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
        assert_eq!(root_relative("assets/textures/a.png", &roots()), "textures/a.png");
    }

    #[test]
    fn code_tries_every_root() {
        let roots = vec!["assets".to_owned(), "dlc".to_owned()];
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

/// The reverse-index keys of references pointing at `targets`, sorted and unique.
pub(crate) fn keys(targets: impl Iterator<Item = Target>) -> Box<[RefKey]> {
    let mut keys: Vec<RefKey> = Vec::new();
    for t in targets {
        match t {
            Target::Id(u) => keys.push(RefKey::Id(u)),
            Target::Path { candidates, .. } => keys.extend(candidates.iter().map(|c| RefKey::path(c))),
            Target::Escapes => {}
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys.into_boxed_slice()
}
