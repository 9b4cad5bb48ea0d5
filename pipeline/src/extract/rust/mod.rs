//! Game code: string literals in the places [`CodeApi`] names. A string is
//! a reference because of where it is: the first path argument of a
//! configured call (`asset_server.load("x.png")`, `load::<Image>(…)`,
//! `.from_asset("x.gltf")`) or constructor (`ShaderRef::Path(…)`), a
//! `path = "…"` in a configured attribute, the `"…".into()` a configured
//! function returns (`fn fragment_shader() -> ShaderRef`), or a `const`,
//! `static`, `let` or `for` binding whose name is used in one of those
//! places (the reference is the string where it is written), or a function
//! of the file called there (its returned strings). Macro bodies
//! (`children![…]`, `vec![…]`, any user macro) are parsed again as
//! expressions, so the same places count inside them, with exact ranges.

mod api;
mod bindings;
mod follow;
mod labels;
mod macros;
mod memory;

use tree_sitter::{Node, Parser, Tree};

pub use self::api::{BEVY_CODE_DEFAULTS, CodeApi, CodeDefaults};
use self::bindings::Bindings;
use self::memory::Allowance;
use super::literal::unescape;
use super::{DepKind, RawRef};
use crate::text::TextRange;

/// The node kinds the walks stop at, by id: comparing a number per node
/// instead of a chain of strings (every node of every code file is visited).
struct Kinds {
    function_item: u16,
    call_expression: u16,
    macro_invocation: u16,
    attribute_item: u16,
    inner_attribute_item: u16,
    line_comment: u16,
    block_comment: u16,
    string_literal: u16,
    raw_string_literal: u16,
    const_item: u16,
    static_item: u16,
    let_declaration: u16,
    for_expression: u16,
    token_tree: u16,
    closure_expression: u16,
}

fn kinds() -> &'static Kinds {
    static KINDS: std::sync::OnceLock<Kinds> = std::sync::OnceLock::new();
    KINDS.get_or_init(|| {
        let lang: tree_sitter::Language = tree_sitter_rust::LANGUAGE.into();
        let id = |name: &str| lang.id_for_node_kind(name, true);
        Kinds {
            function_item: id("function_item"),
            call_expression: id("call_expression"),
            macro_invocation: id("macro_invocation"),
            attribute_item: id("attribute_item"),
            inner_attribute_item: id("inner_attribute_item"),
            line_comment: id("line_comment"),
            block_comment: id("block_comment"),
            string_literal: id("string_literal"),
            raw_string_literal: id("raw_string_literal"),
            const_item: id("const_item"),
            static_item: id("static_item"),
            let_declaration: id("let_declaration"),
            for_expression: id("for_expression"),
            token_tree: id("token_tree"),
            closure_expression: id("closure_expression"),
        }
    })
}

thread_local! {
    static PARSER: std::cell::RefCell<Option<Parser>> = const { std::cell::RefCell::new(None) };
}

/// What a game-code file's parses may still cost: its own parse and every
/// macro body parsed again share one budget, proportional to the file's
/// length. tree-sitter-rust is quadratic on an unterminated raw string (50
/// KB of `load(r#"` took 1.9 s release): its scanner walks to the end of
/// the file for every `r#"`, so the lexer reads 6,400 bytes per byte of
/// that file, while parse actions (what tree-sitter's progress callback
/// counts) stay at 14 callbacks per KiB, as in normal code. Both are
/// counted: the lexer's reads, handed to it in [`READ_CHUNK`] pieces, and
/// the progress callbacks; the callback cancels the parse once either is
/// spent.
///
/// Measured on Bevy's examples (266 files that name an asset API, 2.4 MB,
/// macro bodies included): 1.6 bytes read per byte in all, 5.0 at most for
/// one file; 6.6 callbacks per KiB in all, 22.6 at most. The read budget
/// is 13 times that maximum. The callback budget is 45 times it: macro
/// bodies nested to the depth limit are each parsed again, and deep
/// nesting costs more actions per byte (2,000 nested `m!(` cost 70
/// callbacks per KiB per parse, 490 in all). What the parses may hold is
/// bounded apart, by [`memory::Allowance`].
#[derive(Debug, Clone, Copy)]
struct ParseBudget {
    /// Bytes the lexer may still read.
    read: u64,
    /// Progress callbacks (one per ~100 parse actions) still allowed.
    steps: u64,
}

