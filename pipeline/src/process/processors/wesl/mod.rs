//! `wesl`: a WESL shader composed as Bevy 0.20 composes it (the `wesl`
//! crate's `compile_sourcemap`, imports and conditional translation on),
//! then parsed and checked by naga; the artifact is the composed WGSL
//! (`<name>.wgsl`). Modules resolve as Bevy's `ShaderResolver` resolves
//! them: the asset is `package::<its path under the asset root, without
//! extension>`, so `package::a::b` and `super::b` are the project's `.wesl`
//! files; `bevy_pbr::render::forward_io` is `src/render/forward_io.wesl` of
//! the `bevy_pbr` the project's `Cargo.lock` names, in cargo's registry
//! (located as the wgsl processor locates Bevy's crates); `constants` is
//! the module Bevy makes of the shader defs. The project modules an asset
//! imports are build references of the graph (the WESL extractor resolves
//! them), so an edit to one reprocesses its importers.

mod blocks;

use std::borrow::Cow;

use naga::valid::{Capabilities, ValidationFlags, Validator};
use naga_oil::compose::ShaderDefValue;
use wesl::syntax::{ModulePath, PathOrigin};
use wesl::{CompileOptions, Feature, ResolveError, SourceMap};

use super::wgsl::{ModulePaths, readable_message, shader_defs};
use super::{Input, Problem};
use crate::project::Project;
use crate::text::TextRange;

pub(super) fn process(input: &Input<'_>) -> Result<Vec<u8>, Problem> {
    let text = std::str::from_utf8(&input.bytes).map_err(|_| Problem::new("not UTF-8 text"))?;
    let project = input.project;
    let rel = project.path(input.asset);
    let under_root = crate::resolve::root_relative(rel, &project.config().roots);
    let root_dir = &rel[..rel.len() - under_root.len()];
    let root = module_path_of(under_root).ok_or_else(|| Problem::new("the shader's path names no module"))?;

    let mut options = CompileOptions { imports: true, condcomp: true, ..Default::default() };
    // Bevy's way with shader defs: each one is a feature flag, and a number
    // is also a constant of the `constants` module.
    let mut constants = std::collections::BTreeMap::new();
    let mut defs = shader_defs(project);
    // WESL flags are booleans: Bevy 0.20's pipeline cache bakes in the
    // comparisons its modules make of the storage buffer count.
    if let Some(&ShaderDefValue::UInt(n)) = defs.get("AVAILABLE_STORAGE_BUFFER_BINDINGS") {
        for at_least in [3, 6] {
            defs.insert(
                format!("AVAILABLE_STORAGE_BUFFER_BINDINGS__GE_{at_least}"),
                ShaderDefValue::Bool(n >= at_least),
            );
        }
    }
    for (name, value) in defs {
        let (flag, constant) = match value {
            ShaderDefValue::Bool(b) => (b, None),
            ShaderDefValue::Int(i) => (true, Some(i.to_string())),
            ShaderDefValue::UInt(u) => (true, Some(u.to_string())),
        };
        options.features.flags.insert(name.clone(), Feature::from(flag));
        if let Some(c) = constant {
            constants.insert(name, c);
        }
    }
    let constants: String = constants.iter().map(|(n, v)| format!("const {n} = {v};\n")).collect();
    let resolver = Resolver { project, library: input.modules, root_dir, root: &root, text, constants };

    let compiled = wesl::compile_sourcemap(&root, &resolver, &wesl::EscapeMangler, &options)
        .map_err(|e| compose_problem(&e, &root, &resolver))?;
    let output = compiled.to_string();
    let sourcemap = compiled.sourcemap.as_ref();
    let placed = |message: String, span: Option<std::ops::Range<usize>>| {
        place(message, span, &output, text, &root, sourcemap, &resolver)
    };
    let module = naga::front::wgsl::parse_str(&output).map_err(|e| {
        let span = e.labels().next().and_then(|(s, _)| s.to_range());
        placed(format!("invalid shader: {}", e.message()), span)
    })?;
    let info = Validator::new(ValidationFlags::all(), Capabilities::all()).validate(&module).map_err(|e| {
        let spans: Vec<_> = e.spans().filter_map(|(s, _)| s.to_range()).collect();
        let snippet = spans.last().and_then(|r| output.get(r.clone()));
        let function = match e.as_inner() {
            naga::valid::ValidationError::Function { .. } | naga::valid::ValidationError::EntryPoint { .. } => {
                spans.first().and_then(|r| output.get(r.clone()))
            }
            _ => None,
        };
        placed(format!("invalid shader: {}", readable_message(e.as_inner(), snippet, function)), spans.last().cloned())
    })?;
    // Written back by naga, as the wgsl processor writes its output: one
    // self-contained module in the form every naga-based loader reads.
    naga::back::wgsl::write_string(&module, &info, naga::back::wgsl::WriterFlags::empty())
        .map(String::into_bytes)
        .map_err(|e| Problem::new(format!("cannot write the composed shader: {e}")))
}

