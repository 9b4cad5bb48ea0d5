//! Why each hand-written reader exists, re-measured: each against the crate
//! it stands in for, on generated inputs of a few MB (their agreement is
//! `tests/differential_readers.rs` and `tests/differential_walk.rs`).
//!
//! - JSON scanner (validation and references in one pass) vs `serde_json`
//!   (into `Value`, and into `IgnoredAny`: validation alone, its floor);
//! - RON lexer vs `ron` (same two ways);
//! - `.meta` fast path vs `toml_edit` (the full parser, `meta::parse_full`);
//! - TOML data files: the reader vs `toml_edit` (which read them before,
//!   parsing the document and walking its strings) and tree-sitter-toml
//!   (before that), time and peak memory, on valid and on hostile input;
//! - game code: the extractor (tree-sitter-rust under a parse budget) vs a
//!   plain tree-sitter-rust parse, on valid code and on an unterminated raw
//!   string (where the budget cancels the parse);
//! - the scan's walk vs `ignore::WalkBuilder` (parallel), listing a tree of
//!   binary assets (which the scan never opens, so its walk is all it does).
//!
//! Usage: cargo bench -p assetry-pipeline --bench readers -- [MB] [FILES] [SECTION]
//! (default 4 MB per text input, 20,000 files in the tree, every section). Prints figures,
//! asserts nothing: timings are measured, not tested.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use assetry_pipeline::extract::{self, Syntax};
use assetry_pipeline::{Config, meta, scan};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let mb: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(4);
    let files: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    // A third argument runs one section: json, ron, meta, toml, rust or walk.
    let only = args.get(2).cloned().unwrap_or_default();
    let run = |section: &str| only.is_empty() || only == section;
    let size = mb << 20;

    if run("json") {
        json_section(size);
    }
    if run("ron") {
        ron_section(size);
    }
    if run("meta") {
        meta_section(size);
    }
    if run("toml") {
        toml_section(size);
    }
    if run("rust") {
        rust_section(size);
    }
    if run("walk") {
        walk_section(files);
    }
}

fn rust_section(size: usize) {
    let api = extract::CodeApi::default();
    let mut code = String::from("fn setup(s: Res<AssetServer>) {\n");
    let mut i = 0u64;
    while code.len() < size {
        code.push_str(&format!(
            "    let h{i} = s.load::<Image>(\"textures/t{}.png\"); // a comment\n    spawn(Sprite {{ image: h{i}.clone(), x: {i}.0 }});\n",
            i % 500
        ));
        i += 1;
    }
    code.push_str("}\n");
    println!("game code, {:.1} MB:", mb_of(code.len()));
    let plain = best(|| tree_sitter_rust_calls(&code));
    let extractor = best(|| extract::extract_code(&code, &api).0.refs.len());
    row("plain tree-sitter-rust parse", code.len(), plain, plain);
    row("extractor (budgeted)", code.len(), extractor, plain);
    for kb in [25, 50] {
        let hostile = "load(r#\"".repeat(kb * 1024 / 8);
        println!("game code, {kb} KB of `load(r#\"`:");
        let plain = best(|| tree_sitter_rust_calls(&hostile));
        let extractor = best(|| extract::extract_code(&hostile, &api).0.skipped.is_some());
        row("plain tree-sitter-rust parse", hostile.len(), plain, plain);
        row("extractor (cancelled)", hostile.len(), extractor, plain);
    }
}

/// A tree-sitter parse with no budget and a walk over its call
/// expressions: the floor of any tree-sitter reader.
fn tree_sitter_rust_calls(text: &str) -> usize {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&tree_sitter_rust::LANGUAGE.into()).expect("Rust grammar");
    let Some(tree) = parser.parse(text, None) else { return 0 };
    let mut cursor = tree.walk();
    let mut calls = 0;
    'walk: loop {
        calls += usize::from(cursor.node().kind() == "call_expression");
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    calls
}

fn json_section(size: usize) {
    let json = json_input(size);
    println!("JSON, {:.1} MB:", mb_of(json.len()));
    let scanner = best(|| extract::extract(Syntax::Json, &json, &extract::CodeApi::default()).refs.len());
    let value = best(|| serde_json::from_str::<serde_json::Value>(&json).is_ok());
    let ignored = best(|| serde_json::from_str::<serde::de::IgnoredAny>(&json).is_ok());
    // Every reader must accept the input, or its figure measures an early error.
    let ok = extract::extract(Syntax::Json, &json, &extract::CodeApi::default()).error.is_none()
        && serde_json::from_str::<serde_json::Value>(&json).is_ok()
        && serde_json::from_str::<serde::de::IgnoredAny>(&json).is_ok();
    println!("  (all accept it: {ok})");
    row("scanner", json.len(), scanner, scanner);
    row("serde_json -> Value", json.len(), value, scanner);
    row("serde_json -> IgnoredAny", json.len(), ignored, scanner);
}

