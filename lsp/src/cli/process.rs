//! `assetry process [DIR] [--profile P] [--jobs N]`: processes the project
//! once. A progress bar on a terminal; otherwise one line per finished
//! asset (`processed PATH` or the error), then a summary. Exit status 1
//! when an asset failed (the others are still processed), 2 when the run
//! could not start (another process holds the lock, an unknown profile).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use assetry_pipeline::process::{self, Failure, ProcessLock, RunOptions, runner::Progress, snapshot};
use assetry_pipeline::{Config, Project, scan::read_text};

pub fn run(dir: Option<PathBuf>, profile: Option<String>, jobs: Option<usize>) -> Result<ExitCode> {
    let root = super::project_dir(dir)?;
    let lock = ProcessLock::acquire(&process::state_dir(&root))?;
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let options = RunOptions { profile: profile.unwrap_or_else(|| "default".to_owned()), jobs, history: false };
    // Nothing changed since the last clean run: no scan at all. A config
    // that does not load, or an unknown profile, takes the full path, which
    // reports it.
    let started = std::time::Instant::now();
    let inputs = match Config::load(&root) {
        Ok(config) if config.profiles.contains_key(&options.profile) => {
            Some(snapshot::inputs(&root, &config, &options.profile))
        }
        _ => None,
    };
    if let Some(inputs) = &inputs
        && let Some(assets) = snapshot::unchanged(&root, &options.profile, inputs)?
    {
        println!(
            "0 processed, {assets} skipped, 0 failed, 0 sources read in {:.2}s (profile {}; nothing changed since the last run)",
            started.elapsed().as_secs_f64(),
            options.profile
        );
        return Ok(ExitCode::SUCCESS);
    }
    let project = super::check::open_project(Some(root))?;
    let terminal = std::io::stderr().is_terminal();
    let bar = terminal.then(indicatif::ProgressBar::hidden);
    let stdout = std::io::stdout();
    // Not a line per write: 10,000 processed assets were 10,000 writes.
    let mut lines = std::io::BufWriter::new(stdout.lock());
    let mut progress = |p: Progress<'_>| match (&bar, p) {
        (Some(bar), Progress::Planned { to_process, .. }) => {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.set_length(to_process as u64);
        }
        (Some(bar), Progress::Done { .. }) => bar.inc(1),
        (None, Progress::Done { path, ok: true }) => {
            let _ = writeln!(lines, "processed {path}");
        }
        _ => {}
    };
    let mut session = process::Session::default();
    let report = session.run(&project, &options, &lock, None, &mut progress)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    for f in &report.failed {
        writeln!(lines, "error: {}: processing-failed: {}", place(&project, f), f.message)?;
    }
    writeln!(
        lines,
        "{} processed, {} skipped, {} failed, {} sources read in {:.2}s (profile {})",
        report.processed.len(),
        report.skipped,
        report.failed.len(),
        report.sources_read,
        report.elapsed.as_secs_f64(),
        options.profile
    )?;
    lines.flush()?;
    if report.failed.is_empty() {
        if let Some(inputs) = &inputs {
            let assets = report.processed.len() + report.skipped;
            snapshot::record(project.root(), session.store(), &options.profile, inputs, assets)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    Ok(ExitCode::from(1))
}

/// `path` or `path:line:column` (1-based) when the processor knows where.
fn place(project: &Project, f: &Failure) -> String {
    let Some(range) = f.range else { return f.path.clone() };
    let Some(text) = read_text(&project.abs_path(&f.path)) else { return f.path.clone() };
    let at = (range.start as usize).min(text.len());
    let before = text.get(..at).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{}:{line}:{column}", f.path)
}
