//! TOML data files inside asset roots (not `.meta`, not `assetry.toml`):
//! every string value, never a key or a comment. A reader in one linear
//! pass, as for JSON and RON: it validates the document as it goes (TOML
//! 1.1 as `toml_edit` reads it, the parser `.meta` files use: the same
//! documents are valid, which `pipeline/tests/differential_readers.rs`
//! checks) and records only the candidate strings, with the exact ranges
//! of their contents. Its memory is the references, a 16-byte entry per key
//! for the rules on keys and tables ([`tables`]) and no tree; nesting is
//! bounded as `toml_edit` bounds it (80 open arrays and inline tables, 80
//! dotted key segments), so the recursion is too.
//!
//! Before it, `toml_edit` read these files: up to ~140 bytes of memory per
//! byte (a maximal dotted key), so they were read only up to 1 MiB; and
//! before that tree-sitter-toml, whose error recovery was superlinear (800
//! KB of `a=[`: 1.0 s and 280 MB).
//!
//! A number, date or other bare value is checked by hand when it is a plain
//! integer, a plain decimal float or a boolean, else by `toml_edit` on that
//! value's text alone
//! (a few tokens: a valid one has at most one `.` and one blank).

mod strings;
mod tables;

use self::tables::{Table, Tables};
use super::{Extracted, RawRef, SyntaxError, data_candidate_str};
use crate::text::TextRange;

pub(super) fn extract(text: &str) -> Extracted {
    let mut reader = Reader::new(text);
    let error = reader.document().err();
    let mut refs = reader.refs;
    if let Some(e) = &error {
        // What follows an error is not read; a string written before it
        // whose key turned out a duplicate is not a reference either.
        refs.retain(|r| r.range.end <= e.range.start);
    }
    Extracted { refs, error, skipped: None }
}

/// How deep arrays and inline tables may nest, and how many segments a
/// dotted key may have beyond its last: `toml_edit`'s limit.
const NESTING: usize = 80;

type Result<T> = std::result::Result<T, SyntaxError>;

struct Reader<'t> {
    text: &'t str,
    b: &'t [u8],
    i: usize,
    refs: Vec<RawRef>,
    tables: Tables,
    /// The current key's segments (hashed), reused.
    path: Vec<u64>,
    /// A decoded key segment, reused.
    key_buf: String,
    /// A decoded string value, reused.
    value_buf: String,
}

/// Bytes that end a bare key or a bare value (quotes do not: `a"b"` is one
/// bad token, as `toml_parser` lexes it).
fn ends_bare(b: u8) -> bool {
    matches!(b, b'.' | b'=' | b',' | b'[' | b']' | b'{' | b'}' | b' ' | b'\t' | b'#' | b'\r' | b'\n')
}

fn error<T>(start: usize, end: usize, message: &str) -> Result<T> {
    Err(SyntaxError::at(start, end, format!("not valid TOML: {message}")))
}

impl<'t> Reader<'t> {
    fn new(text: &'t str) -> Self {
        Reader {
            text,
            b: text.as_bytes(),
            i: 0,
            refs: Vec::new(),
            tables: Tables::new(),
            path: Vec::new(),
            key_buf: String::new(),
            value_buf: String::new(),
        }
    }

    /// The width of the character at `at` (to cover it in an error).
    fn char_end(&self, at: usize) -> usize {
        at + self.text.get(at..).and_then(|t| t.chars().next()).map_or(0, char::len_utf8)
    }

    fn unexpected<T>(&self, expected: &str) -> Result<T> {
        let found = match self.b.get(self.i) {
            None => "the end of the file".to_owned(),
            Some(b'\n' | b'\r') => "the end of the line".to_owned(),
            Some(_) => format!("`{}`", &self.text[self.i..self.char_end(self.i)]),
        };
        error(self.i, self.char_end(self.i), &format!("expected {expected}, found {found}"))
    }

    fn document(&mut self) -> Result<()> {
        if self.text.starts_with('\u{feff}') {
            self.i = 3;
        }
        let mut table = Tables::ROOT;
        loop {
            self.blanks();
            match self.b.get(self.i) {
                None => return Ok(()),
                Some(b'#' | b'\n' | b'\r') => {}
                Some(b'[') => table = self.header()?,
                Some(_) => self.key_value(table)?,
            }
            self.line_end()?;
        }
    }

