//! TOML data-file reader vs `toml_edit` (what read these files before, and
//! still reads `.meta` and `assetry.toml`).

use assetry_pipeline::extract::{self, Syntax};
use toml_edit::{Document, Item, Value};

use super::generator::Gen;
use super::oracle::candidate;
use super::{CASES, SEED};

/// Bare keys: a few shared (so tables, dotted keys and duplicates meet),
/// the rest made unique by a counter.
const SHARED_KEYS: &[&str] = &["a", "b", "icon", "x-y", "_1", "2"];

const SCALARS: &[&str] = &[
    "0",
    "-12",
    "+7",
    "1_000",
    "0x1F",
    "0o17",
    "0b101",
    "3.5",
    "-0.0",
    "1e6",
    "6.02E+23",
    "inf",
    "-inf",
    "nan",
    "true",
    "false",
    "1979-05-27T07:32:00Z",
    "1979-05-27 07:32:00.999-07:00",
    "1979-05-27T07:32:00",
    "1979-05-27",
    "07:32:00",
    "07:32",
    "1979-05-27T07:32Z",
    "9223372036854775807",
];

const TOML_TOKENS: &[&str] = &[
    "\"", "'", "\"\"\"", "'''", "[", "]", "[[", "{", "}", "=", ".", ",", "#", "\n", "\r", "\\", "\\u", "\\x4", " ",
    "\t", "a", "1", "\u{7f}", "\u{1}", "\u{feff}", "e", ":", "-", "_", "+", "\r\n", "a.b", "\\\n",
];

struct TomlGen {
    g: Gen,
    unique: usize,
}

impl TomlGen {
    fn newline(&mut self, out: &mut String) {
        out.push_str(if self.g.rng.u8(..6) == 0 { "\r\n" } else { "\n" });
    }

    fn blanks(&mut self, out: &mut String) {
        for _ in 0..self.g.rng.usize(0..2) {
            out.push(*self.g.pick(&[' ', '\t']));
        }
    }

    fn simple_key(&mut self, out: &mut String) {
        let name = if self.g.rng.u8(..3) == 0 {
            self.g.word(SHARED_KEYS).to_owned()
        } else {
            self.unique += 1;
            format!("k{}", self.unique)
        };
        match self.g.rng.u8(..8) {
            0 => out.push_str(&format!("\"{name}\"")),
            1 => out.push_str(&format!("'{name}'")),
            // The same key, escaped: equal to the bare one.
            2 => {
                let first = name.chars().next().unwrap_or('a');
                out.push_str(&format!("\"\\u{:04X}{}\"", first as u32, &name[first.len_utf8()..]));
            }
            3 => out.push_str("\"k.ey é\""),
            _ => out.push_str(&name),
        }
    }

    fn key(&mut self, out: &mut String) {
        self.simple_key(out);
        for _ in 0..[0, 0, 0, 1, 2][self.g.rng.usize(..5)] {
            if self.g.rng.bool() {
                out.push('.');
            } else {
                out.push_str(" . ");
            }
            self.simple_key(out);
        }
    }