fn ron_section(size: usize) {
    let ron_text = ron_input(size);
    println!("RON, {:.1} MB:", mb_of(ron_text.len()));
    let lexer = best(|| extract::extract(Syntax::Ron, &ron_text, &extract::CodeApi::default()).refs.len());
    let value = best(|| ron::from_str::<ron::Value>(&ron_text).is_ok());
    let ignored = best(|| ron::from_str::<serde::de::IgnoredAny>(&ron_text).is_ok());
    let ok = extract::extract(Syntax::Ron, &ron_text, &extract::CodeApi::default()).error.is_none()
        && ron::from_str::<ron::Value>(&ron_text).is_ok()
        && ron::from_str::<serde::de::IgnoredAny>(&ron_text).is_ok();
    println!("  (all accept it: {ok})");
    row("lexer", ron_text.len(), lexer, lexer);
    row("ron -> Value", ron_text.len(), value, lexer);
    row("ron -> IgnoredAny", ron_text.len(), ignored, lexer);
}

fn meta_section(size: usize) {
    let metas = meta_inputs(size);
    let total: usize = metas.iter().map(String::len).sum();
    println!(".meta, {} files, {:.1} MB:", metas.len(), mb_of(total));
    let fast = best(|| metas.iter().filter(|m| meta::parse_fast(m).is_some()).count());
    let full = best(|| metas.iter().map(|m| meta::parse_full(m).problems.len()).sum::<usize>());
    row("fast path", total, fast, fast);
    row("toml_edit (parse_full)", total, full, fast);
}

fn toml_section(size: usize) {
    let toml = toml_input(size);
    println!("TOML data, {:.1} MB:", mb_of(toml.len()));
    let read = || extract::extract(Syntax::Toml, &toml, &extract::CodeApi::default()).refs.len();
    assert_eq!(read(), toml_edit_strings(&toml), "both read the same strings");
    let reader = best(read);
    let edit = best(|| toml_edit_strings(&toml));
    let tree_sitter = best(|| tree_sitter_strings(&toml));
    row("reader", toml.len(), reader, reader);
    row("toml_edit (before)", toml.len(), edit, reader);
    row("tree-sitter-toml (before that)", toml.len(), tree_sitter, reader);
    toml_memory(&toml);
    // Hostile inputs: broken nesting (what made tree-sitter-toml go), and
    // what costs the reader most: a key per few bytes, dotted keys.
    let keys = lines(800 * 1024, |i| format!("k{i}=1\n"));
    let dotted = lines(800 * 1024, |i| format!("a.b{i}.c.d=1\n"));
    // The most keys per byte: every `.a` a table of its own (80 segments, the limit).
    let deepest = lines(800 * 1024, |i| format!("k{i}{}=1\n", ".a".repeat(79)));
    let open = "a=[".repeat(800 * 1024 / 3);
    for (name, hostile) in
        [("`a=[`", &open), ("`kN=1` lines", &keys), ("`a.bN.c.d=1` lines", &dotted), ("`kN.a.a…=1` lines", &deepest)]
    {
        println!("TOML, {} KB of {name}:", hostile.len() / 1024);
        let reader = best(|| extract::extract(Syntax::Toml, hostile, &extract::CodeApi::default()).error.is_some());
        let edit = best(|| toml_edit_strings(hostile));
        row("reader", hostile.len(), reader, reader);
        row("toml_edit (before)", hostile.len(), edit, reader);
        if name == "`a=[`" {
            let tree_sitter = best(|| tree_sitter_strings(hostile));
            row("tree-sitter-toml (before that)", hostile.len(), tree_sitter, reader);
        }
        toml_memory(hostile);
    }
}

/// Numbered lines up to `size` bytes.
fn lines(size: usize, line: impl Fn(usize) -> String) -> String {
    let mut out = String::new();
    for i in 0.. {
        let next = line(i);
        if out.len() + next.len() > size {
            return out;
        }
        out.push_str(&next);
    }
    out
}