    fn blanks(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    /// Blanks, an optional comment, then a newline or the end.
    fn line_end(&mut self) -> Result<()> {
        self.blanks();
        if self.b.get(self.i) == Some(&b'#') {
            self.comment()?;
        }
        match self.b.get(self.i) {
            None => Ok(()),
            Some(b'\n') => {
                self.i += 1;
                Ok(())
            }
            Some(b'\r') if self.b.get(self.i + 1) == Some(&b'\n') => {
                self.i += 2;
                Ok(())
            }
            Some(b'\r') => error(self.i, self.i + 1, "a carriage return not followed by a line feed"),
            Some(_) => self.unexpected("the end of the line"),
        }
    }

    /// A comment from its `#` up to (not including) the line's end.
    fn comment(&mut self) -> Result<()> {
        let rest = &self.b[self.i..];
        let len = memchr::memchr2(b'\n', b'\r', rest).unwrap_or(rest.len());
        if let Some(bad) = rest[..len].iter().position(|&c| !(c == b'\t' || (0x20..0x7f).contains(&c) || c >= 0x80)) {
            let at = self.i + bad;
            return error(at, at + 1, "a control character in a comment");
        }
        self.i += len;
        Ok(())
    }

    /// Blanks, comments and newlines (inside arrays and inline tables).
    fn blank_lines(&mut self) -> Result<()> {
        loop {
            match self.b.get(self.i) {
                Some(b' ' | b'\t' | b'\n') => self.i += 1,
                Some(b'\r') if self.b.get(self.i + 1) == Some(&b'\n') => self.i += 2,
                Some(b'\r') => return error(self.i, self.i + 1, "a carriage return not followed by a line feed"),
                Some(b'#') => self.comment()?,
                _ => return Ok(()),
            }
        }
    }

    /// `[a.b]` or `[[a.b]]`: the table the following keys go into.
    fn header(&mut self) -> Result<Table> {
        let array = self.b.get(self.i + 1) == Some(&b'[');
        self.i += if array { 2 } else { 1 };
        self.blanks();
        let (start, last) = self.key()?;
        let end = self.i;
        self.blanks();
        let close: &[u8] = if array { b"]]" } else { b"]" };
        if !self.b[self.i..].starts_with(close) {
            return self.unexpected(if array { "`]]`" } else { "`]`" });
        }
        self.i += close.len();
        self.tables.header(&self.path, last, array).or_else(|why| error(start, end, why))
    }

    /// `key = value`, its key registered in `table`.
    fn key_value(&mut self, table: Table) -> Result<()> {
        self.assignment(table, 0, false)
    }

    /// A key, `=` and a value inside `depth` open arrays and inline tables
    /// (`in_braces`: directly inside an inline table, where TOML 1.1 lets
    /// line breaks and comments come between any two tokens); the key is
    /// registered in `table` once the value is read, as `toml_edit` does.
    fn assignment(&mut self, table: Table, depth: usize, in_braces: bool) -> Result<()> {
        let (start, last) = self.key()?;
        let end = self.i;
        let path = std::mem::take(&mut self.path);
        let gap = |r: &mut Self| {
            if in_braces {
                return r.blank_lines();
            }
            r.blanks();
            Ok(())
        };
        gap(self)?;
        if self.b.get(self.i) != Some(&b'=') {
            return self.unexpected("`=` after a key");
        }
        self.i += 1;
        gap(self)?;
        self.value(depth)?;
        let assigned = self.tables.assign(table, &path, last);
        self.path = path;
        assigned.or_else(|why| error(start, end, why))
    }

    /// A key (`a`, `"a b"`, `'a'`, `a . "b" . c`): its segments but the last
    /// into `self.path`; returns where it starts and its last segment.
    fn key(&mut self) -> Result<(usize, u64)> {
        let start = self.i;
        self.path.clear();
        loop {
            let segment = self.simple_key()?;
            let save = self.i;
            self.blanks();
            if self.b.get(self.i) != Some(&b'.') {
                self.i = save;
                if self.path.len() >= NESTING {
                    return error(start, self.i, "a dotted key of more than 80 segments");
                }
                return Ok((start, segment));
            }
            self.path.push(segment);
            self.i += 1;
            self.blanks();
        }
    }

    /// One segment of a key, hashed.
    fn simple_key(&mut self) -> Result<u64> {
        let at = self.i;
        let b = self.b;
        match b.get(at) {
            Some(b'"') if b[at..].starts_with(b"\"\"\"") => error(at, at + 3, "a key cannot be a multi-line string"),
            Some(b'\'') if b[at..].starts_with(b"'''") => error(at, at + 3, "a key cannot be a multi-line string"),
            Some(b'"') => {
                let read = strings::basic(b, self.text, at, &mut self.key_buf)?;
                self.i = read.next;
                Ok(self.tables.key(self.key_buf.as_bytes()))
            }
            Some(b'\'') => {
                let read = strings::literal(b, at)?;
                self.i = read.next;
                Ok(self.tables.key(&b[read.start..read.end]))
            }
            Some(&c) if !ends_bare(c) => {
                let len = b[at..].iter().position(|&c| ends_bare(c)).unwrap_or(b.len() - at);
                let word = &b[at..at + len];
                if let Some(bad) = word.iter().position(|&c| !(c.is_ascii_alphanumeric() || c == b'-' || c == b'_')) {
                    let bad = at + bad;
                    return error(bad, self.char_end(bad), "a bare key holds only letters, digits, `-` and `_`");
                }
                self.i = at + len;
                Ok(self.tables.key(word))
            }
            _ => self.unexpected("a key"),
        }
    }

    /// A value, inside `depth` open arrays and inline tables.
    fn value(&mut self, depth: usize) -> Result<()> {
        let at = self.i;
        let b = self.b;
        match b.get(at) {
            Some(b'"') => {
                let read = if b[at..].starts_with(b"\"\"\"") {
                    strings::multi_line_basic(b, self.text, at, &mut self.value_buf)?
                } else {
                    strings::basic(b, self.text, at, &mut self.value_buf)?
                };
                self.i = read.next;
                let range = TextRange::new(read.start as u32, read.end as u32);
                self.refs.extend(data_candidate_str(range, &self.value_buf));
            }
            Some(b'\'') => {
                let (read, value_start) = if b[at..].starts_with(b"'''") {
                    strings::multi_line_literal(b, at)?
                } else {
                    let read = strings::literal(b, at)?;
                    let start = read.start;
                    (read, start)
                };
                self.i = read.next;
                let range = TextRange::new(read.start as u32, read.end as u32);
                self.refs.extend(data_candidate_str(range, &self.text[value_start..read.end]));
            }
            Some(b'[') => self.array(depth + 1)?,
            Some(b'{') => self.inline_table(depth + 1)?,
            Some(&c) if c == b'.' || !ends_bare(c) => self.bare_value()?,
            _ => return self.unexpected("a value"),
        }
        Ok(())
    }

    fn open(&self, depth: usize) -> Result<()> {
        if depth > NESTING {
            return error(self.i, self.i + 1, "arrays and inline tables nested more than 80 deep");
        }
        Ok(())
    }

    /// `[v, v, …]`, a trailing comma allowed, blank lines and comments anywhere.
    fn array(&mut self, depth: usize) -> Result<()> {
        self.open(depth)?;
        self.i += 1;
        loop {
            self.blank_lines()?;
            if self.b.get(self.i) == Some(&b']') {
                self.i += 1;
                return Ok(());
            }
            self.value(depth)?;
            self.blank_lines()?;
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return self.unexpected("`,` or `]`"),
            }
        }
    }

