//! `wgsl`: a shader composed as Bevy composes it (naga_oil), then checked by
//! naga's validator; the artifact is the composed WGSL, one self-contained
//! module. Quoted imports (`#import "shaders/common.wgsl"::shade`) are the
//! asset's build dependencies in the graph, added as modules named by their
//! quoted path as Bevy names them; module imports (`#import my::lighting`)
//! are found among the project's shaders by their `#define_import_path`.
//! A parse or type error in the shader itself is reported at its line and
//! column; one inside an imported module names that module.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use naga::valid::{Capabilities, ValidationFlags, Validator};
use naga_oil::compose::{
    ComposableModuleDescriptor, Composer, ComposerError, NagaModuleDescriptor, ShaderLanguage, ShaderType,
};

use super::{Input, Problem};
use crate::extract::DepKind;
use crate::project::{FileId, Project};
use crate::text::TextRange;

/// `#define_import_path` → the shader that declares it, built once per run
/// and only when a shader is processed (a no-op run reads no shader).
pub(crate) type ModulePaths = OnceLock<HashMap<String, FileId>>;

pub(super) fn process(input: &Input<'_>, modules: &ModulePaths) -> Result<Vec<u8>, Problem> {
    let text = std::str::from_utf8(&input.bytes).map_err(|_| Problem::new("not UTF-8 text"))?;
    let project = input.project;
    let mut composer = Composer::default();
    let mut added = HashSet::new();
    add_quoted_imports(project, input.asset, &mut composer, &mut added, 0)?;
    add_module_imports(project, text, modules, &mut composer, &mut added, 0)?;
    let path = input.source.to_string_lossy().into_owned();
    let module = composer
        .make_naga_module(NagaModuleDescriptor {
            source: text,
            file_path: &path,
            shader_type: ShaderType::Wgsl,
            ..Default::default()
        })
        .map_err(|e| problem(&e, &composer, text, &path))?;
    let info = Validator::new(ValidationFlags::all(), Capabilities::all())
        .validate(&module)
        .map_err(|e| Problem::new(format!("invalid shader: {}", e.as_inner())))?;
    naga::back::wgsl::write_string(&module, &info, naga::back::wgsl::WriterFlags::empty())
        .map(String::into_bytes)
        .map_err(|e| Problem::new(format!("cannot write the composed shader: {e}")))
}

const MAX_DEPTH: usize = 64;

/// Adds the shaders `file` imports by quoted path, dependencies first.
fn add_quoted_imports(
    project: &Project,
    file: FileId,
    composer: &mut Composer,
    added: &mut HashSet<String>,
    depth: usize,
) -> Result<(), Problem> {
    if depth > MAX_DEPTH {
        return Err(Problem::new("imports nest deeper than 64 levels"));
    }
    let Some(f) = project.file(file) else { return Ok(()) };
    for (r, res) in f.refs().iter().zip(f.resolutions()) {
        if r.kind != DepKind::Build {
            continue;
        }
        let Some(target) = res.target() else {
            return Err(Problem::at(format!("import `{}` does not resolve to a shader", r.value), r.range));
        };
        let name = format!("\"{}\"", r.value);
        if !added.insert(name.clone()) {
            continue;
        }
        add_quoted_imports(project, target, composer, added, depth + 1)?;
        let abs = project.abs_path(project.path(target));
        let source = std::fs::read_to_string(&abs)
            .map_err(|e| Problem::at(format!("cannot read import `{}`: {e}", r.value), r.range))?;
        add_module_imports(project, &source, &OnceLock::new(), composer, added, depth + 1)?;
        let path = abs.to_string_lossy().into_owned();
        let result = composer
            .add_composable_module(ComposableModuleDescriptor {
                source: &source,
                file_path: &path,
                language: ShaderLanguage::Wgsl,
                as_name: Some(name),
                ..Default::default()
            })
            .map(|_| ());
        if let Err(e) = result {
            let message = report_message(&e.emit_to_string(composer));
            return Err(Problem::at(format!("in import `{}`: {message}", r.value), r.range));
        }
    }
    Ok(())
}

