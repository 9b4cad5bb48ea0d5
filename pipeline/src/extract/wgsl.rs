//! WGSL `#import "path"`. `#import` is a preprocessor directive, handled a
//! line at a time as naga_oil and Bevy do; tree-sitter-wgsl-bevy only knows
//! module-path imports (`#import bevy_pbr::mesh`), not quoted file paths.
//! Comments are honoured so a commented-out import is not a dependency.

use super::{DepKind, RawRef};
use crate::text::TextRange;

pub(super) fn extract(text: &str) -> Vec<RawRef> {
    let mut refs = Vec::new();
    let mut in_block = 0usize;
    // Lines end at `\n`, `\r\n` or a lone `\r` (WGSL's and LSP's breaks).
    let mut starts = std::iter::once(0).chain(crate::text::line_breaks(text)).peekable();
    while let Some(offset) = starts.next() {
        let line = &text[offset..starts.peek().copied().unwrap_or(text.len())];
        let code = strip_block_comments(line, &mut in_block);
        let Some(code) = code else { continue };
        let trimmed = code.trim_start();
        let Some(rest) = trimmed.strip_prefix("#import") else { continue };
        if !rest.starts_with(char::is_whitespace) && !rest.starts_with('"') {
            continue;
        }
        let Some(q1) = rest.find('"') else { continue };
        if !rest[..q1].trim().is_empty() {
            continue; // `#import foo::"x"`: not a path import
        }
        let after = &rest[q1 + 1..];
        let Some(q2) = after.find('"') else { continue };
        // Byte offset of the path within the original line.
        let base = offset + (code.len() - trimmed.len()) + "#import".len() + q1 + 1;
        refs.push(RawRef {
            range: TextRange::new(base as u32, (base + q2) as u32),
            value: after[..q2].into(),
            kind: DepKind::Build,
            explicit: true,
            file_relative: false,
        });
    }
    refs
}

/// naga_oil module imports, `#import a::b::c`, `#import a::b as c` and
/// `#import a::{b::X, c::{Y, Z}}` (over several lines while a brace is
/// open, as naga_oil reads them); each names a module (or an item of one)
/// that some shader declares with `#define_import_path`. One reference per
/// imported path, its value the whole path (`a::b::X`), its range what is
/// written of it after the last open brace (`b::X`); a path without `::`
/// names no module. A deprecated item list (`#import a::b X Y`) imports
/// from `a::b`.
pub fn module_imports(text: &str) -> Vec<RawRef> {
    let mut refs = Vec::new();
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .scan(0usize, |at, l| {
            let start = *at;
            *at += l.len();
            Some((start, l))
        })
        .collect();
    let mut in_block = 0usize;
    let mut i = 0;
    while i < lines.len() {
        let (offset, line) = lines[i];
        i += 1;
        let Some(code) = strip_block_comments(line, &mut in_block) else { continue };
        let trimmed = code.trim_start();
        let Some(rest) = trimmed.strip_prefix("#import") else { continue };
        if !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let mut pieces = vec![(offset + (code.len() - trimmed.len()) + "#import".len(), rest)];
        let mut open = braces(rest);
        while open > 0 && i < lines.len() {
            let (offset, line) = lines[i];
            i += 1;
            let code = strip_block_comments(line, &mut in_block).unwrap_or("");
            open += braces(code);
            pieces.push((offset, code));
        }
        import_paths(&pieces, |start, end, path| {
            let first = path.split("::").next().unwrap_or_default();
            if path.contains("::") && !first.is_empty() && !first.starts_with(|c: char| c.is_ascii_digit()) {
                refs.push(RawRef {
                    range: TextRange::new(start as u32, end as u32),
                    value: path.into(),
                    kind: DepKind::Build,
                    explicit: true,
                    file_relative: false,
                });
            }
        });
    }
    refs
}

fn braces(code: &str) -> isize {
    code.bytes().map(|b| isize::from(b == b'{') - isize::from(b == b'}')).sum()
}

