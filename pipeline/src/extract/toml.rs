//! TOML data files inside asset roots (not `.meta`, not `assetry.toml`):
//! every string value, never a key or a comment. Read with `toml_edit`, the
//! parser `.meta` files use, so a data file is valid exactly when TOML says
//! so and the error is placed and worded by it.
//!
//! tree-sitter-toml did this before, and its error recovery was the one
//! superlinear reader: 800 KB of `a=[` took 1.0 s (release; toml_edit:
//! 16 ms) and 280 MB, about 350 bytes of memory per byte of broken input. `toml_edit` stops at the
//! first error, bounds nesting (its recursion limit), and costs at most
//! about 140 bytes per byte (a maximal dotted key); with the size limit of
//! [`MAX_TOML_BYTES`] a data file costs at most about 150 MB while it is
//! read. On a broken file, the text before the line of the error is parsed
//! again for the references there (one more linear pass, broken files only).

use toml_edit::{Document, Item, Table, Value};

use super::{Extracted, RawRef, SyntaxError, data_candidate};
use crate::text::TextRange;

/// Larger TOML data files are not read (REFERENCE.md, `unreadable-file`):
/// hand-written TOML is small, and a parsed document costs up to ~140 times
/// its text.
pub const MAX_TOML_BYTES: usize = 1 << 20;

pub(super) fn extract(text: &str) -> Extracted {
    if text.len() > MAX_TOML_BYTES {
        let skipped = format!(
            "larger than the {} MiB Assetry reads in a TOML data file ({} bytes); its references were not checked",
            MAX_TOML_BYTES >> 20,
            text.len()
        );
        return Extracted { skipped: Some(skipped.into()), ..Extracted::default() };
    }
    match Document::parse(text) {
        Ok(doc) => Extracted { refs: strings(doc.as_table(), text), ..Extracted::default() },
        Err(e) => {
            let (start, end) = e.span().map_or((0, 0), |s| (s.start, s.end.max(s.start)));
            // An empty span marks a character: cover it, so an editor shows it.
            let next = text.get(start..).and_then(|t| t.chars().next()).map_or(0, char::len_utf8);
            let end = if end > start { end } else { start + next };
            // One line of the message: the rest repeats the source line.
            let message = e.message().trim().lines().next().unwrap_or("").to_owned();
            let error = SyntaxError::at(start, end, format!("not valid TOML: {message}"));
            // The lines before the error's line usually parse on their own.
            let cut = text[..start.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
            let refs = Document::parse(&text[..cut]).map(|doc| strings(doc.as_table(), text)).unwrap_or_default();
            Extracted { refs, error: Some(error), skipped: None }
        }
    }
}

/// The candidate string values of a document, in text order. Iterative:
/// dotted keys and nested arrays may nest as deep as toml_edit allows.
fn strings(root: &Table, text: &str) -> Vec<RawRef> {
    let mut refs = Vec::new();
    let mut tables = vec![root];
    let mut values: Vec<&Value> = Vec::new();
    loop {
        if let Some(table) = tables.pop() {
            for (_, item) in table.iter() {
                match item {
                    Item::Value(v) => values.push(v),
                    Item::Table(t) => tables.push(t),
                    Item::ArrayOfTables(a) => tables.extend(a.iter()),
                    Item::None => {}
                }
            }
        } else if let Some(v) = values.pop() {
            match v {
                Value::String(s) => refs.extend(s.span().and_then(|span| string_ref(span, s.value(), text))),
                Value::Array(a) => values.extend(a.iter()),
                Value::InlineTable(t) => values.extend(t.iter().map(|(_, v)| v)),
                _ => {}
            }
        } else {
            break;
        }
    }
    // Tables are visited in key order, and `[a]` may come after `[a.b]`.
    refs.sort_by_key(|r| r.range.start);
    refs
}

/// The reference candidate of a string whose literal (quotes included)
/// spans `span`; its range is the contents, without the quotes.
fn string_ref(span: std::ops::Range<usize>, value: &str, text: &str) -> Option<RawRef> {
    let literal = text.get(span.clone())?;
    let quotes = if literal.starts_with("\"\"\"") || literal.starts_with("'''") { 3 } else { 1 };
    if literal.len() < 2 * quotes {
        return None;
    }
    let range = TextRange::new((span.start + quotes) as u32, (span.end - quotes) as u32);
    data_candidate(range, value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_not_keys_or_comments() {
        let t = "# icon = \"no.png\"\n\"key.png\" = 1\n[item]\nicon = \"textures/sword.png\"\nlit = 'a/b.ogg'\nlist = [\"x.wgsl\", 3]\nname = \"Sword\"\n";
        let v: Vec<String> = extract(t).refs.into_iter().map(|r| r.value.into_string()).collect();
        assert_eq!(v, ["textures/sword.png", "a/b.ogg", "x.wgsl"]);
        assert_eq!(extract(t).error, None);
        let r = &extract(t).refs[0];
        assert_eq!(&t[r.range.start as usize..r.range.end as usize], "textures/sword.png");
    }

    #[test]
    fn text_order_multiline_ranges_and_deep_tables() {
        let t = "[b.c]\nx = \"\"\"\nm/l.png\"\"\"\n[b]\ny = '''r/l.png'''\ni = { z = [\"in/line.png\"] }\n";
        let found = extract(t);
        assert_eq!(found.error, None);
        let got: Vec<(&str, String)> = found
            .refs
            .iter()
            .map(|r| (&t[r.range.start as usize..r.range.end as usize], r.value.to_string()))
            .collect();
        assert_eq!(
            got,
            [("\nm/l.png", "m/l.png".into()), ("r/l.png", "r/l.png".into()), ("in/line.png", "in/line.png".into())]
        );
    }

    #[test]
    fn an_error_keeps_the_lines_before_it() {
        let t = "a = \"a.png\"\nb = \"b.png\" c\nd = \"d.png\"\n";
        let found = extract(t);
        let e = found.error.expect("an error");
        assert_eq!(&t[e.range.start as usize..e.range.end as usize], "c");
        let v: Vec<String> = found.refs.into_iter().map(|r| r.value.into_string()).collect();
        assert_eq!(v, ["a.png"]);
    }

    #[test]
    fn over_the_limit_is_skipped() {
        let found = extract(&"#".repeat(MAX_TOML_BYTES + 1));
        assert!(found.skipped.is_some() && found.error.is_none() && found.refs.is_empty());
    }
}
