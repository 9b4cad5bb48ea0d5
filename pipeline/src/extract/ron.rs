//! RON. Its tree-sitter grammar crate pins an old tree-sitter, and the only
//! structure references need is "which bytes are string literal values",
//! so this is a lexer: strings (with escapes), raw strings `r#"…"#`, byte
//! strings, char literals (so `'"'` opens nothing), and `//` and nested
//! `/* */` comments (a path in a comment is not a reference). A string
//! followed by `:` is a map key, never a reference. The lexer also keeps a
//! stack of open brackets, so an unterminated string, comment or bracket
//! and a mismatched bracket are reported where they are; what it cannot see
//! (a missing comma, a misspelt `Some`) the game's RON parser reports.
//! `pipeline/tests/differential_readers.rs` holds it to the `ron` crate.

use super::literal::unescape;
use super::{Extracted, RawRef, SyntaxError, data_candidate};
use crate::text::TextRange;

pub(super) fn extract(text: &str) -> Extracted {
    let mut refs = Vec::new();
    let error = lex(text, &mut refs).err();
    Extracted { refs, error, skipped: None }
}

fn lex(text: &str, refs: &mut Vec<RawRef>) -> Result<(), SyntaxError> {
    let b = text.as_bytes();
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = memchr_newline(b, i);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = block_comment_end(b, i + 2)
                    .ok_or_else(|| SyntaxError::at(i, i + 2, "unterminated comment: `/*` is never closed"))?;
            }
            b'\'' => {
                i = char_literal_end(b, i + 1)
                    .ok_or_else(|| SyntaxError::at(i, i + 1, "unterminated character literal: `'` is never closed"))?;
            }
            c @ (b'(' | b'[' | b'{') => {
                open.push((c, i));
                i += 1;
            }
            c @ (b')' | b']' | b'}') => {
                let want = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                match open.pop() {
                    Some((o, _)) if o == want => {}
                    Some((o, at)) => {
                        let message = format!("`{}` does not close `{}` (opened at byte {at})", c as char, o as char);
                        return Err(SyntaxError::at(i, i + 1, message));
                    }
                    None => return Err(SyntaxError::at(i, i + 1, format!("unmatched `{}`", c as char))),
                }
                i += 1;
            }
            b'"' => {
                let start = i + 1;
                let end = string_end(b, start).ok_or_else(|| unterminated(i, i + 1))?;
                i = end + 1;
                push(refs, text, (start, end), i, true);
            }
            b'r' | b'b' if !prev_is_ident(b, i) => {
                let mut j = i + 1;
                if b[i] == b'b' && b.get(j) == Some(&b'r') {
                    j += 1;
                }
                let hashes = b[j..].iter().take_while(|c| **c == b'#').count();
                let raw = b[i] == b'r' || j > i + 1;
                if b.get(j + hashes) == Some(&b'"') && (raw || hashes == 0) {
                    let start = j + hashes + 1;
                    if raw {
                        let end = raw_string_end(b, start, hashes).ok_or_else(|| unterminated(i, start))?;
                        i = end + 1 + hashes;
                        push(refs, text, (start, end), i, false);
                    } else {
                        let end = string_end(b, start).ok_or_else(|| unterminated(i, start))?;
                        i = end + 1;
                        push(refs, text, (start, end), i, true);
                    }
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    match open.pop() {
        Some((o, at)) => Err(SyntaxError::at(at, at + 1, format!("`{}` is never closed", o as char))),
        None => Ok(()),
    }
}

fn unterminated(start: usize, end: usize) -> SyntaxError {
    SyntaxError::at(start, end, "unterminated string: the closing `\"` is missing")
}

/// Pushes the string whose contents are `text[start..end]` and which ends
/// before `after`, unless it is a map key (the next token is `:`).
fn push(refs: &mut Vec<RawRef>, text: &str, (start, end): (usize, usize), after: usize, escaped: bool) {
    if next_token(text.as_bytes(), after) == Some(b':') {
        return;
    }
    let raw = &text[start..end];
    let value = if escaped { unescape(raw) } else { raw.to_owned() };
    if let Some(r) = data_candidate(TextRange::new(start as u32, end as u32), value) {
        refs.push(r);
    }
}

fn prev_is_ident(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// The first byte from `from` on that is not blank or in a comment.
fn next_token(b: &[u8], mut from: usize) -> Option<u8> {
    loop {
        let c = *b.get(from)?;
        if c.is_ascii_whitespace() {
            from += 1;
        } else if c == b'/' && b.get(from + 1) == Some(&b'/') {
            from = memchr_newline(b, from);
        } else if c == b'/' && b.get(from + 1) == Some(&b'*') {
            from = block_comment_end(b, from + 2)?;
        } else {
            return Some(c);
        }
    }
}

fn memchr_newline(b: &[u8], from: usize) -> usize {
    b[from..].iter().position(|c| *c == b'\n').map_or(b.len(), |p| from + p)
}

/// The index after the `*/` closing a comment whose body starts at `i`.
pub(crate) fn block_comment_end(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 1usize;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Some(i);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// A char literal is at most an escape plus a few bytes; `None` when no
/// closing quote is that close (a stray quote).
fn char_literal_end(b: &[u8], start: usize) -> Option<usize> {
    // The first byte is the character itself or its escape, even a `'`
    // (RON reads `'''` as the quote character).
    let mut j = start + if b.get(start) == Some(&b'\\') { 2 } else { 1 };
    let limit = (j + 12).min(b.len());
    while j < limit {
        if b[j] == b'\'' {
            return Some(j + 1);
        }
        j += 1;
    }
    None
}

fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut j = start;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return Some(j),
            _ => j += 1,
        }
    }
    None
}

