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

/// The byte offsets where lines start after the first (after each `\n`,
/// `\r\n` and lone `\r`), in order.
///
/// A line ends at `\n`, `\r\n` or a lone `\r`: the line breaks of LSP,
/// which the server's own buffer uses too. One definition everywhere (the
/// engine's positions, `check`'s source lines, WGSL `#import` lines,
/// completion), or a squiggle lands a line off in a file with old Mac line
/// endings.
pub fn line_breaks(text: &str) -> impl Iterator<Item = usize> + '_ {
    let b = text.as_bytes();
    memchr::memchr2_iter(b'\n', b'\r', b)
        // The `\r` of a `\r\n` ends nothing: its `\n` does.
        .filter(move |&i| !(b[i] == b'\r' && b.get(i + 1) == Some(&b'\n')))
        .map(|i| i + 1)
}

/// The lines of one text, or of its beginning: built from the very text that
/// was parsed, so byte ranges from that parse always meet their own lines
/// (re-reading the file later could meet another version's). Lines break
/// as [`line_breaks`] says.
///
/// A project file's index covers its text up to the end of the last range
/// its parse produced (references, `.meta` ids, labels, problems and syntax
/// errors): those are the only offsets ever converted for a file the editor
/// does not hold open. When that part is one ASCII line (a `.meta` whose
/// `id` comes first, a one-line scene) nothing is stored at all; otherwise
/// one allocation holds
///
/// `[covered length, break count n, start of each line after the first…
/// (n), one bit per break set when it is \r\n (⌈n/32⌉ words), (offset,
/// UTF-8 length << 8 | UTF-16 length) of each non-ASCII character…]`
///
/// about 4 bytes a line. An editor's buffer gets an index of its whole
/// text ([`LineIndex::new`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineIndex(Option<Box<[u32]>>);

/// The parts of a stored index (see [`LineIndex`]).
struct Parts<'a> {
    len: u32,
    /// Where each line after the first starts.
    starts: &'a [u32],
    /// Bit `i`: break `i` (before line `i + 1`) is `\r\n`.
    crlf: &'a [u32],
    /// (offset, packed lengths) pairs of the non-ASCII characters.
    wide: &'a [u32],
}

