//! TOML data files inside asset roots (not `.meta`, not `assetry.toml`):
//! every string value, via tree-sitter so keys and comments are told apart
//! from values. Tree-sitter recovers from errors and says only roughly
//! where; when it finds one, `toml_edit` (the parser `.meta` files use)
//! gives the verdict and the exact place, and only the strings before that
//! place count. It runs on broken files only, so a valid file costs one parse.

use tree_sitter::{Node, Parser};

use super::literal::unescape;
use super::{Extracted, RawRef, SyntaxError, data_candidate};
use crate::text::TextRange;

thread_local! {
    static PARSER: std::cell::RefCell<Option<Parser>> = const { std::cell::RefCell::new(None) };
}

pub(super) fn extract(text: &str) -> Extracted {
    let Some(tree) = parse(text) else { return Extracted::default() };
    let mut refs = Vec::new();
    let mut cursor = tree.walk();
    // Iterative pre-order walk: the depth of a document is the user's to choose.
    'walk: loop {
        let node = cursor.node();
        if node.kind() == "string" {
            if let Some(r) = string_ref(node, text) {
                refs.push(r);
            }
        } else if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    let error = if tree.root_node().has_error() { toml_error(text) } else { None };
    if let Some(e) = &error {
        refs.retain(|r| r.range.end <= e.range.start);
    }
    Extracted { refs, error }
}

/// `toml_edit`'s first error in `text`, if it has one.
fn toml_error(text: &str) -> Option<SyntaxError> {
    let e = toml_edit::Document::parse(text).err()?;
    let (start, end) = e.span().map_or((0, 0), |s| (s.start, s.end));
    // One line of the message: the rest repeats the source line.
    let message = e.message().trim().lines().next().unwrap_or("").to_owned();
    Some(SyntaxError::at(start, end.max(start), format!("not valid TOML: {message}")))
}

pub(super) fn parse(text: &str) -> Option<tree_sitter::Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut p = Parser::new();
            p.set_language(&tree_sitter_toml_ng::LANGUAGE.into()).ok()?;
            *slot = Some(p);
        }
        slot.as_mut()?.parse(text, None)
    })
}

fn string_ref(node: Node, text: &str) -> Option<RawRef> {
    let full = text.get(node.start_byte()..node.end_byte())?;
    let (quote, escaped) = if full.starts_with("\"\"\"") {
        ("\"\"\"", true)
    } else if full.starts_with("'''") {
        ("'''", false)
    } else if full.starts_with('"') {
        ("\"", true)
    } else {
        ("'", false)
    };
    if full.len() < 2 * quote.len() || !full.ends_with(quote) {
        return None;
    }
    let start = node.start_byte() + quote.len();
    let end = node.end_byte() - quote.len();
    let raw = &text[start..end];
    let value = if escaped { unescape(raw) } else { raw.to_owned() };
    data_candidate(TextRange::new(start as u32, end as u32), value)
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
}
