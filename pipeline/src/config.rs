//! `assetry.toml`: every key optional, unknown keys rejected with the line
//! they are on, so a typo is never silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::flavor::{Flavor, MetaSyntax};
use crate::text::{LineIndex, TextRange};

use crate::extract::{BEVY_CODE_DEFAULTS, CodeApi};

pub const CONFIG_FILE: &str = "assetry.toml";

/// Extensions that are asset extensions even when no `.meta` in the project
/// carries them (DESIGN.md, "References").
pub const BUILTIN_ASSET_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "ktx2", "dds", "tga", "gltf", "glb", "obj", "wgsl", "glsl", "hlsl", "ogg", "wav", "mp3",
    "flac", "json", "ron", "toml", "ttf", "otf",
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read `{path}`: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// `at` is "line L, column C: " (1-based, columns in UTF-16 units) when
    /// the problem has a place.
    #[error("`{path}` is not a valid Assetry configuration:\n{at}{}", problem.message)]
    Invalid { path: PathBuf, problem: ConfigProblem, at: String },
}

/// Why an `assetry.toml` cannot be used, and where: the engine's
/// `invalid-config` finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// What is wrong, without `toml`'s excerpt of the text (the range shows the place).
    pub message: String,
    /// Byte range in the file's text: the offending key or value (a string's
    /// contents, without quotes), or `None` when the problem has no one place.
    pub range: Option<TextRange>,
}

impl ConfigProblem {
    fn at(message: impl Into<String>, range: Option<TextRange>) -> ConfigProblem {
        ConfigProblem { message: message.into(), range }
    }

    /// The problem as an `invalid-config` error on `assetry.toml` (at its
    /// start when it has no place), as the editor shows it.
    pub fn diagnostic(&self) -> Diagnostic {
        Diagnostic::new(Code::InvalidConfig, CONFIG_FILE, self.range.unwrap_or_default(), self.message.clone())
    }

    /// "line L, column C: " for a message on the command line, from the text
    /// the problem was found in ("" when it has no place).
    pub fn place(&self, text: &str) -> String {
        match self.range {
            Some(r) => {
                let p = LineIndex::new(text).position(r.start);
                format!("line {}, column {}: ", p.line + 1, p.character + 1)
            }
            None => String::new(),
        }
    }
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The project configuration with every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Asset roots, project-relative and `/`-separated, e.g. `assets`; none
    /// inside another, at most [`MAX_ROOTS`].
    pub roots: Vec<String>,
    /// Folders scanned for game code (`load("...")` calls).
    pub code: Vec<String>,
    /// Gitignore-style globs ignored in addition to `.gitignore`.
    pub ignore: Vec<String>,
    /// Function or method names whose first string argument is an asset path.
    pub code_calls: Vec<String>,
    /// The other places in game code that take asset paths (see [`CodeApi`]).
    pub code_constructors: Vec<String>,
    pub code_attributes: Vec<String>,
    pub code_returns: Vec<String>,
    pub code_folder_calls: Vec<String>,
    /// Whether the `prefer-id` hint is reported (off by default).
    pub prefer_id: bool,
    pub profiles: BTreeMap<String, Profile>,
    pub processors: BTreeMap<String, ExternalProcessor>,
    pub reload_address: String,
    /// Whether `[reload] address` was written: the language server serves
    /// hot reload only then (`assetry watch` always does).
    pub reload_set: bool,
    /// Which conventions the project follows, and why (for `check`'s summary
    /// and the server's log).
    pub flavor: Flavor,
    pub flavor_reason: String,
    /// Whether every asset must have a `.meta` (`missing-meta`).
    pub meta_required: bool,
    /// How `.meta` files are read.
    pub meta_syntax: MetaSyntax,
    /// Whether fixes may write ids (UUIDs) into references.
    pub fix_writes_ids: bool,
    /// Asset sources (`name://path`) mapped to project folders.
    pub sources: BTreeMap<String, String>,
    /// Code files whose `AssetPlugin { file_path }` moves their asset root:
    /// file → the folder their loads resolve in (Bevy projects).
    pub code_roots: BTreeMap<String, String>,
    /// Severity per code from `[diagnostics]`; `None` turns the code off.
    pub severities: BTreeMap<Code, Option<Severity>>,
    /// What `assetry.toml` set itself, so the flavour's preset fills only the rest.
    pub(crate) explicit: Explicit,
}

