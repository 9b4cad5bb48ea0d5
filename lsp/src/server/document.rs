//! An open editor buffer: the client's text, edited incrementally.

use ropey::Rope;
use tower_lsp_server::ls_types::{Position, TextDocumentContentChangeEvent, Uri};

/// One document the client has opened. Its text takes precedence over disk
/// until the client closes it.
#[derive(Debug)]
pub struct Document {
    /// The URI exactly as the client spelled it, so diagnostics for an open
    /// document go back under the same key the client uses.
    pub uri: Uri,
    pub version: i32,
    rope: Rope,
}

impl Document {
    pub fn new(uri: Uri, version: i32, text: &str) -> Self {
        Document { uri, version, rope: Rope::from_str(text) }
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }

    /// Applies one `didChange` content change. A change without a range
    /// replaces the whole text; ranged changes use LSP positions (UTF-16
    /// columns), clamped to the text so a client's off-by-one cannot fail.
    pub fn apply(&mut self, change: &TextDocumentContentChangeEvent) {
        match change.range {
            None => self.rope = Rope::from_str(&change.text),
            Some(range) => {
                let start = self.char_index(range.start);
                let end = self.char_index(range.end).max(start);
                self.rope.remove(start..end);
                self.rope.insert(start, &change.text);
            }
        }
    }

    /// The char index of an LSP position. A line past the end maps to the end
    /// of the text; a column past the end of its line maps to the line's end
    /// (before its line break), as the LSP specification asks; a column in the
    /// middle of a surrogate pair maps to the start of that character.
    fn char_index(&self, pos: Position) -> usize {
        let line = pos.line as usize;
        if line >= self.rope.len_lines() {
            return self.rope.len_chars();
        }
        let line_start = self.rope.line_to_char(line);
        let slice = self.rope.line(line);
        let content_chars = slice.len_chars() - line_break_chars(slice);
        let content = slice.slice(..content_chars);
        let col = (pos.character as usize).min(content.len_utf16_cu());
        line_start + content.utf16_cu_to_char(col)
    }
}

/// How many chars at the end of `line` form its line break.
fn line_break_chars(line: ropey::RopeSlice<'_>) -> usize {
    let n = line.len_chars();
    match (n.checked_sub(2).map(|i| line.char(i)), n.checked_sub(1).map(|i| line.char(i))) {
        (Some('\r'), Some('\n')) => 2,
        (_, Some('\n' | '\r')) => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::Range;

    fn doc(text: &str) -> Document {
        Document::new("file:///a.json".parse().unwrap(), 0, text)
    }

    fn edit(d: &mut Document, (l1, c1): (u32, u32), (l2, c2): (u32, u32), text: &str) {
        d.apply(&TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: text.to_owned(),
        });
    }

    #[test]
    fn utf16_columns_count_surrogate_pairs_as_two() {
        let mut d = doc("{\"a\": \"😀x\"}\n");
        // 😀 is two UTF-16 units: column 9 is just after it.
        edit(&mut d, (0, 9), (0, 10), "y");
        assert_eq!(d.text(), "{\"a\": \"😀y\"}\n");
    }

    #[test]
    fn positions_past_the_end_clamp() {
        let mut d = doc("ab\r\ncd");
        edit(&mut d, (0, 99), (0, 99), "!");
        assert_eq!(d.text(), "ab!\r\ncd");
        edit(&mut d, (7, 0), (9, 9), "?");
        assert_eq!(d.text(), "ab!\r\ncd?");
        // A reversed range deletes nothing.
        edit(&mut d, (1, 2), (0, 0), "-");
        assert_eq!(d.text(), "ab!\r\ncd-?");
    }

    #[test]
    fn multi_line_replace() {
        let mut d = doc("one\ntwo\nthree\n");
        edit(&mut d, (0, 1), (2, 2), "X");
        assert_eq!(d.text(), "oXree\n");
    }
}
