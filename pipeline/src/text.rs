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

/// Line starts of one text plus the characters where UTF-16 and UTF-8
/// differ, so a file's text need not be kept in memory to convert its
/// positions.
///
/// A line ends at `\n`, `\r\n` or a lone `\r`: the line breaks of LSP,
/// which the server's own buffer uses too. One definition everywhere, or a
/// squiggle lands a line off in a file with old Mac line endings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    /// Byte offset of the start of each line; line 0 starts at 0.
    starts: Vec<u32>,
    /// Byte offset and UTF-8 length of every non-ASCII character, in order.
    wide: Vec<(u32, u8)>,
    /// One bit per line: set when its break is `\r\n` (two bytes).
    crlf: Vec<u64>,
    len: u32,
}

/// The byte offsets where lines start after the first (after each `\n`,
/// `\r\n` and lone `\r`), in order.
pub fn line_breaks(text: &str) -> impl Iterator<Item = usize> + '_ {
    let b = text.as_bytes();
    memchr::memchr2_iter(b'\n', b'\r', b)
        // The `\r` of a `\r\n` ends nothing: its `\n` does.
        .filter(move |&i| !(b[i] == b'\r' && b.get(i + 1) == Some(&b'\n')))
        .map(|i| i + 1)
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(line_breaks(text).map(|i| i as u32));
        let b = text.as_bytes();
        let mut crlf = vec![0u64; starts.len().div_ceil(64)];
        for (line, &next) in starts[1..].iter().enumerate() {
            if next >= 2 && b[next as usize - 2] == b'\r' && b[next as usize - 1] == b'\n' {
                crlf[line / 64] |= 1 << (line % 64);
            }
        }
        let wide = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().filter(|(_, c)| !c.is_ascii()).map(|(i, c)| (i as u32, c.len_utf8() as u8)).collect()
        };
        LineIndex { starts, wide, crlf, len: text.len() as u32 }
    }

    /// The LSP position of a byte offset (clamped to the end of the text).
    pub fn position(&self, offset: u32) -> Position {
        let offset = offset.min(self.len);
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        // Each character before `offset` on the line counts one UTF-16 unit
        // per byte, less what its UTF-8 form has over its UTF-16 form.
        let extra: u32 = self.wide_in(start, offset).iter().map(|&(_, n)| u32::from(n) - utf16_len(n)).sum();
        Position { line: line as u32, character: offset - start - extra }
    }

    /// The byte offset of an LSP position. A column past the end of its line
    /// clamps to the line's end and a line past the end clamps to the end of
    /// the text: editors send such positions, and they must never fail. A
    /// column inside a character (between the halves of a surrogate pair)
    /// is the start of that character.
    pub fn offset(&self, pos: Position) -> u32 {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return self.len;
        };
        let end = self.line_end(pos.line as usize);
        let mut byte = start;
        let mut units = 0u32;
        for &(at, n) in self.wide_in(start, end) {
            // ASCII up to this character: one unit per byte.
            let ascii = at - byte;
            if units + ascii >= pos.character {
                return (byte + pos.character - units).min(end);
            }
            units += ascii;
            if units + utf16_len(n) > pos.character {
                return at;
            }
            units += utf16_len(n);
            byte = at + u32::from(n);
        }
        (byte + pos.character.saturating_sub(units)).min(end)
    }

    /// The byte offset where line `line` starts.
    pub fn line_start(&self, line: u32) -> Option<u32> {
        self.starts.get(line as usize).copied()
    }

    /// The end of line `line`'s contents, before its line break.
    fn line_end(&self, line: usize) -> u32 {
        match self.starts.get(line + 1) {
            Some(&next) => next - 1 - u32::from(self.ends_with_crlf(line)),
            None => self.len,
        }
    }

    fn ends_with_crlf(&self, line: usize) -> bool {
        self.crlf.get(line / 64).is_some_and(|w| w >> (line % 64) & 1 == 1)
    }

    /// The non-ASCII characters starting in `from..to`.
    fn wide_in(&self, from: u32, to: u32) -> &[(u32, u8)] {
        let a = self.wide.partition_point(|&(at, _)| at < from);
        let b = self.wide.partition_point(|&(at, _)| at < to);
        &self.wide[a..b]
    }

    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// UTF-16 units of a character of `utf8_len` bytes.
fn utf16_len(utf8_len: u8) -> u32 {
    if utf8_len == 4 { 2 } else { 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Positions the plain way: walk the text char by char, breaking lines
    /// where LSP does.
    /// (Offset, position, whether the offset is between a `\r` and its `\n`.)
    fn oracle(text: &str) -> Vec<(u32, Position, bool)> {
        let mut out = Vec::new();
        let (mut line, mut col) = (0, 0);
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let inside_crlf = c == '\n' && text[..i].ends_with('\r');
            out.push((i as u32, Position { line, character: col }, inside_crlf));
            let crlf = c == '\r' && chars.peek().is_some_and(|(_, n)| *n == '\n');
            if (c == '\n' || c == '\r') && !crlf {
                line += 1;
                col = 0;
            } else {
                col += c.len_utf16() as u32;
            }
        }
        out.push((text.len() as u32, Position { line, character: col }, false));
        out
    }

    #[test]
    fn every_line_break_of_lsp_and_no_other() {
        let pieces = ["a", "\n", "\r", "\r\n", "é", "😀", "\u{85}", "\u{2028}", "\u{b}", "\u{c}", " "];
        let mut rng = fastrand_like(7);
        for _ in 0..3000 {
            let text: String = (0..rng() % 12).map(|_| pieces[rng() as usize % pieces.len()]).collect();
            let index = LineIndex::new(&text);
            for (offset, pos, inside_crlf) in oracle(&text) {
                assert_eq!(index.position(offset), pos, "{text:?} at {offset}");
                if !inside_crlf {
                    assert_eq!(index.offset(pos), offset, "{text:?} at {pos:?}");
                }
            }
            // Past the end of a line: its end, before the break.
            for (n, line) in text.split("\r\n").flat_map(|l| l.split(['\n', '\r'])).enumerate() {
                let past = Position { line: n as u32, character: 1000 };
                let end = index.offset(past);
                assert_eq!(
                    index.position(end),
                    Position { line: n as u32, character: line.encode_utf16().count() as u32 }
                );
                let start = index.line_start(n as u32).expect("a line") as usize;
                assert_eq!(&text[start..end as usize], line, "{text:?} line {n}");
            }
        }
    }

    #[test]
    fn inside_a_surrogate_pair_is_the_character_start() {
        let index = LineIndex::new("a😀b");
        assert_eq!(index.offset(Position { line: 0, character: 2 }), 1);
        assert_eq!(index.offset(Position { line: 0, character: 3 }), 5);
        assert_eq!(index.offset(Position { line: 9, character: 0 }), 6);
    }

    /// A small xorshift, so this test needs no dependency.
    fn fastrand_like(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }
}