/// The options a flavour presets, as written in `assetry.toml` (`None`: not written).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Explicit {
    flavor: Option<Flavor>,
    meta_required: Option<bool>,
    meta_syntax: Option<MetaSyntax>,
    fix_writes_ids: Option<bool>,
    code: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub inherits: Option<String>,
    #[serde(default)]
    pub settings: toml::Table,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalProcessor {
    pub command: Vec<String>,
    pub output_extension: Option<String>,
    /// Seconds before the tool's process group is killed (default 60).
    pub timeout: Option<f64>,
}

impl Default for Config {
    fn default() -> Self {
        let mut profiles = BTreeMap::new();
        profiles.insert("default".to_owned(), Profile::default());
        Config {
            roots: vec!["assets".to_owned()],
            code: vec!["src".to_owned()],
            ignore: Vec::new(),
            code_calls: BEVY_CODE_DEFAULTS.calls(),
            code_constructors: BEVY_CODE_DEFAULTS.constructors(),
            code_attributes: BEVY_CODE_DEFAULTS.attributes(),
            code_returns: BEVY_CODE_DEFAULTS.returns(),
            code_folder_calls: BEVY_CODE_DEFAULTS.folder_calls(),
            prefer_id: false,
            profiles,
            processors: BTreeMap::new(),
            reload_address: "127.0.0.1:7420".to_owned(),
            reload_set: false,
            flavor: Flavor::Assetry,
            flavor_reason: "the default: no `project.flavor`, and no Cargo.toml depends on Bevy".to_owned(),
            meta_required: true,
            meta_syntax: MetaSyntax::Toml,
            fix_writes_ids: true,
            sources: BTreeMap::new(),
            code_roots: BTreeMap::new(),
            severities: BTreeMap::new(),
            explicit: Explicit::default(),
        }
    }
}

