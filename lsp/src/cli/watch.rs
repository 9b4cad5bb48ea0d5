//! `assetry watch [DIR] [--profile P]`: the project's diagnostics, live, for
//! a game developer who does not use the editor.
//!
//! It prints the current diagnostics once, then one block per batch of file
//! changes: `+` for a diagnostic that appeared, `-` for one that went away,
//! and the new totals. It stops at the end of standard input (Ctrl-D, or the
//! pipe closing) or on Ctrl-C. It also processes the project (profile
//! `--profile`) on its own thread, once at start and after each batch, and
//! prints what was processed and what failed; the only files written are
//! under `.assetry/`, and stopping at any point leaves them consistent.
//! Games hear about each run through the hot-reload server, started on
//! `[reload] address` (its address written to `.assetry/reload.addr`).
//! In a Bevy project (no ids) a note on standard error says from when a
//! deleted asset is followed to the assets created with its bytes.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, mpsc};
use std::time::SystemTime;

use anyhow::{Result, bail};
use assetry_pipeline::process::background::{Background, Event};
use assetry_pipeline::process::{RunOptions, RunReport};
use assetry_pipeline::project::ContentsReady;
use assetry_pipeline::reload::{ADDR_FILE, ReloadServer};
use assetry_pipeline::{Diagnostic, FileDiagnostics, Project, Severity};
use assetry_watcher::{Notice, WatchEvent, WatchOptions, Watcher};

enum Message {
    Watch(WatchEvent),
    Processing(Event),
    ContentsReady(ContentsReady),
    EndOfInput,
}

pub fn run(dir: Option<PathBuf>, profile: Option<String>) -> Result<ExitCode> {
    let scanned_at = SystemTime::now();
    let mut project = super::check::open_project(dir)?;
    let profile = profile.unwrap_or_else(|| "default".to_owned());
    if !project.config().profiles.contains_key(&profile) {
        let known: Vec<&str> = project.config().profiles.keys().map(String::as_str).collect();
        bail!("unknown profile `{profile}`: assetry.toml defines {}", known.join(", "));
    }
    for err in project.scan_errors() {
        eprintln!("warning: {err}");
    }

    let (tx, rx) = mpsc::channel();
    let mut options = WatchOptions::for_project(&project, Some(scanned_at));
    let mut watcher = start(options.clone(), &tx)?;
    let stdin_tx = tx.clone();
    std::thread::spawn(move || {
        // Only the end of input matters; whatever is typed is discarded.
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        let _ = stdin_tx.send(Message::EndOfInput);
    });

    let mut shown = Shown::default();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(
        out,
        "watching {} (profile {profile}); stop with Ctrl-C or end of input (Ctrl-D)",
        project.root().display()
    )?;
    let initial = project.all_diagnostics();
    for file in &initial {
        for d in &file.diagnostics {
            writeln!(out, "{}", render(&project, d))?;
        }
    }
    shown.update(&project, initial);
    writeln!(out, "{}", shown.summary(&project))?;
    out.flush()?;
    project.prepare_for_changes();
    // Bevy projects (no ids): from the note on, a deleted asset and a
    // created one with the same bytes are a move.
    let ready = tx.clone();
    project.recognise_moves_by_content(move |r| {
        let _ = ready.send(Message::ContentsReady(r));
    });
    let reload = start_reload(&project, &profile);
    let background = start_processing(&project, &profile, &tx);

    for message in rx {
        let batch = match message {
            Message::EndOfInput => break,
            Message::Watch(WatchEvent::Notice(notice @ Notice::Stopped { .. })) => bail!("{notice}"),
            Message::Watch(WatchEvent::Notice(notice)) => {
                eprintln!("note: {notice}");
                continue;
            }
            Message::ContentsReady(ready) => {
                eprintln!("note: {ready}");
                continue;
            }
            Message::Processing(event) => {
                if let (Some(server), Event::Finished(report)) = (&reload, &event) {
                    crate::reload::publish(server, &project, report);
                }
                for line in processing_lines(&project, event) {
                    writeln!(out, "{line}")?;
                }
                out.flush()?;
                continue;
            }
            Message::Watch(WatchEvent::Changes(batch)) => batch,
        };
        background.changed(&batch);
        let files = batch.len();
        let applied_at = SystemTime::now();
        let changed = project.apply(batch);
        if options.differs_from(&project) {
            // assetry.toml moved the roots or the ignores: watch the new set,
            // catching up on folders that changed while the engine rescanned.
            drop(watcher);
            options = WatchOptions::for_project(&project, Some(applied_at));
            watcher = start(options.clone(), &tx)?;
            // Printed once the new watches are in place: from this line on,
            // a change under the new folders is seen.
            writeln!(out, "assetry.toml changed: now watching {}", watched_folders(&options, &project))?;
            out.flush()?;
        }
        let (appeared, gone) = shown.update(&project, changed);
        if appeared.is_empty() && gone.is_empty() {
            continue;
        }
        writeln!(out, "-- {}", super::check::counted(files, "file change"))?;
        for line in gone {
            writeln!(out, "- {line}")?;
        }
        for line in appeared {
            writeln!(out, "+ {line}")?;
        }
        writeln!(out, "{}", shown.summary(&project))?;
        out.flush()?;
    }
    drop(watcher);
    drop(background);
    drop(reload);
    Ok(ExitCode::SUCCESS)
}

