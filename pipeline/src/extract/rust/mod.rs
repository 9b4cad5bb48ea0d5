//! Game code: string literals in the places [`CodeApi`] names. A string is
//! a reference because of where it is: the first path argument of a
//! configured call (`asset_server.load("x.png")`, `load::<Image>(…)`,
//! `.from_asset("x.gltf")`) or constructor (`ShaderRef::Path(…)`), a
//! `path = "…"` in a configured attribute, the `"…".into()` a configured
//! function returns (`fn fragment_shader() -> ShaderRef`), or a `const`,
//! `static`, `let` or `for` binding whose name is used in one of those
//! places (the reference is the string where it is written). Macro bodies
//! (`children![…]`, `vec![…]`, any user macro) are parsed again as
//! expressions, so the same places count inside them, with exact ranges.

mod api;
mod bindings;
mod macros;

use tree_sitter::{Node, Parser, Tree};

pub use self::api::{BEVY_CODE_DEFAULTS, CodeApi, CodeDefaults};
use self::bindings::Bindings;
use super::literal::unescape;
use super::{DepKind, RawRef};
use crate::text::TextRange;

thread_local! {
    static PARSER: std::cell::RefCell<Option<Parser>> = const { std::cell::RefCell::new(None) };
}

fn parse(text: &str) -> Option<Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut p = Parser::new();
            p.set_language(&tree_sitter_rust::LANGUAGE.into()).ok()?;
            *slot = Some(p);
        }
        slot.as_mut()?.parse(text, None)
    })
}

pub(in crate::extract) fn extract(text: &str, api: &CodeApi) -> Vec<RawRef> {
    if !api.may_occur_in(text) {
        return Vec::new();
    }
    let Some(tree) = parse(text) else { return Vec::new() };
    let main = Src { text, delta: 0 };
    let mut x = Extractor { api, main, bindings: Bindings::collect(tree.root_node(), text), refs: Vec::new() };
    x.walk(tree.root_node(), main, Context::default());
    let mut refs = x.refs;
    // A const used in several places is one reference, where it is written.
    refs.sort_by_key(|r| (r.range.start, r.range.end));
    refs.dedup_by_key(|r| r.range);
    refs
}

/// Text a tree was parsed from, and how its byte offsets map to the file's
/// (a macro body is parsed inside a wrapper, `delta` bytes off).
#[derive(Clone, Copy)]
struct Src<'t> {
    text: &'t str,
    delta: isize,
}

impl<'t> Src<'t> {
    fn of(&self, n: Node) -> &'t str {
        self.text.get(n.start_byte()..n.end_byte()).unwrap_or("")
    }

    fn file_offset(&self, byte: usize) -> u32 {
        (byte as isize + self.delta) as u32
    }
}

/// Where in the code the walk is.
#[derive(Clone, Copy, Default)]
struct Context {
    /// Start of the enclosing function (0 at file level): the scope of `let`.
    scope: usize,
    /// Inside a function whose returned `"…".into()` is an asset path.
    in_return: bool,
    /// How many macro bodies deep (each is parsed again; bounded).
    macro_depth: u8,
}

struct Extractor<'a> {
    api: &'a CodeApi,
    main: Src<'a>,
    bindings: Bindings<'a>,
    refs: Vec<RawRef>,
}

impl<'a> Extractor<'a> {
    /// Visits every node under `root` with an explicit stack (deeply nested
    /// code must not overflow the thread's stack).
    fn walk(&mut self, root: Node, src: Src, cx: Context) {
        let mut stack = vec![(root, cx)];
        while let Some((node, mut cx)) = stack.pop() {
            match node.kind() {
                "function_item" => {
                    cx.scope = src.file_offset(node.start_byte()) as usize;
                    cx.in_return =
                        node.child_by_field_name("name").is_some_and(|n| self.api.is_return(src.of(n)));
                }
                "call_expression" => self.call(node, src, cx),
                "macro_invocation" => {
                    self.macro_invocation(node, src, cx);
                    continue;
                }
                "attribute_item" | "inner_attribute_item" => {
                    self.attribute(node, src);
                    continue;
                }
                "line_comment" | "block_comment" | "string_literal" | "raw_string_literal" => continue,
                _ => {}
            }
            let mut cursor = node.walk();
            let children: Vec<Node> = node.named_children(&mut cursor).collect();
            stack.extend(children.into_iter().rev().map(|c| (c, cx)));
        }
    }