fn raw_string_end(b: &[u8], start: usize, hashes: usize) -> Option<usize> {
    let mut j = start;
    while j < b.len() {
        if b[j] == b'"' && b.len() > j + hashes && b[j + 1..=j + hashes].iter().all(|c| *c == b'#') {
            return Some(j);
        }
        j += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(t: &str) -> Vec<String> {
        let found = extract(t);
        assert_eq!(found.error, None, "{t}");
        found.refs.into_iter().map(|r| r.value.into_string()).collect()
    }

    #[test]
    fn strings_comments_and_raw() {
        let t = r##"(
            // "commented.png"
            sky: "textures/sky.png", /* "a.png" /* nested "b.png" */ "c.png" */
            q: '"', name: "hello",
            raw: r#"textures/raw "quoted".png"#,
            id: "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11",
        )"##;
        assert_eq!(
            values(t),
            ["textures/sky.png", "textures/raw \"quoted\".png", "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11"]
        );
    }

    #[test]
    fn map_keys_are_never_references() {
        let t = r##"{"textures/key.png": "textures/value.png", r#"raw/key.png"# /* c */ : 1, "k.png"
            // comment
            : ["a.png"]}"##;
        assert_eq!(values(t), ["textures/value.png", "a.png"]);
    }

    #[test]
    fn ranges_are_contents() {
        let t = "(a: \"x/y.png\")";
        let r = &extract(t).refs[0];
        assert_eq!(&t[r.range.start as usize..r.range.end as usize], "x/y.png");
    }

    #[test]
    fn lexical_errors_are_reported_where_they_are() {
        for (t, at, refs) in [
            ("(a: \"a.png\", b: \"x.png)", 16, 1),
            ("(a: \"a.png\", b: r#\"x.png\")", 16, 1),
            ("(a: \"a.png\") /* x.png", 13, 1),
            ("(a: \"a.png\", b: [1, 2)", 21, 1),
            ("(a: \"a.png\", b: [1, 2]", 0, 1),
            ("(a: 'xxxxxxxxxxxxxxxxx')", 4, 0),
            (")", 0, 0),
        ] {
            let found = extract(t);
            let e = found.error.unwrap_or_else(|| panic!("no error in {t}"));
            assert_eq!((e.range.start, found.refs.len()), (at, refs), "{t}: {}", e.message);
        }
    }
}