/// The asset root index is a `u16` in every file's kind (4 bytes a file
/// instead of 8); a project with more roots is refused, never wrapped.
pub const MAX_ROOTS: usize = u16::MAX as usize + 1;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    project: RawProject,
    #[serde(default)]
    references: RawReferences,
    #[serde(default)]
    diagnostics: RawDiagnostics,
    #[serde(default)]
    profiles: BTreeMap<String, RawProfile>,
    #[serde(default)]
    processors: BTreeMap<String, ExternalProcessor>,
    #[serde(default)]
    reload: RawReload,
    #[serde(default)]
    meta: RawMeta,
    #[serde(default)]
    fix: RawFix,
    #[serde(default)]
    sources: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    required: Option<bool>,
    syntax: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFix {
    ids_in_code: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    inherits: Option<Spanned<String>>,
    #[serde(default)]
    settings: toml::Table,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProject {
    roots: Option<Vec<Spanned<String>>>,
    code: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    flavor: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReferences {
    code_calls: Option<Vec<Spanned<String>>>,
    code_constructors: Option<Vec<Spanned<String>>>,
    code_attributes: Option<Vec<Spanned<String>>>,
    code_returns: Option<Vec<Spanned<String>>>,
    code_folder_calls: Option<Vec<Spanned<String>>>,
}

/// `[diagnostics]`: `prefer_id = bool`, and `code = "error" | "warning" |
/// "hint" | "off"` for any diagnostic code.
type RawDiagnostics = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReload {
    address: Option<String>,
}

/// The root index is 16 bits wide. A file within [`MAX_CONFIG_BYTES`] cannot
/// name that many folders, but the index must never wrap whatever the limit.
fn check_root_count(roots: &[String], ranges: &[Option<TextRange>]) -> Result<(), ConfigProblem> {
    if roots.len() > MAX_ROOTS {
        return Err(ConfigProblem::at(
            format!("project.roots names {} folders; at most {MAX_ROOTS} are supported", roots.len()),
            ranges.get(MAX_ROOTS).copied().flatten(),
        ));
    }
    Ok(())
}

/// The largest `assetry.toml` Assetry parses: a configuration is a few
/// hundred bytes, and a parsed TOML document costs many times its text.
pub const MAX_CONFIG_BYTES: usize = 64 * 1024;

impl Config {
    /// Loads `<root>/assetry.toml`, or the defaults when there is none.
    pub fn load(project_root: &Path) -> Result<Config, ConfigError> {
        let path = project_root.join(CONFIG_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Config::parse_in(&text, project_root).map_err(|problem| {
                let at = problem.place(&text);
                ConfigError::Invalid { path, problem, at }
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default().in_project(project_root)),
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }

    /// [`Config::parse`], then the flavour decided for the project at
    /// `project_root` (its Cargo manifests, when `project.flavor` is not set).
    pub fn parse_in(text: &str, project_root: &Path) -> Result<Config, ConfigProblem> {
        Ok(Config::parse(text)?.in_project(project_root))
    }

    /// The flavour of the project at `project_root` applied: when
    /// `assetry.toml` does not name one, a Cargo manifest that depends on
    /// Bevy makes it a Bevy project; the flavour's preset then fills every
    /// option the file did not set.
    pub fn in_project(mut self, project_root: &Path) -> Config {
        let facts = crate::flavor::cargo_facts(project_root);
        if self.explicit.flavor.is_none()
            && let Some(file) = &facts.bevy_in
        {
            self.flavor = Flavor::Bevy;
            self.flavor_reason = format!("`{file}` depends on Bevy");
        }
        self.apply_preset();
        if self.flavor == Flavor::Bevy && !self.explicit.code {
            let mut code = facts.code_folders;
            if code.is_empty() {
                code = vec!["src".to_owned(), "examples".to_owned()];
            }
            let mut seen = std::collections::HashSet::new();
            code.retain(|c| seen.insert(c.clone()));
            self.code = code;
        }
        if self.flavor == Flavor::Bevy {
            self.add_code_roots(project_root);
        }
        self
    }

    /// `AssetPlugin { file_path }` folders: each code file's loads resolve
    /// there; a folder that is no asset root and holds none becomes one, so
    /// its files are known (at most [`MAX_ROOTS`]).
    fn add_code_roots(&mut self, project_root: &Path) {
        for (file, folder) in crate::asset_plugin::code_roots(project_root, &self.code) {
            if !project_root.join(&folder).is_dir() {
                continue;
            }
            let overlaps = self.roots.iter().any(|r| *r == folder || is_under(&folder, r) || is_under(r, &folder));
            if !overlaps && self.roots.len() < MAX_ROOTS {
                self.roots.push(folder.clone());
            }
            self.code_roots.insert(file, folder);
        }
    }

    /// Fills the options `assetry.toml` left out from the flavour's preset.
    fn apply_preset(&mut self) {
        let bevy = self.flavor == Flavor::Bevy;
        self.meta_required = self.explicit.meta_required.unwrap_or(!bevy);
        self.meta_syntax = self.explicit.meta_syntax.unwrap_or(if bevy { MetaSyntax::Ron } else { MetaSyntax::Toml });
        self.fix_writes_ids = self.explicit.fix_writes_ids.unwrap_or(!bevy);
        if self.flavor == Flavor::Bevy && !self.explicit.code && self.code == ["src"] {
            self.code = vec!["src".to_owned(), "examples".to_owned()];
        }
    }

    /// Whether edges of `kind` take part in cycles. In a Bevy project a
    /// load is a handle that never blocks its loader (a scene and the scene
    /// it loads may name each other, as Bevy's own processing example does),
    /// so only build edges (shader imports, composed at load) can deadlock.
    pub fn blocks(&self, kind: crate::extract::DepKind) -> bool {
        match self.flavor {
            Flavor::Bevy => kind == crate::extract::DepKind::Build,
            Flavor::Assetry => kind.blocks(),
        }
    }

    /// The severity of `code` in this project: `[diagnostics]`, else the
    /// code's own; `None` when the code is turned off.
    pub fn severity_of(&self, code: Code) -> Option<Severity> {
        match self.severities.get(&code) {
            Some(s) => *s,
            None => Some(code.severity()),
        }
    }

    /// Parses the text of an `assetry.toml`. The error names the offending
    /// key or value with its byte range: a typo, a value of the wrong type,
    /// a folder outside the project, roots inside one another, a glob that
    /// does not parse, a profile inheriting from itself, an empty call name.
    pub fn parse(text: &str) -> Result<Config, ConfigProblem> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(ConfigProblem::at(
                format!(
                    "assetry.toml is {} KiB; Assetry reads at most {} KiB of it",
                    text.len().div_ceil(1024),
                    MAX_CONFIG_BYTES / 1024
                ),
                None,
            ));
        }
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            // An empty span (a missing newline) is widened to the character
            // there, so an editor has something to underline.
            let range = e.span().map(|s| {
                let next = text.get(s.start..).and_then(|t| t.chars().next()).filter(|c| *c != '\n');
                let end = if s.is_empty() { s.start + next.map_or(0, char::len_utf8) } else { s.end };
                TextRange::new(s.start as u32, end as u32)
            });
            ConfigProblem::at(e.message().trim(), range)
        })?;
        let defaults = Config::default();
        let (roots, root_ranges) = match raw.project.roots {
            Some(roots) => {
                let (roots, ranges) = normalize_dirs(text, "project.roots", roots)?;
                (roots, ranges.into_iter().map(Some).collect())
            }
            None => (defaults.roots, vec![None]),
        };
        if roots.is_empty() {
            return Err(ConfigProblem::at("project.roots is empty: name at least one asset folder", None));
        }
        check_root_count(&roots, &root_ranges)?;
        if let Some(&(outer, inner)) = outermost(roots.iter().map(String::as_str)).1.first() {
            let at = roots.iter().position(|r| r == inner).and_then(|i| root_ranges[i]);
            return Err(ConfigProblem::at(
                format!(
                    "project.roots: `{inner}` is inside the root `{outer}`, so its files would be assets of both; \
                     keep one of them"
                ),
                at,
            ));
        }
        let explicit_code = raw.project.code.is_some();
        let code = match raw.project.code {
            Some(code) => normalize_dirs(text, "project.code", code)?.0,
            None => defaults.code,
        };
        let mut roots = roots;
        let sources = sources(text, raw.sources, &mut roots)?;
        let flavor = match &raw.project.flavor {
            Some(f) => Some(Flavor::parse(f.get_ref()).ok_or_else(|| {
                ConfigProblem::at(
                    format!("project.flavor: `{}` is not a flavour; use \"assetry\" or \"bevy\"", f.get_ref()),
                    Some(contents(text, f.span())),
                )
            })?),
            None => None,
        };
        let meta_syntax = match &raw.meta.syntax {
            Some(s) => Some(MetaSyntax::parse(s.get_ref()).ok_or_else(|| {
                ConfigProblem::at(
                    format!("meta.syntax: `{}` is not a .meta syntax; use \"toml\" or \"ron\"", s.get_ref()),
                    Some(contents(text, s.span())),
                )
            })?),
            None => None,
        };
        let (prefer_id, severities) = severities(text, &raw.diagnostics)?;
        let ignore: Vec<String> = raw.project.ignore.unwrap_or_default().into_iter().map(Spanned::into_inner).collect();
        if let Err(bad) = crate::rules::project_ignore(Path::new("/"), &ignore) {
            let range = raw_ignore_range(text, bad.index);
            return Err(ConfigProblem::at(format!("project.ignore: {}", bad.message), range));
        }
        let code_calls = match raw.references.code_calls {
            Some(calls) => {
                if let Some(empty) = calls.iter().find(|c| c.get_ref().trim().is_empty()) {
                    return Err(ConfigProblem::at(
                        "references.code_calls: an empty name matches no call; remove it",
                        Some(contents(text, empty.span())),
                    ));
                }
                calls.into_iter().map(Spanned::into_inner).collect()
            }
            None => defaults.code_calls,
        };
        let profiles = profiles(text, raw.profiles)?;
        for (name, processor) in &raw.processors {
            if processor.command.is_empty() {
                return Err(ConfigProblem::at(format!("processors.{name}.command is empty"), None));
            }
        }
        let prefer_id = prefer_id || severities.get(&Code::PreferId).is_some_and(Option::is_some);
        let mut config = Config {
            roots,
            code,
            ignore,
            code_calls,
            code_constructors: code_names(text, "code_constructors", raw.references.code_constructors)?
                .unwrap_or(defaults.code_constructors),
            code_attributes: code_names(text, "code_attributes", raw.references.code_attributes)?
                .unwrap_or(defaults.code_attributes),
            code_returns: code_names(text, "code_returns", raw.references.code_returns)?
                .unwrap_or(defaults.code_returns),
            code_folder_calls: code_names(text, "code_folder_calls", raw.references.code_folder_calls)?
                .unwrap_or(defaults.code_folder_calls),
            prefer_id,
            profiles,
            processors: raw.processors,
            reload_set: raw.reload.address.is_some(),
            reload_address: raw.reload.address.unwrap_or(defaults.reload_address),
            sources,
            severities,
            explicit: Explicit {
                flavor,
                meta_required: raw.meta.required,
                meta_syntax,
                fix_writes_ids: raw.fix.ids_in_code,
                code: explicit_code,
            },
            ..defaults
        };
        if let Some(f) = flavor {
            config.flavor = f;
            config.flavor_reason = "set by `project.flavor` in assetry.toml".to_owned();
        }
        config.apply_preset();
        Ok(config)
    }
}

