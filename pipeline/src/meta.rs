//! `.meta` sidecars: parsed with spans (toml_edit) so each finding points at
//! the exact key or value, and checked against the schema of DESIGN.md.

use toml_edit::{Document, Item, Table, Value};
use uuid::Uuid;

use crate::diagnostic::Code;
use crate::extract::{DepKind, RawRef};
use crate::text::TextRange;

pub const META_SUFFIX: &str = ".meta";
/// The newest `.meta` format this build understands.
pub const META_FORMAT: i64 = 1;

/// What a `.meta` declares, plus what is wrong with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    /// The asset's id and the range of its value; `None` when missing or malformed.
    pub id: Option<(Uuid, TextRange)>,
    pub loader: Option<Box<str>>,
    pub processor: Option<Box<str>>,
    pub tags: Vec<String>,
    pub labels: Vec<Label>,
    /// `[dependencies]` entries: explicit references from the asset (moved
    /// into the file's references by the scan).
    pub dependencies: Vec<RawRef>,
    pub problems: Vec<MetaProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub name: String,
    /// The label's `name` value (where go-to-definition on `#Label` lands).
    pub range: TextRange,
    pub id: Option<Uuid>,
}

/// A schema or syntax problem, reported as `invalid-meta` or `unknown-meta-key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaProblem {
    pub code: Code,
    pub range: TextRange,
    pub message: String,
}

impl Meta {
    pub fn label(&self, name: &str) -> Option<&Label> {
        self.labels.iter().find(|l| l.name == name)
    }
}

const TOP_KEYS: &[&str] =
    &["id", "format", "loader", "processor", "tags", "settings", "profiles", "labels", "dependencies"];

pub fn parse(text: &str) -> Meta {
    if text.len() > MAX_META_BYTES {
        let mut meta = Meta::default();
        meta.problem(
            Code::InvalidMeta,
            TextRange::EMPTY,
            format!(
                "this .meta is {} KiB; a .meta may be at most {} KiB, so it was not read",
                text.len().div_ceil(1024),
                MAX_META_BYTES / 1024
            ),
        );
        return meta;
    }
    crate::meta_fast::parse(text).unwrap_or_else(|| parse_full(text))
}

/// The largest `.meta` Assetry reads. A sidecar holds an id, a few settings
/// and at most some thousands of labels; `toml_edit`'s document costs about
/// 25 times its text, so a runaway file (a tool writing in a loop, a binary
/// saved under the name) must not be parsed whole.
pub const MAX_META_BYTES: usize = 256 * 1024;

/// The fast path alone (`None`: it defers), for the differential test that
/// holds it to [`parse_full`].
#[doc(hidden)]
pub fn parse_fast(text: &str) -> Option<Meta> {
    crate::meta_fast::parse(text)
}

/// The span-preserving parser, for every file (the fast path defers to it
/// for anything beyond the common shape, and for every problem).
#[doc(hidden)]
pub fn parse_full(text: &str) -> Meta {
    let mut meta = Meta::default();
    let doc = match Document::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let range = e.span().map_or(TextRange::EMPTY, |s| span(Some(s)));
            let message = e.message().trim().to_owned();
            meta.problem(Code::InvalidMeta, range, format!("not valid TOML: {message}"));
            return meta;
        }
    };
    let root = doc.as_table();
    for (key, item) in root.iter() {
        let Some((k, _)) = root.get_key_value(key) else { continue };
        if !TOP_KEYS.contains(&key) {
            meta.unknown_key(k.span(), key, "");
            continue;
        }
        match key {
            "id" => meta.parse_id(text, item),
            "format" => match item.as_integer() {
                Some(v) if (1..=META_FORMAT).contains(&v) => {}
                Some(v) => meta.problem(
                    Code::InvalidMeta,
                    span(item.span()),
                    format!("`format = {v}` is not supported by this Assetry (it reads format {META_FORMAT})"),
                ),
                None => meta.wrong_type(item, "format", "an integer"),
            },
            "loader" => meta.loader = meta.string(item, "loader").map(String::into_boxed_str),
            "processor" => meta.processor = meta.string(item, "processor").map(String::into_boxed_str),
            "tags" => meta.tags = meta.string_array(text, item, "tags").into_iter().map(|(s, _)| s).collect(),
            "settings" if !item.is_table_like() => meta.wrong_type(item, "settings", "a table"),
            "profiles" => meta.parse_profiles(item),
            "labels" => meta.parse_labels(text, item),
            "dependencies" => meta.parse_dependencies(text, item),
            _ => {}
        }
    }
    if meta.id.is_none() && !meta.problems.iter().any(|p| p.code == Code::InvalidMeta) {
        meta.problem(Code::InvalidMeta, TextRange::EMPTY, "missing `id`: every .meta needs `id = \"<uuid>\"`");
    }
    meta
}

