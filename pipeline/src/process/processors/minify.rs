//! Whitespace and comments out of JSON and RON, strings untouched. Token
//! level, so RON struct names, enum variants and number spellings survive
//! exactly (a parse-and-print round trip through a value type would lose
//! them).

pub(super) fn minify(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    // A space is kept between two word characters only (`a b` must not become `ab`).
    let mut gap = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                gap = true;
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                gap = true;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // Nested, as RON's lexer reads them; an unclosed one runs to the end.
                i = crate::extract::block_comment_end(b, i + 2).unwrap_or(b.len());
                gap = true;
            }
            b'"' | b'\'' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != c {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                push(&mut out, &b[start..i], &mut gap);
            }
            b'r' if matches!(b.get(i + 1), Some(b'#' | b'"')) && !prev_is_word(&out, gap) => {
                // RON raw string r#"…"#: copied verbatim up to the matching close.
                let start = i;
                let hashes = b[i + 1..].iter().take_while(|&&h| h == b'#').count();
                i += 1 + hashes;
                if b.get(i) == Some(&b'"') {
                    i += 1;
                    loop {
                        if i >= b.len() {
                            break;
                        }
                        if b[i] == b'"' && b[i + 1..].iter().take(hashes).filter(|&&h| h == b'#').count() == hashes {
                            i += 1 + hashes;
                            break;
                        }
                        i += 1;
                    }
                }
                push(&mut out, &b[start..i.min(b.len())], &mut gap);
            }
            _ => {
                push(&mut out, &b[i..i + 1], &mut gap);
                i += 1;
            }
        }
    }
    // Only ASCII bytes were dropped, at character boundaries.
    String::from_utf8(out).unwrap_or_default()
}

fn word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'+' || c == b'-' || c >= 0x80
}

fn prev_is_word(out: &[u8], gap: bool) -> bool {
    !gap && out.last().is_some_and(|&c| word(c))
}

fn push(out: &mut Vec<u8>, token: &[u8], gap: &mut bool) {
    if *gap && out.last().is_some_and(|&c| word(c)) && token.first().is_some_and(|&c| word(c)) {
        out.push(b' ');
    }
    *gap = false;
    out.extend_from_slice(token);
}

#[cfg(test)]
mod tests {
    use super::minify;

    #[test]
    fn drops_whitespace_and_comments_but_not_strings_or_word_gaps() {
        assert_eq!(minify("{ \"a b\" : [1, 2],\n \"c\": \"x\\\" y\" }"), "{\"a b\":[1,2],\"c\":\"x\\\" y\"}");
        assert_eq!(
            minify("Scene( // c\n  name: r#\"a \" b\"#, /* x /* y */ */ v: Some( 1 ), k: 'a',\n)"),
            "Scene(name:r#\"a \" b\"#,v:Some(1),k:'a',)"
        );
        assert_eq!(minify("#![enable(implicit_some)]\nA ( b : 1 )"), "#![enable(implicit_some)]A(b:1)");
    }
}