    fn basic(&mut self, s: &str, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\t' if self.g.rng.bool() => out.push_str("\\t"),
                '\t' => out.push('\t'),
                c if c.is_ascii_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                c if c.is_ascii() && self.g.rng.u8(..12) == 0 => out.push_str(&format!("\\x{:02X}", c as u32)),
                c if self.g.rng.u8(..12) == 0 => out.push_str(&format!("\\U{:08X}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
    }

    fn string(&mut self, out: &mut String) {
        let s = self.g.value_text();
        let literal_ok = !s.contains('\'') && !s.chars().any(|c| c.is_control() && c != '\t');
        match self.g.rng.u8(..6) {
            0 if literal_ok => out.push_str(&format!("'{s}'")),
            1 if literal_ok => {
                let lead = if self.g.rng.bool() { "\n" } else { "" };
                out.push_str(&format!("'''{lead}{s}\nline 2'''"));
            }
            2 => {
                out.push_str("\"\"\"");
                if self.g.rng.bool() {
                    self.newline(out);
                }
                let mut inner = String::new();
                self.basic(&s, &mut inner);
                out.push_str(&inner[1..inner.len() - 1]);
                if self.g.rng.bool() {
                    // A line-ending backslash, then an indented line.
                    out.push_str("\\  \n   more.png");
                }
                out.push_str(self.g.word(&["\"\"\"", "\"\"\"\"", "\"\"\"\"\""]));
            }
            _ => self.basic(&s, out),
        }
    }

    fn value(&mut self, depth: usize, out: &mut String) {
        let choice = if depth >= 4 { self.g.rng.u8(0..4) } else { self.g.rng.u8(0..7) };
        match choice {
            0 | 1 => self.string(out),
            2 | 3 => out.push_str(self.g.word(SCALARS)),
            4 | 5 => {
                out.push('[');
                let n = self.g.rng.usize(0..4);
                for i in 0..n {
                    self.array_gap(out);
                    self.value(depth + 1, out);
                    if i + 1 < n || self.g.rng.u8(..4) == 0 {
                        out.push(',');
                    }
                }
                self.array_gap(out);
                out.push(']');
            }
            _ => {
                out.push('{');
                let multi = self.g.rng.u8(..3) == 0;
                let n = self.g.rng.usize(0..4);
                for i in 0..n {
                    if multi {
                        self.newline(out);
                    }
                    self.blanks(out);
                    self.key(out);
                    out.push_str(" = ");
                    self.value(depth + 1, out);
                    if i + 1 < n || (multi && self.g.rng.bool()) {
                        out.push(',');
                    }
                }
                if multi {
                    self.newline(out);
                }
                out.push('}');
            }
        }
    }

    fn array_gap(&mut self, out: &mut String) {
        match self.g.rng.u8(..6) {
            0 => {
                out.push_str(" # \"c.png\"");
                self.newline(out);
            }
            1 => self.newline(out),
            2 => out.push(' '),
            _ => {}
        }
    }

    fn document(&mut self) -> String {
        let mut out = String::new();
        if self.g.rng.u8(..10) == 0 {
            out.push('\u{feff}');
        }
        for _ in 0..self.g.rng.usize(0..10) {
            self.blanks(&mut out);
            match self.g.rng.u8(..10) {
                0 => out.push_str("# \"note.png\" = 'x'"),
                1 => {
                    out.push('[');
                    self.key(&mut out);
                    out.push(']');
                }
                2 => {
                    out.push_str("[[");
                    self.blanks(&mut out);
                    self.key(&mut out);
                    self.blanks(&mut out);
                    out.push_str("]]");
                }
                3 => {}
                _ => {
                    self.key(&mut out);
                    self.blanks(&mut out);
                    out.push('=');
                    self.blanks(&mut out);
                    self.value(0, &mut out);
                }
            }
            self.blanks(&mut out);
            if self.g.rng.u8(..5) == 0 {
                out.push_str("# end 'y.png'");
            }
            self.newline(&mut out);
        }
        out
    }
}

/// Strings as (contents' range, value).
type Strings = Vec<((usize, usize), String)>;

/// The candidate strings `toml_edit` reads, as (contents' range, value), in
/// text order: every string value, never a key (the rule the data-file
/// extractor had while it used `toml_edit`).
fn toml_edit_strings(text: &str) -> Result<Strings, toml_edit::TomlError> {
    let doc = Document::parse(text)?;
    let mut found = Vec::new();
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
                    let span = s.span().expect("a parsed string has a span");
                    let literal = &text[span.clone()];
                    let quotes = if literal.starts_with("\"\"\"") || literal.starts_with("'''") { 3 } else { 1 };
                    if candidate(s.value()) {
                        found.push(((span.start + quotes, span.end - quotes), s.value().to_owned()));
                    }
                }
                Value::Array(a) => values.extend(a.iter()),
                Value::InlineTable(t) => values.extend(t.iter().map(|(_, v)| v)),
                _ => {}
            }
        } else {
            break;
        }
    }
    found.sort();
    Ok(found)
}