    /// `{k = v, …}`; as TOML 1.1 allows, over several lines and with a
    /// trailing comma.
    fn inline_table(&mut self, depth: usize) -> Result<()> {
        self.open(depth)?;
        self.i += 1;
        let table = self.tables.inline_table();
        loop {
            self.blank_lines()?;
            if self.b.get(self.i) == Some(&b'}') {
                self.i += 1;
                return Ok(());
            }
            self.assignment(table, depth, true)?;
            self.blank_lines()?;
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return self.unexpected("`,` or `}`"),
            }
        }
    }

    /// A number, boolean or date: its extent as `toml_parser` takes it (bare
    /// tokens and `.`, and one blank between two bare tokens, as in
    /// `1979-05-27 07:32:00`), then checked.
    fn bare_value(&mut self) -> Result<()> {
        let b = self.b;
        let start = self.i;
        let (mut dots, mut blanks) = (0, 0);
        let bare_start = |c: u8| !ends_bare(c) && c != b'"' && c != b'\'';
        loop {
            match b.get(self.i) {
                Some(b'.') => {
                    dots += 1;
                    self.i += 1;
                }
                Some(&c) if !ends_bare(c) => {
                    self.i += b[self.i..].iter().position(|&c| ends_bare(c)).unwrap_or(b.len() - self.i);
                }
                _ => break,
            }
            if matches!(b.get(self.i), Some(b' ' | b'\t')) {
                let after = self.i + b[self.i..].iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
                if b.get(after).is_some_and(|&c| bare_start(c)) {
                    blanks += 1;
                    self.i = after;
                } else {
                    break;
                }
            }
        }
        let raw = &self.text[start..self.i];
        if plain_integer(raw) || plain_float(raw) || raw == "true" || raw == "false" {
            return Ok(());
        }
        // Alone, a value's text reads as it does in its place, but for a
        // leading byte-order mark, which a document may start with.
        if dots <= 1 && blanks <= 1 && !raw.starts_with('\u{feff}') {
            match raw.parse::<toml_edit::Value>() {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let message = e.message().trim().lines().next().unwrap_or("").to_owned();
                    return error(start, self.i, &format!("`{raw}` is not a value: {message}"));
                }
            }
        }
        error(start, self.i.max(self.char_end(start)), &format!("`{raw}` is not a value"))
    }
}

/// `0`, `-12`, `+7`: a decimal integer with no `_` that fits an `i64`
/// whatever its digits (at most 18).
fn plain_integer(raw: &str) -> bool {
    let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    let b = digits.as_bytes();
    !b.is_empty() && b.len() <= 18 && b.iter().all(u8::is_ascii_digit) && (b[0] != b'0' || b.len() == 1)
}

/// `1.5`, `-0.25`: a decimal float with no `_` or exponent and few
/// enough digits that it is finite whatever they are.
fn plain_float(raw: &str) -> bool {
    let unsigned = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    let Some((whole, fraction)) = unsigned.split_once('.') else { return false };
    let digits = |s: &str| !s.is_empty() && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction) && (!whole.starts_with('0') || whole == "0")
}

#[cfg(test)]
mod tests;
