//! RON lexer vs the `ron` crate.

use assetry_pipeline::extract::{self, Syntax};

use super::generator::Gen;
use super::oracle::{Seen, candidate, ron_strings};
use super::{CASES, SEED};

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
            let found = extract::extract(Syntax::Ron, text, &extract::CodeApi::default());
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
