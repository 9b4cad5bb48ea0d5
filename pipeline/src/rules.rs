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

/// The largest ignore file read. A compiled pattern costs the `ignore`
/// crate a few kilobytes (a megabyte of `[[a]]` lines held 235 MiB), and
/// real ignore files are a few kilobytes long; a longer one is not
/// honoured, and the walk says so on the file.
pub const MAX_IGNORE_FILE: u64 = 64 * 1024;

/// The matcher of folder `dir` built from the ignore files it has, or
/// `None`; the names of those too long to honour ([`MAX_IGNORE_FILE`]) are
/// added to `too_long`, with their sizes.
pub fn folder_matcher(dir: &Path, has: impl Fn(&str) -> bool, too_long: &mut Vec<(String, u64)>) -> Option<Gitignore> {
    let mut builder = GitignoreBuilder::new(dir);
    let mut any = false;
    for name in IGNORE_FILES.iter().filter(|n| has(n)) {
        let path = dir.join(name);
        let mut bytes = Vec::new();
        let read = std::fs::File::open(&path)
            .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, MAX_IGNORE_FILE + 1), &mut bytes));
        if read.is_err() {
            continue;
        }
        if bytes.len() as u64 > MAX_IGNORE_FILE {
            let size = std::fs::metadata(&path).map_or(bytes.len() as u64, |m| m.len());
            too_long.push(((*name).to_owned(), size));
            continue;
        }
        for line in ignore_lines(&bytes) {
            // A malformed line is skipped and the rest still applies, as in git.
            let _error = builder.add_line(Some(path.clone()), line);
        }
        any = true;
    }
    if any { builder.build().ok() } else { None }
}

/// An ignore file's lines as the `ignore` crate reads them (`\n` or `\r\n`
/// ends a line, a BOM before the first is dropped, reading stops at a line
/// that is not UTF-8), each kept only where it last occurs: the last
/// matching line decides, so an earlier copy of a line never does.
fn ignore_lines(bytes: &[u8]) -> Vec<&str> {
    let mut lines = Vec::new();
    // (A file ending in `\n` gives one more, empty, line: blank lines match nothing.)
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(line) = std::str::from_utf8(raw) else { break };
        lines.push(if i == 0 { line.trim_start_matches('\u{feff}') } else { line });
    }
    let mut seen = std::collections::HashSet::new();
    let mut kept: Vec<&str> = lines.into_iter().rev().filter(|l| seen.insert(*l)).collect();
    kept.reverse();
    kept
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
    folder_matcher(dir, |name| dir.join(name).is_file(), &mut Vec::new()).map(Arc::new)
}

/// The matchers of the folders from the project root down to the parent of
/// project-relative folder `rel` (its own ignore files are read when it is listed).
/// Ignore files too long to honour are added to `too_long` as (folder, name, size).
pub(crate) fn matchers_above(project_root: &Path, rel: &str, too_long: &mut Vec<(String, String, u64)>) -> Matchers {
    let mut read = |dir: &Path| {
        let mut long = Vec::new();
        let matcher = folder_matcher(dir, |name| dir.join(name).is_file(), &mut long);
        let folder =
            dir.strip_prefix(project_root).map_or_else(|_| String::new(), |p| p.to_string_lossy().replace('\\', "/"));
        too_long.extend(long.into_iter().map(|(name, size)| (folder.clone(), name, size)));
        matcher.map(Arc::new)
    };
    descend(project_root, rel, &mut read, |_, _, _| false).unwrap_or_default()
}

/// Where and what the walk reports of an ignore file too long to honour:
/// the file's project-relative path and the message.
pub(crate) fn too_long_finding(folder: &str, name: &str, size: u64) -> (String, String) {
    let path = if folder.is_empty() { name.to_owned() } else { format!("{folder}/{name}") };
    let message = format!(
        "this ignore file ({size} bytes) is over the {MAX_IGNORE_FILE} bytes one may have and is not honoured: \
         what it names is checked"
    );
    (path, message)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The last copy of a line decides, as every copy would: dropping the
    /// earlier ones keeps `a`, `!a`, `a` ignoring `a`; a megabyte of one
    /// line is one pattern.
    #[test]
    fn ignore_files_keep_each_line_where_it_last_occurs() {
        assert_eq!(ignore_lines(b"\xef\xbb\xbfa\r\n!a\na\n"), vec!["!a", "a", ""]);
        assert_eq!(ignore_lines(b"a\n\xff\nb\n"), vec!["a"]);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "a\n!a\na\n").unwrap();
        let m = folder_matcher(dir.path(), |n| n == ".gitignore", &mut Vec::new()).unwrap();
        assert!(m.matched(dir.path().join("a"), false).is_ignore());
        std::fs::write(dir.path().join(".gitignore"), "[[a]]\n".repeat(10_000)).unwrap();
        let m = folder_matcher(dir.path(), |n| n == ".gitignore", &mut Vec::new()).unwrap();
        assert_eq!(m.num_ignores(), 1);
    }

    /// An ignore file longer than [`MAX_IGNORE_FILE`] is not honoured, and said.
    #[test]
    fn an_ignore_file_too_long_is_not_honoured() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("*.psd\n{}", "#".repeat(MAX_IGNORE_FILE as usize));
        std::fs::write(dir.path().join(".gitignore"), &text).unwrap();
        let mut too_long = Vec::new();
        assert!(folder_matcher(dir.path(), |n| n == ".gitignore", &mut too_long).is_none());
        assert_eq!(too_long, vec![(".gitignore".to_owned(), text.len() as u64)]);
    }
}
