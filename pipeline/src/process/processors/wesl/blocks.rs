//! `@if(…) { … }` blocks of declarations (with their `@elif`/`@else`),
//! which Bevy 0.20's modules use and wesl 0.4.0 does not parse (0.4.1
//! added them, with rustc 1.96): each block becomes its declarations, each
//! with the block's condition as its own `@if`. Blocks of statements in a
//! function body the same: for wesl 0.4.1 they are no scope (Bevy's
//! examples use a `let` of one after it), for 0.4.0 they would be. Lines are kept (the block's
//! braces become spaces), so a position in a rewritten module is on the
//! same line as in the file.

use std::borrow::Cow;

/// `text` with its blocks of declarations flattened, borrowed when it has none.
pub(super) fn flatten(text: &str) -> Cow<'_, str> {
    if !text.contains("@if") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    if declarations(text, &mut at, None, false, &mut out).is_err() || at < text.len() {
        // Unbalanced: left to wesl, whose parser says where.
        return Cow::Borrowed(text);
    }
    if out == text { Cow::Borrowed(text) } else { Cow::Owned(out) }
}

struct Unbalanced;

/// Copies declarations (or statements, or anything between braces) from
/// `at` up to the `}` closing the enclosing braces (`inner`, or a block
/// whose condition is `cond`) or to the end, each under `cond`.
fn declarations(
    text: &str,
    at: &mut usize,
    cond: Option<&str>,
    inner: bool,
    out: &mut String,
) -> Result<(), Unbalanced> {
    let closed = inner || cond.is_some();
    // The conditions of the `@if`/`@elif` chain just closed, for an `@else`.
    let mut chain: Vec<String> = Vec::new();
    loop {
        *at = trivia(text, *at, out);
        let rest = &text[*at..];
        if rest.is_empty() || rest.starts_with('}') {
            return if rest.is_empty() != closed { Ok(()) } else { Err(Unbalanced) };
        }
        if let Some((keyword, own, open)) = block_opener(text, *at) {
            let branch = branch(keyword, own, &mut chain);
            let full = match cond {
                Some(outer) => format!("({outer}) && ({branch})"),
                None => branch,
            };
            blank(&text[*at..open + 1], out);
            *at = open + 1;
            declarations(text, at, Some(&full), true, out)?;
            // The block's `}`.
            out.push(' ');
            *at += 1;
            continue;
        }
        let end = declaration_end(text, *at).ok_or(Unbalanced)?;
        let decl = &item(text, *at, end)?;
        match (attribute(decl), cond) {
            // Its own `@if` under no block: as written.
            (Some(("if", own, _)), None) => {
                branch("if", own, &mut chain);
                out.push_str(decl);
            }
            // Its own condition joins the block's; an `@elif`/`@else` is
            // spelled out (what it followed may have been a block).
            (Some((keyword, own, after)), _) if keyword == "if" || !chain.is_empty() => {
                let own = branch(keyword, own, &mut chain);
                match cond {
                    Some(c) => out.push_str(&format!("@if(({c}) && ({own})){after}")),
                    None => out.push_str(&format!("@if({own}){after}")),
                }
            }
            (_, None) => {
                chain.clear();
                out.push_str(decl);
            }
            (_, Some(c)) => {
                chain.clear();
                out.push_str(&format!("@if({c}) {decl}"));
            }
        }
        *at = end;
    }
}

/// The condition of one branch of an `@if`/`@elif`/`@else` chain, whose
/// earlier conditions are `chain` (updated).
fn branch(keyword: &str, own: Option<String>, chain: &mut Vec<String>) -> String {
    if keyword == "if" {
        chain.clear();
    }
    let not = chain.iter().map(|c| format!("!({c})")).collect::<Vec<_>>().join(" && ");
    let branch = match &own {
        Some(c) if !not.is_empty() => format!("{not} && ({c})"),
        Some(c) => c.clone(),
        None => not,
    };
    if let Some(c) = own {
        chain.push(c);
    }
    branch
}

/// An item's leading `@if(C)`, `@elif(C)` or `@else`: the keyword, its
/// condition, and the rest of the item.
fn attribute(item: &str) -> Option<(&'static str, Option<String>, &str)> {
    let (keyword, after) = if let Some(r) = item.strip_prefix("@if") {
        ("if", r)
    } else if let Some(r) = item.strip_prefix("@elif") {
        ("elif", r)
    } else {
        ("else", item.strip_prefix("@else")?)
    };
    if after.starts_with(is_ident) {
        return None;
    }
    if keyword == "else" {
        return Some((keyword, None, after));
    }
    let inner = after.trim_start().strip_prefix('(')?;
    let n = balanced(inner)?;
    Some((keyword, Some(inner[..n].trim().to_owned()), &inner[n + 1..]))
}

/// `text[at..end]` with the braces inside it flattened in turn.
fn item(text: &str, at: usize, end: usize) -> Result<String, Unbalanced> {
    let mut out = String::with_capacity(end - at);
    let mut i = at;
    while i < end {
        let skipped = skip_comment(text, i);
        if skipped != i {
            out.push_str(&text[i..skipped]);
            i = skipped;
            continue;
        }
        let c = text[i..].chars().next().ok_or(Unbalanced)?;
        out.push(c);
        i += c.len_utf8();
        if c == '{' {
            declarations(text, &mut i, None, true, &mut out)?;
            if i >= end {
                return Err(Unbalanced);
            }
        }
    }
    Ok(out)
}

