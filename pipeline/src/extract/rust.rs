//! Game code: the first string-literal argument of a call whose name is in
//! `references.code_calls` (`asset_server.load("x.png")`,
//! `load::<Image>("x.png")`, `assets::load("x.png")`).
//!
//! A one-pass lexer, not a syntax tree: tree-sitter-rust did this before,
//! and its error recovery re-scanned an unterminated raw string from every
//! `r#"` after it (200 KB of `load(r#"` took 32 s, 800 KB 9 minutes). The
//! lexer knows what decides the answer: comments (nested), strings, raw and
//! byte strings, char literals against lifetimes (so `'"'` opens nothing),
//! brackets, and a call's name with its turbofish. It keeps a stack of one
//! small frame per open bracket, so its cost is one pass whatever the
//! nesting. Calls inside macro arguments (`vec![s.load("a.png")]`) are
//! found too. `pipeline/tests/differential_readers.rs` holds it to
//! tree-sitter-rust on generated code.

use super::literal::unescape;
use super::{DepKind, RawRef};
use crate::text::TextRange;

/// How far a turbofish (`::<…>`) is looked through for its end.
const MAX_TURBOFISH: usize = 256;

pub(super) fn extract(text: &str, calls: &[String]) -> Vec<RawRef> {
    if calls.is_empty() || !calls.iter().any(|c| text.contains(c.as_str())) {
        return Vec::new();
    }
    let mut lexer = Lexer { text, b: text.as_bytes(), calls, frames: Vec::new(), refs: Vec::new(), pending: false };
    lexer.run();
    // Found as each call closes, an inner call before the outer one.
    lexer.refs.sort_by_key(|r| r.range.start);
    lexer.refs
}

/// One open bracket.
struct Frame {
    /// A call to one of the names, still looking for its string argument.
    call: bool,
    arg: Arg,
}

/// What the current argument of a frame is so far.
#[derive(Clone, Copy)]
enum Arg {
    Empty,
    /// Exactly one string literal: its contents and whether it is raw.
    Literal(usize, usize, bool),
    Other,
}

struct Lexer<'a> {
    text: &'a str,
    b: &'a [u8],
    calls: &'a [String],
    frames: Vec<Frame>,
    refs: Vec<RawRef>,
    /// The last token was a call name (or its turbofish): a `(` now opens a call.
    pending: bool,
}

impl Lexer<'_> {
    fn run(&mut self) {
        let b = self.b;
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match c {
                b' ' | b'\t' | b'\n' | b'\r' => {
                    i += 1;
                    continue;
                }
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |p| i + p);
                    continue;
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    i = block_comment_end(b, i + 2);
                    continue;
                }
                b'"' => {
                    let Some(end) = string_end(b, i + 1) else { return };
                    self.token(Arg::Literal(i + 1, end, false));
                    i = end + 1;
                }
                b'\'' => i = self.quote(i),
                b'(' | b'[' | b'{' => {
                    let call = self.pending && c == b'(';
                    self.token(Arg::Other);
                    self.frames.push(Frame { call, arg: Arg::Empty });
                    i += 1;
                }
                b')' | b']' | b'}' => {
                    if let Some(f) = self.frames.pop() {
                        self.argument(f.call, f.arg);
                    }
                    self.pending = false;
                    i += 1;
                }
                b',' => {
                    if let Some(f) = self.frames.last_mut() {
                        let done = std::mem::replace(&mut f.arg, Arg::Empty);
                        let call = f.call;
                        if self.argument(call, done)
                            && let Some(f) = self.frames.last_mut()
                        {
                            // Only the first string-literal argument counts.
                            f.call = false;
                        }
                    }
                    self.pending = false;
                    i += 1;
                }
                c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                    let end =
                        i + b[i..].iter().take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80).count();
                    if let Some(next) = self.prefixed_literal(i, end) {
                        i = next;
                        continue;
                    }
                    let name = &self.text[i..end];
                    self.token(Arg::Other);
                    i = end;
                    if self.calls.iter().any(|c| c == name) {
                        self.pending = true;
                        if let Some(after) = turbofish_end(b, i) {
                            i = after;
                        }
                    }
                    continue;
                }
                _ => {
                    // Numbers and punctuation: anything but a literal.
                    self.token(Arg::Other);
                    i += 1;
                }
            }
        }
    }

    /// A token in the innermost frame's current argument.
    fn token(&mut self, t: Arg) {
        self.pending = false;
        if let Some(f) = self.frames.last_mut() {
            f.arg = match (f.arg, t) {
                (Arg::Empty, t) => t,
                _ => Arg::Other,
            };
        }
    }

    /// An argument is complete; records it when it is the first
    /// string-literal argument of a call. Returns whether it was.
    fn argument(&mut self, call: bool, arg: Arg) -> bool {
        let Arg::Literal(start, end, raw) = arg else { return false };
        if !call {
            return false;
        }
        let contents = &self.text[start..end];
        let value = if raw { contents.to_owned() } else { unescape(contents) };
        self.refs.push(RawRef {
            range: TextRange::new(start as u32, end as u32),
            value: value.into_boxed_str(),
            kind: DepKind::Load,
            explicit: true,
            file_relative: false,
        });
        true
    }

    /// A literal whose prefix is the identifier `b[start..end]` (`b"…"`,
    /// `r#"…"#`, `br"…"`, `c"…"`): its token, and the index after it.
    fn prefixed_literal(&mut self, start: usize, end: usize) -> Option<usize> {
        let b = self.b;
        let prefix = &b[start..end];
        let raw = matches!(prefix, b"r" | b"br" | b"cr");
        if raw {
            let hashes = b[end..].iter().take_while(|&&c| c == b'#').count();
            if b.get(end + hashes) != Some(&b'"') {
                return None;
            }
            let open = end + hashes + 1;
            let Some(close) = raw_string_end(b, open, hashes) else { return Some(b.len()) };
            self.token(Arg::Literal(open, close, true));
            return Some(close + 1 + hashes);
        }
        if matches!(prefix, b"b" | b"c") && b.get(end) == Some(&b'"') {
            let Some(close) = string_end(b, end + 1) else { return Some(b.len()) };
            self.token(Arg::Literal(end + 1, close, false));
            return Some(close + 1);
        }
        None
    }

    /// A `'` at `i`: a char literal (`'a'`, `'"'`, `'\n'`, `'\u{1F600}'`)
    /// or a lifetime or label (`'a`); returns the index after it.
    fn quote(&mut self, i: usize) -> usize {
        let b = self.b;
        self.token(Arg::Other);
        if b.get(i + 1) == Some(&b'\\') {
            // An escape: up to the closing quote, which is close.
            let limit = (i + 16).min(b.len());
            return (i + 3..limit).find(|&j| b[j] == b'\'').map_or(i + 1, |j| j + 1);
        }
        let len = self.text[i + 1..].chars().next().map_or(0, char::len_utf8);
        if len > 0 && b.get(i + 1 + len) == Some(&b'\'') {
            return i + 2 + len;
        }
        // A lifetime: its name is an identifier token like any other.
        i + 1
    }
}