/// `[sources]`: each custom asset source (`name://…`) mapped to a project
/// folder. A folder outside every asset root becomes a root of its own, so
/// its files are indexed; one that holds a root is refused (its files would
/// belong to both).
fn sources(
    text: &str,
    raw: BTreeMap<String, Spanned<String>>,
    roots: &mut Vec<String>,
) -> Result<BTreeMap<String, String>, ConfigProblem> {
    let mut out = BTreeMap::new();
    for (name, folder) in raw {
        if name.is_empty()
            || name == "embedded"
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || "+-._".contains(c))
        {
            return Err(ConfigProblem::at(
                format!("sources: `{name}` cannot name an asset source (letters, digits, `+-._`; not `embedded`)"),
                Some(contents(text, folder.span())),
            ));
        }
        let range = contents(text, folder.span());
        let (mut dirs, _) = normalize_dirs(text, &format!("sources.{name}"), vec![folder])?;
        let dir = dirs.pop().unwrap_or_default();
        if let Some(inner) = roots.iter().find(|r| is_under(r, &dir)) {
            return Err(ConfigProblem::at(
                format!("sources.{name}: `{dir}` holds the asset root `{inner}`; name a folder beside it"),
                Some(range),
            ));
        }
        if !roots.iter().any(|r| *r == dir || is_under(&dir, r)) {
            roots.push(dir.clone());
        }
        out.insert(name, dir);
    }
    Ok(out)
}

