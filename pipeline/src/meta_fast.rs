//! A fast path for the `.meta` files almost every project is made of: one
//! `key = value` per line, bare keys, simple strings, numbers, booleans and
//! one-line string arrays, under `[settings]`, `[profiles.NAME.settings]`,
//! `[dependencies]` and `[[labels]]`. It returns exactly what the full
//! parser would for such a file, and `None` for anything else (escapes,
//! multi-line or inline tables, any schema problem), which then goes to the
//! span-preserving `toml_edit` parser. Parsing 100,000 `.meta` files with
//! `toml_edit` was the largest single CPU cost of a scan (17 %).

use uuid::Uuid;

use crate::extract::{DepKind, RawRef, is_uuid};
use crate::meta::{Label, META_FORMAT, Meta};
use crate::text::TextRange;

/// TOML's whitespace: space and tab only (Rust's `trim` would also take
/// NBSP and other Unicode spaces, which TOML rejects).
const BLANK: [char; 2] = [' ', '\t'];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Top,
    /// `[settings]` or `[profiles.NAME.settings]`: any simple keys.
    Settings,
    Dependencies,
    Label,
}

/// The `[[labels]]` entry being read: its name (and range) and id.
type PendingLabel = Option<(Option<(String, TextRange)>, Option<Uuid>)>;

enum Value<'a> {
    /// A basic string: its contents and their byte range.
    Str(&'a str, TextRange),
    Int(i64),
    Other,
    /// A one-line array of basic strings.
    Strings(Vec<(&'a str, TextRange)>),
}

pub(crate) fn parse(text: &str) -> Option<Meta> {
    if text.starts_with('\u{feff}') {
        return None;
    }
    let mut meta = Meta::default();
    let mut section = Section::Top;
    // A handful each: a list on the stack beats hashing (this runs once per
    // `.meta`); more than it holds goes to the full parser.
    let mut headers = Seen::default();
    let mut keys = Seen::default();
    let mut label: PendingLabel = None;
    let mut offset = 0usize;
    for raw_line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw_line.len();
        // TOML ends a line with `\n` or `\r\n`; a lone `\r` is an error
        // (the full parser words it).
        let line = raw_line.strip_suffix('\n').map_or(raw_line, |l| l.strip_suffix('\r').unwrap_or(l));
        if line.contains('\r') {
            return None;
        }
        let trimmed = line.trim_start_matches(BLANK);
        if trimmed.is_empty() {
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            // A comment may hold any character but a control one (tab aside).
            if comment.chars().any(|c| c.is_control() && c != '\t') {
                return None;
            }
            continue;
        }
        let indent = line.len() - trimmed.len();
        if let Some(rest) = trimmed.strip_prefix('[') {
            finish_label(&mut meta, &mut label)?;
            keys.clear();
            let (name, array) = match rest.strip_prefix('[') {
                Some(r) => (r.strip_suffix("]]")?, true),
                None => (rest.strip_suffix(']')?, false),
            };
            section = match (name, array) {
                ("labels", true) => {
                    label = Some((None, None));
                    Section::Label
                }
                ("settings", false) | ("dependencies", false) if headers.first(name)? => {
                    if name == "settings" {
                        Section::Settings
                    } else {
                        Section::Dependencies
                    }
                }
                (n, false) if is_profile_settings(n) && headers.first(n)? => Section::Settings,
                _ => return None,
            };
            continue;
        }
        let (key, after) = trimmed.split_once('=')?;
        let key = key.trim_end_matches(BLANK);
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return None;
        }
        if !keys.first(key)? {
            return None;
        }
        let after = after.trim_start_matches(BLANK);
        let value_at = line_start + indent + trimmed.len() - after.len();
        let value = value(after, value_at)?;
        match section {
            Section::Top => match (key, value) {
                ("id", Value::Str(s, r)) if is_uuid(s) => meta.id = Some((Uuid::try_parse(s).ok()?, r)),
                ("format", Value::Int(v)) if (1..=META_FORMAT).contains(&v) => {}
                ("loader", Value::Str(s, _)) => meta.loader = Some(s.into()),
                ("processor", Value::Str(s, _)) => meta.processor = Some(s.into()),
                ("tags", Value::Strings(v)) => meta.tags = v.into_iter().map(|(s, _)| s.to_owned()).collect(),
                _ => return None,
            },
            Section::Settings => {}
            Section::Dependencies => {
                let kind = match key {
                    "build" => DepKind::Build,
                    "load" => DepKind::Load,
                    "weak" => DepKind::Weak,
                    _ => return None,
                };
                let Value::Strings(v) = value else { return None };
                meta.dependencies.extend(v.into_iter().map(|(s, range)| RawRef {
                    range,
                    value: s.into(),
                    kind,
                    explicit: true,
                    file_relative: false,
                }));
            }
            Section::Label => {
                let entry = label.as_mut()?;
                match (key, value) {
                    ("name", Value::Str(s, r)) => entry.0 = Some((s.to_owned(), r)),
                    ("id", Value::Str(s, _)) if is_uuid(s) => entry.1 = Some(Uuid::try_parse(s).ok()?),
                    _ => return None,
                }
            }
        }
    }
    finish_label(&mut meta, &mut label)?;
    // A .meta without an id is a problem: the full parser words it.
    meta.id?;
    Some(meta)
}

