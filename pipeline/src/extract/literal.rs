//! String-literal helpers shared by the scanners: escape decoding and the
//! shape tests for "could this string be an asset reference".

/// A UUID in its hyphenated form, the only form Assetry treats as an id
/// (a bare 32-digit hex string is too likely to be a hash).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return false;
    }
    // Branch-free over the groups: this runs on every 36-byte string of every data file.
    [&b[..8], &b[9..13], &b[14..18], &b[19..23], &b[24..]]
        .iter()
        .all(|group| group.iter().fold(true, |ok, c| ok & c.is_ascii_hexdigit()))
}

/// The extension of a path-shaped string (`textures/hero.png#Mesh0` →
/// `png`), or `None` when the string is not path-shaped: too long, has
/// control characters or a URI scheme, or its last segment has no extension
/// with a letter in it ("v2.0" and "1.5" are not paths).
pub fn path_extension(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    // Most strings in data files are names: no `.`, rejected at memory speed.
    if b.len() > 1024 || memchr::memrchr(b'.', b).is_none() {
        return None;
    }
    if s.starts_with("data:") || s.starts_with(char::is_whitespace) {
        return None;
    }
    // Control characters rule the string out: C0 and DEL (a branch-free
    // pass the compiler vectorises), and C1 (U+0080..U+009F, 0xC2 0x80..0x9F
    // in UTF-8), looked for only in non-ASCII text.
    if b.iter().fold(false, |bad, &c| bad | (c < 0x20) | (c == 0x7f)) {
        return None;
    }
    if !s.is_ascii() && memchr::memchr_iter(0xc2, b).any(|i| b.get(i + 1).is_some_and(|n| (0x80..0xa0).contains(n))) {
        return None;
    }
    // So does a URI scheme.
    if memchr::memchr_iter(b':', b).any(|i| b[i + 1..].starts_with(b"//")) {
        return None;
    }
    // The first `#` ends the path, the last `/` before it starts the name.
    let path_end = memchr::memchr(b'#', b).unwrap_or(b.len());
    let name_start = memchr::memrchr(b'/', &b[..path_end]).map_or(0, |i| i + 1);
    let name = &s[name_start..path_end];
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() && name_start == 0 {
        return None;
    }
    let ok = !ext.is_empty()
        && ext.len() <= 16
        && ext.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && ext.bytes().any(|c| c.is_ascii_alphabetic());
    ok.then_some(ext)
}

/// Decodes backslash escapes common to JSON, RON and TOML basic strings.
/// Unknown escapes are kept as written: a reference with one will not
/// resolve and is reported, which is what the user needs to see.
pub fn unescape(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('/') => out.push('/'),
            Some('\'') => out.push('\''),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('0') => out.push('\0'),
            Some('u') if chars.peek() == Some(&'{') => {
                chars.next();
                let hex: String = chars.by_ref().take_while(|c| *c != '}').collect();
                push_code(&mut out, u32::from_str_radix(&hex, 16).ok());
            }
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let hi = u32::from_str_radix(&hex, 16).ok();
                // JSON spells astral characters as a surrogate pair.
                if let Some(h @ 0xD800..=0xDBFF) = hi {
                    let mut look = chars.clone();
                    if look.next() == Some('\\') && look.next() == Some('u') {
                        let lo_hex: String = look.by_ref().take(4).collect();
                        if let Ok(lo @ 0xDC00..=0xDFFF) = u32::from_str_radix(&lo_hex, 16) {
                            chars = look;
                            push_code(&mut out, Some(0x10000 + ((h - 0xD800) << 10) + (lo - 0xDC00)));
                            continue;
                        }
                    }
                }
                push_code(&mut out, hi);
            }
            Some('U') => {
                let hex: String = chars.by_ref().take(8).collect();
                push_code(&mut out, u32::from_str_radix(&hex, 16).ok());
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn push_code(out: &mut String, code: Option<u32>) {
    out.push(code.and_then(char::from_u32).unwrap_or(char::REPLACEMENT_CHARACTER));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        assert!(is_uuid("0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11"));
        assert!(!is_uuid("0b6d3f6e3c1f4f549f0e2d8a3c6b9e11"));
        assert!(!is_uuid("0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e1g"));
    }

    #[test]
    fn path_shapes() {
        assert_eq!(path_extension("textures/hero.png"), Some("png"));
        assert_eq!(path_extension("models/ship.gltf#Mesh0"), Some("gltf"));
        assert_eq!(path_extension("../a b/héros.PNG"), Some("PNG"));
        for not in ["hello world", "v2.0", "1.5", "https://x.org/a.png", "", ".png", "a.", "data:x.png"] {
            assert_eq!(path_extension(not), None, "{not}");
        }
    }

    /// The rules of `path_extension` written plainly, as its oracle.
    fn path_extension_plain(s: &str) -> Option<&str> {
        if s.is_empty() || s.len() > 1024 || s.contains("://") || s.starts_with("data:") {
            return None;
        }
        if s.chars().any(char::is_control) || s.starts_with(char::is_whitespace) {
            return None;
        }
        let path = s.split_once('#').map_or(s, |(p, _)| p);
        let name = path.rsplit('/').next()?;
        let (stem, ext) = name.rsplit_once('.')?;
        if stem.is_empty() && !path.contains('/') {
            return None;
        }
        let ok = !ext.is_empty()
            && ext.len() <= 16
            && ext.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
            && ext.bytes().any(|c| c.is_ascii_alphabetic());
        ok.then_some(ext)
    }

    #[test]
    fn path_extension_matches_its_oracle() {
        // Every string of up to 4 pieces from an alphabet of the characters
        // the rules care about.
        let pieces = ["a", ".", "/", "#", ":", "//", "png", "\u{85}", "\u{a0}", "\t", " ", "é", "1", "_", "data:"];
        let pieces: Vec<String> = pieces.iter().map(|p| unescape(p)).collect();
        let mut strings = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> =
                strings.iter().flat_map(|s| pieces.iter().map(move |p| format!("{s}{p}"))).collect();
            strings.extend(longer);
            strings.sort();
            strings.dedup();
        }
        assert!(strings.len() > 50_000);
        for s in &strings {
            assert_eq!(path_extension(s), path_extension_plain(s), "{s:?}");
        }
        let long = format!("{}.png", "a/".repeat(600));
        assert_eq!(path_extension(&long), path_extension_plain(&long));
    }

    #[test]
    fn escapes() {
        assert_eq!(unescape(r#"a\/b\"c\u00e9\ud83d\ude00"#), "a/b\"cé😀");
        assert_eq!(unescape(r"\u{1F600}x\q"), "😀x\\q");
    }
}