/// Adds the modules `source` imports by module path (`#import a::b`), found
/// by their `#define_import_path` among the project's shaders.
fn add_module_imports(
    project: &Project,
    source: &str,
    modules: &ModulePaths,
    composer: &mut Composer,
    added: &mut HashSet<String>,
    depth: usize,
) -> Result<(), Problem> {
    if depth > MAX_DEPTH {
        return Err(Problem::new("imports nest deeper than 64 levels"));
    }
    let (_, imports, _) = naga_oil::compose::get_preprocessor_data(source);
    for import in imports {
        let name = import.import.clone();
        if name.starts_with('"') || added.contains(&name) || composer.contains_module(&name) {
            continue;
        }
        let paths = modules.get_or_init(|| module_paths(project));
        // `#import a::b::item` names module `a::b`; try the longest known prefix.
        let Some((module, file)) = prefixes(&name).find_map(|m| paths.get(m).map(|f| (m.to_owned(), *f))) else {
            continue; // naga_oil reports the missing import with its position
        };
        if !added.insert(module.clone()) {
            continue;
        }
        let abs = project.abs_path(project.path(file));
        let text =
            std::fs::read_to_string(&abs).map_err(|e| Problem::new(format!("cannot read module `{module}`: {e}")))?;
        add_quoted_imports(project, file, composer, added, depth + 1)?;
        add_module_imports(project, &text, modules, composer, added, depth + 1)?;
        let path = abs.to_string_lossy().into_owned();
        let result = composer
            .add_composable_module(ComposableModuleDescriptor {
                source: &text,
                file_path: &path,
                language: ShaderLanguage::Wgsl,
                ..Default::default()
            })
            .map(|_| ());
        if let Err(e) = result {
            let message = report_message(&e.emit_to_string(composer));
            return Err(Problem::new(format!("in module `{module}`: {message}")));
        }
    }
    Ok(())
}

fn prefixes(name: &str) -> impl Iterator<Item = &str> {
    let mut ends: Vec<usize> = name.match_indices("::").map(|(i, _)| i).collect();
    ends.push(name.len());
    ends.into_iter().rev().map(move |e| &name[..e])
}

fn module_paths(project: &Project) -> HashMap<String, FileId> {
    let mut out = HashMap::new();
    for (path, id) in project.files_by_path() {
        if !path.ends_with(".wgsl") || !project.file(id).is_some_and(|f| f.is_asset()) {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(project.abs_path(path))
            && let (Some(name), _, _) = naga_oil::compose::get_preprocessor_data(&text)
        {
            out.entry(name).or_insert(id);
        }
    }
    out
}

/// A composer error in the shader itself, at its line and column: the
/// preprocessor keeps lines and columns of code lines, so a position in the
/// composed source is the same line and column in the file.
fn problem(e: &ComposerError, composer: &Composer, text: &str, path: &str) -> Problem {
    use naga_oil::compose::ComposerErrorInner as E;
    let report = e.emit_to_string(composer);
    let message = report_message(&report);
    if e.source.path(composer) != path {
        return Problem::new(format!("in an imported module: {message}"));
    }
    let processed = e.source.source(composer);
    let offset = e.source.offset();
    // A validation error's spans go from the function to the expression at
    // fault, its sources from the general to the precise: the last of each.
    let message = match &e.inner {
        E::ShaderValidationError(v) | E::HeaderValidationError(v) => {
            let mut inner: &dyn std::error::Error = v.as_inner();
            while let Some(next) = inner.source() {
                inner = next;
            }
            format!("invalid shader: {inner}")
        }
        _ => message,
    };
    let span = match &e.inner {
        E::ShaderValidationError(v) | E::HeaderValidationError(v) => v.spans().filter_map(|(s, _)| s.to_range()).last(),
        E::WgslParseError(p) => p.labels().next().and_then(|(s, _)| s.to_range()),
        E::ImportNotFound(_, pos) | E::ImportParseError(_, pos) => Some(*pos..*pos),
        _ => None,
    };
    let Some(span) = span else { return Problem::new(message) };
    // naga_oil keeps a module index above bit 21 of every span (its SPAN_SHIFT).
    let mask = (1usize << 21) - 1;
    let start = (span.start & mask).saturating_sub(offset).min(processed.len());
    let before = &processed[..start];
    let line = before.matches('\n').count();
    let column = before.rsplit('\n').next().map_or(0, str::len);
    let line_start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let at = (line_start + column).min(text.len());
    let len = (span.end & mask).saturating_sub(span.start & mask).max(1);
    let end = (at + len).min(text.lines().nth(line).map_or(text.len(), |l| line_start + l.len()));
    Problem::at(message, TextRange::new(at as u32, end.max(at) as u32))
}

/// The headline of a codespan report: `error: …` plus its primary label.
fn report_message(report: &str) -> String {
    let head = report.lines().find_map(|l| l.trim().strip_prefix("error: ")).unwrap_or_else(|| report.trim());
    let label = report.lines().find_map(|l| {
        let l = l.trim_start();
        let rest = l.split_once('│').map(|(_, r)| r.trim())?;
        rest.starts_with('^').then(|| rest.trim_start_matches('^').trim().to_owned())
    });
    match label {
        Some(label) if !label.is_empty() && !head.contains(&label) => format!("{head}: {label}"),
        _ => head.to_owned(),
    }
}
