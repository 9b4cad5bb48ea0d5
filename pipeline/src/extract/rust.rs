//! Game code: the first string-literal argument of a call whose name is in
//! `references.code_calls` (`asset_server.load("x.png")`,
//! `load::<Image>("x.png")`, `assets::load("x.png")`).

use tree_sitter::{Node, Parser};

use super::literal::unescape;
use super::{DepKind, RawRef};
use crate::text::TextRange;

thread_local! {
    static PARSER: std::cell::RefCell<Option<Parser>> = const { std::cell::RefCell::new(None) };
}

pub(super) fn extract(text: &str, calls: &[String]) -> Vec<RawRef> {
    if calls.is_empty() || !calls.iter().any(|c| text.contains(c.as_str())) {
        return Vec::new();
    }
    let tree = PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut p = Parser::new();
            p.set_language(&tree_sitter_rust::LANGUAGE.into()).ok()?;
            *slot = Some(p);
        }
        slot.as_mut()?.parse(text, None)
    });
    let Some(tree) = tree else { return Vec::new() };
    let mut refs = Vec::new();
    let mut cursor = tree.walk();
    'walk: loop {
        let node = cursor.node();
        if node.kind() == "call_expression"
            && let Some(r) = call_ref(node, text, calls)
        {
            refs.push(r);
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    refs
}

fn call_ref(call: Node, text: &str, calls: &[String]) -> Option<RawRef> {
    let mut function = call.child_by_field_name("function")?;
    if function.kind() == "generic_function" {
        function = function.child_by_field_name("function")?;
    }
    let name_node = match function.kind() {
        "identifier" => function,
        "field_expression" => function.child_by_field_name("field")?,
        "scoped_identifier" => function.child_by_field_name("name")?,
        _ => return None,
    };
    let name = text.get(name_node.start_byte()..name_node.end_byte())?;
    if !calls.iter().any(|c| c == name) {
        return None;
    }
    let args = call.child_by_field_name("arguments")?;
    let mut cursor = args.walk();
    let lit =
        args.named_children(&mut cursor).find(|n| n.kind() == "string_literal" || n.kind() == "raw_string_literal")?;
    let full = text.get(lit.start_byte()..lit.end_byte())?;
    let (open, close) = if lit.kind() == "raw_string_literal" {
        let hashes = full.bytes().skip(1).take_while(|b| *b == b'#').count();
        (2 + hashes, 1 + hashes)
    } else {
        (1, 1)
    };
    if full.len() < open + close {
        return None;
    }
    let start = lit.start_byte() + open;
    let end = lit.end_byte() - close;
    let raw = &text[start..end];
    let value = if lit.kind() == "raw_string_literal" { raw.to_owned() } else { unescape(raw) };
    Some(RawRef {
        range: TextRange::new(start as u32, end as u32),
        value: value.into_boxed_str(),
        kind: DepKind::Load,
        explicit: true,
        file_relative: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_calls() {
        let t = r##"fn setup(s: Res<AssetServer>) {
    let a = s.load("textures/hero.png");
    let b = s.load::<Image>(r#"textures/raw.png"#);
    let c = assets::load_with_settings("models/ship.gltf#Mesh0", |x| {});
    let d = other("no.png");
    let e = s.load(path); // not a literal
    // s.load("commented.png")
}"##;
        let calls = vec!["load".to_owned(), "load_with_settings".to_owned()];
        let v: Vec<&str> =
            extract(t, &calls).iter().map(|r| &t[r.range.start as usize..r.range.end as usize]).collect();
        assert_eq!(v, ["textures/hero.png", "textures/raw.png", "models/ship.gltf#Mesh0"]);
    }
}
