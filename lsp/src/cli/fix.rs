//! `assetry fix [DIR] --to-ids | --repair`: the editor's fixes, applied to a
//! whole project from the command line. Prints each change; leaves files
//! untouched when nothing needs fixing.
//!
//! A run never leaves the project half rewritten by accident: every new
//! text is computed before the first file is written (a file that cannot be
//! read stops the run with nothing changed), each file is replaced whole
//! through a synced temporary file and a rename, and the report is printed
//! only after the writes, so a reader that goes away (`| head`) cannot stop
//! them.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use assetry_pipeline::ide::{self, ProjectFixes, SourceChange};
use assetry_pipeline::scan::read_text;

use super::check::counted;

/// One file's rewrite, computed before anything is written.
struct Rewrite {
    /// Project-relative, as printed.
    path: String,
    abs: PathBuf,
    text: String,
    /// One report line per changed reference.
    lines: Vec<String>,
}

pub fn run(dir: Option<PathBuf>, what: ProjectFixes) -> Result<ExitCode> {
    if !what.to_ids && !what.repair {
        bail!("fix: say what to fix: --to-ids (paths to UUIDs) and/or --repair (moved targets)");
    }
    let project = super::check::open_project(dir)?;
    let config = project.config();
    if what.to_ids && !config.fix_writes_ids {
        bail!(
            "fix --to-ids: this is a {} project ({}), which loads assets by path: ids written into its files \
             would break them (set `fix.ids_in_code = true` in assetry.toml to allow it); nothing was changed",
            config.flavor.as_str(),
            config.flavor_reason
        );
    }
    let change = ide::fix_project(&project, what);
    let mut rewrites = Vec::new();
    for (path, edits) in &change.edits {
        if edits.is_empty() {
            continue;
        }
        let abs = project.abs_path(path);
        // Read as the scan reads: a pipe is refused rather than waited on,
        // and so is a file grown past the size limit since the scan.
        let text = read_text(&abs).ok_or_else(|| {
            anyhow!(
                "cannot read `{path}` (not a readable UTF-8 regular file within the size limit); nothing was changed"
            )
        })?;
        let index = project.line_index(path);
        let lines = edits
            .iter()
            .map(|e| {
                let old = text.get(e.range.start as usize..e.range.end as usize).unwrap_or("");
                let at = index.map(|i| i.position(e.range.start)).unwrap_or_default();
                format!("{path}:{}:{}: \"{old}\" -> \"{}\"", at.line + 1, at.character + 1, e.new_text)
            })
            .collect();
        rewrites.push(Rewrite { path: path.clone(), text: SourceChange::apply_to(edits, &text), abs, lines });
    }
    drop(change);

    let mut failed = Vec::new();
    let mut folders = BTreeSet::new();
    for rewrite in &rewrites {
        match write_atomically(&rewrite.abs, &rewrite.text) {
            Ok(folder) => {
                folders.insert(folder);
            }
            Err(err) => failed.push((rewrite.path.as_str(), err)),
        }
    }
    // The renames are durable once their folders are synced.
    for folder in folders {
        if let Ok(f) = std::fs::File::open(&folder) {
            let _ = f.sync_all();
        }
    }

    let written: Vec<&Rewrite> = rewrites.iter().filter(|r| !failed.iter().any(|(p, _)| *p == r.path)).collect();
    match report(&written, rewrites.is_empty()) {
        Ok(()) => {}
        // The reader went away (`assetry fix | head`): the files are written,
        // only the rest of the report is lost.
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(err) => eprintln!("warning: cannot print the report: {err}"),
    }
    if !failed.is_empty() {
        for (path, err) in &failed {
            eprintln!("error: cannot write `{path}`: {err}; it is unchanged");
        }
        bail!("{} of {} could not be written", failed.len(), counted(rewrites.len(), "file"));
    }
    Ok(ExitCode::SUCCESS)
}

fn report(written: &[&Rewrite], nothing_to_do: bool) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if nothing_to_do {
        writeln!(out, "nothing to fix")?;
        return out.flush();
    }
    let mut references = 0;
    for rewrite in written {
        for line in &rewrite.lines {
            writeln!(out, "{line}")?;
        }
        references += rewrite.lines.len();
    }
    if written.is_empty() {
        return out.flush();
    }
    writeln!(out, "{} changed in {}", counted(references, "reference"), counted(written.len(), "file"))?;
    out.flush()
}

/// Replaces `path` with `text` through a temporary file in the same folder
/// (synced, then renamed over it), so a crash or a full disk leaves either
/// the old file or the new one. Writes through a symbolic link to the file
/// it names. Returns the folder, to be synced once after all renames.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<PathBuf> {
    let target = std::fs::canonicalize(path)?;
    let folder = target.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let permissions = std::fs::metadata(&target)?.permissions();
    // A dotfile: the watcher and the scan ignore it while it exists.
    let mut tmp = tempfile::Builder::new().prefix(".assetry-fix-").tempfile_in(&folder)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().set_permissions(permissions)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&target).map_err(|e| e.error)?;
    Ok(folder)
}
