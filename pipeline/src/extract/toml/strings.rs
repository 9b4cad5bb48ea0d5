//! TOML's four strings, read and decoded in one pass: basic (`"…"`, with
//! escapes), literal (`'…'`), and their multi-line forms (`"""…"""`,
//! `'''…'''`: a newline right after the opening delimiter is not part of
//! the value; in a basic one, a `\` at the end of a line drops the line
//! break and the whitespace after it). What each may hold is TOML 1.1's
//! grammar as `toml_parser` reads it: no control character but tab (and
//! newlines in the multi-line forms), and the escapes `\b \t \n \f \r \e
//! \" \\ \xHH \uHHHH \UHHHHHHHH`.

use super::super::SyntaxError;

/// A string read: where its contents are and where the text goes on.
pub(super) struct Read {
    /// The contents, delimiters excluded (a multi-line string's first
    /// newline included: it is the literal's text).
    pub start: usize,
    pub end: usize,
    /// Just past the closing delimiter.
    pub next: usize,
}

type Result<T> = std::result::Result<T, SyntaxError>;

/// Whether a byte may stand for itself in a string (tab, printable ASCII,
/// or part of a non-ASCII character).
fn plain(b: u8) -> bool {
    b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80
}

fn control(at: usize) -> SyntaxError {
    SyntaxError::at(at, at + 1, "not valid TOML: a control character in a string (escape it)")
}

fn unterminated(open: usize, len: usize, delimiter: &str) -> SyntaxError {
    SyntaxError::at(
        open,
        open + len,
        format!("not valid TOML: unterminated string: the closing `{delimiter}` is missing"),
    )
}

/// A basic string opening at `open` (its `"`); its value into `out`.
pub(super) fn basic(b: &[u8], text: &str, open: usize, out: &mut String) -> Result<Read> {
    out.clear();
    let start = open + 1;
    let mut i = start;
    let mut run = start;
    loop {
        match b.get(i) {
            None | Some(b'\n' | b'\r') => return Err(unterminated(open, 1, "\"")),
            Some(b'"') => {
                out.push_str(&text[run..i]);
                return Ok(Read { start, end: i, next: i + 1 });
            }
            Some(b'\\') => {
                out.push_str(&text[run..i]);
                i = escape(b, i, out)?;
                run = i;
            }
            Some(&c) if plain(c) => i += 1,
            Some(_) => return Err(control(i)),
        }
    }
}

/// The escape at `at` (its `\`), decoded into `out`; returns where the text goes on.
fn escape(b: &[u8], at: usize, out: &mut String) -> Result<usize> {
    let simple = match b.get(at + 1) {
        Some(b'b') => Some('\u{8}'),
        Some(b't') => Some('\t'),
        Some(b'n') => Some('\n'),
        Some(b'f') => Some('\u{c}'),
        Some(b'r') => Some('\r'),
        Some(b'e') => Some('\u{1b}'),
        Some(b'"') => Some('"'),
        Some(b'\\') => Some('\\'),
        _ => None,
    };
    if let Some(c) = simple {
        out.push(c);
        return Ok(at + 2);
    }
    let digits = match b.get(at + 1) {
        Some(b'x') => 2,
        Some(b'u') => 4,
        Some(b'U') => 8,
        _ => {
            let end = if b.get(at + 1).is_some_and(|c| c.is_ascii()) { at + 2 } else { at + 1 };
            return Err(SyntaxError::at(at, end, "not valid TOML: unknown escape in a string"));
        }
    };
    let value = b
        .get(at + 2..at + 2 + digits)
        .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
        .and_then(|h| std::str::from_utf8(h).ok())
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .and_then(char::from_u32);
    match value {
        Some(c) => {
            out.push(c);
            Ok(at + 2 + digits)
        }
        None => Err(SyntaxError::at(
            at,
            at + 2,
            format!("not valid TOML: `\\{}` needs {digits} hex digits of a Unicode scalar value", b[at + 1] as char),
        )),
    }
}

