//! `scene`: JSON and RON data files. The source is validated by the real
//! parser (an error at its line and column), every reference that resolves
//! is replaced by its target's id (a label's own id for `path#Label`), so
//! the game and tools see stable ids only, and the result is minified. A
//! reference that does not resolve fails the asset at that reference.
//!
//! In a Bevy project references stay paths: Bevy knows an asset by its path
//! (its `.meta` files hold no id), so the output keeps what the source says,
//! checked and minified.

use super::{Input, Problem, minify::minify};
use crate::project::Resolution;
use crate::text::TextRange;

pub(super) fn process(input: &Input<'_>) -> Result<Vec<u8>, Problem> {
    let text = std::str::from_utf8(&input.bytes).map_err(|e| {
        let at = e.valid_up_to() as u32;
        Problem::at("not UTF-8 text", TextRange::new(at, at + 1))
    })?;
    let ron = input.source.extension().is_some_and(|e| e.eq_ignore_ascii_case("ron"));
    if ron {
        validate_ron(text)?
    } else {
        validate_json(text)?
    }
    let replaced = replace_references(input, text)?;
    Ok(minify(&replaced).into_bytes())
}

fn validate_json(text: &str) -> Result<(), Problem> {
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map(|_| ())
        .map_err(|e| Problem::at(format!("invalid JSON: {e}"), point(text, e.line(), e.column())))
}

fn validate_ron(text: &str) -> Result<(), Problem> {
    ron::Options::default()
        .from_str::<ron::Value>(text)
        .map(|_| ())
        .map_err(|e| Problem::at(format!("invalid RON: {}", e.code), point(text, e.span.start.line, e.span.start.col)))
}

/// A 1-based line and column (in characters) as a byte range of one character.
fn point(text: &str, line: usize, column: usize) -> TextRange {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let rest = &text[line_start.min(text.len())..];
    let col = rest.char_indices().nth(column.saturating_sub(1)).map_or(rest.len(), |(i, _)| i);
    let at = (line_start + col).min(text.len()) as u32;
    TextRange::new(at, (at + 1).min(text.len() as u32).max(at))
}

fn replace_references(input: &Input<'_>, text: &str) -> Result<String, Problem> {
    let project = input.project;
    let Some(file) = project.file(input.asset) else {
        return Err(Problem::new("the asset left the project while it was processed"));
    };
    let mut out = String::with_capacity(text.len());
    let mut at = 0usize;
    let mut edits: Vec<(TextRange, String)> = Vec::new();
    let by_path = project.config().flavor == crate::flavor::Flavor::Bevy;
    for (r, res) in file.refs().iter().zip(file.resolutions()) {
        let id = match res {
            Resolution::NotReference => continue,
            // Bevy loads by path: the reference resolves, and stays as written.
            Resolution::Asset { .. } if by_path => continue,
            Resolution::Asset { target, label } => {
                let label_id = label.and_then(|l| project.meta_of(*target)?.1.labels.get(l as usize)?.id);
                match label.map_or_else(|| project.asset_id(*target), |_| label_id) {
                    Some(id) => id,
                    None => {
                        return Err(Problem::at(
                            format!("`{}` has no id (its .meta is missing or invalid)", r.value),
                            r.range,
                        ));
                    }
                }
            }
            _ => return Err(Problem::at(format!("`{}` does not resolve to an asset", r.value), r.range)),
        };
        edits.push((r.range, id.hyphenated().to_string()));
    }
    edits.sort_by_key(|(r, _)| r.start);
    for (range, id) in edits {
        let (s, e) = (range.start as usize, range.end as usize);
        // The project parsed this very text unless the file changed since.
        if s < at || text.get(s..e).is_none() || text.as_bytes().get(s.wrapping_sub(1)) != Some(&b'"') {
            return Err(Problem::new("the file changed while it was processed; it will be processed again"));
        }
        out.push_str(&text[at..s]);
        out.push_str(&id);
        at = e;
    }
    out.push_str(&text[at..]);
    Ok(out)
}
