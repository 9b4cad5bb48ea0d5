//! Game-code references that are not paths under an asset root: files a
//! macro embeds (`include_bytes!`, `embedded_asset!`, …), named relative to
//! the source file and checked wherever they are in the project folder, and
//! folders (`load_folder("…")`), which exist while a root holds files in
//! them.

use super::{FileId, LinkKind, Project, Resolution};
use crate::resolve::{self, RefKey, TargetRef};

/// `dir/rel` normalised (`.` and `..` applied), or `None` when it leaves
/// the project folder (nothing outside it is checked).
pub(super) fn source_relative(from: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.rsplit_once('/').map_or(Vec::new(), |(d, _)| d.split('/').collect());
    if rel.starts_with('/') {
        return None;
    }
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

impl Project {
    /// How a code file's reference `index` resolves when it is not a plain
    /// asset path: `None` for a plain one.
    pub(super) fn resolve_code_ref(&self, id: FileId, index: usize) -> Option<Resolution> {
        let file = self.file(id)?;
        let r = file.loaded.refs.get(index)?;
        if r.file_relative {
            let Some(path) = source_relative(&file.path, &r.value) else { return Some(Resolution::NotReference) };
            return Some(match self.by_path.get(path.as_str()) {
                Some(&(target, true)) => Resolution::Asset { target, label: None },
                // A file of the project that is not an asset, or any file on
                // disk (a `.txt` beside the code): it exists, nothing to say.
                Some(_) => Resolution::NotReference,
                None if self.root.join(&path).is_file() => Resolution::NotReference,
                None => Resolution::Broken { path },
            });
        }
        let links = file.loaded.code()?;
        if !links.folders.contains(&(index as u32)) {
            return None;
        }
        let mut scratch = resolve::Scratch::default();
        let target = resolve::target_in(&r.value, false, &file.path, None, &self.config, &mut scratch);
        Some(match target {
            TargetRef::Path { candidates, .. } => {
                if candidates.iter().any(|c| self.is_folder(c)) {
                    Resolution::NotReference
                } else {
                    Resolution::Broken { path: candidates.first().unwrap_or_default().to_owned() }
                }
            }
            TargetRef::Escapes => Resolution::EscapesRoot,
            TargetRef::Id(_) => Resolution::NotReference,
        })
    }

    /// The reverse-index key of an embedded file (outside the roots,
    /// `target_in` has none): its appearance re-resolves the file.
    pub(super) fn embed_key(&self, id: FileId, index: usize) -> Option<RefKey> {
        let file = self.file(id)?;
        let r = file.loaded.refs.get(index)?;
        let is_code = self.links.get(id as usize).is_some_and(|l| l.kind == LinkKind::Code);
        (is_code && r.file_relative).then(|| source_relative(&file.path, &r.value)).flatten().map(|p| RefKey::path(&p))
    }
}

#[cfg(test)]
mod tests {
    use super::source_relative;

    #[test]
    fn paths_relative_to_the_source_file() {
        assert_eq!(source_relative("examples/a/b.rs", "files/x.png").as_deref(), Some("examples/a/files/x.png"));
        assert_eq!(source_relative("src/main.rs", "../assets/x.png").as_deref(), Some("assets/x.png"));
        assert_eq!(source_relative("main.rs", "./x.txt").as_deref(), Some("x.txt"));
        assert_eq!(source_relative("src/main.rs", "../../x.png"), None);
        assert_eq!(source_relative("src/main.rs", "/etc/passwd"), None);
    }
}
