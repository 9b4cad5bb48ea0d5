//! The built-in processors and the external-tool runner. Each is a function
//! of its input (source bytes, settings, and for scenes what the asset's
//! references resolve to): the same input gives the same bytes.

mod external;
mod image;
mod minify;
mod scene;
mod wesl;
mod wgsl;

pub(crate) use wgsl::{ModulePaths, cache_key as wgsl_cache_key};

use std::path::Path;

use super::settings::Processor;
use crate::project::{FileId, Project};
use crate::text::TextRange;

/// What one asset's processing starts from.
pub(super) struct Input<'a> {
    pub project: &'a Project,
    pub asset: FileId,
    /// The source file, absolute.
    pub source: &'a Path,
    pub bytes: Vec<u8>,
    pub settings: &'a toml::Table,
    /// Where an external tool writes its output (a temporary file).
    pub scratch: &'a Path,
    /// The run's map of WGSL module import paths, built on first use.
    pub modules: &'a ModulePaths,
}

pub(super) enum Output {
    Bytes(Vec<u8>),
    /// The processor wrote `Input::scratch`.
    Scratch,
}

/// Why an asset failed: a message for the user and, when the processor
/// knows it, the byte range in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub range: Option<TextRange>,
    /// The failure comes from the machine, not from the asset's inputs (a
    /// tool that is not installed or did not finish in time, Bevy's sources
    /// not downloaded): the same key may succeed next time, so it is not
    /// kept as the asset's verdict and the asset is tried again each run.
    pub machine: bool,
}

impl Problem {
    pub(super) fn new(message: impl Into<String>) -> Problem {
        Problem { message: message.into(), range: None, machine: false }
    }

    pub(super) fn at(message: impl Into<String>, range: TextRange) -> Problem {
        Problem { message: message.into(), range: Some(range), machine: false }
    }

    /// This problem depends on the machine (see [`Problem::machine`]).
    pub(super) fn of_machine(mut self) -> Problem {
        self.machine = true;
        self
    }
}

/// The artifact's extension (without the dot): `None` keeps the source's.
pub(super) fn output_extension(processor: &Processor, settings: &toml::Table) -> Result<Option<String>, Problem> {
    let ext = match processor {
        Processor::Image => image::output_extension(settings)?,
        Processor::External(_, p) => p.output_extension.clone(),
        Processor::Wgsl => wgsl::output_extension(settings)?,
        // The composed shader is WGSL, whatever it was written in.
        Processor::Wesl => Some("wgsl".to_owned()),
        Processor::Copy | Processor::Scene => None,
    };
    match ext {
        // A name part only: no separator, no `..`, nothing that could lead
        // the artifact out of `.assetry/out`.
        Some(e) if e.is_empty() || !e.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') => {
            Err(Problem::new(format!("output extension `{e}` is not a plain extension (letters, digits, `_`, `-`)")))
        }
        other => Ok(other),
    }
}

pub(super) fn run(processor: &Processor, input: Input<'_>) -> Result<Output, Problem> {
    match processor {
        Processor::Copy => Ok(Output::Bytes(input.bytes)),
        Processor::Scene => scene::process(&input).map(Output::Bytes),
        Processor::Image => image::process(&input).map(Output::Bytes),
        Processor::Wgsl => wgsl::process(&input, input.modules).map(Output::Bytes),
        Processor::Wesl => wesl::process(&input).map(Output::Bytes),
        Processor::External(name, p) => external::process(name, p, &input).map(|()| Output::Scratch),
    }
}
