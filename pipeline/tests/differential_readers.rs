//! The hand-written readers against the real parsers they stand in for, on
//! thousands of generated inputs per run: valid documents from a grammar of
//! each format, and the same documents mutated (bytes deleted, inserted,
//! duplicated, the text cut short). A seeded generator, so a failure names
//! the seed and case that reproduce it.
//!
//! - JSON scanner vs `serde_json`: valid ⇔ no syntax error, and for valid
//!   input the candidate strings found are exactly the string values
//!   `serde_json` reads, in order, each range covering exactly the string.
//! - glTF: the URIs are exactly `images[*].uri` and `buffers[*].uri`.
//! - RON lexer vs `ron`: `ron` accepts ⇒ no syntax error and the same
//!   string values (map keys never); a syntax error ⇒ `ron` rejects.
//! - `.meta` fast path vs `toml_edit`: whenever the fast path answers, the
//!   answer equals the full parser's.

use std::fmt;

use assetry_pipeline::extract::{self, Syntax, is_uuid, path_extension};
use assetry_pipeline::meta;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Cases per format per run.
const CASES: usize = 4000;
const SEED: u64 = 0x5eed_a55e_7001;

// ---- the oracle side: every string a real parser reads -------------------------------

/// A string as a serde deserializer hands it over: a map key or a value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Key(String),
    Value(String),
}

/// Collects every string of a document, in order, through `deserialize_any`
/// (a `Value` type would drop duplicate keys and reorder maps).
struct Collect<'a> {
    out: &'a mut Vec<Seen>,
    key: bool,
}

impl<'de> DeserializeSeed<'de> for Collect<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Collect<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("anything")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.out.push(if self.key { Seen::Key(v.to_owned()) } else { Seen::Value(v.to_owned()) });
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_char<E>(self, _: char) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Collect { out: self.out, key: false })
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Collect { out: self.out, key: false })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Collect { out: &mut *self.out, key: false })?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Collect { out: &mut *self.out, key: true })?.is_some() {
            map.next_value_seed(Collect { out: &mut *self.out, key: false })?;
        }
        Ok(())
    }
}

fn serde_json_strings(text: &str) -> Result<Vec<Seen>, serde_json::Error> {
    let mut out = Vec::new();
    let mut d = serde_json::Deserializer::from_str(text);
    Collect { out: &mut out, key: false }.deserialize(&mut d)?;
    d.end()?;
    Ok(out)
}

fn ron_strings(text: &str) -> Result<Vec<Seen>, ron::error::SpannedError> {
    let mut out = Vec::new();
    let mut d = ron::Deserializer::from_str(text)?;
    Collect { out: &mut out, key: false }.deserialize(&mut d).map_err(|e| d.span_error(e))?;
    d.end().map_err(|e| d.span_error(e))?;
    Ok(out)
}

/// The rule the extractors apply to a data-file string value.
fn candidate(s: &str) -> bool {
    is_uuid(s) || path_extension(s).is_some()
}

// ---- the generator ----------------------------------------------------------------------

struct Gen {
    rng: fastrand::Rng,
}

/// String contents worth having: paths, ids, names, numbers-as-text, and
/// the characters the rules and the escapes care about.
const PIECES: &[&str] = &[
    "textures/hero.png",
    "a.png",
    "../b c.ogg",
    "scenes/x.scene.json#Mesh0",
    "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11",
    "hello world",
    "v2.0",
    "1.5",
    "https://x.org/a.png",
    "data:image/png;base64,AA",
    "é",
    "😀",
    "\u{a0}",
    "\u{85}",
    " ",
    ".",
    "/",
    "#",
    ":",
    "\"",
    "\\",
    "\t",
    "\u{7f}",
    "'",
    "{",
    "]",
    "//",
    "/*",
    "*/",
    "uri",
];