fn span(s: Option<std::ops::Range<usize>>) -> TextRange {
    s.map_or(TextRange::EMPTY, |r| TextRange::new(r.start as u32, r.end as u32))
}

/// The range of a string value's contents (without quotes), so an edit of
/// the value replaces exactly the text a reference occupies.
fn string_contents(text: &str, v: &Value) -> TextRange {
    let full = span(v.span());
    let raw = text.get(full.start as usize..full.end as usize).unwrap_or("");
    let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") { 3 } else { 1 };
    if raw.len() >= 2 * quote { TextRange::new(full.start + quote as u32, full.end - quote as u32) } else { full }
}

impl Meta {
    fn problem(&mut self, code: Code, range: TextRange, message: impl Into<String>) {
        self.problems.push(MetaProblem { code, range, message: message.into() });
    }

    fn unknown_key(&mut self, s: Option<std::ops::Range<usize>>, key: &str, within: &str) {
        let hint = suggestion(key, within);
        self.problem(Code::UnknownMetaKey, span(s), format!("unknown key `{within}{key}` in .meta{hint}"));
    }

    fn wrong_type(&mut self, item: &Item, key: &str, expected: &str) {
        self.problem(Code::InvalidMeta, span(item.span()), format!("`{key}` must be {expected}"));
    }

    fn parse_id(&mut self, text: &str, item: &Item) {
        let Some(v) = item.as_value() else {
            return self.wrong_type(item, "id", "a UUID string");
        };
        let Some(s) = v.as_str() else {
            return self.wrong_type(item, "id", "a UUID string");
        };
        let range = string_contents(text, v);
        match (crate::extract::is_uuid(s), Uuid::try_parse(s)) {
            (true, Ok(id)) => self.id = Some((id, range)),
            _ => self.problem(
                Code::InvalidMeta,
                range,
                format!("`id` is not a valid UUID: `{s}` (expected the form 0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11)"),
            ),
        }
    }

    fn string(&mut self, item: &Item, key: &str) -> Option<String> {
        match item.as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                self.wrong_type(item, key, "a string");
                None
            }
        }
    }

    fn string_array(&mut self, text: &str, item: &Item, key: &str) -> Vec<(String, TextRange)> {
        let Some(arr) = item.as_array() else {
            self.wrong_type(item, key, "an array of strings");
            return Vec::new();
        };
        let mut out = Vec::new();
        for v in arr.iter() {
            match v.as_str() {
                Some(s) => out.push((s.to_owned(), string_contents(text, v))),
                None => self.problem(Code::InvalidMeta, span(v.span()), format!("`{key}` entries must be strings")),
            }
        }
        out
    }

    fn parse_profiles(&mut self, item: &Item) {
        let Some(profiles) = item.as_table_like() else {
            return self.wrong_type(item, "profiles", "a table");
        };
        for (name, profile) in profiles.iter() {
            let Some(table) = profile.as_table_like() else {
                self.wrong_type(profile, &format!("profiles.{name}"), "a table");
                continue;
            };
            for (key, _) in table.iter() {
                if key != "settings" {
                    let s = table.get_key_value(key).and_then(|(k, _)| k.span());
                    self.unknown_key(s, key, &format!("profiles.{name}."));
                }
            }
        }
    }

    fn parse_labels(&mut self, text: &str, item: &Item) {
        let Some(labels) = item.as_array_of_tables() else {
            return self.wrong_type(item, "labels", "an array of tables ([[labels]])");
        };
        for table in labels.iter() {
            self.parse_label(text, table);
        }
    }

    fn parse_label(&mut self, text: &str, table: &Table) {
        let mut range = span(table.span());
        let mut name = None;
        let mut id = None;
        for (key, item) in table.iter() {
            match key {
                "name" => {
                    name = self.string(item, "labels.name");
                    if let Some(v) = item.as_value() {
                        range = string_contents(text, v);
                    }
                }
                "id" => {
                    let v = item.as_value();
                    match v.and_then(Value::as_str) {
                        Some(s) if crate::extract::is_uuid(s) => id = Uuid::try_parse(s).ok(),
                        _ => self.problem(Code::InvalidMeta, span(item.span()), "`labels.id` must be a UUID string"),
                    }
                }
                _ => {
                    let s = table.get_key_value(key).and_then(|(k, _)| k.span());
                    self.unknown_key(s, key, "labels.");
                }
            }
        }
        match name {
            Some(name) => self.labels.push(Label { name, range, id }),
            None => self.problem(Code::InvalidMeta, range, "a `[[labels]]` entry needs a `name`"),
        }
    }

    fn parse_dependencies(&mut self, text: &str, item: &Item) {
        let Some(deps) = item.as_table_like() else {
            return self.wrong_type(item, "dependencies", "a table");
        };
        for (key, list) in deps.iter() {
            let kind = match key {
                "build" => DepKind::Build,
                "load" => DepKind::Load,
                "weak" => DepKind::Weak,
                _ => {
                    let s = deps.get_key_value(key).and_then(|(k, _)| k.span());
                    self.unknown_key(s, key, "dependencies.");
                    continue;
                }
            };
            for (value, range) in self.string_array(text, list, &format!("dependencies.{key}")) {
                self.dependencies.push(RawRef {
                    range,
                    value: value.into_boxed_str(),
                    kind,
                    explicit: true,
                    file_relative: false,
                });
            }
        }
    }
}

