//! Reference extraction: from one file's text to the string literals that
//! are (or may be) asset references, each with the exact byte range of its
//! contents. Extraction is pure and per-file: whether a data string is an
//! asset reference also depends on the project (its set of asset
//! extensions), which is decided at resolution time, so a change elsewhere
//! never forces a file to be re-parsed.

mod json;
mod literal;
mod ron;
mod rust;
mod toml;
mod wgsl;

use serde::Serialize;

use crate::text::TextRange;

pub use self::literal::{is_uuid, path_extension};
pub(crate) use self::ron::block_comment_end;
pub use self::rust::{BEVY_CODE_DEFAULTS, CodeApi, CodeDefaults, CodeLabel, CodeLinks};
pub use self::wgsl::{define_import_path, define_import_path_at, module_imports, wesl_imports};

/// How the parent needs the target (DESIGN.md, "Dependency kinds").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DepKind {
    /// Needed while processing the parent (shader `#import`).
    Build,
    /// Needed at run time before the parent is ready.
    Load,
    /// Loaded on demand; never blocks the parent and never forms a cycle.
    Weak,
}

impl DepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DepKind::Build => "build",
            DepKind::Load => "load",
            DepKind::Weak => "weak",
        }
    }

    /// Build and load edges take part in cycle detection; weak ones never do.
    pub fn blocks(self) -> bool {
        !matches!(self, DepKind::Weak)
    }
}

/// A string literal that may be an asset reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRef {
    /// The literal's contents, without quotes.
    pub range: TextRange,
    /// The decoded value.
    pub value: Box<str>,
    pub kind: DepKind,
    /// True where the syntax says "this is an asset" (`#import`, glTF `uri`,
    /// a `load("...")` call, `.meta` dependencies); false for a string in a
    /// data file, which is a reference only if it is a UUID or a path with an
    /// asset extension.
    pub explicit: bool,
    /// Resolved against the referencing file's folder even without `./`
    /// (glTF URIs, as the glTF spec says).
    pub file_relative: bool,
}

/// What kind of text a file holds, which decides how it is scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    Json,
    Gltf,
    Ron,
    Toml,
    Wgsl,
    Rust,
    /// A binary glTF (Bevy projects only): its JSON chunk is read for labels.
    Glb,
    /// A WESL shader (Bevy projects only): its `import package::…` / `super::…`.
    Wesl,
}

impl Syntax {
    /// The syntax of a file inside an asset root, by its name; `None` for
    /// binary assets, which are never read.
    pub fn of_asset(file_name: &str) -> Option<Syntax> {
        let ext = file_name.rsplit_once('.')?.1;
        [
            ("json", Syntax::Json),
            ("gltf", Syntax::Gltf),
            ("ron", Syntax::Ron),
            ("toml", Syntax::Toml),
            ("wgsl", Syntax::Wgsl),
        ]
        .into_iter()
        .find(|(e, _)| ext.eq_ignore_ascii_case(e))
        .map(|(_, s)| s)
    }
}

/// Where a data file stops being valid JSON, RON or TOML, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// The offending bytes (empty at the end of the text when it ends too soon).
    pub range: TextRange,
    pub message: Box<str>,
}

impl SyntaxError {
    fn at(start: usize, end: usize, message: impl Into<Box<str>>) -> Self {
        SyntaxError { range: TextRange::new(start as u32, end as u32), message: message.into() }
    }
}

/// What extraction found in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// The candidate references; when the text has a syntax error, only
    /// those before it (what follows an error cannot be read reliably).
    pub refs: Vec<RawRef>,
    /// The first syntax error of a data file; game code and shaders are
    /// not validated (their compilers do that).
    pub error: Option<SyntaxError>,
    /// Why the file was not read at all (larger than its kind's limit).
    pub skipped: Option<Box<str>>,
}

/// Extracts candidate references from `text`. `code` names the places in
/// game code that take asset paths (Rust only).
pub fn extract(syntax: Syntax, text: &str, code: &CodeApi) -> Extracted {
    match syntax {
        Syntax::Json => json::extract(text, false),
        Syntax::Gltf | Syntax::Glb => json::extract(text, true),
        Syntax::Ron => ron::extract(text),
        Syntax::Toml => toml::extract(text),
        Syntax::Wgsl => Extracted { refs: wgsl::extract(text), ..Extracted::default() },
        Syntax::Rust => extract_code(text, code).0,
        Syntax::Wesl => Extracted { refs: wgsl::wesl_imports(text), ..Extracted::default() },
    }
}

/// Larger game-code files are not parsed (REFERENCE.md, `unreadable-file`):
/// the largest hand-written file of Bevy's repository is 0.2 MB.
pub const MAX_CODE_BYTES: usize = 1 << 20;

/// Extracts a game-code file's references, and how they relate to consts
/// other files may use. A file too costly to parse (its parses ran past a
/// work budget proportional to its length) yields nothing but the reason,
/// in `skipped`.
pub fn extract_code(text: &str, code: &CodeApi) -> (Extracted, Option<Box<CodeLinks>>) {
    if text.len() > MAX_CODE_BYTES {
        let skipped = format!(
            "larger than the {} MiB Assetry reads in a game-code file ({} bytes): code this large is generated \
             data, and its syntax tree would cost up to 128 times that; its references were not checked",
            MAX_CODE_BYTES >> 20,
            text.len()
        );
        return (Extracted { skipped: Some(skipped.into()), ..Extracted::default() }, None);
    }
    match rust::extract(text, code) {
        Ok((refs, links)) => (Extracted { refs, ..Extracted::default() }, links),
        Err(rust::TooCostly) => (Extracted { skipped: Some(rust::TOO_COSTLY.into()), ..Extracted::default() }, None),
    }
}

/// Keeps a data-file string only if it could be a reference: a UUID or a
/// path whose last segment has an extension. The final decision (is the
/// extension an asset extension?) is made at resolution.
fn data_candidate(range: TextRange, value: String) -> Option<RawRef> {
    if !is_uuid(&value) && path_extension(&value).is_none() {
        return None;
    }
    Some(RawRef { range, value: value.into_boxed_str(), kind: DepKind::Load, explicit: false, file_relative: false })
}

/// [`data_candidate`] for a string with nothing to decode: copied only
/// when it is a candidate.
fn data_candidate_str(range: TextRange, value: &str) -> Option<RawRef> {
    if !is_uuid(value) && path_extension(value).is_none() {
        return None;
    }
    Some(RawRef { range, value: value.into(), kind: DepKind::Load, explicit: false, file_relative: false })
}
