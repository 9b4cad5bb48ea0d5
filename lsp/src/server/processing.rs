//! Processing in the language server, off the request path: each project
//! gets a [`Background`] processor (its own thread and project, fed the same
//! change batches), whose results come back to the engine thread as jobs.
//! A failed asset gets a `processing-failed` diagnostic, at the source
//! position when the processor knows it, published with the file's other
//! diagnostics and cleared when the asset processes again. A run with work
//! to do is wrapped in `$/progress` begin/end when the client supports it.
//!
//! On when the client asks (`initializationOptions: {"process": true,
//! "profile": "P"}`; the VS Code extension's `assetry.processing.enabled`)
//! or the project sets `[reload]`: a first run writes a processed copy of
//! every asset, which opening a project in an editor should not do unasked.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use assetry_pipeline::process::background::{Background, Event};
use assetry_pipeline::process::{RunOptions, RunReport};
use assetry_pipeline::scan::read_text;
use assetry_pipeline::{Change, ChangeBatch, Code, Diagnostic, FileDiagnostics, LineIndex};
use tower_lsp_server::ls_types::{self, InitializeParams};

use super::convert;
use super::workspace::{Outgoing, Workspace};

#[derive(Default)]
pub struct Processing {
    setup: Option<Setup>,
    running: HashMap<PathBuf, Running>,
    runs: u64,
}

struct Setup {
    profile: String,
    progress: bool,
}

struct Running {
    background: Background,
    /// Failures of the last run, by project-relative path.
    failed: HashMap<String, Vec<ls_types::Diagnostic>>,
    /// The token of the run in progress, when its begin was sent.
    token: Option<String>,
    /// When and why each asset was last processed, for hover.
    last: HashMap<String, (u64, String)>,
}

impl Processing {
    /// Reads the client's choice from its `initialize` request.
    pub fn from_initialize(params: &InitializeParams) -> Processing {
        let options = params.initialization_options.as_ref();
        let on = options.and_then(|o| o.get("process")).and_then(|v| v.as_bool()).unwrap_or(false);
        let profile = options.and_then(|o| o.get("profile")).and_then(|v| v.as_str()).unwrap_or("default");
        let progress = params.capabilities.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false);
        Processing { setup: on.then(|| Setup { profile: profile.to_owned(), progress }), ..Processing::default() }
    }
}

impl Workspace {
    pub fn set_processing(&mut self, processing: Processing) {
        self.processing = processing;
    }

    /// Starts processing the project at `root` (just opened).
    pub(super) fn start_processing(&mut self, root: &Path) {
        let Some(enqueue) = self.enqueue.clone() else { return };
        // Hot reload needs processing: a project with `[reload]` set is processed (server/reload.rs).
        let Some(profile) =
            self.processing.setup.as_ref().map(|s| s.profile.clone()).or_else(|| self.reload_profile(root))
        else {
            return;
        };
        self.start_reload(root, &profile);
        let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
        let options = RunOptions { profile, jobs, history: true };
        let at = root.to_owned();
        let background = Background::start(root.to_owned(), options, move |event| {
            let at = at.clone();
            enqueue(Box::new(move |ws: &mut Workspace| ws.processed(&at, event)));
        });
        let running = Running { background, failed: HashMap::new(), token: None, last: HashMap::new() };
        self.processing.running.insert(root.to_owned(), running);
    }

    /// Hands a batch the engine applied to the project's processor.
    pub(super) fn processing_changed(&self, slot: usize, changes: &[Change]) {
        if let Some(r) = self.processing.running.get(&self.projects[slot].root) {
            r.background.changed(&ChangeBatch::from(changes.to_vec()));
        }
    }

    /// The `processing-failed` diagnostics of a file, as LSP values.
    pub(super) fn processing_diagnostics(&self, slot: usize, rel: &str) -> Vec<ls_types::Diagnostic> {
        let running = self.processing.running.get(&self.projects[slot].root);
        running.and_then(|r| r.failed.get(rel)).cloned().unwrap_or_default()
    }