/// "did you mean" for the common typos (`procesor`, `lables`).
fn suggestion(key: &str, within: &str) -> String {
    let candidates: &[&str] = match within {
        "" => TOP_KEYS,
        "labels." => &["name", "id"],
        "dependencies." => &["build", "load", "weak"],
        _ => &["settings"],
    };
    candidates
        .iter()
        .filter(|c| edit_distance(key, c) <= 2)
        .min_by_key(|c| edit_distance(key, c))
        .map(|c| format!("; did you mean `{within}{c}`?"))
        .unwrap_or_default()
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(t: &str, r: TextRange) -> &str {
        &t[r.start as usize..r.end as usize]
    }

    #[test]
    fn a_runaway_meta_is_refused_unread() {
        let big = format!("id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n{}", "\r".repeat(MAX_META_BYTES));
        let m = parse(&big);
        assert_eq!(m.id, None);
        assert_eq!(m.problems.len(), 1);
        assert_eq!(m.problems[0].code, Code::InvalidMeta);
        assert_eq!(m.problems[0].range, TextRange::EMPTY);
        assert_eq!(m.problems[0].message, "this .meta is 257 KiB; a .meta may be at most 256 KiB, so it was not read");
        // At the limit it is read as usual.
        let at_limit = format!("id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n{}", "#".repeat(MAX_META_BYTES - 44));
        assert_eq!(at_limit.len(), MAX_META_BYTES);
        assert!(parse(&at_limit).problems.is_empty());
    }

    #[test]
    fn full_meta() {
        let t = r#"id = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11"
format = 1
loader = "gltf"
tags = ["ui"]
[settings]
max_size = 2048
[profiles.mobile.settings]
max_size = 512
[[labels]]
name = "Mesh0"
id = "5a0c3f6e-3c1f-4f54-9f0e-2d8a3c6b9e12"
[dependencies]
build = ["shaders/common.wgsl"]
weak = ['x.png']
"#;
        let m = parse(t);
        assert_eq!(m.problems, []);
        let (id, r) = m.id.unwrap();
        assert_eq!(id.to_string(), "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11");
        assert_eq!(slice(t, r), "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11");
        assert_eq!(m.labels[0].name, "Mesh0");
        assert!(slice(t, m.labels[0].range).contains("Mesh0"));
        let deps: Vec<_> = m.dependencies.iter().map(|d| (slice(t, d.range), d.kind)).collect();
        assert_eq!(deps, [("shaders/common.wgsl", DepKind::Build), ("x.png", DepKind::Weak)]);
    }

    #[test]
    fn typo_and_bad_values() {
        let t = "id = \"not-a-uuid\"\nprocesor = \"x\"\n[dependencies]\nbuld = []\n";
        let m = parse(t);
        let codes: Vec<_> = m.problems.iter().map(|p| (p.code, slice(t, p.range))).collect();
        assert_eq!(
            codes,
            [(Code::InvalidMeta, "not-a-uuid"), (Code::UnknownMetaKey, "procesor"), (Code::UnknownMetaKey, "buld")]
        );
        assert!(m.problems[1].message.contains("did you mean `processor`"));
    }

    #[test]
    fn empty_and_garbage() {
        assert_eq!(parse("").problems[0].code, Code::InvalidMeta);
        let m = parse("id = [[[\n\u{0}");
        assert_eq!(m.problems.len(), 1);
        assert!(m.problems[0].message.starts_with("not valid TOML"));
    }
}
