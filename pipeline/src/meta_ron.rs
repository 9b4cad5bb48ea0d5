//! Bevy's `.meta` files, read as Bevy reads them: RON, with the `ron`
//! crate, into the shape of `bevy_asset`'s `AssetMeta` (unknown fields
//! allowed, as Bevy's serde types do not deny them):
//!
//! ```ron
//! (meta_format_version: "1.0", asset: Load(loader: "…::ImageLoader", settings: (…)))
//! ```
//!
//! The action is `Load(loader, settings)`, `Process(processor, settings)`
//! or `Ignore`. A file that does not read is `invalid-meta` at the place
//! the RON parser stopped; a TOML `.meta` is one too, saying what Bevy will
//! do with it (fail to load the asset).

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::diagnostic::Code;
use crate::meta::{Meta, MetaProblem};
use crate::text::TextRange;

/// The only `meta_format_version` Bevy reads (`bevy_asset::meta::META_FORMAT_VERSION`).
pub const BEVY_META_FORMAT_VERSION: &str = "1.0";

#[derive(Deserialize)]
struct AssetMeta {
    meta_format_version: String,
    asset: AssetAction,
    #[serde(default)]
    #[allow(dead_code)]
    processed_info: Option<IgnoredAny>,
}

#[derive(Deserialize)]
enum AssetAction {
    Load {
        loader: String,
        #[allow(dead_code)]
        settings: IgnoredAny,
    },
    Process {
        processor: String,
        #[allow(dead_code)]
        settings: IgnoredAny,
    },
    Ignore,
}

/// What a Bevy `.meta` says, as a [`Meta`]: the loader or processor name;
/// no id and no labels (Bevy has neither in its `.meta`).
pub fn parse(text: &str) -> Meta {
    let mut meta = Meta::default();
    match ron::from_str::<AssetMeta>(text) {
        Ok(m) => {
            if m.meta_format_version != BEVY_META_FORMAT_VERSION {
                let range = find_value(text, &m.meta_format_version);
                meta.problems.push(MetaProblem {
                    code: Code::InvalidMeta,
                    range,
                    message: format!(
                        "`meta_format_version: \"{}\"` is not one Bevy reads (it reads \"{BEVY_META_FORMAT_VERSION}\")",
                        m.meta_format_version
                    ),
                });
            }
            match m.asset {
                AssetAction::Load { loader, .. } => meta.loader = Some(loader.into_boxed_str()),
                AssetAction::Process { processor, .. } => meta.processor = Some(processor.into_boxed_str()),
                AssetAction::Ignore => {}
            }
        }
        Err(e) => {
            let (range, message) = if looks_like_toml(text) {
                let first_line = text.find('\n').unwrap_or(text.len());
                (
                    TextRange::new(0, first_line as u32),
                    "this .meta is TOML, but Bevy reads .meta files as RON: Bevy will fail to load its asset \
                     (delete it, or write it as Bevy does: `(meta_format_version: \"1.0\", asset: Load(loader: \
                     \"…\", settings: (…)))`)"
                        .to_owned(),
                )
            } else {
                let start = offset_of(text, e.span.start.line, e.span.start.col);
                let end = offset_of(text, e.span.end.line, e.span.end.col).max(start);
                // An empty span is widened to the character there, so an editor has something to underline.
                let end =
                    if end == start { start + text[start..].chars().next().map_or(0, char::len_utf8) } else { end };
                (TextRange::new(start as u32, end as u32), format!("not a valid Bevy .meta (RON): {}", e.code))
            };
            meta.problems.push(MetaProblem { code: Code::InvalidMeta, range, message });
        }
    }
    meta
}

/// Whether the text reads as a TOML document that says something (a key),
/// the shape of an Assetry `.meta`.
fn looks_like_toml(text: &str) -> bool {
    text.parse::<toml::Table>().is_ok_and(|t| !t.is_empty())
}

/// The byte offset of RON's 1-based line and column (columns count characters).
fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut at = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let within = l.char_indices().nth(col.saturating_sub(1)).map_or(l.len(), |(b, _)| b);
            return at + within;
        }
        at += l.len();
    }
    text.len()
}

/// The range of a string value's contents, found by its text.
fn find_value(text: &str, value: &str) -> TextRange {
    let quoted = format!("\"{value}\"");
    text.find(&quoted).map_or(TextRange::EMPTY, |i| TextRange::new(i as u32 + 1, (i + 1 + value.len()) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bevy_meta_files_read() {
        let m = parse(
            "(\n    meta_format_version: \"1.0\",\n    asset: Load(\n        loader: \"bevy_image::image_loader::ImageLoader\",\n        settings: (\n            format: FromExtension,\n            is_srgb: true,\n            sampler: Default,\n        ),\n    ),\n)\n",
        );
        assert_eq!(m.problems, []);
        assert_eq!(m.loader.as_deref(), Some("bevy_image::image_loader::ImageLoader"));
        let m = parse("(meta_format_version: \"1.0\", asset: Process(processor: \"P\", settings: (a: 1)))");
        assert_eq!((m.problems.len(), m.processor.as_deref()), (0, Some("P")));
        let m = parse("(meta_format_version: \"1.0\", asset: Ignore, processed_info: Some((hash: 1)))");
        assert_eq!(m.problems, []);
    }

    #[test]
    fn problems_are_placed() {
        let text = "(meta_format_version: \"1.0\", asset: Lod(loader: \"x\", settings: ()))";
        let m = parse(text);
        assert_eq!(m.problems.len(), 1, "{:?}", m.problems);
        assert!(m.problems[0].message.starts_with("not a valid Bevy .meta"), "{}", m.problems[0].message);
        let m = parse("id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n");
        assert!(m.problems[0].message.contains("TOML"), "{}", m.problems[0].message);
        assert_eq!(m.problems[0].range, TextRange::new(0, 43));
        let m = parse("(meta_format_version: \"2.0\", asset: Ignore)");
        assert_eq!(m.problems[0].range, TextRange::new(23, 26));
    }
}