    fn call(&mut self, call: Node, src: Src, cx: Context) {
        let Some(mut function) = call.child_by_field_name("function") else { return };
        if function.kind() == "generic_function"
            && let Some(f) = function.child_by_field_name("function")
        {
            function = f;
        }
        let configured = match function.kind() {
            "identifier" => self.api.is_call(src.of(function)),
            "field_expression" => {
                let Some(field) = function.child_by_field_name("field") else { return };
                let name = src.of(field);
                if name == "into"
                    && cx.in_return
                    && let Some(value) = function.child_by_field_name("value")
                {
                    self.reference(value, src, cx.scope, 0);
                    return;
                }
                self.api.is_call(name)
            }
            "scoped_identifier" => {
                let Some(name) = function.child_by_field_name("name").map(|n| src.of(n)) else { return };
                let ty = function.child_by_field_name("path").map_or("", |p| last_segment(src.of(p)));
                self.api.is_constructor(ty, name) || self.api.is_call(name)
            }
            _ => false,
        };
        if !configured {
            return;
        }
        let Some(args) = call.child_by_field_name("arguments") else { return };
        let mut cursor = args.walk();
        for arg in args.named_children(&mut cursor) {
            if self.reference(arg, src, cx.scope, 0) {
                break;
            }
        }
    }

    /// Records the references an expression in a path position stands for:
    /// a literal, or a binding's literals, through conversions, indexing
    /// and borrows. Returns whether it found any.
    fn reference(&mut self, expr: Node, src: Src, scope: usize, depth: u8) -> bool {
        if depth > 8 {
            return false;
        }
        let next = depth + 1;
        match expr.kind() {
            "string_literal" | "raw_string_literal" => match literal_ref(expr, src) {
                Some(r) => {
                    self.refs.push(r);
                    true
                }
                None => false,
            },
            "identifier" => self.binding(src.of(expr), scope, next),
            "scoped_identifier" => {
                expr.child_by_field_name("name").is_some_and(|n| self.binding(src.of(n), scope, next))
            }
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
            "call_expression" => {
                let Some(f) = expr.child_by_field_name("function").filter(|f| f.kind() == "field_expression")
                else {
                    return false;
                };
                let conversion = f.child_by_field_name("field").is_some_and(|n| {
                    matches!(src.of(n), "into" | "to_string" | "to_owned" | "clone" | "as_str" | "as_ref")
                });
                conversion && f.child_by_field_name("value").is_some_and(|v| self.reference(v, src, scope, next))
            }
            _ => false,
        }
    }

    /// The literals bound to `name` (a `let`/`for` of this function, else a
    /// `const`/`static`), which are written in the file's own text.
    fn binding(&mut self, name: &str, scope: usize, depth: u8) -> bool {
        let values = self.bindings.lookup(scope, name);
        let mut any = false;
        for (value, value_scope) in values {
            any |= self.reference(value, self.main, value_scope, depth);
        }
        any
    }
}

/// `bevy::asset::AssetPath<'a>` → `AssetPath`.
fn last_segment(path: &str) -> &str {
    let path = path.split('<').next().unwrap_or(path).trim_end();
    path.rsplit("::").next().unwrap_or(path).trim()
}

/// The contents of a string literal as a reference, with the exact range
/// of its contents in the file.
fn literal_ref(lit: Node, src: Src) -> Option<RawRef> {
    let full = src.of(lit);
    let raw = lit.kind() == "raw_string_literal";
    let (open, close) = if raw {
        let prefix = full.bytes().take_while(|b| *b == b'r' || *b == b'b').count();
        let hashes = full.bytes().skip(prefix).take_while(|b| *b == b'#').count();
        (prefix + hashes + 1, 1 + hashes)
    } else {
        // `b"…"` and `c"…"` are not paths an asset API takes.
        if !full.starts_with('"') {
            return None;
        }
        (1, 1)
    };
    if full.len() < open + close {
        return None;
    }
    let (start, end) = (lit.start_byte() + open, lit.end_byte() - close);
    let contents = src.text.get(start..end)?;
    let value = if raw { contents.to_owned() } else { unescape(contents) };
    // A web asset (Bevy's `web_asset` source) cannot be checked offline:
    // reporting it broken would be a false error on every such load.
    if value.starts_with("http://") || value.starts_with("https://") {
        return None;
    }
    Some(RawRef {
        range: TextRange::new(src.file_offset(start), src.file_offset(end)),
        value: value.into_boxed_str(),
        kind: DepKind::Load,
        explicit: true,
        file_relative: false,
    })
}

#[cfg(test)]
mod tests;
