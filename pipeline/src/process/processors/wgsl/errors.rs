//! Composer and validator errors as the user reads them: a position in the
//! shader, and a message naming source text rather than naga's handles.

use naga_oil::compose::{Composer, ComposerError};

use super::Problem;
use crate::text::TextRange;

/// A composer error in the shader itself, at its line and column: the
/// preprocessor keeps lines and columns of code lines, so a position in the
/// composed source is the same line and column in the file.
pub(super) fn problem(e: &ComposerError, composer: &Composer, text: &str, path: &str) -> Problem {
    use naga_oil::compose::ComposerErrorInner as E;
    let report = e.emit_to_string(composer);
    let message = report_message(&report);
    if e.source.path(composer) != path {
        return Problem::new(format!("in an imported module: {message}"));
    }
    let processed = e.source.source(composer);
    let offset = e.source.offset();
    // A validation error's spans go from the function to the expression at
    // fault, its sources from the general to the precise: the last of each.
    let message = match &e.inner {
        E::ShaderValidationError(v) | E::HeaderValidationError(v) => {
            let mut inner: &dyn std::error::Error = v.as_inner();
            while let Some(next) = inner.source() {
                inner = next;
            }
            format!("invalid shader: {inner}")
        }
        _ => message,
    };
    let span = match &e.inner {
        E::ShaderValidationError(v) | E::HeaderValidationError(v) => v.spans().filter_map(|(s, _)| s.to_range()).last(),
        E::WgslParseError(p) => p.labels().next().and_then(|(s, _)| s.to_range()),
        E::ImportNotFound(_, pos) | E::ImportParseError(_, pos) => Some(*pos..*pos),
        _ => None,
    };
    let Some(span) = span else { return Problem::new(message) };
    // naga_oil keeps a module index above bit 21 of every span (its SPAN_SHIFT).
    let mask = (1usize << 21) - 1;
    let start = (span.start & mask).saturating_sub(offset).min(processed.len());
    let before = &processed[..start];
    let line = before.matches('\n').count();
    let column = before.rsplit('\n').next().map_or(0, str::len);
    let line_start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let at = (line_start + column).min(text.len());
    let len = (span.end & mask).saturating_sub(span.start & mask).max(1);
    let end = (at + len).min(text.lines().nth(line).map_or(text.len(), |l| line_start + l.len()));
    Problem::at(message, TextRange::new(at as u32, end.max(at) as u32))
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
