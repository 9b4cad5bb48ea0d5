//! JSON and glTF. A byte scanner rather than a syntax tree: references are
//! string literals, and a scanner finds them at memory speed with no
//! recursion, so a 200,000-level-deep document or a 50 MB file costs one
//! linear pass. The same pass validates the syntax (RFC 8259, as
//! `serde_json` reads it; `pipeline/tests/differential_json.rs` holds it to
//! that): an unterminated string or a missing comma is reported where it
//! is, and the references before it are still checked. The only structure
//! kept is a stack of one byte per open container. glTF needs one more
//! piece, "the value of a `uri` key in an entry of the top-level `images`
//! or `buffers` array": anything else, `extras` included, may hold any
//! string.

use super::literal::unescape;
use super::{DepKind, Extracted, RawRef, SyntaxError, data_candidate, data_candidate_str};
use crate::text::TextRange;

pub(super) fn extract(text: &str, gltf: bool) -> Extracted {
    let mut s = Scanner {
        text,
        b: text.as_bytes(),
        // About one candidate string per 64 bytes in scenes: room for them
        // up front (the caller trims the slack) instead of growing four times.
        refs: Vec::with_capacity((text.len() / 64).min(1024)),
        stack: Vec::new(),
        gltf,
        in_uri_array: false,
        key_is_uri: false,
    };
    let error = s.document().err();
    Extracted { refs: s.refs, error, skipped: None }
}

/// What the scanner expects next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Value,
    /// Just after `[`: a value or `]`.
    FirstValue,
    Key,
    /// Just after `{`: a key or `}`.
    FirstKey,
    Colon,
    /// After a value: `,`, the closing bracket, or the end of the text.
    Next,
}

struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    refs: Vec<RawRef>,
    /// `{` or `[` per open container.
    stack: Vec<u8>,
    gltf: bool,
    /// glTF: the top-level key being read is `images` or `buffers`.
    in_uri_array: bool,
    /// glTF: the key being read in an entry of those arrays is `uri`.
    key_is_uri: bool,
}

