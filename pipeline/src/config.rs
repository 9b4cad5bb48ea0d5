//! `assetry.toml`: every key optional, unknown keys rejected with the line
//! they are on, so a typo is never silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

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
    #[error("`{path}` is not a valid Assetry configuration:\n{message}")]
    Invalid { path: PathBuf, message: String },
}

/// The project configuration with every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Asset roots, project-relative and `/`-separated, e.g. `assets`.
    pub roots: Vec<String>,
    /// Folders scanned for game code (`load("...")` calls).
    pub code: Vec<String>,
    /// Gitignore-style globs ignored in addition to `.gitignore`.
    pub ignore: Vec<String>,
    /// Function or method names whose first string argument is an asset path.
    pub code_calls: Vec<String>,
    /// Whether the `prefer-id` hint is reported (off by default).
    pub prefer_id: bool,
    pub profiles: BTreeMap<String, Profile>,
    pub processors: BTreeMap<String, ExternalProcessor>,
    pub reload_address: String,
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
}

impl Default for Config {
    fn default() -> Self {
        let mut profiles = BTreeMap::new();
        profiles.insert("default".to_owned(), Profile::default());
        Config {
            roots: vec!["assets".to_owned()],
            code: vec!["src".to_owned()],
            ignore: Vec::new(),
            code_calls: vec!["load".to_owned(), "load_with_settings".to_owned()],
            prefer_id: false,
            profiles,
            processors: BTreeMap::new(),
            reload_address: "127.0.0.1:7420".to_owned(),
        }
    }
}

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
    profiles: BTreeMap<String, Profile>,
    #[serde(default)]
    processors: BTreeMap<String, ExternalProcessor>,
    #[serde(default)]
    reload: RawReload,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProject {
    roots: Option<Vec<String>>,
    code: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReferences {
    code_calls: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDiagnostics {
    prefer_id: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReload {
    address: Option<String>,
}

impl Config {
    /// Loads `<root>/assetry.toml`, or the defaults when there is none.
    pub fn load(project_root: &Path) -> Result<Config, ConfigError> {
        let path = project_root.join(CONFIG_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Config::parse(&text).map_err(|message| ConfigError::Invalid { path, message }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }

    /// Parses the text of an `assetry.toml`; the error is a human message
    /// that names the line and the offending key.
    pub fn parse(text: &str) -> Result<Config, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        let defaults = Config::default();
        let roots = normalize_dirs("project.roots", raw.project.roots.unwrap_or(defaults.roots))?;
        let code = normalize_dirs("project.code", raw.project.code.unwrap_or(defaults.code))?;
        if roots.is_empty() {
            return Err("project.roots is empty: name at least one asset folder".to_owned());
        }
        let mut profiles = raw.profiles;
        profiles.entry("default".to_owned()).or_default();
        for (name, profile) in &profiles {
            if let Some(parent) = &profile.inherits
                && !profiles.contains_key(parent)
            {
                return Err(format!("profile `{name}` inherits unknown profile `{parent}`"));
            }
        }
        for (name, processor) in &raw.processors {
            if processor.command.is_empty() {
                return Err(format!("processors.{name}.command is empty"));
            }
        }
        Ok(Config {
            roots,
            code,
            ignore: raw.project.ignore.unwrap_or_default(),
            code_calls: raw.references.code_calls.unwrap_or(defaults.code_calls),
            prefer_id: raw.diagnostics.prefer_id.unwrap_or(false),
            profiles,
            processors: raw.processors,
            reload_address: raw.reload.address.unwrap_or(defaults.reload_address),
        })
    }
}

impl Config {
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
/// config make Assetry read outside it.
fn normalize_dirs(key: &str, dirs: Vec<String>) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for dir in dirs {
        let mut parts = Vec::new();
        for part in dir.split(['/', '\\']) {
            match part {
                "" | "." => {}
                ".." => return Err(format!("{key}: `{dir}` leaves the project folder")),
                p => parts.push(p),
            }
        }
        if dir.starts_with('/') || dir.contains(':') {
            return Err(format!("{key}: `{dir}` must be relative to the project folder"));
        }
        let norm = parts.join("/");
        if !out.contains(&norm) {
            out.push(norm);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_empty() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn typo_is_an_error_with_its_line() {
        let err = Config::parse("[project]\nroots = [\"a\"]\nrots = [\"b\"]\n").unwrap_err();
        assert!(err.contains("rots"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn roots_cannot_escape() {
        assert!(Config::parse("[project]\nroots = [\"../x\"]").is_err());
        assert!(Config::parse("[project]\nroots = [\"/etc\"]").is_err());
        let c = Config::parse("[project]\nroots = [\"./game/assets/\", \"more\"]").unwrap();
        assert_eq!(c.roots, ["game/assets", "more"]);
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
