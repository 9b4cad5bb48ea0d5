//! Which paths belong to the project: the one place the ignore rules are
//! decided, for the scan's walk, single paths (the scan's classifier), the
//! watcher's events and the search for nested projects.
//!
//! The rules: `.gitignore` and `.ignore` files at every level from the
//! project root down, whether or not the project is a git repository; the
//! deepest file with an opinion wins, and `.ignore` overrides `.gitignore`
//! in the same folder. Then `project.ignore`. Names starting with `.` and
//! the folders in [`ALWAYS_IGNORED`] are skipped at any depth.

use std::path::Path;
use std::sync::Arc;

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// Folder names ignored at any depth, whatever the ignore files say: the
/// processor's output and build folders must never feed back into the graph.
pub const ALWAYS_IGNORED: &[&str] = &[".git", ".assetry", "target", "node_modules"];

/// Per-folder ignore files, lowest precedence first.
pub const IGNORE_FILES: &[&str] = &[".gitignore", ".ignore"];

/// Whether a file or folder name is skipped whatever the rules say.
pub fn is_skipped_name(name: &[u8]) -> bool {
    (name.first() == Some(&b'.') && name != b"." && name != b"..")
        || ALWAYS_IGNORED.iter().any(|n| n.as_bytes() == name)
}

/// A `project.ignore` glob that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadGlob {
    /// Its position in the list.
    pub index: usize,
    pub message: String,
}

/// `project.ignore`, compiled: the one definition of how its globs are read
/// (by the config check, the scan, single paths and the watcher). A typo
/// such as an unclosed `[` is an error, not a literal `[` as it would be in
/// a `.gitignore`.
pub fn project_ignore(project_root: &Path, globs: &[String]) -> Result<Gitignore, BadGlob> {
    let mut builder = GitignoreBuilder::new(project_root);
    builder.allow_unclosed_class(false);
    for (index, glob) in globs.iter().enumerate() {
        builder.add_line(None, glob).map_err(|e| BadGlob { index, message: format!("`{glob}`: {e}") })?;
    }
    builder.build().map_err(|e| BadGlob { index: 0, message: e.to_string() })
}

/// The matcher of folder `dir` built from the ignore files it has, or `None`.
pub fn folder_matcher(dir: &Path, has: impl Fn(&str) -> bool) -> Option<Gitignore> {
    let mut builder = GitignoreBuilder::new(dir);
    let mut any = false;
    for name in IGNORE_FILES.iter().filter(|n| has(n)) {
        // A malformed line is skipped and the rest still applies, as in git.
        let _partial_error = builder.add(dir.join(name));
        any = true;
    }
    if any { builder.build().ok() } else { None }
}

/// The ignore matchers in force in one folder, nearest first, each with
/// the length of its folder's project-relative path (so an entry's path
/// relative to it is a suffix of the entry's own, with no allocation).
#[derive(Default, Clone)]
pub(crate) struct Matchers {
    nearest: Option<Arc<MatcherNode>>,
}

struct MatcherNode {
    matcher: Arc<Gitignore>,
    rel_len: usize,
    parent: Option<Arc<MatcherNode>>,
}

impl Matchers {
    pub(crate) fn with(&self, matcher: Arc<Gitignore>, rel_len: usize) -> Matchers {
        Matchers { nearest: Some(Arc::new(MatcherNode { matcher, rel_len, parent: self.nearest.clone() })) }
    }

    pub(crate) fn is_ignored(&self, rel: &str, is_dir: bool) -> bool {
        let mut node = self.nearest.as_deref();
        while let Some(n) = node {
            let below = if n.rel_len == 0 { rel } else { &rel[(n.rel_len + 1).min(rel.len())..] };
            match n.matcher.matched(below, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => node = n.parent.as_deref(),
            }
        }
        false
    }
}

/// Whether project-relative `rel` (a file, or a folder when `is_dir`) is
/// ignored: a skipped name on its path, `extra` (`project.ignore`), or the
/// ignore files of the folders above it, or it lies in an ignored folder.
/// What the walk would decide, for one path: the single-path checks of the
/// engine and the watcher's event filter both ask here. `matcher_of` gives
/// a folder's matcher from its ignore files ([`read_folder_matcher`] reads
/// them, so the answer is always current; the watcher keeps a cache).
pub fn path_is_ignored(
    project_root: &Path,
    extra: &Gitignore,
    rel: &str,
    is_dir: bool,
    matcher_of: &mut impl FnMut(&Path) -> Option<Arc<Gitignore>>,
) -> bool {
    if rel.split('/').any(|c| is_skipped_name(c.as_bytes())) {
        return true;
    }
    if !rel.is_empty() && extra.matched_path_or_any_parents(rel, is_dir).is_ignore() {
        return true;
    }
    descend(project_root, rel, matcher_of, |matchers, prefix, last| matchers.is_ignored(prefix, !last || is_dir))
        .is_none()
}

/// Whether folder `rel` (relative to `top`) is skipped by name or by the
/// ignore files from `top` down: how nested projects are searched for
/// below a workspace folder, by the rules of the walk.
pub fn folder_is_ignored(top: &Path, rel: &str) -> bool {
    path_is_ignored(top, &Gitignore::empty(), rel, true, &mut read_folder_matcher)
}

/// The matcher of folder `dir` from the ignore files on disk now.
pub fn read_folder_matcher(dir: &Path) -> Option<Arc<Gitignore>> {
    folder_matcher(dir, |name| dir.join(name).is_file()).map(Arc::new)
}

/// The matchers of the folders from the project root down to the parent of
/// project-relative folder `rel` (its own ignore files are read when it is listed).
pub(crate) fn matchers_above(project_root: &Path, rel: &str) -> Matchers {
    descend(project_root, rel, &mut read_folder_matcher, |_, _, _| false).unwrap_or_default()
}

/// Goes down `rel` from the project folder one segment at a time, loading
/// the ignore files of the folder that holds each segment, and asks `stop`
/// about the path up to that segment (`true` for the last). Returns the
/// matchers in force where `rel` lies, or `None` once `stop` says so.
fn descend(
    project_root: &Path,
    rel: &str,
    matcher_of: &mut impl FnMut(&Path) -> Option<Arc<Gitignore>>,
    mut stop: impl FnMut(&Matchers, &str, bool) -> bool,
) -> Option<Matchers> {
    let mut matchers = Matchers::default();
    if rel.is_empty() {
        return Some(matchers);
    }
    let mut dir = project_root.to_path_buf();
    let mut folder_len = 0;
    let mut segments = rel.split('/').peekable();
    while let Some(seg) = segments.next() {
        if let Some(m) = matcher_of(&dir) {
            matchers = matchers.with(m, folder_len);
        }
        let end = if folder_len == 0 { seg.len() } else { folder_len + 1 + seg.len() };
        if stop(&matchers, &rel[..end], segments.peek().is_none()) {
            return None;
        }
        dir.push(seg);
        folder_len = end;
    }
    Some(matchers)
}
