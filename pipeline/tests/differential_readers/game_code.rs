//! Game-code call lexer vs tree-sitter-rust.

use assetry_pipeline::extract::{self, Syntax};

use super::generator::Gen;
use super::{CASES, SEED};

/// The reader the call lexer replaced, as its oracle: tree-sitter-rust's
/// `call_expression`s whose name is a call name, and their first argument
/// that is a string literal.
fn tree_sitter_calls(text: &str, calls: &[String]) -> Vec<(u32, u32, String)> {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&tree_sitter_rust::LANGUAGE.into()).expect("Rust grammar");
    let tree = parser.parse(text, None).expect("a tree");
    assert!(!tree.root_node().has_error(), "generated code is valid Rust:\n{text}");
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    'walk: loop {
        let node = cursor.node();
        if node.kind() == "call_expression"
            && let Some(found) = tree_sitter_call(node, text, calls)
        {
            out.push(found);
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
    out.sort();
    out
}

fn tree_sitter_call(call: tree_sitter::Node, text: &str, calls: &[String]) -> Option<(u32, u32, String)> {
    let mut function = call.child_by_field_name("function")?;
    if function.kind() == "generic_function" {
        function = function.child_by_field_name("function")?;
    }
    let name = match function.kind() {
        "identifier" => function,
        "field_expression" => function.child_by_field_name("field")?,
        "scoped_identifier" => function.child_by_field_name("name")?,
        _ => return None,
    };
    if !calls.iter().any(|c| c == &text[name.byte_range()]) {
        return None;
    }
    let args = call.child_by_field_name("arguments")?;
    let mut cursor = args.walk();
    let lit =
        args.named_children(&mut cursor).find(|n| n.kind() == "string_literal" || n.kind() == "raw_string_literal")?;
    let full = &text[lit.byte_range()];
    let raw = lit.kind() == "raw_string_literal";
    // `r#"`, `br"`, `b"`: the prefix up to the first quote, and as many
    // hashes after the closing one as before the opening one.
    let open = full.find('"')? + 1;
    let close = if raw { 1 + full[..open].bytes().filter(|&b| b == b'#').count() } else { 1 };
    let contents = &full[open..full.len() - close];
    let value = if raw { contents.to_owned() } else { serde_json_like_unescape(contents) };
    Some(((lit.start_byte() + open) as u32, (lit.end_byte() - close) as u32, value))
}

/// Rust's escapes in the generated strings (`\"`, `\\`, `\n`, `\u{…}`).
fn serde_json_like_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('u') => {
                let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.push(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).unwrap_or('\u{fffd}'));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

impl Gen {
    fn rust_blank(&mut self, out: &mut String) {
        out.push_str(self.word(&[" ", "", "\n    ", " /* s.load(\"c.png\") */ ", " // load(\"d.png\")\n", "\t"]));
    }

    fn rust_string(&mut self, out: &mut String) {
        let s = self.value_text();
        match self.rng.u8(..4) {
            0 if !s.contains("\"#") => out.push_str(&format!("r#\"{s}\"#")),
            1 if !s.contains('"') => out.push_str(&format!("r\"{s}\"")),
            _ => {
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
        }
    }

    fn rust_expr(&mut self, depth: usize, out: &mut String) {
        let choice = if depth >= 3 { self.rng.u8(0..4) } else { self.rng.u8(0..10) };
        match choice {
            0 | 1 => self.rust_string(out),
            2 => out.push_str(self.word(&["path", "1", "2.5", "'\"'", "'a'", "x.y", "&path", "None"])),
            3 => {
                out.push('&');
                self.rust_string(out);
            }
            4..=6 => self.rust_call(depth + 1, out),
            7 => {
                out.push_str("|s: &mut T| { ");
                self.rust_call(depth + 1, out);
                out.push_str("; }");
            }
            8 => {
                out.push(if self.rng.bool() { '(' } else { '[' });
                let close = if out.ends_with('(') { ')' } else { ']' };
                self.rust_expr(depth + 1, out);
                out.push_str(", ");
                self.rust_expr(depth + 1, out);
                out.push(close);
            }
            _ => {
                self.rust_string(out);
                out.push_str(".to_owned()");
            }
        }
    }

    fn rust_call(&mut self, depth: usize, out: &mut String) {
        out.push_str(self.word(&["s.", "asset_server.", "assets::", "", "self.assets.", "Self::"]));
        out.push_str(self.word(&["load", "load", "load_with_settings", "other", "reload", "loader"]));
        out.push_str(self.word(&["", "", "", "::<Image>", "::<Handle<Vec<u8>>>", "::<fn() -> u8>", " ::<(A, B)>"]));
        self.rust_blank(out);
        out.push('(');
        let n = self.rng.usize(0..4);
        for k in 0..n {
            if k > 0 {
                out.push(',');
                self.rust_blank(out);
            }
            self.rust_expr(depth, out);
        }
        out.push(')');
    }

    fn rust_file(&mut self) -> String {
        let mut out = String::from("fn f<'a>(s: &'a S, path: &str) {\n");
        for _ in 0..self.rng.usize(1..6) {
            out.push_str("    let _x = ");
            self.rust_call(0, &mut out);
            out.push_str(";\n");
            self.rust_blank(&mut out);
        }
        out.push_str("}\n");
        out
    }
}

#[test]
fn call_lexer_agrees_with_tree_sitter_rust() {
    let mut g = Gen::new(SEED ^ 4);
    let calls = vec!["load".to_owned(), "load_with_settings".to_owned()];
    let mut found = 0;
    for case in 0..CASES / 2 {
        let text = g.rust_file();
        let want = tree_sitter_calls(&text, &calls);
        let got: Vec<(u32, u32, String)> = extract::extract(Syntax::Rust, &text, &calls)
            .refs
            .into_iter()
            .map(|r| (r.range.start, r.range.end, r.value.into_string()))
            .collect();
        assert_eq!(got, want, "case {case}\n{text}");
        found += got.len();
    }
    assert!(found > CASES / 2, "references found: {found}");
}