impl Gen {
    fn new(seed: u64) -> Self {
        Gen { rng: fastrand::Rng::with_seed(seed) }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.usize(..items.len())]
    }

    fn word(&mut self, items: &[&'static str]) -> &'static str {
        items[self.rng.usize(..items.len())]
    }

    /// The first item (the usual one) half the time, else any.
    fn usual<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        if self.rng.bool() { &items[0] } else { self.pick(items) }
    }

    /// A string's decoded value.
    fn value_text(&mut self) -> String {
        (0..self.rng.usize(0..4)).map(|_| *self.pick(PIECES)).collect()
    }

    fn ws(&mut self, out: &mut String) {
        for _ in 0..self.rng.usize(0..3) {
            out.push(*self.pick(&[' ', '\t', '\n', ' ', '\r']));
        }
    }

    /// `s` as a JSON string literal, escaped in varied but valid ways.
    fn json_string(&mut self, s: &str, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '/' if self.rng.u8(..4) == 0 => out.push_str("\\/"),
                '\t' => out.push_str(if self.rng.bool() { "\\t" } else { "\\u0009" }),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c if self.rng.u8(..8) == 0 => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{u:04X}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }

    fn json_number(&mut self, out: &mut String) {
        let n = *self.pick(&["0", "-0", "12", "-3.25", "1e5", "2E-3", "6.02e+23", "0.5"]);
        out.push_str(n);
    }

    fn json_value(&mut self, depth: usize, out: &mut String) {
        let choice = if depth >= 5 { self.rng.u8(0..4) } else { self.rng.u8(0..7) };
        match choice {
            0 | 1 => {
                let s = self.value_text();
                self.json_string(&s, out);
            }
            2 => self.json_number(out),
            3 => out.push_str(self.word(&["true", "false", "null"])),
            4 | 5 => {
                out.push('{');
                for i in 0..self.rng.usize(0..4) {
                    if i > 0 {
                        out.push(',');
                    }
                    self.ws(out);
                    let k = self.value_text();
                    self.json_string(&k, out);
                    self.ws(out);
                    out.push(':');
                    self.ws(out);
                    self.json_value(depth + 1, out);
                    self.ws(out);
                }
                out.push('}');
            }
            _ => {
                out.push('[');
                for i in 0..self.rng.usize(0..4) {
                    if i > 0 {
                        out.push(',');
                    }
                    self.ws(out);
                    self.json_value(depth + 1, out);
                    self.ws(out);
                }
                out.push(']');
            }
        }
    }

    /// A random edit of `text` (on character boundaries).
    fn mutate(&mut self, text: &str, tokens: &[&str]) -> String {
        let mut t = text.to_owned();
        for _ in 0..self.rng.usize(1..3) {
            let at = self.boundary(&t);
            match self.rng.u8(0..5) {
                0 => {
                    let n = self.rng.usize(1..4);
                    let end = t[at..].char_indices().nth(n).map_or(t.len(), |(i, _)| at + i);
                    t.replace_range(at..end, "");
                }
                1 => {
                    let tok = *self.pick(tokens);
                    t.insert_str(at, tok);
                }
                2 => t.truncate(at),
                3 => {
                    let end = t[at..].char_indices().nth(1).map_or(t.len(), |(i, _)| at + i);
                    let piece = t[at..end].to_owned();
                    t.insert_str(at, &piece);
                }
                _ => {
                    let end = t[at..].char_indices().nth(1).map_or(t.len(), |(i, _)| at + i);
                    let tok = *self.pick(tokens);
                    t.replace_range(at..end, tok);
                }
            }
        }
        t
    }

    fn boundary(&mut self, t: &str) -> usize {
        let mut at = self.rng.usize(0..=t.len());
        while !t.is_char_boundary(at) {
            at -= 1;
        }
        at
    }
}

const JSON_TOKENS: &[&str] = &[
    "\"", "\\", ",", ":", "[", "]", "{", "}", "\n", "0", "-", "e", ".", "t", "\u{a0}", "\u{1}", "\\u", "\\ud800",
    "\\udc00", "1", " ", "/", "\u{feff}", "nul", "+",
];

// ---- JSON ------------------------------------------------------------------------------

