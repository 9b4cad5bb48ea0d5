//! `assetry.toml` as the editor sees it: whether it is valid, and if not, an
//! `invalid-config` diagnostic on the file itself.
//!
//! The engine keeps its last good configuration when the file turns invalid
//! and has no way to say so; the server reads the file before handing a
//! change of it to the engine, so a typo is shown where it is (not only in a
//! log) and a half-typed file never costs a rescan.

use std::path::Path;

use assetry_pipeline::Config;
use assetry_pipeline::config::CONFIG_FILE;
use tower_lsp_server::ls_types::{Diagnostic, DiagnosticSeverity, NumberOrString, Position, Range};

/// The diagnostic code of an invalid `assetry.toml` (LSP only: `assetry
/// check` exits with status 2 instead).
pub const INVALID_CONFIG: &str = "invalid-config";

/// Why `assetry.toml` cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The error without `toml`'s source excerpt (the range shows the place).
    pub message: String,
    /// The line the error names, when it names one; else 0:0.
    pub range: Range,
}

impl ConfigProblem {
    /// One line for a `window/showMessage`: the first line of the message and
    /// where it is.
    pub fn summary(&self) -> String {
        let first = self.message.lines().next().unwrap_or_default();
        if self.range == Range::default() {
            first.to_owned()
        } else {
            format!("line {}: {first}", self.range.start.line + 1)
        }
    }

    pub fn diagnostic(&self) -> Diagnostic {
        Diagnostic {
            range: self.range,
            severity: Some(DiagnosticSeverity::ERROR),
            code: Some(NumberOrString::String(INVALID_CONFIG.to_owned())),
            source: Some("assetry".into()),
            message: self.message.clone(),
            ..Default::default()
        }
    }
}

/// Reads and checks `<root>/assetry.toml` as `Config::load` does (a missing
/// file means the defaults), keeping the text so the error's line and column
/// can be turned into an LSP range.
pub fn read(root: &Path) -> Result<Config, ConfigProblem> {
    let path = root.join(CONFIG_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => {
            return Err(ConfigProblem { message: format!("cannot read {CONFIG_FILE}: {e}"), range: Range::default() });
        }
    };
    Config::parse(&text).map_err(|message| problem(&text, &message))
}

/// An error message of `Config::parse` as a problem. `toml` names the place
/// as "line N, column M" (1-based, M in characters) and underlines the
/// offending span with `^` under a copy of the line; both are used for the
/// range, then left out of the message.
pub fn problem(text: &str, message: &str) -> ConfigProblem {
    let range = line_and_column(message).and_then(|(line, column)| {
        let content = text.split('\n').nth(line.checked_sub(1)?)?.trim_end_matches('\r');
        let start = utf16_len(content.chars().take(column.saturating_sub(1)));
        let width = carets(message).max(1);
        let end = utf16_len(content.chars().take(column.saturating_sub(1) + width));
        let line = u32::try_from(line - 1).ok()?;
        Some(Range::new(Position::new(line, start), Position::new(line, end.max(start))))
    });
    ConfigProblem { message: without_excerpt(message), range: range.unwrap_or_default() }
}

fn utf16_len(chars: impl Iterator<Item = char>) -> u32 {
    chars.map(|c| c.len_utf16() as u32).sum()
}

/// The first "line N, column M" in `message`.
fn line_and_column(message: &str) -> Option<(usize, usize)> {
    let at = message.find("line ")?;
    let rest = &message[at + "line ".len()..];
    let (line, rest) = rest.split_once(", column ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

/// How many `^` underline the span in `toml`'s excerpt (0 when there is none).
fn carets(message: &str) -> usize {
    message.lines().filter(|l| is_gutter(l)).map(|l| l.matches('^').count()).max().unwrap_or(0)
}

/// A line of `toml`'s excerpt: `  |`, `3 | text`, or `  |   ^^^`.
fn is_gutter(line: &str) -> bool {
    let rest = line.trim_start().trim_start_matches(|c: char| c.is_ascii_digit());
    rest.starts_with(" |") || rest.starts_with('|')
}

fn without_excerpt(message: &str) -> String {
    let kept: Vec<&str> =
        message.lines().filter(|l| !l.starts_with("TOML parse error at line ") && !is_gutter(l)).collect();
    let kept = kept.join("\n");
    let kept = kept.trim();
    if kept.is_empty() { message.trim().to_owned() } else { kept.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_problem(text: &str) -> ConfigProblem {
        let message = Config::parse(text).expect_err("invalid config");
        problem(text, &message)
    }

    #[test]
    fn an_unknown_key_is_underlined_on_its_line() {
        let p = parse_problem("[project]\nroots = [\"a\"]\nrots = [\"b\"]\n");
        assert_eq!(p.range, Range::new(Position::new(2, 0), Position::new(2, 4)));
        assert!(p.message.starts_with("unknown field `rots`"), "{}", p.message);
        assert!(!p.message.contains('|'), "the excerpt is left out: {}", p.message);
        assert_eq!(p.summary().lines().count(), 1);
        assert!(p.summary().starts_with("line 3: unknown field `rots`"), "{}", p.summary());
    }

    #[test]
    fn text_that_is_not_toml_names_its_line() {
        let p = parse_problem("[project]\nroots = [\"a\"]\nthis is not toml\n");
        assert_eq!(p.range.start.line, 2, "{p:?}");
        // An unclosed array runs on to the next table header.
        let p = parse_problem("[project]\nroots = [\"a\"\n\n[reload\n");
        assert_eq!(p.range.start.line, 3, "{p:?}");
        let p = parse_problem("# ok\n[reload\naddress = 1\n");
        assert_eq!(p.range.start.line, 1, "{p:?}");
    }

    #[test]
    fn columns_are_utf16_code_units() {
        // "é" is one character, one UTF-16 unit, two bytes; "𝄞" is two units.
        let p = parse_problem("[project]\nroots = [\"é𝄞\"]\nrots = 1\n# é\n");
        assert_eq!(p.range, Range::new(Position::new(2, 0), Position::new(2, 4)));
        let p = parse_problem("[profiles.\"𝄞\"]\nbogus = 1\n");
        assert_eq!(p.range.start, Position::new(1, 0), "{p:?}");
    }

    #[test]
    fn an_error_without_a_line_sits_at_the_start() {
        let p = parse_problem("[project]\nroots = []\n");
        assert_eq!(p.range, Range::default());
        assert!(p.message.contains("project.roots is empty"), "{}", p.message);
        assert_eq!(p.summary(), p.message);
    }

    #[test]
    fn a_message_naming_a_line_past_the_text_is_not_trusted() {
        let p = problem("a = 1\n", "TOML parse error at line 9, column 3\nboom");
        assert_eq!(p.range, Range::default());
        assert_eq!(p.message, "boom");
    }
}