impl Scanner<'_> {
    fn document(&mut self) -> Result<(), SyntaxError> {
        // Editors on Windows may start a file with a byte-order mark.
        let mut i = if self.text.starts_with('\u{feff}') { 3 } else { 0 };
        let mut expect = Expect::Value;
        loop {
            while i < self.b.len() && matches!(self.b[i], b' ' | b'\t' | b'\n' | b'\r') {
                i += 1;
            }
            let Some(&c) = self.b.get(i) else {
                return match expect {
                    Expect::Next if self.stack.is_empty() => Ok(()),
                    Expect::Value if self.stack.is_empty() => Err(self.error(i, "empty file: expected a JSON value")),
                    _ => Err(self.error(i, "unexpected end of file: a bracket or value is missing")),
                };
            };
            expect = match expect {
                Expect::FirstValue if c == b']' => self.close(&mut i),
                Expect::Value | Expect::FirstValue => self.value(&mut i, c)?,
                Expect::FirstKey if c == b'}' => self.close(&mut i),
                Expect::Key | Expect::FirstKey => {
                    if c != b'"' {
                        let why = if c == b'}' {
                            "expected a key after `,` (trailing comma?)"
                        } else {
                            "expected a string key"
                        };
                        return Err(self.error(i, why));
                    }
                    self.key(&mut i)?;
                    Expect::Colon
                }
                Expect::Colon if c == b':' => {
                    i += 1;
                    Expect::Value
                }
                Expect::Colon => return Err(self.error(i, "expected `:` after the key")),
                Expect::Next => match (c, self.stack.last()) {
                    (b',', Some(b'{')) => {
                        i += 1;
                        Expect::Key
                    }
                    (b',', Some(_)) => {
                        i += 1;
                        Expect::Value
                    }
                    (b'}', Some(b'{')) | (b']', Some(b'[')) => self.close(&mut i),
                    (_, None) => return Err(self.error(i, "unexpected text after the JSON value")),
                    (_, Some(b'{')) => return Err(self.error(i, "expected `,` or `}`")),
                    (_, Some(_)) => return Err(self.error(i, "expected `,` or `]`")),
                },
            };
        }
    }

    fn close(&mut self, i: &mut usize) -> Expect {
        self.stack.pop();
        *i += 1;
        Expect::Next
    }

    /// A value starting with `c` at `i`; containers are only opened here.
    fn value(&mut self, i: &mut usize, c: u8) -> Result<Expect, SyntaxError> {
        match c {
            b'{' | b'[' => {
                self.stack.push(c);
                *i += 1;
                return Ok(if c == b'{' { Expect::FirstKey } else { Expect::FirstValue });
            }
            b'"' => {
                let start = *i + 1;
                let (end, escaped) = self.string(start)?;
                *i = end + 1;
                self.string_value(start, end, escaped);
            }
            b'-' | b'0'..=b'9' => *i = self.number(*i)?,
            _ => {
                let word: &[u8] = match c {
                    b't' => b"true",
                    b'f' => b"false",
                    b'n' => b"null",
                    _ => return Err(self.error(*i, "expected a value")),
                };
                if !self.b[*i..].starts_with(word) {
                    return Err(self.error(*i, "expected a value (`true`, `false` and `null` are lowercase words)"));
                }
                *i += word.len();
            }
        }
        Ok(Expect::Next)
    }

    fn key(&mut self, i: &mut usize) -> Result<(), SyntaxError> {
        let start = *i + 1;
        let (end, escaped) = self.string(start)?;
        *i = end + 1;
        if self.gltf {
            let raw = &self.text[start..end];
            let is = |name: &str| if escaped { unescape(raw) == name } else { raw == name };
            match self.stack.as_slice() {
                [b'{'] => self.in_uri_array = is("images") || is("buffers"),
                [b'{', b'[', b'{'] => self.key_is_uri = is("uri"),
                _ => {}
            }
        }
        Ok(())
    }

    fn string_value(&mut self, start: usize, end: usize, escaped: bool) {
        let raw = &self.text[start..end];
        let range = TextRange::new(start as u32, end as u32);
        if !self.gltf {
            // Most strings are names and numbers-as-text: the shape is tested
            // on the raw text, and only escaped strings are decoded (an escape
            // can hide a `.` or `-`).
            let found = if escaped { data_candidate(range, unescape(raw)) } else { data_candidate_str(range, raw) };
            self.refs.extend(found);
            return;
        }
        if self.in_uri_array && self.key_is_uri && self.stack.as_slice() == b"{[{" {
            let value = percent_decode(&unescape(raw));
            // Embedded buffers are data, not files.
            if !value.starts_with("data:") {
                self.refs.push(RawRef {
                    range,
                    value: value.into_boxed_str(),
                    kind: DepKind::Load,
                    explicit: true,
                    file_relative: true,
                });
            }
        }
    }

    /// Index of the closing quote of a string whose contents start at
    /// `start`, and whether the string has escapes.
    fn string(&self, start: usize) -> Result<(usize, bool), SyntaxError> {
        let b = self.b;
        let mut j = start;
        let mut escaped = false;
        loop {
            let Some(k) = memchr::memchr2(b'"', b'\\', &b[j..]).map(|k| j + k) else {
                return Err(self.control_in(j, b.len()).unwrap_or_else(|| self.unterminated(start)));
            };
            if let Some(e) = self.control_in(j, k) {
                return Err(e);
            }
            if b[k] == b'"' {
                return Ok((k, escaped));
            }
            escaped = true;
            j = self.escape(k)?;
        }
    }

    /// A control character in `b[from..to]`, which a JSON string may not
    /// hold raw: a branch-free pass first, the position only when there is one.
    fn control_in(&self, from: usize, to: usize) -> Option<SyntaxError> {
        let chunk = &self.b[from..to];
        if !chunk.iter().fold(false, |bad, &c| bad | (c < 0x20)) {
            return None;
        }
        let at = from + chunk.iter().position(|&c| c < 0x20)?;
        Some(if self.b[at] == b'\n' || self.b[at] == b'\r' {
            self.error(at, "unterminated string: a line break inside a string must be written `\\n`")
        } else {
            self.error(at, "control character in a string: write it as an escape (`\\t`, `\\u0001`)")
        })
    }

    fn unterminated(&self, start: usize) -> SyntaxError {
        // The opening quote: the rest of the file is not the mistake.
        SyntaxError::at(start - 1, start, "unterminated string: the closing `\"` is missing")
    }

    /// The escape at `k` (a backslash); returns the index after it.
    fn escape(&self, k: usize) -> Result<usize, SyntaxError> {
        let b = self.b;
        match b.get(k + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(k + 2),
            Some(b'u') => {
                let unit = self.hex4(k)?;
                if (0xDC00..0xE000).contains(&unit) {
                    return Err(SyntaxError::at(k, k + 6, "lone surrogate `\\u` escape: not a character"));
                }
                if !(0xD800..0xDC00).contains(&unit) {
                    return Ok(k + 6);
                }
                // A leading surrogate must be followed by a trailing one.
                if b.get(k + 6) == Some(&b'\\') && b.get(k + 7) == Some(&b'u') {
                    let low = self.hex4(k + 6)?;
                    if (0xDC00..0xE000).contains(&low) {
                        return Ok(k + 12);
                    }
                }
                Err(SyntaxError::at(k, k + 6, "lone surrogate `\\u` escape: not a character"))
            }
            None => Err(self.unterminated_escape(k)),
            Some(_) => {
                let end = k + 1 + self.text[k + 1..].chars().next().map_or(0, char::len_utf8);
                Err(SyntaxError::at(k, end, "invalid escape: JSON knows `\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX`"))
            }
        }
    }

    fn unterminated_escape(&self, k: usize) -> SyntaxError {
        SyntaxError::at(k, self.b.len(), "unterminated string: the closing `\"` is missing")
    }

    /// The four hex digits of the `\u` escape at `k`.
    fn hex4(&self, k: usize) -> Result<u32, SyntaxError> {
        let digits = self.b.get(k + 2..k + 6).filter(|d| d.iter().all(u8::is_ascii_hexdigit));
        let Some(digits) = digits else {
            let end = (k + 2..(k + 6).min(self.b.len())).find(|&j| !self.b[j].is_ascii_hexdigit()).unwrap_or(k + 2);
            return Err(SyntaxError::at(k, end.max(k + 2), "invalid `\\u` escape: four hex digits must follow"));
        };
        Ok(digits.iter().fold(0, |n, d| n * 16 + (*d as char).to_digit(16).unwrap_or(0)))
    }

    /// A number at `i`; returns the index after it.
    fn number(&self, i: usize) -> Result<usize, SyntaxError> {
        let b = self.b;
        let digits = |from: usize| from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
        let mut j = i + usize::from(b[i] == b'-');
        match b.get(j) {
            Some(b'0') => j += 1,
            Some(b'1'..=b'9') => j = digits(j),
            _ => return Err(self.error(j, "invalid number: a digit must follow `-`")),
        }
        if b.get(j) == Some(&b'.') {
            let end = digits(j + 1);
            if end == j + 1 {
                return Err(self.error(end, "invalid number: a digit must follow `.`"));
            }
            j = end;
        }
        if matches!(b.get(j), Some(b'e' | b'E')) {
            j += 1;
            if matches!(b.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            let end = digits(j);
            if end == j {
                return Err(self.error(end, "invalid number: the exponent has no digits"));
            }
            j = end;
        }
        Ok(j)
    }

    /// An error at the character starting at `i` (empty at the end of the text).
    fn error(&self, i: usize, message: &str) -> SyntaxError {
        let len = self.text.get(i..).and_then(|t| t.chars().next()).map_or(0, char::len_utf8);
        SyntaxError::at(i, i + len, message)
    }
}

