//! `wgsl`: a shader composed as Bevy composes it (naga_oil), then checked by
//! naga's validator; the artifact is the composed WGSL, one self-contained
//! module. Every import the engine resolved is a build edge of the graph
//! (so the cache keys follow it): quoted imports
//! (`#import "shaders/common.wgsl"::shade`) are added as modules named by
//! their quoted path as Bevy names them, module imports (`#import
//! my::lighting`) under the name their shader declares with
//! `#define_import_path`. A module no project shader declares is looked up
//! among Bevy's own shaders ([`library`]). A parse or type error in the
//! shader itself is reported at its line and column; one inside an
//! imported module names that module.

mod errors;
mod library;
mod readable;

use std::collections::HashSet;

use naga::valid::{Capabilities, ValidationFlags, Validator};
use naga_oil::compose::{ComposableModuleDescriptor, Composer, NagaModuleDescriptor, ShaderLanguage, ShaderType};

use super::{Input, Problem};
use crate::extract::DepKind;
use crate::project::{FileId, Project};

pub(crate) use library::{Library as ModulePaths, cache_key};
// The wesl processor's: Bevy's crates, its shader defs, naga's messages.
pub(super) use library::shader_defs;
pub(super) use readable::message as readable_message;

pub(super) fn process(input: &Input<'_>, library: &ModulePaths) -> Result<Vec<u8>, Problem> {
    let text = std::str::from_utf8(&input.bytes).map_err(|_| Problem::new("not UTF-8 text"))?;
    let mut cx = Compose { project: input.project, library, composer: Composer::default(), added: HashSet::new() };
    cx.add_imports(input.asset, text, 0)?;
    let path = input.source.to_string_lossy().into_owned();
    let mut composer = cx.composer;
    let module = composer
        .make_naga_module(NagaModuleDescriptor {
            source: text,
            file_path: &path,
            shader_type: ShaderType::Wgsl,
            shader_defs: library::shader_defs(input.project),
            ..Default::default()
        })
        .map_err(|e| errors::problem(&e, &composer, text, &path))?;
    let info = Validator::new(ValidationFlags::all(), Capabilities::all())
        .validate(&module)
        .map_err(|e| Problem::new(format!("invalid shader: {}", e.as_inner())))?;
    match output_extension(input.settings)?.as_deref() {
        Some("spv") => spirv(&module, &info),
        _ => naga::back::wgsl::write_string(&module, &info, naga::back::wgsl::WriterFlags::empty())
            .map(String::into_bytes)
            .map_err(|e| Problem::new(format!("cannot write the composed shader: {e}"))),
    }
}

/// The setting `format`: `"wgsl"` (the default: the composed WGSL, same
/// extension) or `"spirv"` (a SPIR-V binary, `.spv`).
pub(super) fn output_extension(settings: &toml::Table) -> Result<Option<String>, Problem> {
    let expected = "expected \"wgsl\" or \"spirv\"";
    match settings.get("format") {
        None => Ok(None),
        Some(toml::Value::String(s)) => match s.as_str() {
            "wgsl" => Ok(None),
            "spirv" => Ok(Some("spv".to_owned())),
            other => Err(Problem::new(format!("wgsl setting `format = \"{other}\"`: {expected}"))),
        },
        Some(v) => Err(Problem::new(format!("wgsl setting `format = {v}`: {expected}"))),
    }
}

/// The validated module as SPIR-V 1.0 words, little-endian. naga's debug
/// builds would add debug info by default: left out, so every build of
/// Assetry writes the same bytes.
fn spirv(module: &naga::Module, info: &naga::valid::ModuleInfo) -> Result<Vec<u8>, Problem> {
    let mut options = naga::back::spv::Options::default();
    options.flags.remove(naga::back::spv::WriterFlags::DEBUG);
    let words = naga::back::spv::write_vec(module, info, &options, None)
        .map_err(|e| Problem::new(format!("cannot write SPIR-V: {e}")))?;
    Ok(words.iter().flat_map(|w| w.to_le_bytes()).collect())
}

const MAX_DEPTH: usize = 64;

struct Compose<'a> {
    project: &'a Project,
    library: &'a ModulePaths,
    composer: Composer,
    /// Names of the modules added (or being added): each once.
    added: HashSet<String>,
}