/// `shaders/custom.wesl` → `package::shaders::custom`, as Bevy names an
/// asset's module (its path without the extension).
fn module_path_of(under_root: &str) -> Option<ModulePath> {
    let stem = under_root.rsplit_once('.').map_or(under_root, |(s, _)| s);
    let components: Vec<String> = stem.split('/').filter(|c| !c.is_empty()).map(str::to_owned).collect();
    (!components.is_empty()).then_some(ModulePath { origin: PathOrigin::Absolute, components })
}

struct Resolver<'a> {
    project: &'a Project,
    library: &'a ModulePaths,
    /// The asset root's folder, relative to the project (`assets/`).
    root_dir: &'a str,
    root: &'a ModulePath,
    /// The asset's text: the root module is not read again.
    text: &'a str,
    constants: String,
}

impl Resolver<'_> {
    /// The package a module path is under: wesl renames a package imported
    /// from inside another `outer/inner` (Bevy keeps the last name too).
    fn package(path: &ModulePath) -> Option<&str> {
        match &path.origin {
            PathOrigin::Package(p) => Some(p.rsplit('/').next().unwrap_or(p)),
            _ => None,
        }
    }

    /// The project-relative path of a project module.
    fn file_of(&self, path: &ModulePath) -> String {
        format!("{}{}.wesl", self.root_dir, path.components.join("/"))
    }

    /// How a message names a module: a project file by its path, a
    /// package's module by its import path.
    fn name(&self, path: &ModulePath) -> String {
        match Self::package(path) {
            Some(p) => {
                std::iter::once(p).chain(path.components.iter().map(String::as_str)).collect::<Vec<_>>().join("::")
            }
            None => self.file_of(path),
        }
    }
}

impl wesl::Resolver for Resolver<'_> {
    fn resolve_source<'a>(&'a self, path: &ModulePath) -> Result<Cow<'a, str>, ResolveError> {
        let not_found = |why: String| ResolveError::ModuleNotFound(path.clone(), why);
        let Some(package) = Self::package(path) else {
            if path == self.root {
                return Ok(blocks::flatten(self.text));
            }
            let rel = self.file_of(path);
            return std::fs::read_to_string(self.project.abs_path(&rel))
                .map(|t| Cow::Owned(blocks::flatten(&t).into_owned()))
                .map_err(|e| not_found(format!("cannot read `{rel}`: {e}")));
        };
        if package == "constants" && path.components.is_empty() {
            return Ok(Cow::Borrowed(&self.constants));
        }
        let import = self.name(path);
        let krate = self.library.locate(self.project, &import).map_err(not_found)?;
        let Some(krate) = krate else {
            return Err(not_found(format!("no package `{package}`: neither a Bevy crate (`bevy_…`) nor `constants`")));
        };
        let file = krate.dir.join("src").join(format!("{}.wesl", path.components.join("/")));
        std::fs::read_to_string(&file).map(|t| Cow::Owned(blocks::flatten(&t).into_owned())).map_err(|_| {
            not_found(format!(
                "crate `{}` {} has no module `{import}` (no {})",
                krate.name,
                krate.version,
                file.display()
            ))
        })
    }

    fn display_name(&self, path: &ModulePath) -> Option<String> {
        Some(self.name(path))
    }
}

