//! Names bound to path literals: `const`/`static` items (file-wide,
//! associated consts included) and `let`/`for` bindings (per function). A
//! binding is a reference only once its name is used in a path position.

use rustc_hash::FxHashMap as HashMap;
use tree_sitter::Node;

/// Name → the value expressions bound to it: (scope the name is visible
/// in, 0 for consts; the value; the scope the value is written in).
#[derive(Default)]
pub(super) struct Bindings<'a> {
    by_name: HashMap<&'a str, Vec<(usize, Node<'a>, usize)>>,
    /// Function (or method) name → (its body, its start: the body's scope).
    functions: HashMap<&'a str, Vec<(Node<'a>, usize)>>,
}

/// Iterator adapters whose closure's first parameter is an element of the
/// receiver (`FONTS.iter().map(|f| server.load(*f))`).
const ELEMENT_CLOSURES: &[&str] =
    &["map", "for_each", "filter_map", "flat_map", "filter", "inspect", "any", "all", "find", "find_map"];

impl<'a> Bindings<'a> {
    pub(super) fn collect(root: Node<'a>, text: &'a str) -> Bindings<'a> {
        let mut b = Bindings::default();
        let name_of = |n: Node| text.get(n.start_byte()..n.end_byte()).unwrap_or("");
        let k = super::kinds();
        let mut cursor = root.walk();
        // The scope (enclosing function's start) of each level.
        let mut levels = vec![0usize];
        loop {
            let node = cursor.node();
            let mut scope = levels.last().copied().unwrap_or(0);
            let mut descend = true;
            let kind = node.kind_id();
            if kind == k.function_item {
                scope = node.start_byte();
                if let (Some(name), Some(body)) = (node.child_by_field_name("name"), node.child_by_field_name("body")) {
                    b.functions.entry(name_of(name)).or_default().push((body, scope));
                }
            } else if kind == k.closure_expression {
                if let Some((param, receiver)) = element_closure(node, text) {
                    b.by_name.entry(name_of(param)).or_default().push((scope, receiver, scope));
                }
            } else if kind == k.const_item || kind == k.static_item {
                if let (Some(name), Some(value)) = (node.child_by_field_name("name"), node.child_by_field_name("value"))
                {
                    b.by_name.entry(name_of(name)).or_default().push((0, value, scope));
                }
            } else if kind == k.let_declaration || kind == k.for_expression {
                if let (Some(pat), Some(value)) =
                    (node.child_by_field_name("pattern"), node.child_by_field_name("value"))
                    && pat.kind() == "identifier"
                {
                    b.by_name.entry(name_of(pat)).or_default().push((scope, value, scope));
                }
            } else if kind == k.line_comment
                || kind == k.block_comment
                || kind == k.string_literal
                || kind == k.raw_string_literal
                || kind == k.token_tree
            {
                descend = false;
            }
            if descend && cursor.goto_first_child() {
                levels.push(scope);
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    return b;
                }
                levels.pop();
            }
        }
    }

    /// Every `const`/`static`: (name, value, scope the value is written in).
    pub(super) fn consts(&self) -> Vec<(&'a str, Node<'a>, usize)> {
        let mut v: Vec<_> = self
            .by_name
            .iter()
            .flat_map(|(name, bs)| bs.iter().filter(|b| b.0 == 0).map(move |b| (*name, b.1, b.2)))
            .collect();
        v.sort_by_key(|c| c.1.start_byte());
        v
    }

    /// The bodies of the functions named `name`, each with its scope.
    pub(super) fn functions(&self, name: &str) -> &[(Node<'a>, usize)] {
        self.functions.get(name).map_or(&[], Vec::as_slice)
    }

    /// The values bound to `name` as seen from `scope`: the function's own
    /// `let`/`for` bindings, else the file's consts and statics.
    pub(super) fn lookup(&self, scope: usize, name: &str) -> Vec<(Node<'a>, usize)> {
        let all = self.by_name.get(name).map_or(&[][..], Vec::as_slice);
        let pick = |s: usize| all.iter().filter(|b| b.0 == s).map(|b| (b.1, b.2)).collect::<Vec<_>>();
        let local = if scope != 0 { pick(scope) } else { Vec::new() };
        if local.is_empty() { pick(0) } else { local }
    }
}

/// For `receiver.map(|param| …)` (an adapter of [`ELEMENT_CLOSURES`]): the
/// closure's first parameter name and the receiver.
fn element_closure<'a>(closure: Node<'a>, text: &str) -> Option<(Node<'a>, Node<'a>)> {
    let call = closure.parent().filter(|a| a.kind() == "arguments")?.parent()?;
    let function = call.child_by_field_name("function").filter(|f| f.kind() == "field_expression")?;
    let field = function.child_by_field_name("field")?;
    if !ELEMENT_CLOSURES.contains(&text.get(field.start_byte()..field.end_byte())?) {
        return None;
    }
    let receiver = function.child_by_field_name("value")?;
    let params = closure.child_by_field_name("parameters")?;
    let mut first = params.named_child(0)?;
    // `|&p|`, `|p: &str|`: the name inside.
    if first.kind() == "reference_pattern" {
        first = first.named_child(0)?;
    } else if first.kind() == "parameter" {
        first = first.child_by_field_name("pattern")?;
    }
    (first.kind() == "identifier").then_some((first, receiver))
}