/// Calls `f(start, end, path)` for each path an import directive (its text
/// after `#import`, in pieces at their offsets) imports, as naga_oil's
/// `parse_imports` expands it. Stops at anything else (a quoted import).
fn import_paths(pieces: &[(usize, &str)], mut f: impl FnMut(usize, usize, &str)) {
    let mut stack: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut span: Option<(usize, usize)> = None;
    let mut emit = |stack: &[String], current: &mut String, span: &mut Option<(usize, usize)>| {
        if let Some((start, end)) = span.take() {
            let path = format!("{}{}", stack.concat(), current.trim_end_matches(':'));
            f(start, end, &path);
        }
        current.clear();
    };
    let mut after_ident = false;
    let mut skip_alias = false;
    for &(offset, piece) in pieces {
        let b = piece.as_bytes();
        let mut k = 0;
        while k < b.len() {
            let c = b[k];
            if c.is_ascii_alphanumeric() || c == b'_' {
                let s = k;
                while k < b.len() && (b[k].is_ascii_alphanumeric() || b[k] == b'_') {
                    k += 1;
                }
                let word = &piece[s..k];
                if skip_alias {
                    skip_alias = false;
                } else if after_ident && word == "as" {
                    skip_alias = true;
                } else if after_ident {
                    // `#import a::b X Y`: an item list of module `a::b`.
                    emit(&stack, &mut current, &mut span);
                    return;
                } else {
                    current.push_str(word);
                    let start = span.map_or(offset + s, |(start, _)| start);
                    span = Some((start, offset + k));
                    after_ident = true;
                }
                continue;
            }
            match c {
                b':' if b.get(k + 1) == Some(&b':') && !current.is_empty() => {
                    current.push_str("::");
                    after_ident = false;
                    k += 2;
                    continue;
                }
                b'{' if current.ends_with("::") => {
                    stack.push(std::mem::take(&mut current));
                    span = None;
                    after_ident = false;
                }
                b',' | b'}' => {
                    emit(&stack, &mut current, &mut span);
                    after_ident = false;
                    if c == b'}' && stack.pop().is_none() {
                        return;
                    }
                }
                b';' => {
                    emit(&stack, &mut current, &mut span);
                    return;
                }
                c if c.is_ascii_whitespace() => {}
                _ => {
                    emit(&stack, &mut current, &mut span);
                    return;
                }
            }
            k += 1;
        }
    }
    emit(&stack, &mut current, &mut span);
}

/// The module a WGSL file declares with `#define_import_path a::b`.
pub fn define_import_path(text: &str) -> Option<Box<str>> {
    define_import_path_at(text).map(|(_, path)| path)
}

/// [`define_import_path`] with the range of the module's path.
pub fn define_import_path_at(text: &str) -> Option<(TextRange, Box<str>)> {
    let mut found = None;
    for_each_directive(text, "#define_import_path", |offset, rest| {
        if found.is_none()
            && let Some((start, path)) = module_path(rest)
        {
            let start = offset + start;
            found = Some((TextRange::new(start as u32, (start + path.len()) as u32), path.into()));
        }
    });
    found
}

/// WESL `import package::a::b;` and `import super::x::{A, B};`: paths of
/// the project's own `.wesl` files. Imports of other packages (`bevy_pbr::…`)
/// are Bevy's or a dependency's, never a file of the project.
pub fn wesl_imports(text: &str) -> Vec<RawRef> {
    let mut refs = Vec::new();
    for_each_directive(text, "import", |offset, rest| {
        if let Some((start, path)) = module_path(rest)
            && (path.starts_with("package::") || path.starts_with("super::"))
        {
            refs.push(module_ref(offset + start, path));
        }
    });
    refs
}

fn module_ref(start: usize, path: &str) -> RawRef {
    RawRef {
        range: TextRange::new(start as u32, (start + path.len()) as u32),
        value: path.into(),
        kind: DepKind::Build,
        explicit: true,
        file_relative: false,
    }
}

