//! Which paths the watcher reports: the engine's rules
//! (`assetry_pipeline::rules::path_is_ignored`, which the scan's single-path
//! checks use too, and which documents them), with the folders' ignore-file
//! matchers cached: they are loaded lazily, per folder, when an event first
//! needs them, so watching a large tree costs no extra reads at start-up,
//! and forgotten when an ignore file changes.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::gitignore::Gitignore;

pub use assetry_pipeline::rules::ALWAYS_IGNORED;
use assetry_pipeline::rules::{self, IGNORE_FILES};

pub struct IgnoreRules {
    project_root: PathBuf,
    /// `project.ignore` globs, rooted at the project root.
    project: Gitignore,
    /// Per-folder matchers; `None` when the folder has no ignore file.
    per_dir: HashMap<PathBuf, Option<Arc<Gitignore>>>,
}

/// A `project.ignore` glob that could not be parsed (`Config::parse`
/// refuses such a configuration first, with its place in the file).
#[derive(Debug, thiserror::Error)]
#[error("invalid `project.ignore` pattern in assetry.toml: {0}; fix or remove the pattern")]
pub struct BadPattern(String);

impl IgnoreRules {
    pub fn new(project_root: &Path, globs: &[String]) -> Result<IgnoreRules, BadPattern> {
        let project = rules::project_ignore(project_root, globs).map_err(|bad| BadPattern(bad.message))?;
        Ok(IgnoreRules { project_root: project_root.to_path_buf(), project, per_dir: HashMap::new() })
    }

    /// Whether `path` (absolute, under the project root) is ignored: by a
    /// fixed name, by `project.ignore`, or by the ignore file of any folder
    /// above it (the deepest with an opinion wins), exactly as the scan decides.
    pub fn is_ignored(&mut self, path: &Path, is_dir: bool) -> bool {
        let Some(rel) = path.strip_prefix(&self.project_root).ok().and_then(Path::to_str) else {
            return false;
        };
        let rel = rel.replace('\\', "/");
        let per_dir = &mut self.per_dir;
        // Looked up before anything is allocated: most folders are cached.
        let mut matcher_of = |dir: &Path| {
            if let Some(m) = per_dir.get(dir) {
                return m.clone();
            }
            let m = rules::read_folder_matcher(dir);
            per_dir.insert(dir.to_path_buf(), m.clone());
            m
        };
        rules::path_is_ignored(&self.project_root, &self.project, &rel, is_dir, &mut matcher_of)
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