/// Asserts the scanner agrees with `serde_json` on `text`; returns whether
/// `text` was valid (`None`: out of scope, a number outside f64's range).
fn json_agrees(text: &str, case: &str) -> Option<bool> {
    let found = extract::extract(Syntax::Json, text, &[]);
    // A leading byte-order mark is allowed (RFC 8259 section 8.1 lets a
    // reader ignore it, and Windows editors write one); serde_json refuses it.
    let oracle = serde_json_strings(text.strip_prefix('\u{feff}').unwrap_or(text));
    if let Err(e) = &oracle
        && e.to_string().contains("number out of range")
    {
        return None;
    }
    match (&oracle, &found.error) {
        (Ok(_), Some(e)) => panic!("{case}: serde_json accepts, the scanner reports {e:?}\n{text:?}"),
        (Err(e), None) => panic!("{case}: serde_json rejects ({e}), the scanner does not\n{text:?}"),
        _ => {}
    }
    if let Some(e) = &found.error {
        let (s, end) = (e.range.start as usize, e.range.end as usize);
        assert!(
            s <= end && end <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(end),
            "{case}: {e:?}"
        );
        assert!(found.refs.iter().all(|r| r.range.end as usize <= s), "{case}: a reference after the error");
        return Some(false);
    }
    let want: Vec<String> = oracle
        .ok()?
        .into_iter()
        .filter_map(|s| match s {
            Seen::Value(v) if candidate(&v) => Some(v),
            _ => None,
        })
        .collect();
    let got: Vec<String> = found.refs.iter().map(|r| r.value.to_string()).collect();
    assert_eq!(got, want, "{case}: strings differ\n{text:?}");
    for r in &found.refs {
        // The range is exactly the literal's contents: quoted, it reads back as the value.
        let raw = &text[r.range.start as usize..r.range.end as usize];
        let back: String = serde_json::from_str(&format!("\"{raw}\"")).expect("range is a string's contents");
        assert_eq!(&*back, &*r.value, "{case}: range of {:?}", r.value);
    }
    Some(true)
}

#[test]
fn json_scanner_agrees_with_serde_json() {
    let mut g = Gen::new(SEED);
    let (mut valid, mut invalid, mut skipped) = (0, 0, 0);
    for case in 0..CASES {
        let mut doc = String::new();
        g.ws(&mut doc);
        g.json_value(0, &mut doc);
        g.ws(&mut doc);
        let inputs = [doc.clone(), g.mutate(&doc, JSON_TOKENS)];
        for (k, text) in inputs.iter().enumerate() {
            match json_agrees(text, &format!("seed {SEED:#x} case {case}.{k}")) {
                Some(true) => valid += 1,
                Some(false) => invalid += 1,
                None => skipped += 1,
            }
        }
    }
    // The generator must exercise both sides, or the test proves nothing.
    assert!(valid > CASES && invalid > CASES / 4, "valid {valid}, invalid {invalid}, skipped {skipped}");
}

#[test]
fn json_edge_cases_agree_with_serde_json() {
    for text in [
        "",
        " ",
        "0",
        "-",
        "-0",
        "01",
        "1.",
        ".5",
        "1e",
        "1e+",
        "[1,]",
        "{\"a\":1,}",
        "{,}",
        "[,1]",
        "{\"a\" 1}",
        "{1:2}",
        "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "\"\\ude00\"",
        "\"\\ud83d\\u0041\"",
        "\"\\u12\"",
        "\"\\U0041\"",
        "\"a\u{1}\"",
        "\"a\u{7f}\"",
        "\"\\'\"",
        "tru",
        "nulll",
        "[true false]",
        "\"a\"\"b\"",
        "[]]",
        "[[]",
        "{}}",
        "\u{a0}[]",
        "[]\u{a0}",
        "[\"a.png\"\r\n]",
        "\"x\\",
        "\"x\\\"",
        "{\"a\":\"x.png\"}extra",
    ] {
        json_agrees(text, "edge case");
    }
}

// ---- glTF ------------------------------------------------------------------------------