/// Calls `f(offset of rest, rest)` for each line (outside comments) that
/// starts with the directive `name` followed by whitespace.
fn for_each_directive(text: &str, name: &str, mut f: impl FnMut(usize, &str)) {
    let mut in_block = 0usize;
    let mut line_start = 0usize;
    for line in text.split_inclusive('\n') {
        let offset = line_start;
        line_start += line.len();
        let Some(code) = strip_block_comments(line, &mut in_block) else { continue };
        let trimmed = code.trim_start();
        let Some(rest) = trimmed.strip_prefix(name) else { continue };
        if !rest.starts_with(char::is_whitespace) {
            continue;
        }
        f(offset + (code.len() - trimmed.len()) + name.len(), rest);
    }
}

/// The module path at the start of `rest` (after whitespace): its offset in
/// `rest` and the path, up to a `{`, `;`, space or `as`, without a trailing `::`.
fn module_path(rest: &str) -> Option<(usize, &str)> {
    let start = rest.len() - rest.trim_start().len();
    let body = &rest[start..];
    let end = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).unwrap_or(body.len());
    let path = body[..end].trim_end_matches(':');
    let first = path.split("::").next()?;
    if first.is_empty() || first.starts_with(|c: char| c.is_ascii_digit()) || path.contains(":::") {
        return None;
    }
    Some((start, path))
}

