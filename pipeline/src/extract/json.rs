//! JSON and glTF. A byte scanner rather than a syntax tree: references are
//! string literals, and a scanner finds them at memory speed with no
//! recursion, so a 200,000-level-deep document or a 50 MB file costs one
//! linear pass. glTF needs one piece of structure, "the value of a `uri`
//! key", which the scanner tracks from the last key it saw.

use super::literal::unescape;
use super::{DepKind, RawRef, data_candidate, data_candidate_str};
use crate::text::TextRange;

pub(super) fn extract(text: &str, gltf: bool) -> Vec<RawRef> {
    let bytes = text.as_bytes();
    // About one candidate string per 64 bytes in scenes: room for them up
    // front (the caller trims the slack) instead of growing four times.
    let mut refs = Vec::with_capacity((bytes.len() / 64).min(1024));
    let mut i = 0;
    // The last significant byte outside strings, to tell keys from values.
    let mut prev = 0u8;
    let mut last_key_is_uri = false;
    while let Some(q) = memchr::memchr(b'"', &bytes[i..]) {
        let quote = i + q;
        if let Some(&b) = bytes[i..quote].iter().rev().find(|b| !b.is_ascii_whitespace()) {
            prev = b;
        }
        let start = quote + 1;
        let Some((end, escaped)) = string_end(bytes, start) else { break };
        i = end + 1;
        let raw = &text[start..end];
        let range = TextRange::new(start as u32, end as u32);
        let is_key = next_significant(bytes, i) == Some(b':');
        let after_colon = prev == b':';
        prev = b'"';
        if gltf {
            if is_key {
                last_key_is_uri = raw == "uri";
            } else if after_colon && last_key_is_uri {
                let value = percent_decode(&unescape(raw));
                // Embedded buffers are data, not files.
                if !value.starts_with("data:") {
                    refs.push(RawRef {
                        range,
                        value: value.into_boxed_str(),
                        kind: DepKind::Load,
                        explicit: true,
                        file_relative: true,
                    });
                }
            }
        } else if !is_key {
            // Most strings are names and numbers-as-text: the shape is tested
            // on the raw text, and only escaped strings are decoded (an escape
            // can hide a `.` or `-`).
            let found = if escaped { data_candidate(range, unescape(raw)) } else { data_candidate_str(range, raw) };
            refs.extend(found);
        }
    }
    refs
}

/// Index of the closing quote of a string whose contents start at `start`,
/// and whether the string has escapes.
fn string_end(bytes: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut j = start;
    let mut escaped = false;
    loop {
        // JSON strings cannot span lines; stopping at one keeps a stray
        // quote from swallowing the rest of the file.
        let k = j + memchr::memchr3(b'"', b'\\', b'\n', bytes.get(j..)?)?;
        match bytes[k] {
            b'"' => return Some((k, escaped)),
            b'\\' => {
                escaped = true;
                j = k + 2;
            }
            _ => return None,
        }
    }
}

fn next_significant(bytes: &[u8], from: usize) -> Option<u8> {
    bytes[from.min(bytes.len())..].iter().copied().find(|b| !b.is_ascii_whitespace())
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
        extract(text, gltf)
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
    fn gltf_only_uri_fields() {
        let t = r#"{"nodes":[{"name":"rock.png"}],"images":[{"uri":"tex/rock%20a.png"}],
            "buffers":[{"uri":"data:application/octet-stream;base64,AAAA"},{"uri" : "b.bin"}]}"#;
        let v: Vec<String> = values(t, true).into_iter().map(|(v, _)| v).collect();
        assert_eq!(v, ["tex/rock a.png", "b.bin"]);
    }

    #[test]
    fn deep_and_broken_input() {
        let deep = "[".repeat(200_000) + "\"a.png\"" + &"]".repeat(200_000);
        assert_eq!(extract(&deep, false).len(), 1);
        assert!(extract("{\"a.png", false).is_empty());
        assert!(extract("\"x\\", false).is_empty());
    }
}
