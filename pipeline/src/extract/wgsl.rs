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
    fn crlf() {
        let t = "#import \"a.wgsl\"\r\n#import \"b.wgsl\"\r\n";
        let v: Vec<&str> = extract(t).iter().map(|r| &t[r.range.start as usize..r.range.end as usize]).collect();
        assert_eq!(v, ["a.wgsl", "b.wgsl"]);
    }
}