/// Peak memory of each reader on `text`, per byte of it.
fn toml_memory(text: &str) {
    let reader = peak::during(|| extract::extract(Syntax::Toml, text, &extract::CodeApi::default()));
    let edit = peak::during(|| toml_edit::Document::parse(text).map(|d| d.as_table().len()));
    let per = |bytes: usize| bytes as f64 / text.len().max(1) as f64;
    println!("  peak memory: reader {:.1} bytes per byte, toml_edit {:.1}", per(reader), per(edit));
}

/// What the TOML data reader did before: a `toml_edit` document, and a walk
/// over its string values. How many strings it found.
fn toml_edit_strings(text: &str) -> usize {
    use toml_edit::{Item, Value};
    let Ok(doc) = toml_edit::Document::parse(text) else { return 0 };
    let mut found = 0;
    let mut tables = vec![doc.as_table()];
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
                Value::String(s) => {
                    found += usize::from(extract::is_uuid(s.value()) || extract::path_extension(s.value()).is_some())
                }
                Value::Array(a) => values.extend(a.iter()),
                Value::InlineTable(t) => values.extend(t.iter().map(|(_, v)| v)),
                _ => {}
            }
        } else {
            return found;
        }
    }
}

/// A counting allocator: the peak of what a closure holds at once.
mod peak {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting;

    static HELD: AtomicUsize = AtomicUsize::new(0);
    static PEAK: AtomicUsize = AtomicUsize::new(0);

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let held = HELD.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(held, Ordering::Relaxed);
            // SAFETY: forwarded as received.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            HELD.fetch_sub(layout.size(), Ordering::Relaxed);
            // SAFETY: forwarded as received.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static ALLOCATOR: Counting = Counting;

    /// Bytes `f` held at its peak beyond what was held before it (its
    /// result included, until dropped).
    pub fn during<T>(f: impl FnOnce() -> T) -> usize {
        let before = HELD.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let result = f();
        let peak = PEAK.load(Ordering::Relaxed);
        drop(result);
        peak - before
    }
}

fn walk_section(files: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let listed = write_tree(dir.path(), files);
    println!("walk, {listed} files in {} folders:", listed / 50 + 1);
    let root = dir.path();
    let classifier = scan::Classifier::new(root, &Config::default());
    let dirs = [root.join("assets")];
    let ours = best(|| scan::walk(root, &dirs, &classifier).files.iter().map(Vec::len).sum::<usize>());
    let count = scan::walk(root, &dirs, &classifier).files.iter().map(Vec::len).sum::<usize>();
    println!("  (files listed: {count} and {})", walk_builder(root, &classifier, true));
    let theirs = best(|| walk_builder(root, &classifier, true));
    let no_links = best(|| walk_builder(root, &classifier, false));
    row_files("scan walk", listed, ours, ours);
    row_files("ignore::WalkBuilder (parallel)", listed, theirs, ours);
    // Following links costs it a stat per entry; the scan follows them too.
    row_files("  the same, links not followed", listed, no_links, ours);
    let sequential = best(|| {
        let walker = builder(root, true).build();
        walker.flatten().filter(|e| e.file_type().is_some_and(|t| t.is_file())).count()
    });
    row_files("ignore::WalkBuilder (one thread)", listed, sequential, ours);
}

/// What the TOML reader did before: a tree-sitter parse and a walk over
/// its string nodes.
fn tree_sitter_strings(text: &str) -> usize {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&tree_sitter_toml_ng::LANGUAGE.into()).expect("TOML grammar");
    let Some(tree) = parser.parse(text, None) else { return 0 };
    let mut cursor = tree.walk();
    let mut strings = 0;
    'walk: loop {
        if cursor.node().kind() == "string" {
            strings += 1;
        } else if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    strings
}