/// Names seen in one table, to tell duplicates.
#[derive(Default)]
struct Seen<'a> {
    names: [&'a str; 16],
    len: usize,
}

impl<'a> Seen<'a> {
    /// Adds `name`: `Some(false)` when it was there already, `None` when
    /// the table is too big for the fast path.
    fn first(&mut self, name: &'a str) -> Option<bool> {
        if self.names[..self.len].contains(&name) {
            return Some(false);
        }
        *self.names.get_mut(self.len)? = name;
        self.len += 1;
        Some(true)
    }

    fn clear(&mut self) {
        self.len = 0;
    }
}

fn is_profile_settings(header: &str) -> bool {
    let mut parts = header.split('.');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("profiles"), Some(name), Some("settings"), None)
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    )
}

fn finish_label(meta: &mut Meta, label: &mut PendingLabel) -> Option<()> {
    if let Some((name, id)) = label.take() {
        let (name, range) = name?;
        meta.labels.push(Label { name, range, id });
    }
    Some(())
}

/// A value and nothing after it but blanks; `at` is its byte offset.
fn value(v: &str, at: usize) -> Option<Value<'_>> {
    let v = v.trim_end_matches(BLANK);
    if let Some(rest) = v.strip_prefix('"') {
        let s = simple_string(rest)?;
        if rest.len() != s.len() + 1 {
            return None;
        }
        return Some(Value::Str(s, TextRange::new(at as u32 + 1, (at + 1 + s.len()) as u32)));
    }
    if let Some(inner) = v.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        let mut out = Vec::new();
        let mut pos = 1usize; // past '['
        let mut rest = inner;
        loop {
            let lead = rest.len() - rest.trim_start_matches(BLANK).len();
            rest = &rest[lead..];
            pos += lead;
            if rest.is_empty() {
                break;
            }
            let after_quote = rest.strip_prefix('"')?;
            let s = simple_string(after_quote)?;
            out.push((s, TextRange::new((at + pos + 1) as u32, (at + pos + 1 + s.len()) as u32)));
            let used = s.len() + 2;
            rest = &rest[used..];
            pos += used;
            let lead = rest.len() - rest.trim_start_matches(BLANK).len();
            rest = &rest[lead..];
            pos += lead;
            match rest.strip_prefix(',') {
                Some(r) => {
                    rest = r;
                    pos += 1;
                }
                None if rest.is_empty() => break,
                None => return None,
            }
        }
        return Some(Value::Strings(out));
    }
    if v == "true" || v == "false" {
        return Some(Value::Other);
    }
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        // TOML forbids leading zeros.
        if digits.len() > 1 && digits.starts_with('0') {
            return None;
        }
        return v.parse().ok().map(Value::Int);
    }
    let (int, frac) = digits.split_once('.')?;
    let plain = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    (plain(int) && plain(frac) && !(int.len() > 1 && int.starts_with('0'))).then_some(Value::Other)
}

