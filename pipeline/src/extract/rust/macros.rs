//! Macro bodies and attributes, which tree-sitter leaves as token trees.
//!
//! A macro body (`children![…]`, `vec![…]`, `bundle!(…)`, any user macro)
//! is parsed again as an array of expressions, or failing that as a block,
//! inside a wrapper whose length is subtracted from every offset, so the
//! references found in it have the file's exact ranges. An attribute's
//! tokens are read directly: `path = "…"` and `paths("…", …)`.

use tree_sitter::Node;

use super::api::EMBED_MACROS;
use super::{Context, Extractor, Src, literal_ref, parse};

/// Macro bodies nested deeper than this are not parsed again: each level
/// re-parses its body, and hostile nesting must stay linear.
const MAX_MACRO_DEPTH: u8 = 6;

/// Wrappers that make a macro body parse as code: a list of expressions
/// (`vec![a, b]`, `children![(A, B)]`), else statements.
const WRAPPERS: [(&str, &str); 2] = [("fn f(){[", "\n];}"), ("fn f(){", "\n}")];

impl Extractor<'_> {
    pub(super) fn macro_invocation(&mut self, node: Node, src: Src, cx: Context) {
        if cx.macro_depth >= MAX_MACRO_DEPTH || self.parse_budget.spent() {
            return;
        }
        let mut cursor = node.walk();
        let Some(body) = node.named_children(&mut cursor).filter(|c| c.kind() == "token_tree").last() else {
            return;
        };
        let name = node.child_by_field_name("macro").map_or("", |m| match m.kind() {
            "scoped_identifier" => m.child_by_field_name("name").map_or("", |n| src.of(n)),
            _ => src.of(m),
        });
        if EMBED_MACROS.contains(&name) {
            self.embedded_file(name, body, src);
            return;
        }
        let (start, end) = (body.start_byte() + 1, body.end_byte().saturating_sub(1));
        let Some(inner) = src.text.get(start..end) else { return };
        if !self.api.called_in(inner, cx.in_return) {
            return;
        }
        let mut chosen = None;
        for (open, close) in WRAPPERS {
            let wrapped = format!("{open}{inner}{close}");
            // Under the file's budget: a macro body is the file's text again.
            let Some(tree) = parse(&wrapped, &mut self.parse_budget, self.allowance) else { return };
            let clean = !tree.root_node().has_error();
            if clean || chosen.is_none() {
                chosen = Some((wrapped, tree, open.len()));
            }
            if clean {
                break;
            }
        }
        let Some((wrapped, tree, open_len)) = chosen else { return };
        let inner_src = Src { text: &wrapped, delta: src.file_offset(start) as isize - open_len as isize };
        // The wrapper function's body: the wrapper itself must not reset the
        // enclosing function's scope.
        let Some(block) = tree.root_node().named_child(0).and_then(|f| f.child_by_field_name("body")) else {
            return;
        };
        let cx = Context { macro_depth: cx.macro_depth + 1, ..cx };
        self.walk(block, inner_src, cx);
    }

    /// The file an embedding macro names, relative to the source file
    /// (a reference with `file_relative` set, which in game code means
    /// that; see `project::embeds`).
    fn embedded_file(&mut self, name: &str, body: Node, src: Src) {
        let mut cursor = body.walk();
        let mut strings =
            body.children(&mut cursor).filter(|t| matches!(t.kind(), "string_literal" | "raw_string_literal"));
        let lit = if name == "embedded_asset" { strings.last() } else { strings.next() };
        if let Some(mut r) = lit.and_then(|l| literal_ref(l, src, self.api)) {
            r.file_relative = true;
            self.refs.push(r);
        }
    }

    /// `#[asset(path = "x.png")]`, `#[asset(paths("a.png", "b.png"), collection)]`
    /// for a configured attribute name.
    pub(super) fn attribute(&mut self, item: Node, src: Src) {
        let mut cursor = item.walk();
        let Some(attr) = item.named_children(&mut cursor).find(|c| c.kind() == "attribute") else { return };
        let Some(name) = attr.named_child(0) else { return };
        let name = match name.kind() {
            "scoped_identifier" => name.child_by_field_name("name").map_or("", |n| src.of(n)),
            _ => src.of(name),
        };
        if !self.api.is_attribute(name) {
            return;
        }
        let Some(args) = attr.child_by_field_name("arguments") else { return };
        let mut stack = vec![args];
        while let Some(tt) = stack.pop() {
            let mut cursor = tt.walk();
            let tokens: Vec<Node> = tt.children(&mut cursor).collect();
            let in_paths = tt.prev_sibling().is_some_and(|p| p.kind() == "identifier" && src.of(p) == "paths");
            for (i, tok) in tokens.iter().enumerate() {
                match tok.kind() {
                    "token_tree" => stack.push(*tok),
                    "string_literal" | "raw_string_literal" => {
                        let after_path_eq = i >= 2
                            && src.of(tokens[i - 1]) == "="
                            && tokens[i - 2].kind() == "identifier"
                            && src.of(tokens[i - 2]) == "path";
                        if (after_path_eq || in_paths)
                            && let Some(r) = literal_ref(*tok, src, self.api)
                        {
                            self.refs.push(r);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