/// Whether `@if(C) {`, `@elif(C) {` or `@else {` starts at `at`: the
/// keyword, its condition, and the offset of the `{`.
fn block_opener(text: &str, at: usize) -> Option<(&'static str, Option<String>, usize)> {
    let rest = &text[at..];
    let (keyword, after) = if let Some(r) = rest.strip_prefix("@if") {
        ("if", r)
    } else if let Some(r) = rest.strip_prefix("@elif") {
        ("elif", r)
    } else {
        ("else", rest.strip_prefix("@else")?)
    };
    let (own, after) = match keyword {
        "else" => (None, after),
        _ => {
            let inner = after.trim_start().strip_prefix('(')?;
            let n = balanced(inner)?;
            (Some(inner[..n].trim().to_owned()), &inner[n + 1..])
        }
    };
    let mut skipped = String::new();
    let brace = trivia(after, 0, &mut skipped);
    after[brace..].starts_with('{').then(|| (keyword, own, text.len() - after.len() + brace))
}

/// The length of `s` up to the `)` that closes an already opened `(`.
fn balanced(s: &str) -> Option<usize> {
    let mut depth = 1usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The end of the declaration starting at `at`: after its `;` or the `}`
/// closing its body (a struct's following `;` included, an `if`'s `else`
/// too), or before the `}` closing what it is in (a struct's last member).
fn declaration_end(text: &str, at: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut depth = 0i32;
    let mut i = at;
    while i < b.len() {
        let skipped = skip_comment(text, i);
        if skipped != i {
            i = skipped;
            continue;
        }
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth -= 1,
            b'}' => {
                depth -= 1;
                if depth < 0 {
                    return Some(i);
                }
                if depth == 0 {
                    let after = i + 1;
                    let next = text[after..].find(|c: char| !c.is_whitespace()).map(|n| after + n);
                    match next {
                        Some(n) if b[n] == b';' => return Some(n + 1),
                        Some(n) if text[n..].starts_with("else") && !text[n + 4..].starts_with(is_ident) => {}
                        _ => return Some(after),
                    }
                }
            }
            b';' if depth == 0 => return Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Copies whitespace and comments from `at` into `out`; returns where they end.
fn trivia(text: &str, mut at: usize, out: &mut String) -> usize {
    loop {
        let start = at;
        at += text[at..].len() - text[at..].trim_start().len();
        at = skip_comment(text, at);
        out.push_str(&text[start..at]);
        if at == start {
            return at;
        }
    }
}

/// After the comment starting at `at` (nested block comments included), or `at`.
fn skip_comment(text: &str, at: usize) -> usize {
    let rest = &text[at..];
    if rest.starts_with("//") {
        return at + rest.find('\n').unwrap_or(rest.len());
    }
    if !rest.starts_with("/*") {
        return at;
    }
    let b = text.as_bytes();
    let (mut depth, mut i) = (0usize, at);
    while i + 1 < b.len() {
        match (b[i], b[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    text.len()
}

/// `s` with every character but line breaks turned to a space.
fn blank(s: &str, out: &mut String) {
    out.extend(s.chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_conditions_on_each_declaration_lines_kept() {
        let text = "import a::b;\n@if(A) {\n@group(0) @binding(1) var x: f32;\nstruct S { a: f32 }\n} @elif(B) {\nconst y = 1;\n} @else {\n// none\n@if(C) fn f() { if (true) { } }\n}\nfn g() {}\n";
        let out = flatten(text);
        assert_eq!(
            out,
            "import a::b;\n        \n@if(A) @group(0) @binding(1) var x: f32;\n@if(A) struct S { a: f32 }\n            \n@if(!(A) && (B)) const y = 1;\n         \n// none\n@if((!(A) && !(B)) && (C)) fn f() { if (true) { } }\n \nfn g() {}\n"
        );
        assert_eq!(out.lines().count(), text.lines().count());
        // A chain of single items ended by a block, in a block.
        assert_eq!(
            flatten("@if(X) {\n@if(A) const a = 1;\n@elif(B) const a = 2;\n@else {\nconst a = 3;\n}\n}\n"),
            "        \n@if((X) && (A)) const a = 1;\n@if((X) && (!(A) && (B))) const a = 2;\n       \n@if((X) && (!(A) && !(B))) const a = 3;\n \n \n"
        );
        // Nothing to do: the text itself.
        assert!(matches!(flatten("@if(A) fn f() {}\n"), Cow::Borrowed(_)));
        // In a function body: statements, an `if … else` one piece.
        let body = "fn f() {\n    @if(A) {\n    let a = 1;\n    if (a > 0) { } else { }\n    }\n    @else {\n    let a = 2;\n    }\n    g(a);\n}\n";
        assert_eq!(
            flatten(body),
            "fn f() {\n            \n    @if(A) let a = 1;\n    @if(A) if (a > 0) { } else { }\n     \n           \n    @if(!(A)) let a = 2;\n     \n    g(a);\n}\n"
        );
        assert!(matches!(flatten("@if(A) {\nfn f() {}\n"), Cow::Borrowed(_)));
    }
}