/// A composition error: at its place in the asset when it is there,
/// naming the module otherwise.
fn compose_problem(e: &wesl::Error, root: &ModulePath, resolver: &Resolver<'_>) -> Problem {
    // The innermost diagnostic knows the module and span; its error the words.
    let mut error = e;
    let mut module = None;
    let mut span = None;
    while let wesl::Error::Error(d) = error {
        module = d.detail.module_path.clone().or(module);
        span = d.detail.span.or(span);
        error = &d.error;
    }
    let mut missing = None;
    let message = match error {
        wesl::Error::ResolveError(ResolveError::ModuleNotFound(path, why))
        | wesl::Error::ImportError(wesl::ImportError::ResolveError(ResolveError::ModuleNotFound(path, why))) => {
            missing = Some(resolver.name(path));
            format!("cannot import `{}`: {why}", resolver.name(path))
        }
        other => other.to_string(),
    };
    // A missing package module comes with no span: placed at its import
    // when the asset writes it out whole (`import bevy_pbr::a::b::X;`).
    if let Some(name) = &missing
        && module.as_ref().is_none_or(|m| m == root)
        && let Some(at) = import_position(resolver.text, name)
    {
        return Problem::at(message, TextRange::new(at as u32, (at + name.len()) as u32));
    }
    match (module, span) {
        (Some(m), Some(s)) if &m == root => {
            let s = floor_char(s.start, resolver.text)..floor_char(s.end, resolver.text);
            Problem::at(message, TextRange::new(s.start as u32, s.end.max(s.start) as u32))
        }
        (Some(m), _) if &m != root => Problem::new(format!("in `{}`: {message}", resolver.name(&m))),
        _ => Problem::new(message),
    }
}

/// Where `import` (`a::b`) is written whole on an `import` line of `text`.
fn import_position(text: &str, import: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        if !trimmed.starts_with("import") {
            continue;
        }
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let found = line.match_indices(import).map(|(i, _)| i).find(|&i| {
            !line[..i].ends_with(|c: char| ident(c) || c == ':') && !line[i + import.len()..].starts_with(ident)
        });
        if let Some(i) = found {
            return Some(start + i);
        }
    }
    None
}

/// A naga error at `span` of the composed output, placed in the asset. The
/// output is wesl's printing of the modules' syntax, so offsets differ from
/// the asset's: the declaration around the span is found in the output, the
/// source map says which module it came from, and within that declaration
/// in the asset the erroneous text is looked up (spaces aside). A
/// declaration of another module names that module.
fn place(
    message: String,
    span: Option<std::ops::Range<usize>>,
    output: &str,
    text: &str,
    root: &ModulePath,
    sourcemap: Option<&wesl::BasicSourceMap>,
    resolver: &Resolver<'_>,
) -> Problem {
    let message = unmangle(&message, sourcemap);
    let Some(span) = span.filter(|s| s.end <= output.len() && output.is_char_boundary(s.start)) else {
        return Problem::new(message);
    };
    let Some(decl) = declaration_before(output, span.start) else { return Problem::new(message) };
    let (module, name) = match sourcemap.and_then(|m| m.get_decl(decl)) {
        Some((module, name)) => (module.clone(), name.to_owned()),
        // Declarations of the root module keep their names.
        None => (root.clone(), decl.to_owned()),
    };
    if &module != root {
        return Problem::new(format!("in `{}` (`{name}`): {message}", resolver.name(&module)));
    }
    let from = declaration_start(text, &name).unwrap_or(0);
    let snippet = output.get(span.clone()).unwrap_or_default();
    match find_ignoring_spaces(&text[from..], snippet) {
        Some(r) => Problem::at(message, TextRange::new((from + r.start) as u32, (from + r.end) as u32)),
        None => match declaration_start(text, &name) {
            Some(at) => Problem::at(message, TextRange::new(at as u32, (at + name.len()) as u32)),
            None => Problem::new(message),
        },
    }
}

/// `message` with the mangled names of imported declarations
/// (`package_shaders_util_1X`) back to the names the modules write (`X`).
fn unmangle(message: &str, sourcemap: Option<&wesl::BasicSourceMap>) -> String {
    let Some(map) = sourcemap else { return message.to_owned() };
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(ident) {
        out.push_str(&rest[..start]);
        let word = &rest[start..];
        let end = word.find(|c: char| !ident(c)).unwrap_or(word.len());
        let word = &word[..end];
        out.push_str(map.get_decl(word).map_or(word, |(_, name)| name));
        rest = &rest[start + end..];
    }
    out.push_str(rest);
    out
}