/// Same decision as `toml_edit` on every generated and mutated document;
/// for a valid one, the same candidate strings with the same ranges. For an
/// invalid one the error's place may differ (each reports where its own
/// reading stopped): it must be a well-formed range of the text, and no
/// reference may come after it. A longer campaign elsewhere:
/// `TOML_SEED=7 TOML_CASES=300000 cargo test -p assetry-pipeline --test
/// differential_readers toml_reader`.
#[test]
fn toml_reader_agrees_with_toml_edit() {
    let seed = std::env::var("TOML_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(SEED ^ 4);
    let cases = std::env::var("TOML_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(CASES);
    let mut t = TomlGen { g: Gen::new(seed), unique: 0 };
    let (mut valid, mut invalid) = (0, 0);
    for case in 0..cases {
        let doc = t.document();
        let mutated = t.g.mutate(&doc, TOML_TOKENS);
        for (k, text) in [&doc, &mutated].into_iter().enumerate() {
            let case = format!("seed {seed:#x} case {case}.{k}");
            let found = extract::extract(Syntax::Toml, text, &extract::CodeApi::default());
            match (toml_edit_strings(text), &found.error) {
                (Ok(want), None) => {
                    valid += 1;
                    let got: Strings = found
                        .refs
                        .iter()
                        .map(|r| ((r.range.start as usize, r.range.end as usize), r.value.to_string()))
                        .collect();
                    assert_eq!(got, want, "{case}: strings differ\n{text:?}");
                }
                (Ok(_), Some(e)) => panic!("{case}: toml_edit accepts, the reader reports {e:?}\n{text:?}"),
                (Err(e), None) => panic!("{case}: toml_edit rejects ({e}), the reader does not\n{text:?}"),
                (Err(_), Some(e)) => {
                    invalid += 1;
                    let (s, end) = (e.range.start as usize, e.range.end as usize);
                    assert!(
                        s <= end && end <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(end),
                        "{case}: {e:?}\n{text:?}"
                    );
                    assert!(
                        found.refs.iter().all(|r| r.range.end as usize <= s),
                        "{case}: a reference after the error"
                    );
                }
            }
        }
    }
    eprintln!("valid {valid}, invalid {invalid}");
    assert!(valid > cases / 2 && invalid > cases / 2, "valid {valid}, invalid {invalid}");
}

/// Hand-picked documents at the edges of the grammar and of the rules on
/// tables, each decided as `toml_edit` decides it.
#[test]
fn toml_reader_agrees_on_the_edges() {
    let deep = |n: usize| format!("a = {}{}\n", "[".repeat(n), "]".repeat(n));
    let deep_inline = |n: usize| format!("a = {}{}\n", "{b=".repeat(n - 1) + "{", "}".repeat(n));
    let dotted = |n: usize| format!("{} = 1\n", vec!["k"; n].join("."));
    let mut docs: Vec<String> = vec![deep(80), deep(81), deep_inline(80), deep_inline(81), dotted(80), dotted(81)];
    docs.extend(
        [
            // The spec's table rules.
            "[fruit]\napple.color = 'red'\napple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = true\n",
            "[fruit]\napple.color = 'red'\n[fruit.apple]\n",
            "[fruit]\napple.color = 'red'\n[fruit.apple.taste]\n",
            "[x.y.z.w]\n[x]\n",
            "[x]\n[x]\n",
            "[x.y]\n[x]\ny.z = 1\n",
            "[x.y.z]\n[x]\ny.w = 1\n[x.y]\n",
            "[x.y.z]\n[x]\ny.w = 1\n",
            "a = 1\na.b = 2\n",
            "a = {b = 1}\n[a.c]\n",
            "a = {b = 1}\na.c = 2\n",
            "[[a]]\nb = 1\n[[a]]\nb = 1\n[a.c]\n",
            "[[a]]\n[a]\n",
            "[a]\n[[a]]\n",
            "a = []\n[[a]]\n",
            "[[a.b]]\n[a]\nb.c = 1\n",
            "[[a.b]]\n[a]\nb.c.d = 1\n",
            "a.b = 1\n[a]\n",
            "a.b = 1\n[a.c]\n",
            "{a = 1}\n",
            "t = {a.b = 1, a.c = 2}\n",
            "t = {a.b = 1, a = 2}\n",
            "t = {a = {}, a.b = 1}\n",
            "t = {a = 1, a = 1}\n",
            "t = {a = 1,}\n",
            "t = {,}\n",
            "t = {a = 1\n, b = 2 # c\n}\n",
            "'' = 1\n\"\" = 2\n",
            "a = 1\n\"a\" = 2\n",
            "a = 1\n'a' = 2\n",
            "a = 1\n\"\\u0061\" = 2\n",
            // Strings.
            "a = \"\"\"\"\"\"\"\n",
            "a = \"\"\"\"\"\"\"\"\n",
            "a = \"\"\"\"\"\"\"\"\"\n",
            "a = '''''''\n",
            "a = ''''''''\n",
            "a = '''''''''\n",
            "a = \"\"\"x.png\\\n   \n  \"\"\"\n",
            "a = \"\"\"x.png\\ \t\r\n  y.png\"\"\"\n",
            "a = \"\"\"x.png\\ y\"\"\"\n",
            "a = \"\"\"\r\nx.png\r\n\"\"\"\n",
            "a = \"\"\"x\r.png\"\"\"\n",
            "a = \"\\e\\x41\\u00e9\\U0001F600.png\"\n",
            "a = \"\\x4\"\n",
            "a = \"\\uD800\"\n",
            "a = \"\\U00110000\"\n",
            "a = \"\\a\"\n",
            "a = \"a\u{7f}.png\"\n",
            "a = 'a\u{7f}.png'\n",
            "# a \u{7f} comment\n",
            "# a \r comment\n",
            "a = 1 # \u{1}\n",
            "a = \"x.png\"\rb = 1\n",
            // Bare values.
            "a = 1979-05-27 07:32:00\n",
            "a = 1979-05-27  07:32:00\n",
            "a = 1979-05-27 07:32:00 +1\n",
            "a = 1.2.3\n",
            "a = 0.5\nb = -0.25\nc = +10.125\n",
            "a = 01.5\n",
            "a = 1.5_0\n",
            "a = 123456789012345.123456789012345\n",
            "a = 1234567890123456789012345.5\n",
            "a = 1.\n",
            "a = .5\n",
            "a = 00\n",
            "a = 9223372036854775808\n",
            "a = -9223372036854775808\n",
            "a = 0x_1\n",
            "a = 1__0\n",
            "a = 1e\n",
            "a = 1979-13-01\n",
            "a = 1979-02-29\n",
            "a = 2000-02-29\n",
            "a = 24:00:00\n",
            "a = 23:59:60\n",
            "a = \u{feff}1\n",
            "\u{feff}a = 1\n",
            "a = tru\n",
            "a = 1\"x\"\n",
            "a = \"x.png\" \"y.png\"\n",
            "a = [1 2]\n",
            "a = [1,,2]\n",
            "[ a ]\n[[ b ]]\n",
            "[ [ b ] ]\n",
            "[a]]\n",
            "[[a]\n",
            "a.\"b\".'c' = 'd.png'\n",
            "a . b = 1\n",
            "a\n= 1\n",
            "a =\n1\n",
            "é = 1\n",
            "a\"b\" = 1\n",
            "\"\"\"a\"\"\" = 1\n",
        ]
        .map(str::to_owned),
    );
    for (i, text) in docs.iter().enumerate() {
        let found = extract::extract(Syntax::Toml, text, &extract::CodeApi::default());
        match (toml_edit_strings(text), &found.error) {
            (Ok(want), None) => {
                let got: Strings = found
                    .refs
                    .iter()
                    .map(|r| ((r.range.start as usize, r.range.end as usize), r.value.to_string()))
                    .collect();
                assert_eq!(got, want, "edge {i}: strings differ\n{text:?}");
            }
            (Ok(_), Some(e)) => panic!("edge {i}: toml_edit accepts, the reader reports {e:?}\n{text:?}"),
            (Err(e), None) => panic!("edge {i}: toml_edit rejects ({e}), the reader does not\n{text:?}"),
            (Err(_), Some(_)) => {}
        }
    }
}