impl Parts<'_> {
    /// Where line `line` starts (0 for the first).
    fn start(&self, line: usize) -> u32 {
        if line == 0 { 0 } else { self.starts[line - 1] }
    }

    /// The end of line `line`'s contents, before its break.
    fn end(&self, line: usize) -> u32 {
        match self.starts.get(line) {
            Some(&next) => next - 1 - (self.crlf[line / 32] >> (line % 32) & 1),
            None => self.len,
        }
    }
}

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
        // A `\r` cut from its `\n` would read as a lone `\r`: a break one
        // byte early.
        if end > 0 && text.as_bytes()[end - 1] == b'\r' && text.as_bytes().get(end) == Some(&b'\n') {
            end += 1;
        }
        let part = &text[..end];
        if part.is_ascii() && memchr::memchr2(b'\n', b'\r', part.as_bytes()).is_none() {
            return LineIndex(None);
        }
        LineIndex(Some(Self::table(part)))
    }

    fn table(text: &str) -> Box<[u32]> {
        let bytes = text.as_bytes();
        let breaks = line_breaks(text).count();
        let words = breaks.div_ceil(32);
        let wide = if text.is_ascii() { 0 } else { text.chars().filter(|c| !c.is_ascii()).count() };
        let mut t = Vec::with_capacity(2 + breaks + words + 2 * wide);
        t.push(text.len() as u32);
        t.push(breaks as u32);
        t.extend(line_breaks(text).map(|i| i as u32));
        let crlf_at = t.len();
        t.resize(crlf_at + words, 0);
        for i in 0..breaks {
            let next = t[2 + i] as usize;
            if next >= 2 && &bytes[next - 2..next] == b"\r\n" {
                t[crlf_at + i / 32] |= 1 << (i % 32);
            }
        }
        if wide > 0 {
            for (i, c) in text.char_indices().filter(|(_, c)| !c.is_ascii()) {
                t.push(i as u32);
                t.push(((c.len_utf8() as u32) << 8) | c.len_utf16() as u32);
            }
        }
        t.into_boxed_slice()
    }

    fn parts(&self) -> Option<Parts<'_>> {
        let t = self.0.as_deref()?;
        let n = t[1] as usize;
        let words = n.div_ceil(32);
        Some(Parts { len: t[0], starts: &t[2..2 + n], crlf: &t[2 + n..2 + n + words], wide: &t[2 + n + words..] })
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
        let Some(p) = self.parts() else {
            return Position { line: 0, character: offset };
        };
        let offset = offset.min(p.len);
        let line = p.starts.partition_point(|&s| s <= offset);
        let start = p.start(line);
        let character = offset - start - Self::narrowing(p.wide, start, offset);
        Position { line: line as u32, character }
    }

    /// The byte offset of an LSP position. A column past the end of its line
    /// clamps to the line's end (before its break) and a line past the end
    /// clamps to the end of the text: editors send such positions, and they
    /// must never fail. A column inside a character (between the halves of
    /// a surrogate pair) is the start of that character. (An index that
    /// covers only a file's first ASCII line answers for that line; a later
    /// line is past every range of the file: `u32::MAX`.)
    pub fn offset(&self, pos: Position) -> u32 {
        let Some(p) = self.parts() else {
            return if pos.line == 0 { pos.character } else { u32::MAX };
        };
        let line = pos.line as usize;
        if line > p.starts.len() {
            return p.len;
        }
        let (start, end) = (p.start(line), p.end(line));
        // Walk the line's non-ASCII characters, converting UTF-16 units to bytes.
        let (mut byte, mut units) = (start, 0u32);
        let wide = p.wide;
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

    /// The byte offset where line `line` starts, if the index covers it.
    pub fn line_start(&self, line: u32) -> Option<u32> {
        let Some(p) = self.parts() else {
            return (line == 0).then_some(0);
        };
        (line as usize <= p.starts.len()).then(|| p.start(line as usize))
    }

    /// The length of the text the index covers (0 when it stores nothing).
    pub fn len(&self) -> u32 {
        self.parts().map_or(0, |p| p.len)
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

    /// Every offset of `text` against a straightforward count, both ways
    /// (lines break at `\n`, `\r\n` and a lone `\r`; the offset between a
    /// `\r` and its `\n` has no position of its own: past the line's end).
    fn agrees_with_counting(text: &str) {
        let index = LineIndex::new(text);
        let (mut line, mut col) = (0, 0);
        for (i, c) in text.char_indices() {
            assert_eq!(index.position(i as u32), pos(line, col), "offset {i} of {text:?}");
            if !(c == '\n' && text[..i].ends_with('\r')) {
                assert_eq!(index.offset(pos(line, col)), i as u32, "{line}:{col} of {text:?}");
            }
            if c == '\n' || (c == '\r' && !text[i..].starts_with("\r\n")) {
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
        for text in ["", "a", "ab\ncd\n", "\n\n", "é\nxé😀y\n€", "a\r\nb", "😀😀\n😀", "a\rb\r\r\nc\r"] {
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

    #[test]
    fn a_covering_index_breaks_lines_as_a_whole_one_does() {
        // A lone `\r` is a break: an ASCII prefix with one is stored.
        let text = "id = 1\rloader = \"x\"\r\nz";
        let covering = LineIndex::covering(text, 9);
        assert_eq!(covering.position(9), pos(1, 2));
        // Cut between a `\r` and its `\n`: still one break, not two.
        let cut = LineIndex::covering(text, 20);
        assert_eq!(cut.position(19), LineIndex::new(text).position(19));
        assert_eq!(cut.line_start(2), Some(21));
        assert_eq!(cut.offset(pos(1, 99)), 19);
    }

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