/// The hot-reload server, or none (with an error line) when its address
/// cannot be bound: diagnostics and processing go on without it.
fn start_reload(project: &Project, profile: &str) -> Option<ReloadServer> {
    let log = Arc::new(|line: &str| eprintln!("note: {line}"));
    match crate::reload::start(project, profile, log) {
        Ok(server) => {
            eprintln!("note: hot reload on {} (written to {ADDR_FILE})", server.address());
            Some(server)
        }
        Err(e) => {
            eprintln!("error: {e}; hot reload is off");
            None
        }
    }
}

fn start_processing(project: &Project, profile: &str, tx: &mpsc::Sender<Message>) -> Background {
    let tx = tx.clone();
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let options = RunOptions { profile: profile.to_owned(), jobs, history: false };
    Background::start(project.root().to_owned(), options, move |event| {
        let _ = tx.send(Message::Processing(event));
    })
}

/// `processed PATH` per processed asset, `error[processing-failed] PATH:L:C:
/// message` per failure, then `processing: N processed, M failed`; nothing
/// for a run that had nothing to do.
fn processing_lines(project: &Project, event: Event) -> Vec<String> {
    match event {
        Event::Started { .. } => Vec::new(),
        Event::Error(e) => vec![format!("note: {e}")],
        Event::Finished(RunReport { processed, failed, .. }) if processed.is_empty() && failed.is_empty() => Vec::new(),
        Event::Finished(report) => {
            let mut lines: Vec<String> = report.processed.iter().map(|p| format!("processed {p}")).collect();
            for f in &report.failed {
                let pos = f
                    .range
                    .and_then(|r| Some(project.line_index(&f.path)?.position(r.start)))
                    .map_or(String::new(), |p| format!(":{}:{}", p.line + 1, p.character + 1));
                lines.push(format!("error[processing-failed] {}{pos}: {}", f.path, f.message));
            }
            lines.push(format!("processing: {} processed, {} failed", report.processed.len(), report.failed.len()));
            lines
        }
    }
}

/// The asset roots and code folders, relative to the project root.
fn watched_folders(options: &WatchOptions, project: &Project) -> String {
    let folders: Vec<String> = options
        .asset_roots
        .iter()
        .chain(&options.code_dirs)
        .map(|dir| dir.strip_prefix(project.root()).unwrap_or(dir).display().to_string())
        .collect();
    folders.join(", ")
}

fn start(options: WatchOptions, tx: &mpsc::Sender<Message>) -> Result<Watcher> {
    let tx = tx.clone();
    Ok(Watcher::start(options, move |event| {
        // The main loop ended: nothing left to tell.
        let _ = tx.send(Message::Watch(event));
    })?)
}

/// The diagnostics on screen, per file, each with the line it was shown as
/// (a diagnostic that went away is printed as it was, not re-rendered
/// against a file that changed or vanished).
#[derive(Default)]
struct Shown {
    files: HashMap<String, Vec<(Diagnostic, String)>>,
}

impl Shown {
    /// Replaces the diagnostics of the files in `changed`; returns the lines
    /// that appeared and the lines that went away.
    fn update(&mut self, project: &Project, changed: Vec<FileDiagnostics>) -> (Vec<String>, Vec<String>) {
        let (mut appeared, mut gone) = (Vec::new(), Vec::new());
        for file in changed {
            let before = self.files.remove(&file.path).unwrap_or_default();
            let mut now = Vec::with_capacity(file.diagnostics.len());
            for d in file.diagnostics {
                match before.iter().find(|(b, _)| *b == d) {
                    Some((_, line)) => now.push((d, line.clone())),
                    None => {
                        let line = render(project, &d);
                        appeared.push(line.clone());
                        now.push((d, line));
                    }
                }
            }
            for (d, line) in before {
                if !now.iter().any(|(n, _)| *n == d) {
                    gone.push(line);
                }
            }
            if !now.is_empty() {
                self.files.insert(file.path, now);
            }
        }
        (appeared, gone)
    }

    fn summary(&self, project: &Project) -> String {
        let all = self.files.values().flatten();
        let (mut errors, mut warnings) = (0, 0);
        for (d, _) in all {
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
                Severity::Hint => {}
            }
        }
        use super::check::counted;
        format!(
            "{}, {} in {}",
            counted(errors, "error"),
            counted(warnings, "warning"),
            counted(project.asset_count(), "asset")
        )
    }
}

/// `error[broken-path] assets/a.scene.json:4:15: message` (1-based, as
/// compilers print positions).
fn render(project: &Project, d: &Diagnostic) -> String {
    let pos = project.line_index(&d.path).map(|ix| ix.position(d.range.start)).unwrap_or_default();
    format!("{}[{}] {}:{}:{}: {}", d.severity.as_str(), d.code, d.path, pos.line + 1, pos.character + 1, d.message)
}
