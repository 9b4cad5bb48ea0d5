//! RON. Its tree-sitter grammar crate pins an old tree-sitter, and the only
//! structure references need is "which bytes are string literals", so this
//! is a lexer: strings (with escapes), raw strings `r#"…"#`, byte strings,
//! char literals (so `'"'` opens nothing), and `//` and nested `/* */`
//! comments (a path in a comment is not a reference).

use super::literal::unescape;
use super::{RawRef, data_candidate};
use crate::text::TextRange;

pub(super) fn extract(text: &str) -> Vec<RawRef> {
    let b = text.as_bytes();
    let mut refs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = memchr_newline(b, i);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = block_comment_end(b, i + 2);
            }
            b'\'' => {
                i = char_literal_end(b, i + 1);
            }
            b'"' => {
                let start = i + 1;
                let Some(end) = string_end(b, start) else { break };
                push(&mut refs, text, start, end, true);
                i = end + 1;
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
                        let Some(end) = raw_string_end(b, start, hashes) else { break };
                        push(&mut refs, text, start, end, false);
                        i = end + 1 + hashes;
                    } else {
                        let Some(end) = string_end(b, start) else { break };
                        push(&mut refs, text, start, end, true);
                        i = end + 1;
                    }
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    refs
}

fn push(refs: &mut Vec<RawRef>, text: &str, start: usize, end: usize, escaped: bool) {
    let raw = &text[start..end];
    let value = if escaped { unescape(raw) } else { raw.to_owned() };
    if let Some(r) = data_candidate(TextRange::new(start as u32, end as u32), value) {
        refs.push(r);
    }
}

fn prev_is_ident(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

fn memchr_newline(b: &[u8], from: usize) -> usize {
    b[from..].iter().position(|c| *c == b'\n').map_or(b.len(), |p| from + p)
}

fn block_comment_end(b: &[u8], mut i: usize) -> usize {
    let mut depth = 1usize;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// A char literal is at most an escape plus a few bytes; anything longer is
/// not a char literal (a stray quote), so scanning resumes right after it.
fn char_literal_end(b: &[u8], start: usize) -> usize {
    let mut j = start;
    if b.get(j) == Some(&b'\\') {
        j += 2;
    }
    let limit = (j + 12).min(b.len());
    while j < limit {
        if b[j] == b'\'' {
            return j + 1;
        }
        j += 1;
    }
    start
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
        if b[j] == b'"' && b[j + 1..].iter().take(hashes).filter(|c| **c == b'#').count() == hashes {
            return Some(j);
        }
        j += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_comments_and_raw() {
        let t = r##"(
            // "commented.png"
            sky: "textures/sky.png", /* "a.png" /* nested "b.png" */ "c.png" */
            q: '"', name: "hello",
            raw: r#"textures/raw "quoted".png"#,
            id: "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11",
        )"##;
        let v: Vec<String> = extract(t).into_iter().map(|r| r.value.into_string()).collect();
        assert_eq!(v, ["textures/sky.png", "textures/raw \"quoted\".png", "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11"]);
    }

    #[test]
    fn ranges_are_contents() {
        let t = "(a: \"x/y.png\")";
        let r = &extract(t)[0];
        assert_eq!(&t[r.range.start as usize..r.range.end as usize], "x/y.png");
    }

    #[test]
    fn unterminated_is_harmless() {
        assert!(extract("(a: \"x.png").is_empty());
        assert!(extract("r#\"x.png\"").is_empty());
        assert!(extract("/* x.png").is_empty());
    }
}