impl Compose<'_> {
    /// Adds what `file` (whose text is `text`) imports, dependencies first:
    /// the targets of its build references, then the modules it imports
    /// that no project shader declares (Bevy's). A problem is placed at the
    /// import when `file` is the asset processed (`depth` 0).
    fn add_imports(&mut self, file: FileId, text: &str, depth: usize) -> Result<(), Problem> {
        if depth > MAX_DEPTH {
            return Err(Problem::new("imports nest deeper than 64 levels"));
        }
        let project = self.project;
        let Some(f) = project.file(file) else { return Ok(()) };
        let at = |message: String, r: &crate::extract::RawRef| match depth {
            0 => Problem::at(message, r.range),
            _ => Problem::new(format!("{message} (imported by `{}`)", project.path(file))),
        };
        for (r, res) in f.refs().iter().zip(f.resolutions()) {
            if r.kind != DepKind::Build {
                continue;
            }
            // A quoted import's path follows its opening quote.
            let quoted = r.range.start > 0 && text.as_bytes().get(r.range.start as usize - 1) == Some(&b'"');
            let Some(target) = res.target() else {
                if quoted {
                    return Err(at(format!("import `{}` does not resolve to a shader", r.value), r));
                }
                // Not the project's: Bevy's, or naga_oil reports it missing.
                self.add_library_module(&r.value, depth).map_err(|m| at(m, r))?;
                continue;
            };
            let name = match quoted {
                true => format!("\"{}\"", r.value),
                false => match project.file(target).and_then(|t| t.shader_module()) {
                    Some(module) => module.to_owned(),
                    None => continue,
                },
            };
            if !self.added.insert(name.clone()) {
                continue;
            }
            let abs = project.abs_path(project.path(target));
            let source =
                std::fs::read_to_string(&abs).map_err(|e| at(format!("cannot read import `{}`: {e}", r.value), r))?;
            self.add_imports(target, &source, depth + 1)?;
            let path = abs.to_string_lossy().into_owned();
            let as_name = quoted.then_some(name);
            self.add_module(&source, &path, as_name).map_err(|m| at(format!("in import `{}`: {m}", r.value), r))?;
        }
        // naga_oil's own reading of the imports (`#import bevy_pbr::{a::X,
        // b::Y}` over several lines included): what no project shader
        // declares may be Bevy's.
        let (_, imports, _) = naga_oil::compose::get_preprocessor_data(text);
        for i in imports {
            if !i.import.starts_with('"') && !self.composer.contains_module(&i.import) {
                let placed = |m: String| match (depth, import_position(text, &i.import)) {
                    (0, Some(range)) => Problem::at(m, range),
                    (0, None) => Problem::new(m),
                    _ => Problem::new(format!("{m} (imported by `{}`)", project.path(file))),
                };
                self.add_library_module(&i.import, depth).map_err(placed)?;
            }
        }
        Ok(())
    }

    /// Adds the module of Bevy's that `import` (`a::b::item`) names, with
    /// the modules it imports, if the project's Bevy has it.
    fn add_library_module(&mut self, import: &str, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("imports nest deeper than 64 levels".to_owned());
        }
        let Some(module) = self.library.find(self.project, import)? else { return Ok(()) };
        if !self.added.insert(module.name.clone()) {
            return Ok(());
        }
        let (_, imports, _) = naga_oil::compose::get_preprocessor_data(&module.source);
        for i in imports {
            self.add_library_module(&i.import, depth + 1)?;
        }
        let path = module.path.to_string_lossy().into_owned();
        self.add_module(&module.source, &path, None).map_err(|m| format!("in Bevy's `{}`: {m}", module.name))
    }

    fn add_module(&mut self, source: &str, path: &str, as_name: Option<String>) -> Result<(), String> {
        let result = self.composer.add_composable_module(ComposableModuleDescriptor {
            source,
            file_path: path,
            language: ShaderLanguage::Wgsl,
            as_name,
            shader_defs: library::shader_defs(self.project),
            ..Default::default()
        });
        result.map(|_| ()).map_err(|e| errors::report_message(&e.emit_to_string(&self.composer)))
    }
}

/// Where `import` (`a::b`, as naga_oil expands `#import a::{b}`) is written:
/// its first segment on the first `#import` line that names it.
fn import_position(text: &str, import: &str) -> Option<crate::text::TextRange> {
    let first = import.split("::").next()?;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let Some(rest) = line.trim_start().strip_prefix("#import") else { continue };
        if let Some(at) = rest.find(first) {
            let at = start + (line.len() - rest.len()) + at;
            return Some(crate::text::TextRange::new(at as u32, (at + first.len()) as u32));
        }
    }
    None
}