/// The part of `line` before any comment, if the line does not start inside
/// a block comment that it does not close. Lines that open a block comment
/// after code keep that code. `in_block` carries nesting across lines.
fn strip_block_comments<'a>(line: &'a str, in_block: &mut usize) -> Option<&'a str> {
    let b = line.as_bytes();
    let mut i = 0;
    let mut code_start = if *in_block == 0 { Some(0) } else { None };
    let mut code_end = line.len();
    while i < b.len() {
        if *in_block > 0 {
            if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                *in_block -= 1;
                i += 2;
                if *in_block == 0 && code_start.is_none() {
                    code_start = Some(i);
                }
                continue;
            }
            if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                *in_block += 1;
                i += 2;
                continue;
            }
            i += 1;
            continue;
        }
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            code_end = code_end.min(i);
            break;
        }
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            code_end = code_end.min(i);
            *in_block += 1;
            i += 2;
            continue;
        }
        i += 1;
    }
    // Only the code before the first comment matters for a directive, and a
    // directive must start the line: code after a closing `*/` is ignored.
    match code_start {
        Some(0) => Some(&line[..code_end]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_cr_ends_a_line() {
        let t = "#import \"a.wgsl\"\r#import \"b.wgsl\"\r\n#import \"c.wgsl\"\r";
        let v: Vec<Box<str>> = extract(t).into_iter().map(|r| r.value).collect();
        assert_eq!(v, ["a.wgsl".into(), "b.wgsl".into(), "c.wgsl".into()] as [Box<str>; 3]);
    }

    #[test]
    fn imports_with_ranges() {
        let t = "#import \"shaders/common.wgsl\"\n  #import \"./util.wgsl\" as util\n// #import \"no.wgsl\"\n/*\n#import \"no2.wgsl\"\n*/\n#import bevy_pbr::mesh\nfn f() {}\n";
        let r = extract(t);
        let v: Vec<&str> = r.iter().map(|r| &t[r.range.start as usize..r.range.end as usize]).collect();
        assert_eq!(v, ["shaders/common.wgsl", "./util.wgsl"]);
        assert!(r.iter().all(|r| r.kind == DepKind::Build && r.explicit));
    }

    #[test]
    fn module_imports_and_declarations() {
        let t = "#define_import_path my_game::common\n#import bevy_pbr::forward_io::VertexOutput\n#import my_game::util::{a, b}\n// #import no::pe\n#import \"x.wgsl\"\n#import single\n";
        let v: Vec<&str> = module_imports(t).iter().map(|r| &t[r.range.start as usize..r.range.end as usize]).collect();
        assert_eq!(v, ["bevy_pbr::forward_io::VertexOutput", "a", "b"]);
        let values: Vec<Box<str>> = module_imports(t).into_iter().map(|r| r.value).collect();
        assert_eq!(
            values,
            ["bevy_pbr::forward_io::VertexOutput".into(), "my_game::util::a".into(), "my_game::util::b".into()]
                as [Box<str>; 3]
        );
        assert_eq!(define_import_path(t).as_deref(), Some("my_game::common"));
        assert_eq!(define_import_path_at(t).map(|(r, _)| r), Some(TextRange::new(20, 35)));
        let w = "import package::shaders::util::dots;\nimport super::common::{A, B};\nimport bevy_pbr::render::x;\n// import super::no;\n";
        let v: Vec<&str> = wesl_imports(w).iter().map(|r| &w[r.range.start as usize..r.range.end as usize]).collect();
        assert_eq!(v, ["package::shaders::util::dots", "super::common"]);
    }

    #[test]
    fn braces_over_several_lines_aliases_and_item_lists() {
        let t = "#import bevy_pbr::{\n    pbr_fragment::pbr_input, // the input\n    forward_io::{VertexOutput, FragmentOutput},\n}\n#import my::lighting as l\n#import my::sun a b\n#import one::{two};\nfn f() {}\n";
        let r = module_imports(t);
        let got: Vec<(&str, &str)> =
            r.iter().map(|r| (&*r.value, &t[r.range.start as usize..r.range.end as usize])).collect();
        assert_eq!(
            got,
            [
                ("bevy_pbr::pbr_fragment::pbr_input", "pbr_fragment::pbr_input"),
                ("bevy_pbr::forward_io::VertexOutput", "VertexOutput"),
                ("bevy_pbr::forward_io::FragmentOutput", "FragmentOutput"),
                ("my::lighting", "my::lighting"),
                ("my::sun", "my::sun"),
                ("one::two", "two"),
            ]
        );
    }

    /// The paths read are naga_oil's own reading of the same directives.
    #[test]
    fn paths_agree_with_naga_oil() {
        // naga_oil lists the imports the code uses: each is used.
        for t in [
            "#import a::b::c\n#import d::e as f\nfn g() { c(); f::x(); }\n",
            "#import bevy_pbr::{\n  x::y,\n  z::{P, Q},\n}\nfn f() { y(); P(); Q(); }\n",
            "#import a::{b, c::{d, e::f}, g}\nfn h() { b(); d(); f(); g(); }\n",
            "#import p::q::{r}\n#import s::t\nfn u() { r(); t(); }\n",
        ] {
            let mut ours: Vec<String> = module_imports(t).into_iter().map(|r| r.value.into()).collect();
            let (_, imports, _) = naga_oil::compose::get_preprocessor_data(t);
            // naga_oil splits a path into module and items by how the code uses it.
            let mut theirs: Vec<String> = imports
                .into_iter()
                .flat_map(|i| match i.items.is_empty() {
                    true => vec![i.import],
                    false => i.items.iter().map(|item| format!("{}::{item}", i.import)).collect(),
                })
                .collect();
            ours.sort();
            theirs.sort();
            // An alias's use names items of the aliased module (`f::x`).
            let same = ours.len() == theirs.len()
                && ours.iter().zip(&theirs).all(|(o, t)| t == o || t.starts_with(&format!("{o}::")));
            assert!(same, "{t}: {ours:?} vs naga_oil's {theirs:?}");
        }
    }

    #[test]
    fn crlf() {
        let t = "#import \"a.wgsl\"\r\n#import \"b.wgsl\"\r\n";
        let v: Vec<&str> = extract(t).iter().map(|r| &t[r.range.start as usize..r.range.end as usize]).collect();
        assert_eq!(v, ["a.wgsl", "b.wgsl"]);
    }
}