/// `[diagnostics]`: `prefer_id`, and a severity (or `off`) per diagnostic code.
fn severities(text: &str, raw: &RawDiagnostics) -> Result<(bool, BTreeMap<Code, Option<Severity>>), ConfigProblem> {
    let mut out = BTreeMap::new();
    let mut prefer_id = false;
    for (key, value) in raw {
        if key.get_ref() == "prefer_id" {
            prefer_id = value.get_ref().as_bool().ok_or_else(|| {
                ConfigProblem::at("diagnostics.prefer_id: expected true or false", Some(contents(text, value.span())))
            })?;
            continue;
        }
        let Some(code) = Code::parse(key.get_ref()) else {
            return Err(ConfigProblem::at(
                format!("diagnostics: `{}` is not a diagnostic code (e.g. `missing-meta`)", key.get_ref()),
                Some(contents(text, key.span())),
            ));
        };
        let severity = match value.get_ref().as_str().unwrap_or_default() {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "hint" => Some(Severity::Hint),
            "off" => None,
            _ => {
                return Err(ConfigProblem::at(
                    format!(
                        "diagnostics.{code}: `{}` is not a severity; use error, warning, hint or off",
                        value.get_ref()
                    ),
                    Some(contents(text, value.span())),
                ));
            }
        };
        out.insert(code, severity);
    }
    Ok((prefer_id, out))
}

impl Config {
    /// The places in game code where a string is an asset path.
    pub fn code_api(&self) -> CodeApi {
        CodeApi {
            calls: self.code_calls.clone(),
            constructors: self.code_constructors.clone(),
            attributes: self.code_attributes.clone(),
            returns: self.code_returns.clone(),
            folder_calls: self.code_folder_calls.clone(),
            sources: match self.flavor {
                Flavor::Bevy => std::iter::once("embedded".to_owned()).chain(self.sources.keys().cloned()).collect(),
                Flavor::Assetry => self.sources.keys().cloned().collect(),
            },
        }
    }
}

/// A `[references] code_*` list: every name must be one (an empty string
/// would match nothing, silently).
fn code_names(
    text: &str,
    key: &str,
    names: Option<Vec<Spanned<String>>>,
) -> Result<Option<Vec<String>>, ConfigProblem> {
    let Some(names) = names else { return Ok(None) };
    if let Some(empty) = names.iter().find(|c| c.get_ref().trim().is_empty()) {
        return Err(ConfigProblem::at(
            format!("references.{key}: an empty name matches no code; remove it"),
            Some(contents(text, empty.span())),
        ));
    }
    Ok(Some(names.into_iter().map(Spanned::into_inner).collect()))
}

/// The range of the `index`th `project.ignore` string, found again: the
/// globs are checked after the spans are gone from the parsed values.
fn raw_ignore_range(text: &str, index: usize) -> Option<TextRange> {
    let raw: RawConfig = toml::from_str(text).ok()?;
    let glob = raw.project.ignore?.into_iter().nth(index)?;
    Some(contents(text, glob.span()))
}