/// The best of five runs (the least disturbed by the other processes).
fn best<T>(mut f: impl FnMut() -> T) -> Duration {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn mb_of(bytes: usize) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

fn row(name: &str, bytes: usize, t: Duration, reference: Duration) {
    println!(
        "  {name:<32} {:>8.1} ms {:>8.0} MB/s {:>6.1}x",
        t.as_secs_f64() * 1e3,
        mb_of(bytes) / t.as_secs_f64(),
        t.as_secs_f64() / reference.as_secs_f64()
    );
}

fn row_files(name: &str, files: usize, t: Duration, reference: Duration) {
    println!(
        "  {name:<32} {:>8.1} ms {:>8.0} files/ms {:>6.1}x",
        t.as_secs_f64() * 1e3,
        files as f64 / (t.as_secs_f64() * 1e3),
        t.as_secs_f64() / reference.as_secs_f64()
    );
}

/// A scene-like document: objects with names, paths, ids and numbers.
fn json_input(size: usize) -> String {
    let mut s = String::from("{\"entities\": [\n");
    let mut i = 0u64;
    while s.len() < size {
        s.push_str(&format!(
            "  {{\"name\": \"entity {i}\", \"sprite\": \"textures/e{}.png\", \"id\": \"0b6d3f6e-3c1f-4f54-9f0e-{:012x}\", \
             \"pos\": [{}.5, -{}.25, 0], \"visible\": true, \"tags\": [\"a\", \"b\\/c\"]}},\n",
            i % 500,
            i,
            i % 1000,
            i % 77
        ));
        i += 1;
    }
    s.push_str("  {}\n]}\n");
    s
}

fn ron_input(size: usize) -> String {
    let mut s = String::from("(\n    entities: [\n");
    let mut i = 0u64;
    while s.len() < size {
        s.push_str(&format!(
            "        Entity(name: \"entity {i}\", sprite: \"textures/e{}.png\", // comment\n            \
             pos: ({}.5, -{}.25), visible: true, extra: {{\"k{i}\": Some('x')}}),\n",
            i % 500,
            i % 1000,
            i % 77
        ));
        i += 1;
    }
    s.push_str("    ],\n)\n");
    s
}

/// The common `.meta` shapes (what gen_project.py writes).
fn meta_inputs(size: usize) -> Vec<String> {
    let settings = [
        "srgb = true\nmipmaps = false\nfilter = \"nearest\"",
        "scale = 100.00\ngenerate_tangents = true\nlod_bias = 3",
        "stage = \"vertex\"\nentry = \"main\"\ndefs = [\"SHADOWS\", \"FOG\"]",
    ];
    let mut out = Vec::new();
    let mut total = 0;
    let mut i = 0u64;
    while total < size {
        let m = format!(
            "id = \"0b6d3f6e-3c1f-4f54-9f0e-{i:012x}\"\nloader = \"x\"\n\n[settings]\n{}\n",
            settings[i as usize % settings.len()]
        );
        total += m.len();
        out.push(m);
        i += 1;
    }
    out
}

fn toml_input(size: usize) -> String {
    let mut s = String::from("# items\nversion = \"1.5\"\n");
    let mut i = 0u64;
    while s.len() < size {
        s.push_str(&format!(
            "\n[[items]]\nname = \"Item {i}\"\nicon = \"textures/i{}.png\"\nsound = 'audio/s{}.ogg'\nprice = {i}\nweight = {i}.5\n",
            i % 500,
            i % 50
        ));
        i += 1;
    }
    s
}

/// `files` empty binary assets, 50 per folder, two levels deep, and a few
/// ignore files; returns how many files the walk should list.
fn write_tree(root: &Path, files: usize) -> usize {
    let assets = root.join("assets");
    std::fs::create_dir_all(&assets).expect("create assets");
    std::fs::write(assets.join(".gitignore"), "*.tmp\n!keep.tmp\n").expect("write .gitignore");
    for i in 0..files {
        let dir = assets.join(format!("g{}", i / 2500)).join(format!("f{}", i / 50));
        if i % 50 == 0 {
            std::fs::create_dir_all(&dir).expect("create folder");
        }
        std::fs::write(dir.join(format!("t{i}.png")), []).expect("write file");
    }
    files
}

/// `ignore::WalkBuilder` set up with Assetry's rules.
fn builder(root: &Path, follow_links: bool) -> ignore::WalkBuilder {
    let mut b = ignore::WalkBuilder::new(root.join("assets"));
    b.hidden(true)
        .require_git(false)
        .git_global(false)
        .git_exclude(false)
        .follow_links(follow_links)
        .filter_entry(|e| !matches!(e.file_name().to_str(), Some("target" | "node_modules")));
    b
}

fn walk_builder(root: &Path, classifier: &scan::Classifier, follow_links: bool) -> usize {
    let count = std::sync::atomic::AtomicUsize::new(0);
    builder(root, follow_links).build_parallel().run(|| {
        let count = &count;
        Box::new(move |entry| {
            if let Ok(e) = entry
                && e.file_type().is_some_and(|t| t.is_file())
                && let Some(rel) = e.path().strip_prefix(root).ok().and_then(Path::to_str)
                && classifier.classify(rel).is_some()
            {
                count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            ignore::WalkState::Continue
        })
    });
    count.into_inner()
}