/// After a call name at `i`: the index after `::<…>` when a turbofish
/// follows (looked through for at most [`MAX_TURBOFISH`] bytes).
fn turbofish_end(b: &[u8], mut i: usize) -> Option<usize> {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    if !b[i..].starts_with(b"::") {
        return None;
    }
    i += 2;
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    if b.get(i) != Some(&b'<') {
        return None;
    }
    let limit = (i + MAX_TURBOFISH).min(b.len());
    let mut depth = 0usize;
    while i < limit {
        match b[i] {
            b'<' => depth += 1,
            b'>' if i > 0 && b[i - 1] == b'-' => {}
            b'>' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b';' | b'{' | b'}' | b'"' | b'\'' | b'/' => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index after the `*/` closing a comment whose body starts at `i`
/// (comments nest); the end of the text when it is never closed.
fn block_comment_end(b: &[u8], mut i: usize) -> usize {
    let mut depth = 1usize;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// The index of the quote closing a string whose contents start at `start`.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut j = start;
    loop {
        let k = j + memchr::memchr2(b'"', b'\\', b.get(j..)?)?;
        if b[k] == b'"' {
            return Some(k);
        }
        j = k + 2;
    }
}

/// The index of the quote closing a raw string with `hashes` hashes.
fn raw_string_end(b: &[u8], start: usize, hashes: usize) -> Option<usize> {
    let mut j = start;
    while let Some(k) = memchr::memchr(b'"', b.get(j..)?) {
        let q = j + k;
        // Rejected at the first byte that is not `#`: one pass in all.
        if b.len() > q + hashes && b[q + 1..=q + hashes].iter().all(|&c| c == b'#') {
            return Some(q);
        }
        j = q + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(t: &str) -> Vec<&str> {
        let calls = vec!["load".to_owned(), "load_with_settings".to_owned()];
        extract(t, &calls).iter().map(|r| &t[r.range.start as usize..r.range.end as usize]).collect()
    }

    #[test]
    fn load_calls() {
        let t = r##"fn setup(s: Res<AssetServer>) {
    let a = s.load("textures/hero.png");
    let b = s.load::<Image>(r#"textures/raw.png"#);
    let c = assets::load_with_settings("models/ship.gltf#Mesh0", |x| {});
    let d = other("no.png");
    let e = s.load(path); // not a literal
    // s.load("commented.png")
}"##;
        assert_eq!(found(t), ["textures/hero.png", "textures/raw.png", "models/ship.gltf#Mesh0"]);
    }

    #[test]
    fn what_decides_the_answer() {
        let t = r##"
            s.load(path, "second.png");          // the first string-literal argument
            s.load("a" .to_owned());             // not a literal argument
            s.load(load("inner.png"));           // nested: the inner one
            s.reload("no.png"); load!("no.png"); // another name, a macro
            let q = '"'; s.load("after_quote.png"); fn f<'a>(x: &'a str) {}
            s.load::<Handle<Vec<u8>>>("deep_generics.png");
            s.load::<fn() -> u8>("arrow.png");
            /* s.load("in/*nested*/comment.png") */ s.load(b"bytes.png");
            vec![s.load("in_macro.png")];
        "##;
        assert_eq!(
            found(t),
            [
                "second.png",
                "inner.png",
                "after_quote.png",
                "deep_generics.png",
                "arrow.png",
                "bytes.png",
                "in_macro.png"
            ]
        );
    }

    #[test]
    fn unterminated_input_is_one_pass() {
        // What cost tree-sitter-rust minutes: an unterminated raw string
        // followed by many more openings.
        let t = "load(r#\"".repeat(100_000);
        assert!(found(&t).is_empty());
        let t = "load(".repeat(100_000) + "\"a.png\"" + &")".repeat(100_000);
        assert_eq!(found(&t), ["a.png"]);
    }
}
