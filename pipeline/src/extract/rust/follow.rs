//! Following a path position to its strings: a literal, a conversion of
//! one (`"x".into()`, `FONTS.iter()`), a name bound to one (`const`,
//! `static`, `let`, `for`, an iterator closure's parameter), or a function
//! of the file whose returned strings (block tail, `match` arms, `if`
//! branches) go there. Bounded: a depth limit, each binding and function
//! once per use, and a step budget per file.

use tree_sitter::Node;

use super::{Extractor, Src, literal_ref};
use crate::text::TextRange;

impl Extractor<'_> {
    /// Records the references an expression in a path position stands for:
    /// a literal, or a binding's literals, through conversions, indexing
    /// and borrows. Returns whether it found any.
    pub(super) fn reference(&mut self, expr: Node, src: Src, scope: usize, depth: u8) -> bool {
        // Bounded work per file whatever the code (hostile input included).
        if depth > 8 || self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        let next = depth + 1;
        match expr.kind() {
            "string_literal" | "raw_string_literal" => match literal_ref(expr, src, self.api) {
                Some(r) => {
                    if let Some(at) = self.current_use {
                        self.uses.push((r.range, at));
                    }
                    self.refs.push(r);
                    true
                }
                None => false,
            },
            "identifier" => self.binding(expr, src, scope, next),
            "scoped_identifier" => expr.child_by_field_name("name").is_some_and(|n| self.binding(n, src, scope, next)),
            "index_expression" | "parenthesized_expression" | "reference_expression" => {
                expr.named_child(0).is_some_and(|inner| self.reference(inner, src, scope, next))
            }
            "field_expression" => {
                expr.child_by_field_name("value").is_some_and(|v| self.reference(v, src, scope, next))
            }
            "array_expression" | "tuple_expression" => {
                let mut cursor = expr.walk();
                let items: Vec<Node> = expr.named_children(&mut cursor).collect();
                let mut any = false;
                for item in items {
                    any |= self.reference(item, src, scope, next);
                }
                any
            }
            // `"x.wgsl".into()`, `PATH.to_string()`: the receiver is the path.
            // `*p` of an iterated `&&str`.
            "unary_expression" => expr.named_child(0).is_some_and(|inner| self.reference(inner, src, scope, next)),
            // `"x.wgsl".into()`, `PATH.to_string()`, `FONTS.iter()`: the
            // receiver is the path; another call, a function of this file
            // whose returned strings are paths here.
            "call_expression" => {
                let Some(function) = expr.child_by_field_name("function") else { return false };
                if function.kind() == "field_expression" {
                    let conversion = function.child_by_field_name("field").is_some_and(|n| {
                        matches!(
                            src.of(n),
                            "into"
                                | "to_string"
                                | "to_owned"
                                | "clone"
                                | "as_str"
                                | "as_ref"
                                | "iter"
                                | "into_iter"
                                | "copied"
                                | "cloned"
                        )
                    });
                    if conversion {
                        return function
                            .child_by_field_name("value")
                            .is_some_and(|v| self.reference(v, src, scope, next));
                    }
                }
                let name = match function.kind() {
                    "identifier" => Some(function),
                    "field_expression" => function.child_by_field_name("field"),
                    "scoped_identifier" => function.child_by_field_name("name"),
                    _ => None,
                };
                name.is_some_and(|n| self.function_returns(n, src, next))
            }
            _ => false,
        }
    }

    /// The literals bound to the name `ident` (a `let`/`for` of this
    /// function, else a `const`/`static`), written in the file's own text.
    /// A const-like name bound nowhere in the file is recorded as a use of
    /// another file's const.
    fn binding(&mut self, ident: Node, src: Src, scope: usize, depth: u8) -> bool {
        let name = src.of(ident);
        let at = TextRange::new(src.file_offset(ident.start_byte()), src.file_offset(ident.end_byte()));
        let values = self.bindings.lookup(scope, name);
        if values.is_empty() {
            if self.current_use.is_none() && looks_like_const(name) {
                self.remote.push((name.into(), at));
                return true;
            }
            return false;
        }
        let outer = self.current_use.is_none();
        if outer {
            self.current_use = Some(at);
            self.expanded.clear();
        }
        let mut any = false;
        for (value, value_scope) in values {
            // Each binding's strings once per use: `[a, a, a]` of `[b, b, b]`
            // must not multiply.
            if !self.expanded.insert(value.id()) {
                any = true;
                continue;
            }
            any |= self.reference(value, self.main, value_scope, depth);
        }
        if outer {
            self.current_use = None;
        }
        any
    }

    /// The strings the functions named `name` return (a function of this
    /// file called where a path goes: `load(shape.model_path())`).
    fn function_returns(&mut self, name: Node, src: Src, depth: u8) -> bool {
        let bodies = self.bindings.functions(src.of(name)).to_vec();
        if bodies.is_empty() {
            return false;
        }
        let outer = self.current_use.is_none();
        if outer {
            self.current_use =
                Some(TextRange::new(src.file_offset(name.start_byte()), src.file_offset(name.end_byte())));
            self.expanded.clear();
        }
        let mut any = false;
        for (body, fn_scope) in bodies {
            if self.expanded.insert(body.id()) {
                any |= self.returned(body, fn_scope, depth);
            } else {
                any = true;
            }
        }
        if outer {
            self.current_use = None;
        }
        any
    }

    /// The strings an expression of this file's text evaluates to: through
    /// a block's tail, `match` arms and `if`/`else` branches.
    fn returned(&mut self, expr: Node, scope: usize, depth: u8) -> bool {
        if depth > 8 {
            return false;
        }
        let next = depth + 1;
        match expr.kind() {
            "block" => {
                let tail = expr.named_child((expr.named_child_count() as u32).saturating_sub(1));
                let Some(tail) = tail else { return false };
                // `match`/`if` ending a block parse as a statement; without
                // a `;` it is still the block's value.
                let tail = match tail.kind() {
                    "expression_statement" => {
                        let ends_with_semicolon =
                            tail.child(tail.child_count().saturating_sub(1)).is_some_and(|c| c.kind() == ";");
                        match tail.named_child(0) {
                            Some(inner) if !ends_with_semicolon => inner,
                            _ => return false,
                        }
                    }
                    k if k.ends_with("statement") || k.ends_with("declaration") || k.ends_with("_item") => {
                        return false;
                    }
                    _ => tail,
                };
                self.returned(tail, scope, next)
            }
            "match_expression" => {
                let Some(arms) = expr.child_by_field_name("body") else { return false };
                let mut cursor = arms.walk();
                let values: Vec<Node> =
                    arms.named_children(&mut cursor).filter_map(|a| a.child_by_field_name("value")).collect();
                let mut any = false;
                for v in values {
                    any |= self.returned(v, scope, next);
                }
                any
            }
            "if_expression" => {
                let then = expr.child_by_field_name("consequence").is_some_and(|c| self.returned(c, scope, next));
                let other = expr
                    .child_by_field_name("alternative")
                    .and_then(|e| e.named_child(0))
                    .is_some_and(|e| self.returned(e, scope, next));
                then | other
            }
            _ => self.reference(expr, self.main, scope, next),
        }
    }

    /// The strings of consts and statics this file does not use as paths:
    /// (literal, const name). They count once another file uses the const.
    pub(super) fn unused_consts(&mut self) -> Vec<(TextRange, Box<str>)> {
        let used: rustc_hash::FxHashSet<TextRange> = self.refs.iter().map(|r| r.range).collect();
        let mut out = Vec::new();
        for (name, value, scope) in self.bindings.consts() {
            if !looks_like_const(name) {
                continue;
            }
            let found = std::mem::take(&mut self.refs);
            let (uses, remote) = (self.uses.len(), self.remote.len());
            // Following the value is not a use (and finds no remote name).
            self.current_use = Some(TextRange::EMPTY);
            self.expanded.clear();
            self.reference(value, self.main, scope, 1);
            self.current_use = None;
            self.uses.truncate(uses);
            self.remote.truncate(remote);
            let strings = std::mem::replace(&mut self.refs, found);
            for r in strings {
                if !used.contains(&r.range) {
                    out.push((r.range, name.into()));
                    self.refs.push(r);
                }
            }
        }
        out
    }
}

/// `SHADER_PATH`, `FOX`: the names Rust style gives consts and statics.
fn looks_like_const(name: &str) -> bool {
    name.bytes().any(|b| b.is_ascii_uppercase()) && !name.bytes().any(|b| b.is_ascii_lowercase())
}