/// The contents of a basic string that needs no decoding: up to the closing
/// quote, with no escape and no control character.
fn simple_string(rest: &str) -> Option<&str> {
    let end = rest.find('"')?;
    let s = &rest[..end];
    let control = s.bytes().fold(false, |bad, c| bad | (c < 0x20) | (c == 0x7f))
        || (!s.is_ascii() && s.chars().any(char::is_control));
    (!s.contains('\\') && !control).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whenever the fast path answers, it must answer what `toml_edit` does.
    fn same(text: &str) -> bool {
        match parse(text) {
            Some(fast) => {
                assert_eq!(fast, crate::meta::parse_full(text), "fast path differs on:\n{text}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn common_metas_take_the_fast_path() {
        let id = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11";
        let texts = [
            format!(
                "id = \"{id}\"\nloader = \"image\"\n\n[settings]\nsrgb = true\nmipmaps = false\nfilter = \"linear\"\n"
            ),
            format!("id = \"{id}\"\r\nloader = \"scene\"\r\n[settings]\r\nscale = 0.01\r\nlod_bias = -2\r\n"),
            format!(
                "# comment\nid = \"{id}\"\nformat = 1\ntags = [\"ui\", \"hud\" ]\nprocessor = \"none\"\n[settings]\ndefs = [\"A\", \"B\"]\n\
                 [profiles.mobile.settings]\nmax_size = 512\n[[labels]]\nname = \"Mesh0\"\nid = \"5a0c3f6e-3c1f-4f54-9f0e-2d8a3c6b9e12\"\n\
                 [[labels]]\nname = \"Mesh1\"\n[dependencies]\nbuild = [\"shaders/common.wgsl\"]\nload = []\nweak = [\"a.png\",\"b b.png\"]\n"
            ),
        ];
        for t in &texts {
            assert!(same(t), "expected the fast path for:\n{t}");
        }
    }

    #[test]
    fn anything_unusual_goes_to_the_full_parser() {
        let id = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11";
        let texts = [
            String::new(),
            "loader = \"image\"\n".to_owned(),
            format!("id = \"{id}\"\nprocesor = \"x\"\n"),
            format!("id = \"{id}\"\nid = \"{id}\"\n"),
            format!("id = \"{id}\"\n[settings]\na = 1\n[settings]\nb = 2\n"),
            format!("id = \"{id}\"\n[settings]\na = {{ b = 1 }}\n"),
            format!("id = \"{id}\"\n[settings]\na = \"x\\ty\"\n"),
            format!("id = \"{id}\"\n[settings]\na = 'lit'\n"),
            format!("id = \"{id}\"\n[settings]\na = [\n\"x\"]\n"),
            format!("id = \"{id}\"\n[settings.image]\na = 1\n"),
            format!("id = \"{id}\" # trailing\n"),
            format!("id = \"{id}\"\nformat = 2\n"),
            format!("id = \"{id}\"\n[settings]\nn = 007\n"),
            format!("id = \"{id}\"\n[[labels]]\nid = \"{id}\"\n"),
            format!("id = \"{id}\"\nsettings = 3\n"),
            "id = \"not-a-uuid\"\n".to_owned(),
            format!("id = \"{id}\"\n\"quoted\" = 1\n"),
        ];
        for t in &texts {
            assert!(!same(t), "expected the full parser for:\n{t}");
        }
    }

    /// Every .meta the repository ships (demo and fixtures, broken ones included).
    #[test]
    fn repository_metas_agree() {
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut fast = 0;
        for dir in ["examples", "tests/fixtures"] {
            for entry in ignore::WalkBuilder::new(repo.join(dir)).hidden(false).build().flatten() {
                if entry.path().extension().is_some_and(|e| e == "meta")
                    && let Ok(text) = std::fs::read_to_string(entry.path())
                {
                    fast += usize::from(same(&text));
                }
            }
        }
        assert!(fast >= 30, "the demo's metas take the fast path ({fast})");
    }

    #[test]
    fn generated_project_metas_agree() {
        // The shapes gen_project.py writes, with every setting variant.
        for (i, settings) in [
            "srgb = true\nmipmaps = false\nfilter = \"nearest\"",
            "scale = 100.00\ngenerate_tangents = true\nlod_bias = 3",
            "preload = false\nstreaming = \"on_demand\"\nversion = 1",
            "stage = \"compute\"\nentry = \"main\"\ndefs = []",
            "stage = \"vertex\"\nentry = \"main\"\ndefs = [\"SHADOWS\", \"FOG\"]",
            "stream = true\nvolume = 0.35\nloop = false",
        ]
        .iter()
        .enumerate()
        {
            let t =
                format!("id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e1{i}\"\nloader = \"x\"\n\n[settings]\n{settings}\n");
            assert!(same(&t), "{t}");
        }
    }
}
