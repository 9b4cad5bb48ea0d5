//! Positions. Inside the engine a position is a byte offset; LSP-style
//! positions (0-based line, UTF-16 column) exist only at the edges (CLI
//! output, the language server), converted through a [`LineIndex`].

use serde::Serialize;

/// A half-open byte range in a file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub const EMPTY: TextRange = TextRange { start: 0, end: 0 };

    pub fn new(start: u32, end: u32) -> Self {
        debug_assert!(start <= end);
        TextRange { start, end }
    }

    pub fn contains_inclusive(self, offset: u32) -> bool {
        self.start <= offset && offset <= self.end
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// 0-based line and UTF-16 column, as LSP and `assetry check --format json` use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct Position {
    pub line: u32,
    pub character: u32,
}

/// Line starts of one text plus the columns where UTF-16 and UTF-8 differ, so
/// a file's text need not be kept in memory to convert its positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex(line_index::LineIndex);

impl LineIndex {
    pub fn new(text: &str) -> Self {
        LineIndex(line_index::LineIndex::new(text))
    }

    /// The LSP position of a byte offset (clamped to the end of the text).
    pub fn position(&self, offset: u32) -> Position {
        let len: u32 = self.0.len().into();
        let lc = self.0.line_col(offset.min(len).into());
        match self.0.to_wide(line_index::WideEncoding::Utf16, lc) {
            Some(w) => Position { line: w.line, character: w.col },
            None => Position { line: lc.line, character: lc.col },
        }
    }

    /// The byte offset of an LSP position. A column past the end of its line
    /// clamps to the line's end and a line past the end clamps to the end of
    /// the text: editors send such positions, and they must never fail.
    pub fn offset(&self, pos: Position) -> u32 {
        let len: u32 = self.0.len().into();
        let Some(line_range) = self.0.line(pos.line) else {
            return len;
        };
        let wide = line_index::WideLineCol { line: pos.line, col: pos.character };
        let line_end: u32 = line_range.end().into();
        match self.0.to_utf8(line_index::WideEncoding::Utf16, wide) {
            Some(lc) => match self.0.offset(lc) {
                Some(o) => u32::from(o).min(line_end),
                None => line_end,
            },
            None => line_end,
        }
    }

    pub fn len(&self) -> u32 {
        self.0.len().into()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
