//! Which paths the watcher reports: the rules of the engine's walk
//! (`assetry_pipeline::walk`, which documents them and owns the fixed names
//! and ignore-file names), applied to one path at a time. Matchers are
//! loaded lazily, per folder, when an event first needs them, so watching a
//! large tree costs no extra reads at start-up.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

pub use assetry_pipeline::walk::ALWAYS_IGNORED;
use assetry_pipeline::walk::{IGNORE_FILES, folder_matcher, is_skipped_name};

pub struct IgnoreRules {
    project_root: PathBuf,
    /// `project.ignore` globs, rooted at the project root.
    project: Gitignore,
    /// Per-folder matchers; `None` when the folder has no ignore file.
    per_dir: HashMap<PathBuf, Option<Gitignore>>,
}

/// A `project.ignore` glob that could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("invalid `project.ignore` pattern in assetry.toml: {0}; fix or remove the pattern")]
pub struct BadPattern(String);

impl IgnoreRules {
    pub fn new(project_root: &Path, globs: &[String]) -> Result<IgnoreRules, BadPattern> {
        let mut builder = GitignoreBuilder::new(project_root);
        // A typo in assetry.toml is reported, not read as a literal `[`.
        builder.allow_unclosed_class(false);
        for glob in globs {
            builder.add_line(None, glob).map_err(|e| BadPattern(format!("`{glob}`: {e}")))?;
        }
        let project = builder.build().map_err(|e| BadPattern(e.to_string()))?;
        Ok(IgnoreRules { project_root: project_root.to_path_buf(), project, per_dir: HashMap::new() })
    }

    /// Whether `path` (absolute, under the project root) is ignored: by a
    /// fixed name, by `project.ignore`, or by the ignore file of any folder
    /// above it (a pattern may name one of its parent folders).
    pub fn is_ignored(&mut self, path: &Path, is_dir: bool) -> bool {
        let Ok(rel) = path.strip_prefix(&self.project_root) else {
            return false;
        };
        if rel.as_os_str().is_empty() {
            return false;
        }
        if rel.components().any(|c| is_skipped_name(c.as_os_str().as_encoded_bytes())) {
            return true;
        }
        if self.project.matched_path_or_any_parents(rel, is_dir).is_ignore() {
            return true;
        }
        // The deepest ignore file that has an opinion wins (git's rule).
        let mut dir = path.parent();
        while let Some(d) = dir {
            if let Some(matcher) = self.matcher(d) {
                match matcher.matched_path_or_any_parents(path, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
            if d == self.project_root {
                break;
            }
            dir = d.parent();
        }
        false
    }

    /// Forgets the matcher of `dir`, after its ignore file changed.
    pub fn invalidate(&mut self, dir: &Path) {
        self.per_dir.remove(dir);
    }

    /// Forgets every matcher at or under `dir` (the folder moved or vanished).
    pub fn invalidate_tree(&mut self, dir: &Path) {
        self.per_dir.retain(|d, _| !d.starts_with(dir));
    }

    pub fn is_ignore_file(name: &OsStr) -> bool {
        IGNORE_FILES.iter().any(|f| name == OsStr::new(f))
    }

    fn matcher(&mut self, dir: &Path) -> Option<&Gitignore> {
        if !self.per_dir.contains_key(dir) {
            let matcher = folder_matcher(dir, |name| dir.join(name).is_file());
            self.per_dir.insert(dir.to_path_buf(), matcher);
        }
        self.per_dir.get(dir).and_then(Option::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honours_nested_gitignore_project_globs_and_fixed_names() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("assets/raw")).unwrap();
        std::fs::write(root.join(".gitignore"), "*.psd\n").unwrap();
        std::fs::write(root.join("assets/raw/.gitignore"), "*.blend\n!keep.psd\n").unwrap();
        let mut rules = IgnoreRules::new(root, &["**/*.tmp".to_owned()]).unwrap();

        assert!(rules.is_ignored(&root.join("assets/a.psd"), false));
        assert!(rules.is_ignored(&root.join("assets/raw/b.blend"), false));
        assert!(!rules.is_ignored(&root.join("assets/raw/keep.psd"), false));
        assert!(!rules.is_ignored(&root.join("assets/b.blend"), false));
        assert!(rules.is_ignored(&root.join("assets/x/y.tmp"), false));
        assert!(rules.is_ignored(&root.join("assets/.git"), true));
        assert!(rules.is_ignored(&root.join("assets/ui/target"), true));
        assert!(rules.is_ignored(&root.join("assets/node_modules/x.json"), false));
        assert!(rules.is_ignored(&root.join("assets/.hero.png.swp"), false));
        assert!(!rules.is_ignored(&root.join("assets/ui/hero.png"), false));
        assert!(rules.is_ignored(&root.join("assets/.assetry/out/x.png"), false));
        assert!(rules.is_ignored(&root.join("assets/raw/sub/c.blend"), false));

        std::fs::write(root.join("assets/raw/.gitignore"), "").unwrap();
        assert!(rules.is_ignored(&root.join("assets/raw/b.blend"), false));
        rules.invalidate(&root.join("assets/raw"));
        assert!(!rules.is_ignored(&root.join("assets/raw/b.blend"), false));
    }

    #[test]
    fn rejects_a_bad_project_glob_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let err = IgnoreRules::new(dir.path(), &["a[".to_owned()]).err().unwrap();
        assert!(err.to_string().contains("`a[`"), "{err}");
    }
}