#[test]
fn gltf_uris_are_exactly_those_of_images_and_buffers() {
    let mut g = Gen::new(SEED ^ 1);
    for case in 0..CASES / 4 {
        let mut doc = String::from("{");
        let sections = ["images", "buffers", "nodes", "extras", "meshes", "asset"];
        let mut order: Vec<&str> = sections.to_vec();
        g.rng.shuffle(&mut order);
        for (i, section) in order.iter().enumerate() {
            if i > 0 {
                doc.push(',');
            }
            g.json_string(section, &mut doc);
            doc.push(':');
            if *section == "extras" || *section == "asset" {
                // Anything, `uri` keys included.
                doc.push_str("{\"uri\":");
                let v = g.value_text();
                g.json_string(&v, &mut doc);
                doc.push_str(",\"images\":[{\"uri\":\"deep.png\"}],\"more\":");
                g.json_value(2, &mut doc);
                doc.push('}');
                continue;
            }
            doc.push('[');
            for e in 0..g.rng.usize(0..4) {
                if e > 0 {
                    doc.push(',');
                }
                doc.push_str("{\"name\":");
                let v = g.value_text();
                g.json_string(&v, &mut doc);
                if g.rng.u8(..4) > 0 {
                    doc.push_str(",\"uri\":");
                    let v = if g.rng.u8(..4) == 0 {
                        "data:application/octet-stream;base64,AA".to_owned()
                    } else {
                        g.value_text()
                    };
                    g.json_string(&v, &mut doc);
                }
                doc.push_str(",\"extras\":{\"uri\":\"extra.png\"}}");
            }
            doc.push(']');
        }
        doc.push('}');
        let value: serde_json::Value = serde_json::from_str(&doc).expect("generated glTF is JSON");
        let mut want: Vec<String> = ["images", "buffers"]
            .iter()
            .flat_map(|s| value[s].as_array().into_iter().flatten())
            .filter_map(|e| e["uri"].as_str())
            .filter(|u| !u.starts_with("data:"))
            .map(str::to_owned)
            .collect();
        let found = extract::extract(Syntax::Gltf, &doc, &[]);
        assert_eq!(found.error, None, "case {case}");
        // The ranges read back (JSON-unescaped) as the URIs before percent-decoding.
        let mut got: Vec<String> = found
            .refs
            .iter()
            .map(|r| {
                let raw = &doc[r.range.start as usize..r.range.end as usize];
                serde_json::from_str(&format!("\"{raw}\"")).expect("range is a string's contents")
            })
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "case {case}\n{doc}");
    }
}

// ---- RON -------------------------------------------------------------------------------

impl Gen {
    fn ron_ws(&mut self, out: &mut String) {
        match self.rng.u8(0..8) {
            0 => out.push_str(" // \"c.png\" \n"),
            1 => out.push_str("/* \"d.png\" /* \"e.png\" */ */"),
            2 => out.push('\n'),
            3 | 4 => out.push(' '),
            _ => {}
        }
    }

    fn ron_string(&mut self, s: &str, out: &mut String) {
        if !s.contains('"') && self.rng.u8(..3) == 0 {
            let hashes = "#".repeat(self.rng.usize(0..3));
            out.push_str(&format!("r{hashes}\"{s}\"{hashes}"));
            return;
        }
        if s.contains("\"#") || !s.contains('"') || self.rng.bool() {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
        } else {
            out.push_str(&format!("r#\"{s}\"#"));
        }
    }

    fn ron_value(&mut self, depth: usize, out: &mut String) {
        let choice = if depth >= 5 { self.rng.u8(0..4) } else { self.rng.u8(0..9) };
        match choice {
            0 | 1 => {
                let s = self.value_text();
                self.ron_string(&s, out);
            }
            2 => out.push_str(self.word(&["0", "-12", "3.5", "0x1F", "1_000", "true", "false", "None", "1e3"])),
            3 => out.push_str(self.word(&["'a'", "'\"'", "'\\''", "'é'", "'\\n'"])),
            4 => {
                out.push_str("Some(");
                self.ron_value(depth + 1, out);
                out.push(')');
            }
            5 => self.ron_seq(depth, out, "[", "]"),
            6 => self.ron_seq(depth, out, "(", ")"),
            7 => {
                out.push('{');
                let n = self.rng.usize(0..4);
                for i in 0..n {
                    self.ron_ws(out);
                    if self.rng.u8(..4) == 0 {
                        out.push_str(&i.to_string());
                    } else {
                        let k = self.value_text();
                        self.ron_string(&k, out);
                    }
                    self.ron_ws(out);
                    out.push(':');
                    self.ron_ws(out);
                    self.ron_value(depth + 1, out);
                    if i + 1 < n || self.rng.bool() {
                        out.push(',');
                    }
                }
                out.push('}');
            }
            _ => {
                out.push_str(self.word(&["Item", "Scene", "", "Sprite"]));
                out.push('(');
                let n = self.rng.usize(0..4);
                for i in 0..n {
                    self.ron_ws(out);
                    out.push_str(&format!("f{i}: "));
                    self.ron_value(depth + 1, out);
                    if i + 1 < n || self.rng.bool() {
                        out.push(',');
                    }
                }
                out.push(')');
            }
        }
    }

    fn ron_seq(&mut self, depth: usize, out: &mut String, open: &str, close: &str) {
        out.push_str(open);
        let n = self.rng.usize(0..4);
        for i in 0..n {
            self.ron_ws(out);
            self.ron_value(depth + 1, out);
            if i + 1 < n || (self.rng.bool() && n > 1) {
                out.push(',');
            }
        }
        out.push_str(close);
    }
}