/// The profiles with `default` added; every `inherits` names a profile,
/// and no chain of them comes back to where it started.
fn profiles(text: &str, raw: BTreeMap<String, RawProfile>) -> Result<BTreeMap<String, Profile>, ConfigProblem> {
    for (name, profile) in &raw {
        if let Some(parent) = &profile.inherits
            && parent.get_ref() != "default"
            && !raw.contains_key(parent.get_ref())
        {
            return Err(ConfigProblem::at(
                format!("profile `{name}` inherits unknown profile `{}`", parent.get_ref()),
                Some(contents(text, parent.span())),
            ));
        }
    }
    // Each chain is followed once: a profile already known to end is not
    // walked again, so the check is linear in the number of profiles.
    let mut ends: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for start in raw.keys() {
        let mut chain: Vec<&str> = Vec::new();
        let mut at = start.as_str();
        loop {
            if ends.contains(at) {
                break;
            }
            if let Some(i) = chain.iter().position(|p| *p == at) {
                let cycle = chain[i..].iter().chain([&at]).map(|p| format!("`{p}`")).collect::<Vec<_>>();
                let inherits = raw[chain[chain.len() - 1]].inherits.as_ref().map(|p| contents(text, p.span()));
                return Err(ConfigProblem::at(
                    format!("profiles inherit from each other in a circle: {}", cycle.join(" → ")),
                    inherits,
                ));
            }
            chain.push(at);
            match raw.get(at).and_then(|p| p.inherits.as_ref()) {
                Some(parent) => at = parent.get_ref(),
                None => break,
            }
        }
        ends.extend(chain);
    }
    let mut profiles: BTreeMap<String, Profile> = raw
        .into_iter()
        .map(|(name, p)| (name, Profile { inherits: p.inherits.map(Spanned::into_inner), settings: p.settings }))
        .collect();
    profiles.entry("default".to_owned()).or_default();
    Ok(profiles)
}

/// The contents of the string value at byte `span` (its quotes left out).
fn contents(text: &str, span: std::ops::Range<usize>) -> TextRange {
    let value = text.get(span.clone()).unwrap_or_default();
    let quote = ["\"\"\"", "\'\'\'", "\"", "\'"]
        .into_iter()
        .find(|q| value.len() >= 2 * q.len() && value.starts_with(q) && value.ends_with(q))
        .map_or(0, str::len);
    TextRange::new((span.start + quote) as u32, (span.end - quote) as u32)
}

impl Config {
    /// Asset roots written in `assetry.toml` that do not exist: a warning
    /// each, on the file at the root's string. Not an error: a project may
    /// name a root before its first asset (`assetry check` still stops
    /// when no root exists at all).
    ///
    /// Where a root is written is not a setting (moving it in the file
    /// changes nothing), so the places are read from the file on disk, and
    /// only when a root is missing.
    pub fn missing_roots(&self, project_root: &Path) -> Vec<Diagnostic> {
        let missing: Vec<&String> = self.roots.iter().filter(|r| !project_root.join(r).is_dir()).collect();
        if missing.is_empty() {
            return Vec::new();
        }
        let text = std::fs::read_to_string(project_root.join(CONFIG_FILE)).unwrap_or_default();
        let Some((roots, ranges)) = toml::from_str::<RawConfig>(&text)
            .ok()
            .and_then(|raw| raw.project.roots)
            .and_then(|roots| normalize_dirs(&text, "project.roots", roots).ok())
        else {
            // The default root, written nowhere: `check` says when none exists.
            return Vec::new();
        };
        missing
            .into_iter()
            .filter_map(|root| {
                let range = ranges[roots.iter().position(|r| r == root)?];
                let message =
                    format!("the asset root `{root}` does not exist; create it or remove it from project.roots");
                Some(Diagnostic::new(Code::InvalidConfig, CONFIG_FILE, range, message).with_severity(Severity::Warning))
            })
            .collect()
    }

    /// The folders to walk: asset roots and code folders, leaving out any
    /// that lies inside another (a root inside a code folder `.` would
    /// otherwise be walked, and every file in it counted, twice). Which role
    /// a file has is the classifier's decision, not the walk's.
    pub fn walk_folders(&self) -> Vec<&str> {
        outermost(self.roots.iter().chain(&self.code).map(String::as_str)).0
    }
}

/// The folders of `dirs` that lie inside no other, in order of first
/// appearance, and the pairs (outer, inner) of folders found inside
/// another (an exact repeat is not one). Linear after a sort: in
/// segment-wise order, a folder's descendants follow it directly.
fn outermost<'a>(dirs: impl Iterator<Item = &'a str>) -> (Vec<&'a str>, Vec<(&'a str, &'a str)>) {
    let mut sorted: Vec<(usize, &str)> = dirs.enumerate().collect();
    sorted.sort_by(|a, b| a.1.split('/').cmp(b.1.split('/')).then(a.0.cmp(&b.0)));
    let mut kept: Vec<(usize, &str)> = Vec::new();
    let mut nested = Vec::new();
    for (i, dir) in sorted {
        match kept.last() {
            Some(&(_, outer)) if outer == dir => {}
            Some(&(_, outer)) if is_under(dir, outer) => nested.push((outer, dir)),
            _ => kept.push((i, dir)),
        }
    }
    kept.sort_unstable();
    (kept.into_iter().map(|(_, d)| d).collect(), nested)
}

