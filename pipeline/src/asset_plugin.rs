//! `AssetPlugin { file_path: "…", .. }` in a Bevy project's code moves the
//! default asset root for the app that code builds (Bevy's own examples do
//! it): the loads of that file resolve in that folder.
//!
//! Found when the project opens, by a small textual scan of its own (the
//! code extractor finds loads, not plugin settings): only `.rs` files that
//! mention `AssetPlugin` are looked at further. A `file_path` computed from
//! `CARGO_MANIFEST_DIR` is the package's folder.

use std::path::Path;

/// Where a code file's `AssetPlugin` says assets live.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FilePath {
    /// A string literal, relative to the package folder.
    Literal(String),
    /// `std::env::var("CARGO_MANIFEST_DIR")…`: the package folder itself.
    ManifestDir,
}

/// The `file_path` of the first `AssetPlugin { … }` in `text`.
fn file_path_of(text: &str) -> Option<FilePath> {
    for (at, _) in text.match_indices("AssetPlugin") {
        let rest = text[at + "AssetPlugin".len()..].trim_start();
        let Some(body) = rest.strip_prefix('{') else { continue };
        let end = (0..=body.len().min(2000)).rev().find(|&i| body.is_char_boundary(i)).unwrap_or(0);
        let body = &body[..end];
        // `file_path`, not `processed_file_path`.
        let Some(i) = body
            .match_indices("file_path")
            .map(|(i, _)| i)
            .find(|&i| !body[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        else {
            continue;
        };
        let value = body[i + "file_path".len()..].trim_start().strip_prefix(':')?.trim_start();
        if let Some(s) = value.strip_prefix('"') {
            let end = s.find('"')?;
            return Some(FilePath::Literal(s[..end].to_owned()));
        }
        let expr = &value[..value.find(['\n', ',']).unwrap_or(value.len())];
        if expr.contains("CARGO_MANIFEST_DIR") {
            return Some(FilePath::ManifestDir);
        }
    }
    None
}

/// For each `.rs` file under the code folders that sets
/// `AssetPlugin { file_path }`: (its project-relative path, the folder,
/// project-relative, its loads resolve in). Folders that leave the project
/// are left out.
pub fn code_roots(project_root: &Path, code: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for folder in code {
        let mut stack = vec![folder.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(project_root.join(&dir)) else { continue };
            for e in entries.flatten() {
                let Ok(name) = e.file_name().into_string() else { continue };
                if name.starts_with('.') || name == "target" || name == "node_modules" {
                    continue;
                }
                let rel = if dir.is_empty() { name.clone() } else { format!("{dir}/{name}") };
                let Ok(kind) = e.file_type() else { continue };
                if kind.is_dir() {
                    stack.push(rel);
                } else if name.ends_with(".rs")
                    && let Ok(text) = std::fs::read_to_string(e.path())
                    && text.contains("AssetPlugin")
                    && let Some(fp) = file_path_of(&text)
                    && let Some(folder) = folder_of(project_root, &rel, fp)
                {
                    out.push((rel, folder));
                }
            }
        }
    }
    out.sort();
    out
}

/// The project-relative folder a `file_path` names, from the package
/// folder of the code file at `rel` (Bevy resolves it against
/// `CARGO_MANIFEST_DIR` when run by Cargo).
fn folder_of(project_root: &Path, rel: &str, fp: FilePath) -> Option<String> {
    let mut package = Path::new(rel).parent();
    while let Some(p) = package {
        if project_root.join(p).join("Cargo.toml").is_file() {
            break;
        }
        package = p.parent();
    }
    let package = package?.to_str()?;
    let joined = match fp {
        FilePath::ManifestDir => package.to_owned(),
        FilePath::Literal(l) if l.starts_with('/') => return None,
        FilePath::Literal(l) if package.is_empty() => l,
        FilePath::Literal(l) => format!("{package}/{l}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_path_forms() {
        let text = "App::new().add_plugins(DefaultPlugins.set(AssetPlugin {\n    file_path: \"examples/asset/files\".to_string(),\n    ..default()\n}))";
        assert_eq!(file_path_of(text), Some(FilePath::Literal("examples/asset/files".into())));
        let text = "AssetPlugin {\n file_path: std::env::var(\"CARGO_MANIFEST_DIR\").unwrap_or_else(|_| \".\".to_string()),\n ..default() }";
        assert_eq!(file_path_of(text), Some(FilePath::ManifestDir));
        assert_eq!(file_path_of("AssetPlugin { mode: AssetMode::Processed, ..default() }"), None);
        let text = "AssetPlugin { processed_file_path: \"p\".into(), file_path: \"../a\".into() }";
        assert_eq!(file_path_of(text), Some(FilePath::Literal("../a".into())));
        assert_eq!(file_path_of("use bevy::asset::AssetPlugin;"), None);
    }
}