const RON_TOKENS: &[&str] =
    &["\"", "\\", ",", ":", "[", "]", "(", ")", "{", "}", "'", "/*", "*/", "//", "r#\"", "\"#", "\n", "b\"", "x"];

#[test]
fn ron_lexer_agrees_with_the_ron_crate() {
    let mut g = Gen::new(SEED ^ 2);
    let (mut valid, mut rejected_by_both, mut rejected_by_ron_only) = (0, 0, 0);
    for case in 0..CASES {
        let mut doc = String::new();
        g.ron_ws(&mut doc);
        g.ron_value(0, &mut doc);
        g.ron_ws(&mut doc);
        let mutated = g.mutate(&doc, RON_TOKENS);
        for (k, text) in [&doc, &mutated].into_iter().enumerate() {
            let case = format!("seed {:#x} case {case}.{k}", SEED ^ 2);
            let found = extract::extract(Syntax::Ron, text, &[]);
            match (ron_strings(text), &found.error) {
                (Ok(seen), None) => {
                    valid += 1;
                    let want: Vec<String> = seen
                        .into_iter()
                        .filter_map(|s| match s {
                            Seen::Value(v) if candidate(&v) => Some(v),
                            _ => None,
                        })
                        .collect();
                    let got: Vec<String> = found.refs.iter().map(|r| r.value.to_string()).collect();
                    assert_eq!(got, want, "{case}: strings differ\n{text}");
                }
                (Ok(_), Some(e)) => panic!("{case}: ron accepts, the lexer reports {e:?}\n{text}"),
                (Err(_), Some(_)) => rejected_by_both += 1,
                // What a lexer cannot see (a missing comma): `ron` alone rejects.
                (Err(_), None) => rejected_by_ron_only += 1,
            }
            assert!(k == 1 || found.error.is_none(), "{case}: generated RON is valid\n{text}");
        }
    }
    assert!(
        valid > CASES && rejected_by_both > CASES / 4,
        "valid {valid}, rejected by both {rejected_by_both}, by ron only {rejected_by_ron_only}"
    );
}

// ---- .meta -----------------------------------------------------------------------------

impl Gen {
    /// Blanks as a person or a tool might type them: TOML's mostly, now and
    /// then another Unicode space.
    fn meta_blank(&mut self) -> &'static str {
        if self.rng.u8(..24) == 0 {
            return self.word(&["\u{a0}", "\u{2003}", "\u{3000}", "\u{85}", "\u{feff}", "\u{b}"]);
        }
        self.word(&["", "", "", " ", " ", "  ", "\t"])
    }

    fn meta_eol(&mut self) -> &'static str {
        if self.rng.u8(..16) == 0 {
            return self.word(&["\r", "\r\r\n", " # note\n", "#\u{1}\n", "\u{a0}\n"]);
        }
        self.word(&["\n", "\n", "\n", "\r\n", "\n\n", "\n# comment \u{e9}\n"])
    }

    fn meta_line(&mut self, key: &str, value: &str, out: &mut String) {
        out.push_str(self.meta_blank());
        out.push_str(key);
        out.push_str(self.meta_blank());
        out.push('=');
        out.push_str(self.meta_blank());
        out.push_str(value);
        out.push_str(self.meta_blank());
        out.push_str(self.meta_eol());
    }

    fn meta_text(&mut self) -> String {
        let id = *self.usual(&[
            "\"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"",
            "\"0B6D3F6E-3C1F-4F54-9F0E-2D8A3C6B9E11\"",
            "\"0b6d3f6e3c1f4f549f0e2d8a3c6b9e11\"",
            "'0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11'",
            "\"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e1\"",
        ]);
        let mut t = String::new();
        if self.rng.u8(..6) > 0 {
            self.meta_line("id", id, &mut t);
        }
        let strings = ["\"image\"", "\"a b\"", "\"\"", "\"x\\ty\"", "\"é\u{a0}\"", "\"\u{1}\"", "'lit'", "1", "true"];
        for _ in 0..self.rng.usize(0..3) {
            let key = *self.usual(&["loader", "processor", "format", "tags", "procesor", "loader"]);
            let value = match key {
                "format" => *self.usual(&["1", "2", "01", "+1", "1.0"]),
                "tags" => *self.usual(&["[\"ui\", \"hud\"]", "[]", "[ \"a\" , ]", "[\"a\"\u{a0}]", "[1]"]),
                _ => *self.usual(&strings),
            };
            self.meta_line(key, value, &mut t);
        }
        for _ in 0..self.rng.usize(0..4) {
            let header = *self.usual(&[
                "[settings]",
                "[profiles.mobile.settings]",
                "[dependencies]",
                "[[labels]]",
                "[ settings ]",
                "[settings.x]",
            ]);
            t.push_str(self.meta_blank());
            t.push_str(header);
            t.push_str(self.meta_eol());
            for _ in 0..self.rng.usize(0..3) {
                let (key, value) = match header {
                    "[dependencies]" => (
                        *self.usual(&["build", "load", "weak", "other"]),
                        *self.usual(&["[\"a.png\", \"b/c.wgsl\"]", "[]", "[\"x.png\"]", "\"x.png\""]),
                    ),
                    "[[labels]]" => (
                        *self.usual(&["name", "id", "name"]),
                        *self.usual(&["\"Mesh0\"", "\"5a0c3f6e-3c1f-4f54-9f0e-2d8a3c6b9e12\"", "3"]),
                    ),
                    _ => (
                        *self.usual(&["srgb", "max_size", "filter", "defs", "a-b", "\"q\""]),
                        *self.usual(&["true", "512", "-2", "0.35", "007", "\"linear\"", "[\"A\"]", "{ a = 1 }"]),
                    ),
                };
                self.meta_line(key, value, &mut t);
            }
        }
        t
    }
}

