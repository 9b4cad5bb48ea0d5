//! Project flavours: which engine's conventions a project follows. A
//! flavour is only a preset; each option it sets (`.meta` required or not,
//! `.meta` syntax, whether fixes may write ids into code) can be set on its
//! own in `assetry.toml`.
//!
//! Without `project.flavor`, a project whose `Cargo.toml` (or its
//! workspace's, or a workspace member's) depends on `bevy` or `bevy_asset` is
//! a Bevy project: Bevy has no `.meta` files by default, reads the ones that
//! exist as RON, and loads assets by path only.

use std::path::Path;

/// Which conventions a project follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// Assetry's own: every asset has a TOML `.meta` with an id.
    #[default]
    Assetry,
    /// Bevy's: `.meta` optional and RON, assets known by their path, labels
    /// read from the files (glTF), asset sources (`embedded://`, custom).
    Bevy,
}

impl Flavor {
    pub fn as_str(self) -> &'static str {
        match self {
            Flavor::Assetry => "assetry",
            Flavor::Bevy => "bevy",
        }
    }

    pub fn parse(name: &str) -> Option<Flavor> {
        match name {
            "assetry" => Some(Flavor::Assetry),
            "bevy" => Some(Flavor::Bevy),
            _ => None,
        }
    }
}

/// The syntax `.meta` files are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetaSyntax {
    #[default]
    Toml,
    /// Bevy's `(meta_format_version: …, asset: Load(…))`.
    Ron,
}

impl MetaSyntax {
    pub fn parse(name: &str) -> Option<MetaSyntax> {
        match name {
            "toml" => Some(MetaSyntax::Toml),
            "ron" => Some(MetaSyntax::Ron),
            _ => None,
        }
    }
}

/// The crates whose presence makes a Cargo package a Bevy game.
const BEVY_CRATES: &[&str] = &["bevy", "bevy_asset"];

/// What the project's Cargo manifests say: whether they depend on Bevy
/// (and which file says so), and the code folders of the package and of
/// each workspace member (`src/`, `examples/`), project-relative.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CargoFacts {
    pub bevy_in: Option<String>,
    pub code_folders: Vec<String>,
}

/// Reads `<root>/Cargo.toml`, the workspace manifest above it (up to three
/// folders up) and the workspace members it lists. Unreadable or invalid
/// manifests count as absent: they are Cargo's to report, not Assetry's.
pub fn cargo_facts(root: &Path) -> CargoFacts {
    let mut facts = CargoFacts::default();
    let Some(manifest) = read_manifest(&root.join("Cargo.toml")) else {
        // A project inside a package or workspace (`game/assets-project/`).
        for (up, dir) in root.ancestors().skip(1).take(3).enumerate() {
            if let Some(m) = read_manifest(&dir.join("Cargo.toml")) {
                if depends_on_bevy(&m) {
                    let name = format!("{}Cargo.toml", "../".repeat(up + 1));
                    facts.bevy_in = Some(name);
                }
                break;
            }
        }
        return facts;
    };
    if depends_on_bevy(&manifest) {
        facts.bevy_in = Some("Cargo.toml".to_owned());
    }
    if manifest.get("package").is_some() {
        facts.code_folders.extend(["src".to_owned(), "examples".to_owned()]);
    }
    for member in workspace_members(root, &manifest) {
        if let Some(m) = read_manifest(&root.join(&member).join("Cargo.toml")) {
            if facts.bevy_in.is_none() && depends_on_bevy(&m) {
                facts.bevy_in = Some(format!("{member}/Cargo.toml"));
            }
            facts.code_folders.extend([format!("{member}/src"), format!("{member}/examples")]);
        }
    }
    if facts.bevy_in.is_none() && manifest.get("workspace").is_none() {
        // A member of a workspace declared above: its `bevy = { workspace = true }`
        // is already a dependency here; the workspace's own table may be the only mention.
        for (up, dir) in root.ancestors().skip(1).take(3).enumerate() {
            if let Some(m) = read_manifest(&dir.join("Cargo.toml"))
                && m.get("workspace").is_some()
            {
                if depends_on_bevy(&m) {
                    facts.bevy_in = Some(format!("{}Cargo.toml", "../".repeat(up + 1)));
                }
                break;
            }
        }
    }
    facts
}

fn read_manifest(path: &Path) -> Option<toml::Table> {
    std::fs::read_to_string(path).ok()?.parse::<toml::Table>().ok()
}

/// Whether a manifest names Bevy in any dependency table (normal, dev,
/// build, target-specific, the workspace's shared ones), or is Bevy itself.
fn depends_on_bevy(m: &toml::Table) -> bool {
    let names_bevy = |t: Option<&toml::Value>| {
        t.and_then(toml::Value::as_table).is_some_and(|t| BEVY_CRATES.iter().any(|c| t.contains_key(*c)))
    };
    let tables = |t: &toml::Table| {
        ["dependencies", "dev-dependencies", "build-dependencies"].iter().any(|k| names_bevy(t.get(*k)))
    };
    let package_is_bevy =
        m.get("package").and_then(|p| p.get("name")).and_then(toml::Value::as_str).is_some_and(|n| n == "bevy");
    let targets = m
        .get("target")
        .and_then(toml::Value::as_table)
        .is_some_and(|t| t.values().filter_map(toml::Value::as_table).any(tables));
    let workspace =
        m.get("workspace").and_then(toml::Value::as_table).is_some_and(|w| names_bevy(w.get("dependencies")));
    package_is_bevy || tables(m) || targets || workspace
}

/// The workspace members, project-relative; `dir/*` patterns list the
/// folders of `dir` (the only glob form workspaces use in practice).
fn workspace_members(root: &Path, m: &toml::Table) -> Vec<String> {
    let Some(members) = m.get("workspace").and_then(|w| w.get("members")).and_then(toml::Value::as_array) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for member in members.iter().filter_map(toml::Value::as_str) {
        let member = member.trim_end_matches('/');
        if member.contains("..") || member.starts_with('/') {
            continue;
        }
        match member.strip_suffix("/*") {
            Some(dir) if !dir.contains('*') => {
                let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
                let mut names: Vec<String> = entries
                    .filter_map(Result::ok)
                    .filter(|e| e.path().is_dir())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| !n.starts_with('.'))
                    .map(|n| format!("{dir}/{n}"))
                    .collect();
                names.sort();
                out.extend(names);
            }
            _ if !member.contains('*') && !member.is_empty() && member != "." => out.push(member.to_owned()),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bevy_is_found_in_any_dependency_table() {
        let t = |s: &str| depends_on_bevy(&s.parse::<toml::Table>().unwrap());
        assert!(t("[dependencies]\nbevy = \"0.16\""));
        assert!(t("[dependencies]\nbevy_asset = { version = \"0.16\" }"));
        assert!(t("[target.'cfg(unix)'.dependencies]\nbevy = \"0.16\""));
        assert!(t("[workspace.dependencies]\nbevy = \"0.16\""));
        assert!(t("[package]\nname = \"bevy\""));
        assert!(!t("[dependencies]\nbevy_egui = \"1\"\nserde = \"1\""));
        assert!(!t("[package]\nname = \"game\""));
    }
}