/// Bytes the lexer may read per byte of the file.
const READ_PER_BYTE: u64 = 64;
/// Progress callbacks allowed per KiB of the file.
const STEPS_PER_KIB: u64 = 1024;
/// What any file may spend, however short: a tiny file costs a few
/// chunks and callbacks whatever it holds.
const BUDGET_FLOOR: ParseBudget = ParseBudget { read: 64 * 1024, steps: 64 };
/// The lexer is handed the text this much at a time, so the bytes it walks
/// over are counted (in whole chunks).
const READ_CHUNK: usize = 1024;

impl ParseBudget {
    fn for_len(len: usize) -> Self {
        let len = len as u64;
        ParseBudget {
            read: BUDGET_FLOOR.read + READ_PER_BYTE * len,
            steps: BUDGET_FLOOR.steps + STEPS_PER_KIB * len / 1024,
        }
    }

    fn spent(self) -> bool {
        self.read == 0 || self.steps == 0
    }
}

/// A file whose parses spent their [`ParseBudget`].
#[derive(Debug)]
pub(super) struct TooCostly;

/// What `unreadable-file` says about such a file.
pub(super) const TOO_COSTLY: &str = "too costly to parse: tree-sitter-rust ran past its work or memory budget for a \
     file this long (as on an unterminated raw string); nothing in it was checked";

/// Parses `text`, spending from `budget`, holding no more than `allowance`
/// lets the file's parses hold; `None` once either is spent (then nothing
/// of the tree is used: a cancelled or starved parse is not the file's
/// structure).
fn parse(text: &str, budget: &mut ParseBudget, allowance: &mut Allowance) -> Option<Tree> {
    if budget.spent() {
        return None;
    }
    let tree = PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut p = Parser::new();
            p.set_language(&tree_sitter_rust::LANGUAGE.into()).ok()?;
            *slot = Some(p);
        }
        let parser = slot.as_mut()?;
        let left = std::cell::Cell::new(*budget);
        let bytes = text.as_bytes();
        let mut read = |at: usize, _| {
            let mut b = left.get();
            if b.read == 0 {
                // Spent: the lexer sees the end of the text, so it stops
                // walking until the next progress callback cancels.
                return &[][..];
            }
            let rest = bytes.get(at..).unwrap_or_default();
            let chunk = &rest[..rest.len().min(READ_CHUNK)];
            b.read = b.read.saturating_sub(chunk.len() as u64);
            left.set(b);
            chunk
        };
        let mut progress = |_: &tree_sitter::ParseState| {
            let mut b = left.get();
            b.steps = b.steps.saturating_sub(1);
            if !allowance.allows_now() {
                // Held too much: spent, whatever work is left.
                b.steps = 0;
            }
            left.set(b);
            if b.spent() { std::ops::ControlFlow::Break(()) } else { std::ops::ControlFlow::Continue(()) }
        };
        let options = tree_sitter::ParseOptions::new().progress_callback(&mut progress);
        let tree = parser.parse_with_options(&mut read, None, Some(options));
        *budget = left.get();
        if budget.spent() {
            // A cancelled parse keeps its state for a resumption that will
            // not come: the next file must start afresh.
            parser.reset();
            return None;
        }
        tree
    });
    if allowance.needed_the_shared_part() {
        // The parser's buffers grew with this file: freed now, not kept by
        // the thread (every reader thread would keep its own otherwise).
        PARSER.with(|cell| cell.borrow_mut().take());
    }
    tree
}

/// How a code file's references relate to consts, for what extraction of
/// one file cannot decide alone: a const used only in another file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeLinks {
    /// Reference index → name of a const whose string it is, not used as a
    /// path in this file: a reference only while another file uses it.
    pub defs: Vec<(u32, Box<str>)>,
    /// Reference index → where this file uses the const it is written in.
    pub uses: Vec<(u32, TextRange)>,
    /// Const names this file uses as a path without defining them.
    pub remote: Vec<(Box<str>, TextRange)>,
    /// Indexes of references that name a folder (`load_folder("…")`).
    pub folders: Vec<u32>,
    /// Labels given in code, not in the literal
    /// (`GltfAssetLabel::Scene(7).from_asset("x.gltf")`), by reference index.
    pub labels: Vec<CodeLabel>,
}

