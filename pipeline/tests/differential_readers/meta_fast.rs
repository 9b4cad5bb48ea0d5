//! `.meta` fast path vs `toml_edit`.

use assetry_pipeline::meta;

use super::generator::Gen;
use super::{CASES, SEED};

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