#[test]
fn meta_fast_path_agrees_with_toml_edit() {
    let mut g = Gen::new(SEED ^ 3);
    let (mut fast, mut deferred) = (0, 0);
    for case in 0..CASES * 2 {
        let text = g.meta_text();
        match meta::parse_fast(&text) {
            Some(m) => {
                fast += 1;
                assert_eq!(m, meta::parse_full(&text), "case {case}: the fast path differs on\n{text:?}");
            }
            None => deferred += 1,
        }
    }
    assert!(fast > CASES / 8 && deferred > CASES / 8, "fast {fast}, deferred {deferred}");
}

#[test]
fn meta_fast_path_leaves_what_toml_rejects_to_toml_edit() {
    let id = "id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"";
    for text in [
        "id\u{a0}= \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n".to_owned(),
        format!("{id}\u{a0}\n"),
        format!("{id}\r\r\n"),
        format!("{id}\rloader = \"x\"\n"),
        format!("\u{2003}{id}\n"),
        format!("{id}\n#\u{1}\n"),
    ] {
        assert!(!meta::parse_full(&text).problems.is_empty(), "toml_edit rejects {text:?}");
        assert_eq!(meta::parse_fast(&text), None, "{text:?}");
    }
}

// ---- game code ---------------------------------------------------------------------------

/// The reader the call lexer replaced, as its oracle: tree-sitter-rust's
/// `call_expression`s whose name is a call name, and their first argument
/// that is a string literal.
fn tree_sitter_calls(text: &str, calls: &[String]) -> Vec<(u32, u32, String)> {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&tree_sitter_rust::LANGUAGE.into()).expect("Rust grammar");
    let tree = parser.parse(text, None).expect("a tree");
    assert!(!tree.root_node().has_error(), "generated code is valid Rust:\n{text}");
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    'walk: loop {
        let node = cursor.node();
        if node.kind() == "call_expression"
            && let Some(found) = tree_sitter_call(node, text, calls)
        {
            out.push(found);
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out.sort();
    out
}

fn tree_sitter_call(call: tree_sitter::Node, text: &str, calls: &[String]) -> Option<(u32, u32, String)> {
    let mut function = call.child_by_field_name("function")?;
    if function.kind() == "generic_function" {
        function = function.child_by_field_name("function")?;
    }
    let name = match function.kind() {
        "identifier" => function,
        "field_expression" => function.child_by_field_name("field")?,
        "scoped_identifier" => function.child_by_field_name("name")?,
        _ => return None,
    };
    if !calls.iter().any(|c| c == &text[name.byte_range()]) {
        return None;
    }
    let args = call.child_by_field_name("arguments")?;
    let mut cursor = args.walk();
    let lit =
        args.named_children(&mut cursor).find(|n| n.kind() == "string_literal" || n.kind() == "raw_string_literal")?;
    let full = &text[lit.byte_range()];
    let raw = lit.kind() == "raw_string_literal";
    // `r#"`, `br"`, `b"`: the prefix up to the first quote, and as many
    // hashes after the closing one as before the opening one.
    let open = full.find('"')? + 1;
    let close = if raw { 1 + full[..open].bytes().filter(|&b| b == b'#').count() } else { 1 };
    let contents = &full[open..full.len() - close];
    let value = if raw { contents.to_owned() } else { serde_json_like_unescape(contents) };
    Some(((lit.start_byte() + open) as u32, (lit.end_byte() - close) as u32, value))
}

