//! Path arithmetic for edits: how a reference to a given asset is spelled
//! from a given file, keeping the form the user chose (root-relative or
//! file-relative, a leading `/`, a `#Label`).

/// How a path reference is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `textures/hero.png` (relative to the referencing file's asset root);
    /// `leading_slash` keeps a `/textures/hero.png` spelling.
    RootRelative { leading_slash: bool },
    /// `./hero.png` or `../textures/hero.png`.
    FileRelative,
    /// Relative to the file without a leading `./` (glTF `uri`s, which are
    /// always relative to the `.gltf`).
    Bare,
}

impl Form {
    /// The form of a reference's value; `file_relative` when its syntax makes
    /// every path relative to the file (glTF).
    pub fn of(value: &str, file_relative: bool) -> Form {
        if file_relative {
            Form::Bare
        } else if value.starts_with("./") || value.starts_with("../") {
            Form::FileRelative
        } else {
            Form::RootRelative { leading_slash: value.starts_with('/') }
        }
    }
}

/// The folder part of a project-relative path (`""` at the top).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The last segment of a path.
pub fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, n)| n)
}

/// `to` written relative to the folder `from_dir` (both project-relative),
/// always starting with `./` or `../` so it reads as file-relative.
pub fn relative(from_dir: &str, to: &str) -> String {
    let from: Vec<&str> = from_dir.split('/').filter(|s| !s.is_empty()).collect();
    let to_parts: Vec<&str> = to.split('/').filter(|s| !s.is_empty()).collect();
    let common = from.iter().zip(&to_parts).take_while(|(a, b)| a == b).count();
    let ups = from.len() - common;
    let rest = to_parts[common..].join("/");
    if ups == 0 { format!("./{rest}") } else { format!("{}{rest}", "../".repeat(ups)) }
}

/// `path` relative to `root` (`None` if outside it). An empty root is the
/// project itself.
pub fn strip_root<'a>(path: &'a str, root: &str) -> Option<&'a str> {
    if root.is_empty() {
        return Some(path);
    }
    path.strip_prefix(root)?.strip_prefix('/')
}

/// The spelling of a reference to the project-relative `target` (plus an
/// optional label) from the file at `from`, in `form`. `roots` are the
/// asset roots the reference may be written against: the referencing
/// file's own root for assets, every root for game code. `None` when the
/// form cannot express it (a root-relative path to another root).
pub fn spell(target: &str, label: Option<&str>, from: &str, roots: &[&str], form: Form) -> Option<String> {
    let path = match form {
        Form::FileRelative => relative(parent(from), target),
        Form::Bare => {
            let r = relative(parent(from), target);
            r.strip_prefix("./").map(str::to_owned).unwrap_or(r)
        }
        Form::RootRelative { leading_slash } => {
            let rest = roots.iter().find_map(|r| strip_root(target, r))?;
            if leading_slash { format!("/{rest}") } else { rest.to_owned() }
        }
    };
    Some(match label {
        Some(l) => format!("{path}#{l}"),
        None => path,
    })
}

/// Like [`spell`], falling back to the file-relative form when the
/// preferred form cannot reach the target.
pub fn spell_or_relative(target: &str, label: Option<&str>, from: &str, roots: &[&str], form: Form) -> String {
    spell(target, label, from, roots, form)
        .unwrap_or_else(|| spell(target, label, from, roots, Form::FileRelative).unwrap_or_default())
}

/// `value` escaped for the inside of a double-quoted string literal (JSON,
/// RON, TOML basic strings, Rust, WGSL all share these two escapes).
pub fn escape(value: &str) -> String {
    if !value.contains(['\\', '"']) {
        return value.to_owned();
    }
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Edit distance between two strings (by chars), for suggesting the
/// closest existing path.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(relative("assets/scenes", "assets/scenes/a.png"), "./a.png");
        assert_eq!(relative("assets/scenes", "assets/textures/b.png"), "../textures/b.png");
        assert_eq!(relative("assets/a/b/c", "assets/x.png"), "../../../x.png");
        assert_eq!(relative("", "assets/x.png"), "./assets/x.png");
    }

    #[test]
    fn spelling_keeps_the_form() {
        let from = "assets/scenes/level1.scene.json";
        let roots = ["assets"];
        let rr = Form::RootRelative { leading_slash: false };
        assert_eq!(spell("assets/textures/hero.png", None, from, &roots, rr).unwrap(), "textures/hero.png");
        assert_eq!(
            spell("assets/textures/hero.png", None, from, &roots, Form::RootRelative { leading_slash: true }).unwrap(),
            "/textures/hero.png"
        );
        assert_eq!(
            spell("assets/models/ship.gltf", Some("Mesh0"), from, &roots, Form::FileRelative).unwrap(),
            "../models/ship.gltf#Mesh0"
        );
        assert_eq!(spell("dlc/x.png", None, from, &roots, rr), None);
        assert_eq!(spell_or_relative("dlc/x.png", None, from, &roots, rr), "../../dlc/x.png");
        assert_eq!(Form::of("./a.png", false), Form::FileRelative);
        assert_eq!(Form::of("/a.png", false), Form::RootRelative { leading_slash: true });
        assert_eq!(Form::of("a.png", true), Form::Bare);
        assert_eq!(
            spell("assets/models/tex/a.png", None, "assets/models/ship.gltf", &roots, Form::Bare).unwrap(),
            "tex/a.png"
        );
    }

    #[test]
    fn escaping_and_distance() {
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
        assert_eq!(edit_distance("textures/grund.png", "textures/ground.png"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
