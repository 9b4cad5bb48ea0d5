//! Conversions at the edge: LSP URIs and UTF-16 positions on one side, the
//! engine's absolute paths and byte offsets on the other.

use std::path::{Component, Path, PathBuf};

use assetry_pipeline::{LineIndex, TextRange};
use tower_lsp_server::ls_types::{Position, Range, Uri};

/// The absolute, normalised file path of a `file:` URI. Any other scheme
/// (`untitled:`, `git:`, `vscode-notebook-cell:`) names no file on disk and
/// yields `None`: such documents are not part of a project.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    let path = uri.to_file_path()?;
    if !path.is_absolute() {
        return None;
    }
    Some(normalize(&path))
}

pub fn path_to_uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

/// Removes `.` and resolves `..` lexically, so `/p/assets/../assets/a.png`
/// and `/p/assets/a.png` name the same document.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

pub fn position(index: &LineIndex, offset: u32) -> Position {
    let p = index.position(offset);
    Position::new(p.line, p.character)
}

pub fn range(index: &LineIndex, range: TextRange) -> Range {
    Range::new(position(index, range.start), position(index, range.end))
}

/// The byte offset of a client position, clamped into the text.
pub fn offset(index: &LineIndex, pos: Position) -> u32 {
    index.offset(assetry_pipeline::Position { line: pos.line, character: pos.character })
}

pub fn text_range(index: &LineIndex, range: Range) -> TextRange {
    let start = offset(index, range.start);
    let end = offset(index, range.end).max(start);
    TextRange::new(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_file_uris_name_files() {
        let file: Uri = "file:///p/assets/../assets/a%20b.png".parse().unwrap();
        assert_eq!(uri_to_path(&file), Some(PathBuf::from("/p/assets/a b.png")));
        let untitled: Uri = "untitled:Untitled-1".parse().unwrap();
        assert_eq!(uri_to_path(&untitled), None);
        let http: Uri = "https://example.com/a.png".parse().unwrap();
        assert_eq!(uri_to_path(&http), None);
    }
}