/// A sub-asset label a reference carries beside its literal: the literal
/// holds the path only (a rename rewrites just that), the label is checked
/// as if written after `#`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeLabel {
    /// The reference it belongs to.
    pub index: u32,
    /// The label, as Bevy spells it (`Scene7`, `Mesh0/Primitive1`).
    pub name: Box<str>,
    /// The expression that gives it (`GltfAssetLabel::Scene(7)`): where an
    /// unknown label is reported.
    pub range: TextRange,
}

impl CodeLinks {
    /// Whether reference `index` counts only when its const is used elsewhere.
    pub fn def_names(&self, index: usize) -> impl Iterator<Item = &str> {
        self.defs.iter().filter(move |(i, _)| *i as usize == index).map(|(_, n)| &**n)
    }

    /// The label reference `index` carries beside its literal, if any.
    pub fn label(&self, index: usize) -> Option<&CodeLabel> {
        let at = self.labels.binary_search_by_key(&(index as u32), |l| l.index).ok()?;
        self.labels.get(at)
    }

    /// Where the end of the last range is (for the line index).
    pub fn ranges_end(&self) -> u32 {
        let uses = self.uses.iter().map(|(_, r)| r.end);
        let labels = self.labels.iter().map(|l| l.range.end);
        uses.chain(self.remote.iter().map(|(_, r)| r.end)).chain(labels).max().unwrap_or(0)
    }
}

/// A file's references and links, or [`TooCostly`] when its parses spent
/// the file's budget (then nothing in it is a reference: what a cancelled
/// parse saw is not known to be the file's structure).
pub(in crate::extract) fn extract(
    text: &str,
    api: &CodeApi,
) -> Result<(Vec<RawRef>, Option<Box<CodeLinks>>), TooCostly> {
    extract_within(text, api, ParseBudget::for_len(text.len()), &mut Allowance::for_len(text.len()))
}

/// [`extract`] within `parse_budget` and `allowance`, which outlives every
/// tree of the file (it may hold the shared part until they are freed).
fn extract_within(
    text: &str,
    api: &CodeApi,
    mut parse_budget: ParseBudget,
    allowance: &mut Allowance,
) -> Result<(Vec<RawRef>, Option<Box<CodeLinks>>), TooCostly> {
    if !api.may_occur_in(text) {
        return Ok((Vec::new(), None));
    }
    let Some(tree) = parse(text, &mut parse_budget, allowance) else { return Err(TooCostly) };
    let main = Src { text, delta: 0 };
    let mut x = Extractor {
        api,
        main,
        bindings: Bindings::collect(tree.root_node(), text),
        refs: Vec::new(),
        current_use: None,
        uses: Vec::new(),
        remote: Vec::new(),
        folders: Vec::new(),
        labels: Vec::new(),
        expanded: Default::default(),
        budget: FOLLOW_BUDGET,
        parse_budget,
        allowance,
    };
    x.walk(tree.root_node(), main, Context::default());
    if x.parse_budget.spent() {
        return Err(TooCostly);
    }
    let defs = x.unused_consts();
    let mut refs = x.refs;
    // A const used in several places is one reference, where it is written.
    refs.sort_by_key(|r| (r.range.start, r.range.end));
    refs.dedup_by_key(|r| r.range);
    let index =
        |range: TextRange| refs.binary_search_by_key(&(range.start, range.end), |r| (r.range.start, r.range.end));
    let mut links = CodeLinks {
        defs: defs.into_iter().filter_map(|(range, name)| Some((index(range).ok()? as u32, name))).collect(),
        uses: x.uses.into_iter().filter_map(|(range, at)| Some((index(range).ok()? as u32, at))).collect(),
        remote: x.remote,
        folders: x.folders.into_iter().filter_map(|range| Some(index(range).ok()? as u32)).collect(),
        labels: x
            .labels
            .into_iter()
            .filter_map(|(at, name, range)| Some(CodeLabel { index: index(at).ok()? as u32, name, range }))
            .collect(),
    };
    // One label per literal: the first call that gives it one.
    links.labels.sort_by_key(|l| l.index);
    links.labels.dedup_by_key(|l| l.index);
    links.folders.sort();
    links.folders.dedup();
    links.defs.sort();
    links.defs.dedup();
    links.uses.sort();
    links.uses.dedup();
    let links = (links != CodeLinks::default()).then(|| Box::new(links));
    Ok((refs, links))
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
    /// The use being followed to its binding, if any.
    current_use: Option<TextRange>,
    /// (literal, use) for each binding used as a path in this file.
    uses: Vec<(TextRange, TextRange)>,
    remote: Vec<(Box<str>, TextRange)>,
    /// Ranges of the references that name folders.
    folders: Vec<TextRange>,
    /// (literal, label, label expression) of the literals a label is given to.
    labels: Vec<(TextRange, Box<str>, TextRange)>,
    /// Binding values already followed for the current use (node ids).
    expanded: rustc_hash::FxHashSet<usize>,
    /// Expression steps left for this file.
    budget: u32,
    /// Parse work left for this file's macro bodies.
    parse_budget: ParseBudget,
    /// What this file's parses may hold (its macro bodies' too).
    allowance: &'a mut Allowance,
}

