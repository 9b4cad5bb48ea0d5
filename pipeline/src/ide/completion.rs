//! Path completion inside a reference string: folder by folder from the
//! asset root (or from the file's folder for `./` and `../`), then labels
//! after `#`. Only files that exist are offered, never `.meta` sidecars.

use std::collections::{BTreeMap, BTreeSet};

use super::paths::parent;
use super::roots_for;
use crate::meta::META_SUFFIX;
use crate::project::Project;
use crate::resolve::{self, Target};
use crate::scan::FileKind;
use crate::text::TextRange;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The part of the string the chosen item replaces (the segment being
    /// typed, after the last `/` or `#`).
    pub replace: TextRange,
    pub items: Vec<CompletionItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CompletionKind {
    Folder,
    File,
    Label,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    /// For a file: its project-relative path; for a label: its id.
    pub detail: Option<String>,
}

/// The most items one answer holds: a folder with more children is cut,
/// and the client filters the rest as the user types.
const MAX_ITEMS: usize = 500;

pub fn completion(project: &Project, path: &str, offset: u32) -> Option<Completion> {
    let file = project.file_id(path)?;
    let f = project.file(file)?;
    let text = f.overlay.as_deref()?;
    let toml = match f.kind {
        FileKind::Meta { .. } => true,
        FileKind::Asset { syntax, .. } => syntax == Some(crate::extract::Syntax::Toml),
        FileKind::Code => false,
    };
    let (start, typed) = string_prefix(text, offset as usize, toml)?;
    if !completes_here(project, f.kind, &text[..start]) || is_key(text, offset as usize) {
        return None;
    }
    let roots = roots_for(project, f);
    if let Some((asset_part, label_typed)) = typed.split_once('#') {
        let replace_start = (offset as usize - label_typed.len()) as u32;
        return Some(Completion {
            replace: TextRange::new(replace_start, offset),
            items: labels(project, path, f.kind, asset_part),
        });
    }
    let (dir_typed, name_typed) = match typed.rsplit_once('/') {
        Some((d, n)) => (Some(d), n),
        None => (None, typed),
    };
    let replace = TextRange::new((offset as usize - name_typed.len()) as u32, offset);
    let gltf = matches!(f.kind, FileKind::Asset { syntax: Some(crate::extract::Syntax::Gltf), .. });
    let bases: Vec<String> = if gltf || typed.starts_with("./") || typed.starts_with("../") {
        match resolve::target(
            &format!("{}/x", dir_typed.unwrap_or(".")),
            false,
            path,
            roots.first().copied(),
            project.config(),
        ) {
            Target::Path { candidates, .. } => candidates.iter().map(|c| parent(c).to_owned()).collect(),
            _ => Vec::new(),
        }
    } else {
        let dir = dir_typed.map(|d| d.trim_start_matches('/')).unwrap_or("");
        roots
            .iter()
            .map(|r| [*r, dir].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join("/"))
            .collect()
    };
    let mut folders: BTreeSet<&str> = BTreeSet::new();
    let mut files: BTreeMap<&str, &str> = BTreeMap::new();
    for base in &bases {
        let listing = project.list_dir(base);
        folders.extend(listing.dirs);
        for (name, id) in listing.files {
            if !name.ends_with(META_SUFFIX) && project.file(id).is_some_and(|f| f.is_asset()) {
                files.insert(name, project.path(id));
            }
        }
    }
    let folders = folders.into_iter().map(|name| CompletionItem {
        label: name.to_owned(),
        kind: CompletionKind::Folder,
        detail: None,
    });
    let files = files.into_iter().map(|(name, path)| CompletionItem {
        label: name.to_owned(),
        kind: CompletionKind::File,
        detail: Some(path.to_owned()),
    });
    let items = folders.chain(files).take(MAX_ITEMS).collect();
    Some(Completion { replace, items })
}

/// The labels of the asset `asset_part` names, as written from `path`.
fn labels(project: &Project, path: &str, kind: FileKind, asset_part: &str) -> Vec<CompletionItem> {
    let gltf = matches!(kind, FileKind::Asset { syntax: Some(crate::extract::Syntax::Gltf), .. });
    let file = project.file_id(path);
    let from_root = file.and_then(|id| project.file(id)).and_then(|f| roots_for(project, f).first().copied());
    let from_root = if matches!(kind, FileKind::Code) { None } else { from_root };
    let Target::Path { candidates, .. } = resolve::target(asset_part, gltf, path, from_root, project.config()) else {
        return Vec::new();
    };
    let Some(asset) = candidates.iter().find_map(|c| project.file_id(c)) else { return Vec::new() };
    let Some((_, meta)) = project.meta_of(asset) else { return Vec::new() };
    meta.labels
        .iter()
        .map(|l| CompletionItem {
            label: l.name.clone(),
            kind: CompletionKind::Label,
            detail: l.id.map(|id| id.to_string()),
        })
        .collect()
}

/// If `offset` is inside a string literal on its line, the byte offset where
/// the string's contents start and the contents typed before `offset`.
/// `single_quotes`: whether `'` opens a string too (TOML literal strings).
fn string_prefix(text: &str, offset: usize, single_quotes: bool) -> Option<(usize, &str)> {
    if offset > text.len() || !text.is_char_boundary(offset) {
        return None;
    }
    // The line as LSP counts lines: a lone `\r` ends one too.
    let line_start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line = &text[line_start..offset];
    let mut open: Option<(usize, u8)> = None;
    let mut escaped = false;
    for (i, b) in line.bytes().enumerate() {
        if let Some((_, quote)) = open {
            if escaped {
                escaped = false;
            } else if quote == b'"' && b == b'\\' {
                escaped = true;
            } else if b == quote {
                open = None;
            }
        } else if b == b'"' || (single_quotes && b == b'\'') {
            open = Some((i, b));
        }
    }
    let (at, _) = open?;
    let start = line_start + at + 1;
    Some((start, &text[start..offset]))
}

/// Whether the string around `offset` is a key (`"name": ...`,
/// `"name" = ...`) rather than a value.
fn is_key(text: &str, offset: usize) -> bool {
    let rest = &text[offset..];
    let line_end = rest.find('\n').unwrap_or(rest.len());
    let rest = &rest[..line_end];
    let Some(close) = rest.find(['"', '\'']) else { return false };
    rest[close + 1..].trim_start().starts_with([':', '='])
}

/// Whether a string that opens after `before` is a place for an asset path:
/// any string in a data file; in game code only the first argument of a
/// configured call; in WGSL only an `#import`.
fn completes_here(project: &Project, kind: FileKind, before: &str) -> bool {
    let before = before.trim_end_matches(['"', '\'']).trim_end();
    match kind {
        FileKind::Code => code_path_position(project.config(), before),
        FileKind::Asset { syntax: Some(crate::extract::Syntax::Wgsl), .. } => {
            // The line so far, as LSP counts lines (a lone `\r` ends one).
            before.rsplit(['\n', '\r']).next().is_some_and(|l| l.trim_start().starts_with("#import"))
        }
        FileKind::Asset { .. } | FileKind::Meta { .. } => true,
    }
}

/// Whether a string opening after `before` (game code) is in a path
/// position: the first argument of a configured call, folder call or
/// constructor (`AssetPath::parse(`), or `path = ` in a configured
/// attribute (`#[asset(path = `).
fn code_path_position(config: &crate::Config, before: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let before = before.trim_end();
    if let Some(call) = before.strip_suffix('(') {
        let mut call = call.trim_end();
        // `load::<Image>(`: the name is before the turbofish.
        if call.ends_with('>')
            && let Some(turbofish) = call.rfind("::<")
        {
            call = call[..turbofish].trim_end();
        }
        let name = call.rsplit(|c: char| !is_ident(c)).next().unwrap_or("");
        let head = call[..call.len() - name.len()].trim_end();
        let has = |list: &[String]| list.iter().any(|c| c == name);
        if has(&config.code_calls) || has(&config.code_folder_calls) {
            return true;
        }
        let ty = head.strip_suffix("::").map(|t| t.trim_end().rsplit(|c: char| !is_ident(c)).next().unwrap_or(""));
        return ty.is_some_and(|ty| {
            config
                .code_constructors
                .iter()
                .any(|c| c.rsplit_once("::") == Some((ty, name)) || c.ends_with(&format!("::{ty}::{name}")))
        });
    }
    let Some(key) = before.strip_suffix('=') else { return false };
    if key.trim_end().rsplit(|c: char| !is_ident(c)).next() != Some("path") {
        return false;
    }
    // The attribute this `path =` is in: the last `#[name(` before it.
    let Some(open) = before.rfind("#[") else { return false };
    let attr = &before[open + 2..];
    let name = attr.split(|c: char| !is_ident(c)).next().unwrap_or("");
    !attr.contains(']') && config.code_attributes.iter().any(|a| a == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_around_the_cursor() {
        let text = "{\"a\": \"tex/x\", \"b\": \"q\\\"r/s\"}\n";
        let at = |needle: &str| text.find(needle).unwrap() + needle.len();
        assert_eq!(string_prefix(text, at("\"tex/"), false), Some((7, "tex/")));
        assert_eq!(string_prefix(text, at("\"q\\\"r/"), false), Some((21, "q\\\"r/")));
        // Between strings, and in TOML only with single quotes enabled.
        assert_eq!(string_prefix(text, at("x\","), false), None);
        assert_eq!(string_prefix("a = 'p/q", 8, false), None);
        assert_eq!(string_prefix("a = 'p/q", 8, true), Some((5, "p/q")));
        // A position inside a multi-byte character is not a cursor.
        assert_eq!(string_prefix("\"é", 2, false), None);
    }

    #[test]
    fn a_lone_cr_ends_the_line_a_string_is_on() {
        // The quote before the `\r` is on the line above: it does not
        // close or open anything on this one.
        let text = "a = \"x\rb = \"tex/";
        assert_eq!(string_prefix(text, text.len(), false), Some((12, "tex/")));
    }

    #[test]
    fn path_positions_in_game_code() {
        let c = crate::Config::default();
        for yes in [
            "a.load(",
            "a.load::<Image>(",
            "AssetPath::parse(",
            "bevy::asset::AssetPath::from(",
            "s.load_folder(",
            "#[asset(path = ",
            "#[asset(image(sampler = nearest), path =",
        ] {
            assert!(code_path_position(&c, yes), "{yes}");
        }
        for no in [
            "save(",
            "Other::parse(",
            "#[asset(key = ",
            "#[serde(path = ",
            "#[asset(path = \"x\")] f: u8, #[other(path = ",
            "let path =",
        ] {
            assert!(!code_path_position(&c, no), "{no}");
        }
    }

    #[test]
    fn keys_are_not_values() {
        let text = "{\"sky\": \"textures/a.png\"}";
        assert!(is_key(text, 3));
        assert!(!is_key(text, 12));
        assert!(is_key("\"x\" = 1", 1));
    }
}
