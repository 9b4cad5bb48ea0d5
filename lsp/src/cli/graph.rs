//! `assetry graph [DIR] [--format dot|json] [--from PATH]`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use assetry_pipeline::{FileId, Project, graph};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Dot,
    Json,
}

pub fn run(dir: Option<PathBuf>, format: Format, from: Option<String>) -> Result<ExitCode> {
    let project = super::check::open_project(dir)?;
    let start = match from {
        Some(path) => Some(find_asset(&project, &path)?),
        None => None,
    };
    let export = graph::export(&project, start);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Json => {
            serde_json::to_writer(&mut out, &export)?;
            writeln!(out)?;
        }
        Format::Dot => out.write_all(export.to_dot().as_bytes())?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `--from` accepts a project-relative path, a path relative to an asset
/// root (as references are written), or a file-system path.
fn find_asset(p: &Project, path: &str) -> Result<FileId> {
    let norm = path.trim_start_matches("./").replace('\\', "/");
    let mut candidates = vec![norm.clone()];
    candidates.extend(p.config().roots.iter().map(|r| format!("{r}/{norm}")));
    if let Ok(abs) = std::path::Path::new(path).canonicalize()
        && let Some(rel) = p.rel_path(&abs)
    {
        candidates.push(rel);
    }
    for c in candidates {
        if let Some(id) = p.file_id(&c).filter(|id| p.file(*id).is_some_and(|f| f.is_asset())) {
            return Ok(id);
        }
    }
    bail!("--from `{path}`: no such asset in the project")
}