/// Expression steps a file may take to follow paths through bindings: far
/// beyond real code (Bevy's 452 examples take at most a few hundred each).
const FOLLOW_BUDGET: u32 = 1_000_000;

impl<'a> Extractor<'a> {
    /// Visits every node under `root` with one tree cursor (no recursion:
    /// deeply nested code must not overflow the thread's stack), keeping
    /// the context of each level on a stack.
    fn walk(&mut self, root: Node, src: Src, cx: Context) {
        let k = kinds();
        let mut cursor = root.walk();
        let mut levels = vec![cx];
        loop {
            let node = cursor.node();
            let mut cx = levels.last().copied().unwrap_or_default();
            let kind = node.kind_id();
            let descend = if kind == k.function_item {
                cx.scope = src.file_offset(node.start_byte()) as usize;
                cx.in_return = node.child_by_field_name("name").is_some_and(|n| self.api.is_return(src.of(n)));
                true
            } else if kind == k.call_expression {
                self.call(node, src, cx);
                true
            } else if kind == k.macro_invocation {
                self.macro_invocation(node, src, cx);
                false
            } else if kind == k.attribute_item || kind == k.inner_attribute_item {
                self.attribute(node, src);
                false
            } else {
                !(kind == k.line_comment
                    || kind == k.block_comment
                    || kind == k.string_literal
                    || kind == k.raw_string_literal)
            };
            if descend && cursor.goto_first_child() {
                levels.push(cx);
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    return;
                }
                levels.pop();
            }
        }
    }

    fn call(&mut self, call: Node, src: Src, cx: Context) {
        let Some(mut function) = call.child_by_field_name("function") else { return };
        if function.kind() == "generic_function"
            && let Some(f) = function.child_by_field_name("function")
        {
            function = f;
        }
        let mut folder = false;
        let mut label = None;
        let configured = match function.kind() {
            "identifier" => {
                folder = self.api.is_folder_call(src.of(function));
                folder || self.api.is_call(src.of(function))
            }
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
                folder = self.api.is_folder_call(name);
                label = function.child_by_field_name("value").and_then(|v| labels::gltf_label(v, src));
                folder || self.api.is_call(name)
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
        let before = self.refs.len();
        let mut cursor = args.walk();
        for arg in args.named_children(&mut cursor) {
            if self.reference(arg, src, cx.scope, 0) {
                break;
            }
        }
        if folder {
            let found: Vec<TextRange> = self.refs[before..].iter().map(|r| r.range).collect();
            self.folders.extend(found);
        }
        if let Some((name, range)) = label {
            // Only a literal written in the call's arguments: a const's
            // string may be loaded elsewhere with another label, or none.
            let (start, end) = (src.file_offset(args.start_byte()), src.file_offset(args.end_byte()));
            for r in &self.refs[before..] {
                if r.range.start >= start && r.range.end <= end {
                    self.labels.push((r.range, name.clone(), range));
                }
            }
        }
    }
}

/// `bevy::asset::AssetPath<'a>` → `AssetPath`.
fn last_segment(path: &str) -> &str {
    let path = path.split('<').next().unwrap_or(path).trim_end();
    path.rsplit("::").next().unwrap_or(path).trim()
}

/// The contents of a string literal as a reference, with the exact range
/// of its contents in the file.
fn literal_ref(lit: Node, src: Src, api: &CodeApi) -> Option<RawRef> {
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
    // A URL (`https://`) is never a project file; dropped here, before
    // references are numbered for `CodeLinks`. A path in an asset source the
    // project knows (Bevy's `embedded://`, `[sources]`) is kept.
    if crate::resolve::is_url(&value) && !api.is_source_path(&value) {
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
