//! `assetry fix [DIR] --to-ids | --repair`: the editor's fixes, applied to a
//! whole project from the command line. Prints each change; leaves files
//! untouched when nothing needs fixing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use assetry_pipeline::ide::{self, ProjectFixes, SourceChange};

use super::check::counted;

pub fn run(dir: Option<PathBuf>, what: ProjectFixes) -> Result<ExitCode> {
    if !what.to_ids && !what.repair {
        bail!("fix: say what to fix: --to-ids (paths to UUIDs) and/or --repair (moved targets)");
    }
    let project = super::check::open_project(dir)?;
    let change = ide::fix_project(&project, what);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if change.is_empty() {
        writeln!(out, "nothing to fix")?;
        return Ok(ExitCode::SUCCESS);
    }
    let (mut files, mut references) = (0, 0);
    for (path, edits) in &change.edits {
        if edits.is_empty() {
            continue;
        }
        let abs = project.abs_path(path);
        let text = std::fs::read_to_string(&abs).with_context(|| format!("cannot read `{path}`"))?;
        let index = project.line_index(path);
        for e in edits {
            let old = text.get(e.range.start as usize..e.range.end as usize).unwrap_or("");
            let at = index.map(|i| i.position(e.range.start)).unwrap_or_default();
            writeln!(out, "{path}:{}:{}: \"{old}\" -> \"{}\"", at.line + 1, at.character + 1, e.new_text)?;
        }
        write_atomically(&abs, &SourceChange::apply_to(edits, &text))?;
        files += 1;
        references += edits.len();
    }
    writeln!(out, "{} changed in {}", counted(references, "reference"), counted(files, "file"))?;
    Ok(ExitCode::SUCCESS)
}

/// Writes through a temporary file in the same folder and a rename, so an
/// interrupted run never leaves a half-written asset.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.assetry-fix"));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace `{}`", path.display()))
}