/// glTF URIs are RFC 3986 references: a space in a file name is `%20`.
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str, gltf: bool) -> Vec<(String, &str)> {
        let found = extract(text, gltf);
        assert_eq!(found.error, None, "{text}");
        found
            .refs
            .into_iter()
            .map(|r| {
                let slice = &text[r.range.start as usize..r.range.end as usize];
                (r.value.into_string(), slice)
            })
            .collect()
    }

    #[test]
    fn data_strings() {
        let t = r#"{"sky": "textures/hero.png", "name": "hello world", "v": "1.5", "textures/key.png": 1,
            "id": "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11", "esc": "a\/b.png"}"#;
        let v = values(t, false);
        assert_eq!(v[0], ("textures/hero.png".into(), "textures/hero.png"));
        assert_eq!(v[1].0, "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11");
        assert_eq!(v[2], ("a/b.png".into(), r"a\/b.png"));
        assert_eq!(v.len(), 3);
    }

    #[test]
    fn gltf_only_uri_of_images_and_buffers() {
        let t = r#"{"nodes":[{"name":"rock.png","uri":"node.png"}],"images":[{"uri":"tex/rock%20a.png"}],
            "extras":{"uri":"x.png","images":[{"uri":"y.png"}]},"meshes":[{"uri":"m.bin"}],
            "buffers":[{"uri":"data:application/octet-stream;base64,AAAA"},{"uri" : "b.bin","extras":{"uri":"z.bin"}}]}"#;
        let v: Vec<String> = values(t, true).into_iter().map(|(v, _)| v).collect();
        assert_eq!(v, ["tex/rock a.png", "b.bin"]);
    }

    #[test]
    fn deep_input_is_one_pass() {
        let deep = "[".repeat(200_000) + "\"a.png\"" + &"]".repeat(200_000);
        assert_eq!(values(&deep, false).len(), 1);
    }

    /// The error's range and message, and the references found before it.
    fn broken(text: &str) -> (&str, Box<str>, Vec<Box<str>>) {
        let found = extract(text, false);
        let e = found.error.unwrap_or_else(|| panic!("no error in {text:?}"));
        let refs = found.refs.into_iter().map(|r| r.value).collect();
        (&text[e.range.start as usize..e.range.end as usize], e.message, refs)
    }

    #[test]
    fn an_error_keeps_the_references_before_it() {
        let (at, why, refs) = broken("{\"a\": \"a.png\", \"b\": \"b.png,\n \"c\": \"c.png\"}");
        assert_eq!((at, refs), ("\n", vec!["a.png".into()]));
        assert!(why.starts_with("unterminated string"), "{why}");
        let (at, _, refs) = broken("[\"a.png\" \"b.png\"]");
        assert_eq!((at, refs), ("\"", vec!["a.png".into()]));
        assert_eq!(broken("{\"a.png").0, "\"");
        assert_eq!(broken("\"x\\").0, "\\");
        assert_eq!(broken("").1, "empty file: expected a JSON value".into());
        assert_eq!(broken("[1,]").0, "]");
        assert_eq!(broken("{\"a\":1,}").0, "}");
        assert_eq!(broken("[01]").0, "1");
        assert_eq!(broken("[\"\\ud800\"]").0, "\\ud800");
        assert_eq!(broken("[\"\\x\"]").0, "\\x");
        assert_eq!(broken("[1] [2]").0, "[");
        assert_eq!(broken("[tru]").0, "t");
    }
}
