//! Findings on paths that are not files of the project: `assetry.toml` (a
//! root that does not exist), folders the scan could not list, and ignore
//! files too long to honour.

use super::Project;
use crate::config::CONFIG_FILE;
use crate::diagnostic::{Code, Diagnostic, FileDiagnostics};
use crate::text::{LineIndex, TextRange};

impl Project {
    /// The findings of the scan on paths that are not files of the project
    /// (see `outside_files`).
    pub(super) fn set_outside_files(&mut self, unreadable_dirs: Vec<(String, String)>) {
        let mut found = self.config.missing_roots(&self.root);
        if !found.is_empty() {
            self.config_index = Some(Box::new(self.config_line_index()));
        }
        found.extend(
            unreadable_dirs
                .into_iter()
                .map(|(path, message)| Diagnostic::new(Code::UnreadableFile, &path, TextRange::default(), message)),
        );
        found.sort();
        for d in found {
            match self.outside_files.last_mut() {
                Some(last) if last.path == d.path => last.diagnostics.push(d),
                _ => self.outside_files.push(FileDiagnostics { path: d.path.clone(), diagnostics: vec![d] }),
            }
        }
    }

    /// Recomputes the missing-root findings on `assetry.toml`: the changed
    /// file's new diagnostics, when they changed.
    pub(super) fn recheck_roots(&mut self) -> Option<FileDiagnostics> {
        let now = self.config.missing_roots(&self.root);
        let at = self.outside_files.iter().position(|f| f.path == CONFIG_FILE);
        if at.map_or(&[][..], |i| &self.outside_files[i].diagnostics) == now.as_slice() {
            return None;
        }
        let changed = FileDiagnostics { path: CONFIG_FILE.to_owned(), diagnostics: now };
        if !changed.diagnostics.is_empty() {
            self.config_index = Some(Box::new(self.config_line_index()));
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

    /// Whether `assetry.toml` has findings of the engine.
    pub(super) fn config_has_findings(&self) -> bool {
        self.outside_files.iter().any(|f| f.path == CONFIG_FILE)
    }

    /// The line index of `assetry.toml` as it is on disk, where the
    /// findings' ranges were taken.
    fn config_line_index(&self) -> LineIndex {
        let text = std::fs::read_to_string(self.root.join(CONFIG_FILE)).unwrap_or_default();
        LineIndex::new(&text)
    }
}