/// The length of the newline at `i` (`\n` or `\r\n`), 0 if none; a lone
/// `\r` is an error.
fn newline(b: &[u8], i: usize) -> Result<usize> {
    match b.get(i) {
        Some(b'\n') => Ok(1),
        Some(b'\r') if b.get(i + 1) == Some(&b'\n') => Ok(2),
        Some(b'\r') => Err(SyntaxError::at(i, i + 1, "not valid TOML: a carriage return not followed by a line feed")),
        _ => Ok(0),
    }
}

/// Where a multi-line string closes, given a run of `quote` starting at
/// `i`: `None` if the run is shorter than 3 (contents), else the contents'
/// end and the byte after the delimiter (up to two more quotes are
/// contents: `""""a"""""` is `"a""`).
fn closing(b: &[u8], i: usize, quote: u8) -> (usize, Option<(usize, usize)>) {
    let run = b[i..].iter().take_while(|c| **c == quote).count();
    if run < 3 {
        return (run, None);
    }
    let taken = run.min(5);
    (run, Some((i + taken - 3, i + taken)))
}

/// A multi-line basic string opening at `open` (its `"""`).
pub(super) fn multi_line_basic(b: &[u8], text: &str, open: usize, out: &mut String) -> Result<Read> {
    out.clear();
    let start = open + 3;
    let mut i = start + newline(b, start)?;
    let mut run = i;
    loop {
        match b.get(i) {
            None => return Err(unterminated(open, 3, "\"\"\"")),
            Some(b'"') => {
                let (len, close) = closing(b, i, b'"');
                if let Some((end, next)) = close {
                    out.push_str(&text[run..end]);
                    return Ok(Read { start, end, next });
                }
                i += len;
            }
            Some(b'\\') => {
                out.push_str(&text[run..i]);
                let blanks = b[i + 1..].iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
                let line_end = newline(b, i + 1 + blanks)?;
                if line_end > 0 {
                    // A line-ending backslash: the break and every blank
                    // and break after it are dropped.
                    i += 1 + blanks + line_end;
                    loop {
                        match b.get(i) {
                            Some(b' ' | b'\t') => i += 1,
                            Some(b'\n' | b'\r') => i += newline(b, i)?,
                            _ => break,
                        }
                    }
                } else if blanks > 0 {
                    return Err(SyntaxError::at(
                        i,
                        i + 1,
                        "not valid TOML: a `\\` followed by blanks must end its line",
                    ));
                } else {
                    i = escape(b, i, out)?;
                }
                run = i;
            }
            Some(b'\n' | b'\r') => i += newline(b, i)?,
            Some(&c) if plain(c) => i += 1,
            Some(_) => return Err(control(i)),
        }
    }
}

/// A literal string opening at `open` (its `'`): no escapes.
pub(super) fn literal(b: &[u8], open: usize) -> Result<Read> {
    let start = open + 1;
    let mut i = start;
    loop {
        match b.get(i) {
            None | Some(b'\n' | b'\r') => return Err(unterminated(open, 1, "'")),
            Some(b'\'') => return Ok(Read { start, end: i, next: i + 1 }),
            Some(&c) if plain(c) => i += 1,
            Some(_) => return Err(control(i)),
        }
    }
}

/// A multi-line literal string opening at `open` (its `'''`); the value is
/// `text[value_start..end]` where `value_start` skips the first newline.
pub(super) fn multi_line_literal(b: &[u8], open: usize) -> Result<(Read, usize)> {
    let start = open + 3;
    let value_start = start + newline(b, start)?;
    let mut i = value_start;
    loop {
        match b.get(i) {
            None => return Err(unterminated(open, 3, "'''")),
            Some(b'\'') => {
                let (len, close) = closing(b, i, b'\'');
                if let Some((end, next)) = close {
                    return Ok((Read { start, end, next }, value_start));
                }
                i += len;
            }
            Some(b'\n' | b'\r') => i += newline(b, i)?,
            Some(&c) if plain(c) => i += 1,
            Some(_) => return Err(control(i)),
        }
    }
}
