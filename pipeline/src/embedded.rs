//! Bevy's `embedded://` asset source: the paths a code file registers with
//! `embedded_asset!(app, "path")` or `embedded_asset!(app, "prefix", "path")`,
//! computed as `bevy_asset`'s `_embedded_asset_path` does, so a reference to
//! `embedded://crate/dir/file` can be checked against them.
//!
//! A small scan of its own, separate from the code extractor (which finds
//! loads): only files that contain `embedded_asset!` are looked at twice.

use std::path::Path;

/// The `embedded://` paths (without the scheme) that `code_path`
/// (project-relative) registers; `crate_name` gives the crate of a file
/// under a package's `src/`.
pub fn registrations(code_path: &str, text: &str, crate_name: impl Fn() -> Option<String>) -> Vec<Box<str>> {
    if !text.contains("embedded_asset!") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut name: Option<Option<String>> = None;
    for (at, _) in text.match_indices("embedded_asset!") {
        let rest = text[at + "embedded_asset!".len()..].trim_start();
        let Some(args) = rest.strip_prefix('(').map(string_args) else { continue };
        let (prefix, path) = match args.as_slice() {
            [Some(path)] => ("src".to_owned(), path.clone()),
            [Some(prefix), Some(path)] => (prefix.clone(), path.clone()),
            _ => continue,
        };
        let crate_name = name.get_or_insert_with(|| crate_of(code_path).or_else(&crate_name)).clone();
        if let Some(c) = crate_name
            && let Some(p) = embedded_path(&c, &prefix, code_path, &path)
        {
            out.push(p.into_boxed_str());
        }
    }
    out
}

/// The crate of an example file: `examples/x.rs` and `examples/x/main.rs`
/// are crate `x`; Bevy's repository names its examples by their file stem.
fn crate_of(code_path: &str) -> Option<String> {
    let parts: Vec<&str> = code_path.split('/').collect();
    let i = parts.iter().position(|p| *p == "examples")?;
    let file = parts.last()?.strip_suffix(".rs")?;
    if file == "main" && parts.len() >= i + 3 {
        return Some(parts[parts.len() - 2].replace('-', "_"));
    }
    Some(file.replace('-', "_"))
}

/// `_embedded_asset_path`: the part of the file's path after the nearest
/// folder ending with `prefix`, its folder joined with `path`, under the crate.
fn embedded_path(crate_name: &str, prefix: &str, file: &str, path: &str) -> Option<String> {
    let file = Path::new(file);
    let prefix = Path::new(prefix.trim_end_matches('/'));
    let mut parent = file.parent();
    let after = loop {
        let p = parent?;
        if p.ends_with(prefix) {
            break file.strip_prefix(p).ok()?;
        }
        parent = p.parent();
    };
    let joined = after.parent()?.join(path);
    let mut parts: Vec<&str> = vec![crate_name];
    for c in joined.to_str()?.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

/// The arguments after the first of a macro call (its text after `(`):
/// each a plain string literal's value, or `None`.
fn string_args(text: &str) -> Vec<Option<String>> {
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                current.push('"');
                while let Some(c) = chars.next() {
                    current.push(c);
                    if c == '\\' {
                        current.extend(chars.next());
                    } else if c == '"' {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                current.push(c);
            }
            ')' | ']' | '}' if depth == 0 => {
                args.push(std::mem::take(&mut current));
                break;
            }
            ')' | ']' | '}' => {
                depth -= 1;
                current.push(c);
            }
            ',' if depth == 0 => args.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    args.into_iter()
        .skip(1)
        .filter(|a| !a.trim().is_empty())
        .map(|a| {
            let a = a.trim();
            let inner = a.strip_prefix('"')?.strip_suffix('"')?;
            (!inner.contains('\\')).then(|| inner.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    fn registrations(code_path: &str, text: &str, crate_name: impl Fn() -> Option<String>) -> Vec<String> {
        super::registrations(code_path, text, crate_name).into_iter().map(String::from).collect()
    }

    #[test]
    fn paths_as_bevy_computes_them() {
        let text = "fn build(app: &mut App) { embedded_asset!(app, \"examples/asset/processing/\", \"e.txt\"); }";
        assert_eq!(
            registrations("examples/asset/processing/asset_processing.rs", text, || None),
            ["asset_processing/e.txt"]
        );
        let text = "embedded_asset!(app, \"rock.wgsl\");";
        assert_eq!(
            registrations("src/render/mod.rs", text, || Some("bevy_rock".into())),
            ["bevy_rock/render/rock.wgsl"]
        );
        assert!(registrations("src/lib.rs", "embedded_asset!(app, PATH);", || Some("x".into())).is_empty());
    }
}
