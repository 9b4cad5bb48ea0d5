//! `assetry.toml` as the editor sees it: whether it is valid, and if not, the
//! engine's `invalid-config` finding on the file itself.
//!
//! The engine keeps its last good configuration when the file turns invalid;
//! the server reads the file before handing a change of it to the engine, so
//! a typo is shown where it is (not only in a log) and a half-typed file
//! never costs a rescan. What is wrong, and where, is the engine's answer
//! (`Config::parse`); only the conversion to LSP positions happens here.

use std::path::Path;

use assetry_pipeline::config::{CONFIG_FILE, ConfigProblem as EngineProblem};
use assetry_pipeline::{Code, Config, LineIndex, TextRange};
use tower_lsp_server::ls_types::{Diagnostic, DiagnosticSeverity, NumberOrString, Range};

use super::convert;

/// Why `assetry.toml` cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The engine's message.
    pub message: String,
    /// The place the engine names; else 0:0.
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
            code: Some(NumberOrString::String(Code::InvalidConfig.as_str().to_owned())),
            source: Some("assetry".into()),
            message: self.message.clone(),
            ..Default::default()
        }
    }
}

/// Reads and checks `<root>/assetry.toml` as `Config::load` does (a missing
/// file means the defaults), keeping the text so the problem's byte range
/// can be turned into an LSP range.
pub fn read(root: &Path) -> Result<Config, ConfigProblem> {
    let path = root.join(CONFIG_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default().in_project(root)),
        Err(e) => {
            return Err(ConfigProblem { message: format!("cannot read {CONFIG_FILE}: {e}"), range: Range::default() });
        }
    };
    Config::parse_in(&text, root).map_err(|p| problem(&text, &p))
}

/// The engine's problem in `text`, with LSP positions.
pub fn problem(text: &str, problem: &EngineProblem) -> ConfigProblem {
    let range = problem.range.map_or_else(Range::default, |r| {
        let r = TextRange::new(r.start.min(text.len() as u32), r.end.min(text.len() as u32));
        convert::range(&LineIndex::new(text), r)
    });
    ConfigProblem { message: problem.message.clone(), range }
}

#[cfg(test)]
mod tests {
    use tower_lsp_server::ls_types::Position;

    use super::*;

    fn parse_problem(text: &str) -> ConfigProblem {
        problem(text, &Config::parse(text).expect_err("invalid config"))
    }

    #[test]
    fn an_unknown_key_is_underlined_on_its_line() {
        let p = parse_problem("[project]\nroots = [\"a\"]\nrots = [\"b\"]\n");
        assert_eq!(p.range, Range::new(Position::new(2, 0), Position::new(2, 4)));
        assert!(p.message.starts_with("unknown field `rots`"), "{}", p.message);
        assert!(!p.message.contains('|'), "no excerpt of the text: {}", p.message);
        assert_eq!(p.summary().lines().count(), 1);
        assert!(p.summary().starts_with("line 3: unknown field `rots`"), "{}", p.summary());
        assert_eq!(p.diagnostic().code, Some(NumberOrString::String("invalid-config".into())));
    }

    #[test]
    fn text_that_is_not_toml_names_its_line() {
        let p = parse_problem("[project]\nroots = [\"a\"]\nthis is not toml\n");
        assert_eq!(p.range.start.line, 2, "{p:?}");
        let p = parse_problem("# ok\n[reload\naddress = 1\n");
        assert_eq!(p.range.start.line, 1, "{p:?}");
    }

    #[test]
    fn columns_are_utf16_code_units() {
        // "é" is one UTF-16 unit and two bytes; "𝄞" is two units and four bytes.
        let p = parse_problem("[project]\nroots = [\"é𝄞\", \"é𝄞/../../x\"]\n");
        assert_eq!(p.range, Range::new(Position::new(1, 17), Position::new(1, 28)));
        let p = parse_problem("[project]\nroots = [\"é𝄞\"]\nrots = 1\n# é\n");
        assert_eq!(p.range, Range::new(Position::new(2, 0), Position::new(2, 4)));
    }

    #[test]
    fn an_error_without_a_place_sits_at_the_start() {
        let p = parse_problem("[project]\nroots = []\n");
        assert_eq!(p.range, Range::default());
        assert!(p.message.contains("project.roots is empty"), "{}", p.message);
        assert_eq!(p.summary(), p.message);
    }
}
