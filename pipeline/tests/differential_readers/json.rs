//! JSON scanner vs `serde_json`, and glTF URIs.

use assetry_pipeline::extract::{self, Syntax};

use super::generator::Gen;
use super::oracle::{Seen, candidate, serde_json_strings};
use super::{CASES, SEED};

impl Gen {
    pub(crate) fn ws(&mut self, out: &mut String) {
        for _ in 0..self.rng.usize(0..3) {
            out.push(*self.pick(&[' ', '\t', '\n', ' ', '\r']));
        }
    }

    /// `s` as a JSON string literal, escaped in varied but valid ways.
    pub(crate) fn json_string(&mut self, s: &str, out: &mut String) {
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

    pub(crate) fn json_number(&mut self, out: &mut String) {
        let n = *self.pick(&["0", "-0", "12", "-3.25", "1e5", "2E-3", "6.02e+23", "0.5"]);
        out.push_str(n);
    }

    pub(crate) fn json_value(&mut self, depth: usize, out: &mut String) {
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
}

const JSON_TOKENS: &[&str] = &[
    "\"", "\\", ",", ":", "[", "]", "{", "}", "\n", "0", "-", "e", ".", "t", "\u{a0}", "\u{1}", "\\u", "\\ud800",
    "\\udc00", "1", " ", "/", "\u{feff}", "nul", "+",
];

/// Asserts the scanner agrees with `serde_json` on `text`; returns whether
/// `text` was valid (`None`: out of scope, a number outside f64's range).
fn json_agrees(text: &str, case: &str) -> Option<bool> {
    let found = extract::extract(Syntax::Json, text, &extract::CodeApi::default());
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
        let found = extract::extract(Syntax::Gltf, &doc, &extract::CodeApi::default());
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
