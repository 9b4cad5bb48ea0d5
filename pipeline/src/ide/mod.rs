//! IDE queries over a [`Project`]: what an editor asks about assets, answered
//! as plain data (project-relative paths, byte ranges), so the language
//! server only converts positions and types at its edge and `assetry fix`
//! can apply the same fixes from the command line.
//!
//! Architecture invariant: this module does no IO and knows nothing about
//! LSP. Queries read the project; edits are returned as [`SourceChange`]s
//! for the caller to apply.

mod completion;
mod fixes;
mod navigation;
pub mod paths;
mod symbols;

use uuid::Uuid;

use crate::extract::{DepKind, RawRef};
use crate::project::{File, FileId, Project, Resolution};
use crate::scan::FileKind;
use crate::text::TextRange;

pub use completion::{Completion, CompletionItem, CompletionKind, completion};
pub use fixes::{Fix, FixKind, ProjectFixes, code_actions, fix_project, new_meta_text, rename};
pub use navigation::{
    HoverInfo, InlayHint, Link, NavTarget, definition, document_links, hover, inlay_hints, references,
};
pub use symbols::{DependencyNode, DependencyTree, Symbol, dependency_tree, workspace_symbols};

/// A replacement of `range` in one file's current text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TextEdit {
    pub range: TextRange,
    pub new_text: String,
}

/// A file-system operation that is part of a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOp {
    /// Create `path` (project-relative) with `text`.
    Create { path: String, text: String },
    /// Move `from` to `to` (project-relative; files or folders).
    Rename { from: String, to: String },
}

/// Edits to several files plus file operations, applied together: text
/// edits first (against the texts as they are now), then file operations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceChange {
    /// Project-relative path → edits, non-overlapping, sorted by range.
    pub edits: std::collections::BTreeMap<String, Vec<TextEdit>>,
    pub file_ops: Vec<FileOp>,
}

impl SourceChange {
    pub fn is_empty(&self) -> bool {
        self.edits.values().all(Vec::is_empty) && self.file_ops.is_empty()
    }

    fn edit(&mut self, path: &str, range: TextRange, new_text: String) {
        let edits = self.edits.entry(path.to_owned()).or_default();
        if !edits.iter().any(|e| e.range == range) {
            edits.push(TextEdit { range, new_text });
            edits.sort();
        }
    }

    /// Applies the text edits of one file to `text` (edits must be sorted
    /// and non-overlapping, as produced here).
    pub fn apply_to(edits: &[TextEdit], text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0usize;
        for e in edits {
            let (s, end) = (e.range.start as usize, e.range.end as usize);
            if s < at || end > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(end) {
                continue;
            }
            out.push_str(&text[at..s]);
            out.push_str(&e.new_text);
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// Every file of the project, in no particular order: a plain pass over the
/// engine's file table, cheaper than the engine's sorted listings when the
/// caller filters most files out anyway.
pub(crate) fn all_files(project: &Project) -> impl Iterator<Item = (&str, FileId)> + '_ {
    project.file_ids().map(move |id| (project.path(id), id))
}

/// One reference of a file, with how it resolves.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reference<'a> {
    pub file: FileId,
    pub index: usize,
    pub raw: &'a RawRef,
    pub resolution: &'a Resolution,
}

impl Reference<'_> {
    pub fn is_id(&self) -> bool {
        crate::extract::is_uuid(&self.raw.value)
    }

    pub fn kind(&self) -> DepKind {
        self.raw.kind
    }
}

/// The references of `file` that are references (data strings whose
/// extension is not an asset extension are left out).
pub(crate) fn references_of(project: &Project, file: FileId) -> Vec<Reference<'_>> {
    let Some(f) = project.file(file) else { return Vec::new() };
    f.refs()
        .iter()
        .zip(f.resolutions())
        .enumerate()
        .filter(|(_, (_, res))| **res != Resolution::NotReference)
        .map(|(index, (raw, resolution))| Reference { file, index, raw, resolution })
        .collect()
}

/// The reference whose string contains `offset` (its edges included, so a
/// cursor just inside either quote counts).
pub(crate) fn reference_at(project: &Project, file: FileId, offset: u32) -> Option<Reference<'_>> {
    references_of(project, file).into_iter().find(|r| r.raw.range.contains_inclusive(offset))
}

/// The asset roots a reference in `file` may be written against: its own
/// root for an asset or `.meta`, every root for game code.
pub(crate) fn roots_for<'a>(project: &'a Project, file: &File) -> Vec<&'a str> {
    let roots = &project.config().roots;
    match file.kind {
        FileKind::Asset { root, .. } | FileKind::Meta { root } => {
            roots.get(root as usize).map(|r| vec![r.as_str()]).unwrap_or_default()
        }
        FileKind::Code => roots.iter().map(String::as_str).collect(),
    }
}

/// The label name of a resolved reference, if it names one.
pub(crate) fn label_name(project: &Project, target: FileId, label: Option<u32>) -> Option<String> {
    let (_, meta) = project.meta_of(target)?;
    Some(meta.labels.get(label? as usize)?.name.clone())
}

/// The id a reference could use instead of its path: the label's own id
/// for a labelled reference, else the asset's id.
pub(crate) fn id_for(project: &Project, target: FileId, label: Option<u32>) -> Option<Uuid> {
    match label {
        Some(l) => project.meta_of(target)?.1.labels.get(l as usize)?.id,
        None => project.asset_id(target),
    }
}

#[cfg(test)]
mod tests;