const DECLARATION_KEYWORDS: [&str; 6] = ["fn", "struct", "var", "const", "override", "alias"];

/// The name of the last top-level declaration starting before `at` in
/// wesl's output (declarations start their line there: `fn name(`,
/// `var<uniform> name:`, after attributes on lines of their own).
fn declaration_before(output: &str, at: usize) -> Option<&str> {
    let mut found = None;
    let mut offset = 0;
    for line in output.split_inclusive('\n') {
        if offset > at {
            break;
        }
        offset += line.len();
        let mut words = line.split(|c: char| c.is_whitespace() || c == '<' || c == '(' || c == ':' || c == '=');
        let keyword = words.next().unwrap_or_default();
        let keyword = keyword.split('>').next_back().unwrap_or(keyword);
        if DECLARATION_KEYWORDS.contains(&keyword) || line.starts_with("var<") {
            let rest = line.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            let rest = match rest.strip_prefix('<') {
                Some(r) => r.split_once('>').map_or(r, |(_, r)| r),
                None => rest,
            };
            let name = rest.trim_start();
            let end = name.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(name.len());
            if end > 0 {
                found = Some(&name[..end]);
            }
        }
    }
    found
}

/// Where the declaration of `name` starts its name in `text`: the first
/// `fn name`, `struct name`, … written there.
fn declaration_start(text: &str, name: &str) -> Option<usize> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name).map(|(i, _)| i).find(|&i| {
        let before = text[..i].trim_end();
        let after_ok = !text[i + name.len()..].starts_with(ident);
        let word_before = before.rsplit(|c: char| !ident(c)).next().unwrap_or_default();
        let keyword = DECLARATION_KEYWORDS.contains(&word_before) || before.ends_with('>') && before.contains("var");
        after_ok && keyword && !text[..i].ends_with(ident)
    })
}

/// The first place `needle` is written in `hay`, spaces and line breaks
/// aside (wesl prints expressions in its own spacing).
fn find_ignoring_spaces(hay: &str, needle: &str) -> Option<std::ops::Range<usize>> {
    let wanted: Vec<char> = needle.chars().filter(|c| !c.is_whitespace()).collect();
    if wanted.is_empty() {
        return None;
    }
    let chars: Vec<(usize, char)> = hay.char_indices().filter(|(_, c)| !c.is_whitespace()).collect();
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    (0..chars.len().saturating_sub(wanted.len() - 1)).find_map(|i| {
        let window = &chars[i..i + wanted.len()];
        if !window.iter().map(|&(_, c)| c).eq(wanted.iter().copied()) {
            return None;
        }
        let (start, _) = window[0];
        let (last, c) = window[wanted.len() - 1];
        let end = last + c.len_utf8();
        // A whole word at each end: `x` is not the `x` of `max`.
        let clean_start = !ident(wanted[0]) || !hay[..start].ends_with(ident);
        let clean_end = !ident(wanted[wanted.len() - 1]) || !hay[end..].starts_with(ident);
        (clean_start && clean_end).then_some(start..end)
    })
}

/// `i` moved down to a character boundary of `s` (and into it).
fn floor_char(i: usize, s: &str) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_is_found_whatever_the_spacing_and_as_a_whole_word() {
        let hay = "let m = max(1.0,2.0);\nlet x: f32 = vec3< f32 >(1.0);";
        let r = find_ignoring_spaces(hay, "vec3<f32>(1.0)").unwrap();
        assert_eq!(&hay[r], "vec3< f32 >(1.0)");
        let r = find_ignoring_spaces(hay, "x").unwrap();
        assert_eq!(r.start, hay.find("x:").unwrap());
    }

    #[test]
    fn the_declaration_around_an_output_offset_is_named() {
        let out = "struct S {\n  a: f32,\n}\n\n@group(0) @binding(0)\nvar<uniform> u: S;\n\n@fragment\nfn frag() -> f32 {\n  return 1.0;\n}\n";
        assert_eq!(declaration_before(out, out.find("return").unwrap()), Some("frag"));
        assert_eq!(declaration_before(out, out.find("a:").unwrap()), Some("S"));
        assert_eq!(declaration_before(out, out.find("u:").unwrap()), Some("u"));
        assert_eq!(declaration_start("fn frag() {}\nfn main() { frag(); }", "main"), Some(16));
    }
}
