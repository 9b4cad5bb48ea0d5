//! Diagnostics as plain data: a problem in the user's project is a value with
//! a stable code, a severity, a file, an exact byte range and a message.

use serde::Serialize;

use crate::text::TextRange;

/// The stable diagnostic codes of the user-facing contract (DESIGN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    BrokenPath,
    UnknownId,
    UnknownLabel,
    CaseMismatch,
    Cycle,
    DuplicateId,
    InvalidMeta,
    UnknownMetaKey,
    MissingMeta,
    OrphanMeta,
    PathEscapesRoot,
    ProcessingFailed,
    PreferId,
    /// Not in the brief's table: a file Assetry could not read or decode
    /// (permission denied, invalid UTF-8 in a text format, too large). Its
    /// references are not checked, and the user is told so.
    UnreadableFile,
    /// Not in the brief's table: `assetry.toml` cannot be used (not TOML, an
    /// unknown key, a bad value, roots inside one another, a profile
    /// inheriting from itself), an error; or names an asset root that does
    /// not exist, a warning.
    InvalidConfig,
    /// Not in the brief's table: a JSON, glTF, RON or TOML data file that
    /// its format's parser would reject. The references before the error
    /// are still checked; those after it are not read.
    InvalidSyntax,
}

impl Code {
    pub const ALL: [Code; 16] = [
        Code::BrokenPath,
        Code::UnknownId,
        Code::UnknownLabel,
        Code::CaseMismatch,
        Code::Cycle,
        Code::DuplicateId,
        Code::InvalidMeta,
        Code::UnknownMetaKey,
        Code::MissingMeta,
        Code::OrphanMeta,
        Code::PathEscapesRoot,
        Code::ProcessingFailed,
        Code::PreferId,
        Code::UnreadableFile,
        Code::InvalidConfig,
        Code::InvalidSyntax,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::BrokenPath => "broken-path",
            Code::UnknownId => "unknown-id",
            Code::UnknownLabel => "unknown-label",
            Code::CaseMismatch => "case-mismatch",
            Code::Cycle => "cycle",
            Code::DuplicateId => "duplicate-id",
            Code::InvalidMeta => "invalid-meta",
            Code::UnknownMetaKey => "unknown-meta-key",
            Code::MissingMeta => "missing-meta",
            Code::OrphanMeta => "orphan-meta",
            Code::PathEscapesRoot => "path-escapes-root",
            Code::ProcessingFailed => "processing-failed",
            Code::PreferId => "prefer-id",
            Code::UnreadableFile => "unreadable-file",
            Code::InvalidConfig => "invalid-config",
            Code::InvalidSyntax => "invalid-syntax",
        }
    }

    /// The code named `name` (`broken-path`), if any.
    pub fn parse(name: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == name)
    }

    pub fn severity(self) -> Severity {
        match self {
            Code::UnknownMetaKey | Code::MissingMeta | Code::OrphanMeta | Code::UnreadableFile => Severity::Warning,
            Code::PreferId => Severity::Hint,
            _ => Severity::Error,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Hint => "hint",
        }
    }
}

/// Another place that explains a diagnostic (the next hop of a cycle, the
/// other owner of a duplicated id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Related {
    /// Project-relative, `/`-separated.
    pub path: String,
    pub range: TextRange,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Diagnostic {
    /// Project-relative, `/`-separated path of the file the diagnostic is in.
    pub path: String,
    /// Byte range in that file's text (empty at 0 for whole-file findings).
    pub range: TextRange,
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn new(code: Code, path: &str, range: TextRange, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_owned(),
            range,
            code,
            severity: code.severity(),
            message: message.into(),
            related: Vec::new(),
        }
    }

    /// The same finding with another severity, for a code that has more
    /// than one (an `invalid-config` that does not stop the project).
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn with_related(mut self, related: Vec<Related>) -> Self {
        self.related = related;
        self
    }
}

/// The complete, current diagnostics of one file (empty: the file is clean).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiagnostics {
    pub path: String,
    pub diagnostics: Vec<Diagnostic>,
}