    /// Failures as LSP values, placed once, when they arrive: their byte
    /// ranges are in the text the processor read (the disk's, which the
    /// engine's line index may not cover: it covers a file's references),
    /// and a failure shown again after the file changed must keep the place
    /// it was found at.
    fn placed(&self, slot: usize, rel: &str, failures: &[Diagnostic]) -> Vec<ls_types::Diagnostic> {
        let project = &self.projects[slot].project;
        let placed = failures.iter().any(|d| !d.range.is_empty());
        let index = placed.then(|| read_text(&project.abs_path(rel)).map(|t| LineIndex::new(&t))).flatten();
        failures.iter().map(|d| convert::diagnostic(project, |p| self.uri_of(slot, p), index.as_ref(), d)).collect()
    }

    /// A hover line: when the asset at `rel` was last processed, and why.
    pub(super) fn processing_note(&self, slot: usize, rel: &str) -> Option<String> {
        let (at, why) = self.processing.running.get(&self.projects[slot].root)?.last.get(rel)?;
        Some(format!("- processed: {}, because {why}", utc(*at)))
    }

    fn processed(&mut self, root: &Path, event: Event) {
        let progress = self.processing.setup.as_ref().is_some_and(|s| s.progress);
        let Some(slot) = self.projects.iter().position(|s| s.root == root) else { return };
        match event {
            Event::Started { to_process } => {
                if progress && to_process > 0 {
                    self.processing.runs += 1;
                    let token = format!("assetry/process/{}", self.processing.runs);
                    let _ = self.outgoing.send(Outgoing::ProgressBegin {
                        token: token.clone(),
                        title: "Processing assets".to_owned(),
                        message: format!("{to_process} to process"),
                    });
                    if let Some(r) = self.processing.running.get_mut(root) {
                        r.token = Some(token);
                    }
                }
            }
            Event::Error(e) => self.message(tower_lsp_server::ls_types::MessageType::WARNING, format!("assetry: {e}")),
            Event::Finished(report) => self.finished(slot, root, report),
        }
    }

    fn finished(&mut self, slot: usize, root: &Path, report: RunReport) {
        self.reload_finished(slot, root, &report);
        let mut by_file: HashMap<String, Vec<Diagnostic>> = HashMap::new();
        for f in &report.failed {
            let range = f.range.unwrap_or_default();
            let d = Diagnostic::new(Code::ProcessingFailed, &f.path, range, f.message.clone());
            by_file.entry(f.path.clone()).or_default().push(d);
        }
        let failed: HashMap<String, Vec<ls_types::Diagnostic>> =
            by_file.iter().map(|(path, ds)| (path.clone(), self.placed(slot, path, ds))).collect();
        let Some(running) = self.processing.running.get_mut(root) else { return };
        // Files whose processing diagnostics changed: the new failures, and
        // the old ones that processed now (or are gone).
        let mut touched: Vec<String> = failed
            .keys()
            .chain(running.failed.keys())
            .filter(|p| failed.get(*p) != running.failed.get(*p))
            .cloned()
            .collect();
        touched.sort();
        touched.dedup();
        // Assets that did not run this time (skipped) keep their failure only
        // if they failed again; a skipped asset succeeded before.
        running.failed = failed;
        for (path, at, why) in report.history.iter().cloned() {
            running.last.insert(path, (at, why));
        }
        let token = running.token.take();
        let project = &self.projects[slot].project;
        let files: Vec<FileDiagnostics> = touched
            .into_iter()
            .filter(|p| project.file_id(p).is_some())
            .map(|p| FileDiagnostics { diagnostics: project.diagnostics_of(&p).to_vec(), path: p })
            .collect();
        self.publish(slot, files);
        if let Some(token) = token {
            let message = format!("{} processed, {} failed", report.processed.len(), report.failed.len());
            let _ = self.outgoing.send(Outgoing::ProgressEnd { token, message });
        }
    }
}

/// `2026-11-29 13:31:05 UTC` from seconds since the Unix epoch (the civil
/// calendar from a day count, Howard Hinnant's algorithm).
fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::utc(1_709_210_096), "2024-02-29 12:34:56 UTC");
    }
}