/// Rust's escapes in the generated strings (`\"`, `\\`, `\n`, `\u{…}`).
fn serde_json_like_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('u') => {
                let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.push(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).unwrap_or('\u{fffd}'));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

impl Gen {
    fn rust_blank(&mut self, out: &mut String) {
        out.push_str(self.word(&[" ", "", "\n    ", " /* s.load(\"c.png\") */ ", " // load(\"d.png\")\n", "\t"]));
    }

    fn rust_string(&mut self, out: &mut String) {
        let s = self.value_text();
        match self.rng.u8(..4) {
            0 if !s.contains("\"#") => out.push_str(&format!("r#\"{s}\"#")),
            1 if !s.contains('"') => out.push_str(&format!("r\"{s}\"")),
            _ => {
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
        }
    }

    fn rust_expr(&mut self, depth: usize, out: &mut String) {
        let choice = if depth >= 3 { self.rng.u8(0..4) } else { self.rng.u8(0..10) };
        match choice {
            0 | 1 => self.rust_string(out),
            2 => out.push_str(self.word(&["path", "1", "2.5", "'\"'", "'a'", "x.y", "&path", "None"])),
            3 => {
                out.push('&');
                self.rust_string(out);
            }
            4..=6 => self.rust_call(depth + 1, out),
            7 => {
                out.push_str("|s: &mut T| { ");
                self.rust_call(depth + 1, out);
                out.push_str("; }");
            }
            8 => {
                out.push(if self.rng.bool() { '(' } else { '[' });
                let close = if out.ends_with('(') { ')' } else { ']' };
                self.rust_expr(depth + 1, out);
                out.push_str(", ");
                self.rust_expr(depth + 1, out);
                out.push(close);
            }
            _ => {
                self.rust_string(out);
                out.push_str(".to_owned()");
            }
        }
    }

    fn rust_call(&mut self, depth: usize, out: &mut String) {
        out.push_str(self.word(&["s.", "asset_server.", "assets::", "", "self.assets.", "Self::"]));
        out.push_str(self.word(&["load", "load", "load_with_settings", "other", "reload", "loader"]));
        out.push_str(self.word(&["", "", "", "::<Image>", "::<Handle<Vec<u8>>>", "::<fn() -> u8>", " ::<(A, B)>"]));
        self.rust_blank(out);
        out.push('(');
        let n = self.rng.usize(0..4);
        for k in 0..n {
            if k > 0 {
                out.push(',');
                self.rust_blank(out);
            }
            self.rust_expr(depth, out);
        }
        out.push(')');
    }

    fn rust_file(&mut self) -> String {
        let mut out = String::from("fn f<'a>(s: &'a S, path: &str) {\n");
        for _ in 0..self.rng.usize(1..6) {
            out.push_str("    let _x = ");
            self.rust_call(0, &mut out);
            out.push_str(";\n");
            self.rust_blank(&mut out);
        }
        out.push_str("}\n");
        out
    }
}

#[test]
fn call_lexer_agrees_with_tree_sitter_rust() {
    let mut g = Gen::new(SEED ^ 4);
    let calls = vec!["load".to_owned(), "load_with_settings".to_owned()];
    let mut found = 0;
    for case in 0..CASES / 2 {
        let text = g.rust_file();
        let want = tree_sitter_calls(&text, &calls);
        let got: Vec<(u32, u32, String)> = extract::extract(Syntax::Rust, &text, &calls)
            .refs
            .into_iter()
            .map(|r| (r.range.start, r.range.end, r.value.into_string()))
            .collect();
        assert_eq!(got, want, "case {case}\n{text}");
        found += got.len();
    }
    assert!(found > CASES / 2, "references found: {found}");
}