/// Whether folder `dir` lies strictly inside folder `outer` (`""` is the project folder).
fn is_under(dir: &str, outer: &str) -> bool {
    outer.is_empty() && !dir.is_empty()
        || (dir.len() > outer.len() && dir.starts_with(outer) && dir.as_bytes()[outer.len()] == b'/')
}

/// Folders must stay inside the project: `..` or an absolute path would let a
/// config make Assetry read outside it. Repeats are merged (the first kept);
/// returns each kept folder's range.
fn normalize_dirs(
    text: &str,
    key: &str,
    dirs: Vec<Spanned<String>>,
) -> Result<(Vec<String>, Vec<TextRange>), ConfigProblem> {
    let mut out: Vec<String> = Vec::with_capacity(dirs.len());
    let mut ranges = Vec::with_capacity(dirs.len());
    let mut seen = std::collections::HashSet::with_capacity(dirs.len());
    for spanned in dirs {
        let range = contents(text, spanned.span());
        let dir = spanned.into_inner();
        let mut parts = Vec::new();
        for part in dir.split(['/', '\\']) {
            match part {
                "" | "." => {}
                ".." => {
                    return Err(ConfigProblem::at(format!("{key}: `{dir}` leaves the project folder"), Some(range)));
                }
                p => parts.push(p),
            }
        }
        if dir.starts_with('/') || dir.contains(':') {
            return Err(ConfigProblem::at(
                format!("{key}: `{dir}` must be relative to the project folder"),
                Some(range),
            ));
        }
        let norm = parts.join("/");
        if seen.insert(norm.clone()) {
            out.push(norm);
            ranges.push(range);
        }
    }
    Ok((out, ranges))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_empty() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn a_runaway_config_is_refused_unparsed() {
        let p = Config::parse(&"\r".repeat(MAX_CONFIG_BYTES + 1)).unwrap_err();
        assert_eq!(p.message, "assetry.toml is 65 KiB; Assetry reads at most 64 KiB of it");
        assert_eq!(p.range, None);
    }

    /// The problem and the text its range covers.
    fn problem(text: &str) -> (String, &str) {
        let p = Config::parse(text).unwrap_err();
        let r = p.range.unwrap_or_default();
        (p.message, &text[r.start as usize..r.end as usize])
    }

    #[test]
    fn typo_is_an_error_at_its_key() {
        let text = "[project]\nroots = [\"a\"]\nrots = [\"b\"]\n";
        let (message, at) = problem(text);
        assert!(message.starts_with("unknown field `rots`"), "{message}");
        assert_eq!(at, "rots");
        assert_eq!(Config::parse(text).unwrap_err().place(text), "line 3, column 1: ");
    }

    #[test]
    fn bad_values_are_errors_at_the_value() {
        assert_eq!(problem("[project]\nroots = [\"a\", \"../x\"]").1, "../x");
        assert_eq!(problem("[project]\nignore = [\"*.tmp\", 'a[']").1, "a[");
        assert!(problem("[project]\nignore = [\"a[\"]").0.contains("`a[`"));
        assert_eq!(problem("[references]\ncode_calls = [\"load\", \"\"]").1, "");
        let (message, at) = problem("[references]\ncode_calls = [\"load\", \" \"]");
        assert!(message.contains("empty name"), "{message}");
        assert_eq!(at, " ");
    }

    #[test]
    fn roots_inside_roots_are_an_error_at_the_inner_one() {
        let (message, at) = problem("[project]\nroots = [\"assets/textures\", \"dlc\", \"assets\"]");
        assert_eq!(at, "assets/textures");
        assert!(message.contains("inside the root `assets`"), "{message}");
        assert_eq!(problem("[project]\nroots = [\"a\", \".\"]").1, "a");
        // Repeats are merged; siblings sharing a prefix are not nested.
        let c = Config::parse("[project]\nroots = [\"a\", \"a-b\", \"./a/\", \"ab\"]").unwrap();
        assert_eq!(c.roots, ["a", "a-b", "ab"]);
    }

    #[test]
    fn more_roots_than_the_index_holds_are_refused() {
        let names = |n: usize| (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>();
        let ranges = |n: usize| (0..n).map(|i| Some(TextRange::new(i as u32, i as u32 + 1))).collect::<Vec<_>>();
        assert!(check_root_count(&names(MAX_ROOTS), &ranges(MAX_ROOTS)).is_ok());
        let p = check_root_count(&names(MAX_ROOTS + 1), &ranges(MAX_ROOTS + 1)).unwrap_err();
        assert_eq!(p.range, Some(TextRange::new(MAX_ROOTS as u32, MAX_ROOTS as u32 + 1)));
        // Through a file, the size bound comes first.
        let list = (0..MAX_ROOTS + 1).map(|i| format!("\"r{i}\"")).collect::<Vec<_>>().join(",");
        let p = Config::parse(&format!("[project]\nroots = [{list}]")).unwrap_err();
        assert!(p.message.starts_with("assetry.toml is "), "{}", p.message);
    }

    #[test]
    fn profiles_cannot_inherit_in_a_circle() {
        let (message, at) = problem("[profiles.a]\ninherits = \"a\"\n");
        assert!(message.contains("`a` → `a`"), "{message}");
        assert_eq!(at, "a");
        let text =
            "[profiles.x]\ninherits = \"default\"\n[profiles.a]\ninherits = \"b\"\n[profiles.b]\ninherits = \"a\"\n";
        let p = Config::parse(text).unwrap_err();
        assert!(p.message.contains("`a` → `b` → `a`"), "{}", p.message);
        assert_eq!(p.place(text), "line 6, column 13: ");
        assert_eq!(problem("[profiles.a]\ninherits = \"nope\"").1, "nope");
        let ok = Config::parse("[profiles.a]\ninherits = \"b\"\n[profiles.b]\ninherits = \"default\"").unwrap();
        assert_eq!(ok.profiles.len(), 3);
    }

    #[test]
    fn roots_cannot_escape() {
        assert!(Config::parse("[project]\nroots = [\"../x\"]").is_err());
        assert!(Config::parse("[project]\nroots = [\"/etc\"]").is_err());
        let text = "[project]\nroots = [\"./game/assets/\", \"more\"]";
        let c = Config::parse(text).unwrap();
        assert_eq!(c.roots, ["game/assets", "more"]);
    }

    #[test]
    fn code_places_default_to_bevy_and_can_be_replaced() {
        let d = Config::default();
        assert!(d.code_calls.iter().any(|c| c == "from_asset"));
        assert_eq!(d.code_api(), CodeApi::default());
        let c = Config::parse(
            "[references]\ncode_calls = [\"fetch\"]\ncode_constructors = [\"Sprite::from_file\"]\ncode_attributes = [\"texture\"]\ncode_returns = []\ncode_folder_calls = [\"scan_dir\"]\n",
        )
        .unwrap();
        let api = c.code_api();
        assert_eq!(
            (api.calls, api.constructors, api.attributes, api.returns, api.folder_calls),
            (
                vec!["fetch".to_owned()],
                vec!["Sprite::from_file".to_owned()],
                vec!["texture".to_owned()],
                vec![],
                vec!["scan_dir".to_owned()]
            )
        );
        // An empty name is an error at the name, in every code_* list.
        for key in ["code_constructors", "code_attributes", "code_returns", "code_folder_calls"] {
            let text = format!("[references]\n{key} = [\"x\", \" \"]\n");
            let (message, at) = problem(&text);
            assert_eq!(
                (message.starts_with(&format!("references.{key}: an empty name")), at),
                (true, " "),
                "{message}"
            );
        }
    }

    #[test]
    fn nested_folders_are_walked_once() {
        let c = Config::parse("[project]\nroots = [\"assets\", \"dlc\"]\ncode = [\"src\", \".\"]").unwrap();
        assert_eq!(c.walk_folders(), [""]);
        let c = Config::parse("[project]\nroots = [\"a\", \"a-b\"]\ncode = [\"a/src\", \"a-b/x\", \"b\"]").unwrap();
        assert_eq!(c.walk_folders(), ["a", "a-b", "b"]);
    }

    #[test]
    fn full_example_parses() {
        let c = Config::parse(
            r#"
[project]
roots = ["assets"]
code = ["src"]
ignore = ["**/*.tmp"]
[references]
code_calls = ["load", "load_with_settings"]
[profiles.default]
[profiles.mobile]
inherits = "default"
settings.image = { max_size = 1024 }
[processors.ktx2]
command = ["toktx", "--t2", "{output}", "{input}"]
output_extension = "ktx2"
[reload]
address = "127.0.0.1:7420"
"#,
        )
        .unwrap();
        assert_eq!(c.profiles.len(), 2);
        assert_eq!(c.processors["ktx2"].command[0], "toktx");
    }
}
