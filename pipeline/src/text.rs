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

/// The lines of one text, or of its beginning: built from the very text that
/// was parsed, so byte ranges from that parse always meet their own lines
/// (re-reading the file later could meet another version's).
///
/// A project file's index covers its text up to the end of the last range
/// its parse produced (references, `.meta` ids, labels and problems): those
/// are the only offsets ever converted for a file the editor does not hold
/// open. When that part is one ASCII line (a `.meta` whose `id` comes first,
/// a one-line scene) nothing is stored at all; otherwise one allocation holds
///
/// `[covered length, newline count, offset after each '\n'…, (offset,
/// UTF-8 length << 8 | UTF-16 length) of each non-ASCII character…]`
///
/// 4 bytes a line. An editor's buffer gets an index of its whole text
/// ([`LineIndex::new`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineIndex(Option<Box<[u32]>>);

impl LineIndex {
    /// The index of all of `text`.
    pub fn new(text: &str) -> Self {
        LineIndex(Some(Self::table(text)))
    }

    /// The index of `text` up to byte `upto` (clamped to the text), or
    /// nothing when that part is a single ASCII line.
    pub fn covering(text: &str, upto: u32) -> Self {
        let mut end = (upto as usize).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let part = &text[..end];
        if part.is_ascii() && memchr::memchr(b'\n', part.as_bytes()).is_none() {
            return LineIndex(None);
        }
        LineIndex(Some(Self::table(part)))
    }

    fn table(text: &str) -> Box<[u32]> {
        let bytes = text.as_bytes();
        let newlines = memchr::memchr_iter(b'\n', bytes).count();
        let wide = if text.is_ascii() { 0 } else { text.chars().filter(|c| !c.is_ascii()).count() };
        let mut t = Vec::with_capacity(2 + newlines + 2 * wide);
        t.push(text.len() as u32);
        t.push(newlines as u32);
        t.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i as u32 + 1));
        if wide > 0 {
            for (i, c) in text.char_indices().filter(|(_, c)| !c.is_ascii()) {
                t.push(i as u32);
                t.push(((c.len_utf8() as u32) << 8) | c.len_utf16() as u32);
            }
        }
        t.into_boxed_slice()
    }

    /// (covered length, line starts after the first, non-ASCII characters).
    fn parts(&self) -> Option<(u32, &[u32], &[u32])> {
        let t = self.0.as_deref()?;
        let n = t[1] as usize;
        Some((t[0], &t[2..2 + n], &t[2 + n..]))
    }

    /// How many UTF-16 units fewer than UTF-8 bytes the characters starting
    /// in `from..to` take.
    fn narrowing(wide: &[u32], from: u32, to: u32) -> u32 {
        let count = wide.len() / 2;
        let at = |i: usize| wide[2 * i];
        let first = partition(count, |i| at(i) < from);
        let mut saved = 0;
        for i in first..count {
            if at(i) >= to {
                break;
            }
            let packed = wide[2 * i + 1];
            saved += (packed >> 8) - (packed & 0xff);
        }
        saved
    }

    /// The LSP position of a byte offset (clamped to the end of what the
    /// index covers).
    pub fn position(&self, offset: u32) -> Position {
        let Some((len, lines, wide)) = self.parts() else {
            return Position { line: 0, character: offset };
        };
        let offset = offset.min(len);
        let line = lines.partition_point(|&s| s <= offset);
        let start = if line == 0 { 0 } else { lines[line - 1] };
        let character = offset - start - Self::narrowing(wide, start, offset);
        Position { line: line as u32, character }
    }

    /// The byte offset of an LSP position. A column past the end of its line
    /// clamps to the line's end and a line past the end clamps to the end of
    /// the text: editors send such positions, and they must never fail. (An
    /// index that covers only a file's first ASCII line answers for that
    /// line; a later line is past every range of the file: `u32::MAX`.)
    pub fn offset(&self, pos: Position) -> u32 {
        let Some((len, lines, wide)) = self.parts() else {
            return if pos.line == 0 { pos.character } else { u32::MAX };
        };
        let line = pos.line as usize;
        if line > lines.len() {
            return len;
        }
        let start = if line == 0 { 0 } else { lines[line - 1] };
        // The line's end, before its '\n' (and '\r').
        let end = match lines.get(line) {
            Some(&next) => next - 1,
            None => len,
        };
        // Walk the line's non-ASCII characters, converting UTF-16 units to bytes.
        let (mut byte, mut units) = (start, 0u32);
        let count = wide.len() / 2;
        let first = partition(count, |i| wide[2 * i] < start);
        for i in first..count {
            let (at, packed) = (wide[2 * i], wide[2 * i + 1]);
            if at >= end {
                break;
            }
            // ASCII bytes up to this character.
            let ascii = at - byte;
            if units + ascii >= pos.character {
                return byte + (pos.character - units);
            }
            units += ascii;
            let (len8, len16) = (packed >> 8, packed & 0xff);
            if units + len16 > pos.character {
                // Inside a surrogate pair: the character's start.
                return at;
            }
            units += len16;
            byte = at + len8;
        }
        (byte + (pos.character - units.min(pos.character))).min(end)
    }

    /// The length of the text the index covers (0 when it stores nothing).
    pub fn len(&self) -> u32 {
        self.parts().map_or(0, |(len, _, _)| len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes this index holds on the heap (for memory budgets).
    pub fn heap_bytes(&self) -> usize {
        self.0.as_deref().map_or(0, |t| 4 * t.len())
    }
}

/// The first `i` in `0..count` for which `before(i)` is false (`before` is
/// true then false along the range).
fn partition(count: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, count);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if before(mid) { lo = mid + 1 } else { hi = mid }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    /// Every offset of `text` against a straightforward count, both ways.
    fn agrees_with_counting(text: &str) {
        let index = LineIndex::new(text);
        let (mut line, mut col) = (0, 0);
        for (i, c) in text.char_indices() {
            assert_eq!(index.position(i as u32), pos(line, col), "offset {i} of {text:?}");
            assert_eq!(index.offset(pos(line, col)), i as u32, "{line}:{col} of {text:?}");
            if c == '\n' {
                (line, col) = (line + 1, 0);
            } else {
                col += c.len_utf16() as u32;
            }
        }
        assert_eq!(index.position(text.len() as u32), pos(line, col));
        assert_eq!(index.offset(pos(line, col)), text.len() as u32);
    }

    #[test]
    fn positions_and_offsets_agree_with_counting() {
        for text in ["", "a", "ab\ncd\n", "\n\n", "é\nxé😀y\n€", "a\r\nb", "😀😀\n😀"] {
            agrees_with_counting(text);
        }
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let index = LineIndex::new("ab\ncé\n");
        assert_eq!(index.offset(pos(0, 9)), 2);
        assert_eq!(index.offset(pos(1, 9)), 6);
        assert_eq!(index.offset(pos(7, 0)), 7);
        assert_eq!(index.position(99), pos(2, 0));
        // Inside a surrogate pair: the character's start.
        assert_eq!(LineIndex::new("😀x").offset(pos(0, 1)), 0);
    }

    #[test]
    fn a_covering_index_stores_nothing_for_one_ascii_line() {
        let text = "id = \"x\"\nloader = \"é\"\n";
        let first = LineIndex::covering(text, 7);
        assert_eq!((first.heap_bytes(), first.position(5)), (0, pos(0, 5)));
        let all = LineIndex::covering(text, text.len() as u32);
        assert_eq!(all, LineIndex::new(text));
        assert_eq!(all.position(text.len() as u32 - 2), pos(1, 11));
    }
}
