//! Composer and validator errors as the user reads them: a position in the
//! shader, and a message naming source text rather than naga's handles.

use naga_oil::compose::{Composer, ComposerError};

use super::Problem;
use crate::text::TextRange;

/// naga_oil keeps a module index above bit 21 of every span (its SPAN_SHIFT).
const SPAN_MASK: usize = (1 << 21) - 1;

/// A composer error in the shader itself, at its line and column: the
/// preprocessor keeps lines and columns of code lines, so a position in the
/// composed source is the same line and column in the file. One in an
/// imported module names that module.
pub(super) fn problem(e: &ComposerError, composer: &Composer, text: &str, path: &str) -> Problem {
    use naga_oil::compose::ComposerErrorInner as E;
    let processed = e.source.source(composer);
    let offset = e.source.offset();
    // A span in the preprocessed source of the module at fault.
    let local = |r: std::ops::Range<usize>| {
        let start = floor_char((r.start & SPAN_MASK).saturating_sub(offset), &processed);
        let end = floor_char((r.end & SPAN_MASK).saturating_sub(offset), &processed).max(start);
        start..end
    };
    let message = match &e.inner {
        // A validation error's spans go from the function to the
        // expression at fault: the text of the last is what is wrong.
        E::ShaderValidationError(v) | E::HeaderValidationError(v) => {
            let spans: Vec<_> = v.spans().filter_map(|(s, _)| s.to_range()).map(local).collect();
            let snippet = spans.last().and_then(|r| processed.get(r.clone()));
            let function = match v.as_inner() {
                naga::valid::ValidationError::Function { .. } | naga::valid::ValidationError::EntryPoint { .. } => {
                    spans.first().and_then(|r| processed.get(r.clone()))
                }
                _ => None,
            };
            format!("invalid shader: {}", super::readable::message(v.as_inner(), snippet, function))
        }
        _ => report_message(&e.emit_to_string(composer)),
    };
    if e.source.path(composer) != path {
        return match &e.source {
            naga_oil::compose::ErrSource::Module { name, .. } => Problem::new(format!("in module `{name}`: {message}")),
            _ => Problem::new(format!("in an imported module: {message}")),
        };
    }
    let span = match &e.inner {
        E::ShaderValidationError(v) | E::HeaderValidationError(v) => v.spans().filter_map(|(s, _)| s.to_range()).last(),
        E::WgslParseError(p) => p.labels().next().and_then(|(s, _)| s.to_range()),
        E::ImportNotFound(_, pos) | E::ImportParseError(_, pos) => Some(*pos..*pos),
        _ => None,
    };
    let Some(span) = span else { return Problem::new(message) };
    let span = local(span);
    let before = &processed[..span.start];
    let line = before.matches('\n').count();
    let column = before.rsplit('\n').next().map_or(0, str::len);
    let line_start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let at = floor_char((line_start + column).min(text.len()), text);
    let len = span.len().max(1);
    let line_end = text.lines().nth(line).map_or(text.len(), |l| line_start + l.len());
    let end = floor_char((at + len).min(line_end), text).max(at);
    Problem::at(message, TextRange::new(at as u32, end as u32))
}

/// `i` moved down to a character boundary of `s` (and into it).
fn floor_char(i: usize, s: &str) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The headline of a codespan report: `error: …` plus its primary label.
pub(super) fn report_message(report: &str) -> String {
    let head = report.lines().find_map(|l| l.trim().strip_prefix("error: ")).unwrap_or_else(|| report.trim());
    let label = report.lines().find_map(|l| {
        let l = l.trim_start();
        let rest = l.split_once('│').map(|(_, r)| r.trim())?;
        rest.starts_with('^').then(|| rest.trim_start_matches('^').trim().to_owned())
    });
    match label {
        Some(label) if !label.is_empty() && !head.contains(&label) => format!("{head}: {label}"),
        _ => head.to_owned(),
    }
}
