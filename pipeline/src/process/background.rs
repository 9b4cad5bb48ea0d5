//! Processing in the background, for `assetry watch` and the language
//! server: a thread that owns its own [`Project`] (opened from disk, kept in
//! step by the same change batches the caller applies), and processes after
//! each batch. Batches that arrive during a run are applied together before
//! the next, so a burst of saves costs one more run, not one per save.
//!
//! The thread keeps its own project rather than borrowing the caller's so a
//! caller (the editor's engine thread) never waits for a processor; editor
//! buffers are left out (`Change::Overlay`): processing reads the disk.

use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::scope::{self, Scope};
use super::{ProcessLock, RunOptions, RunReport, Session, runner::Progress, state_dir};
use crate::{Change, ChangeBatch, Project};

/// What the background thread reports, in order.
#[derive(Debug)]
pub enum Event {
    /// A run starts, with this many assets to process.
    Started {
        to_process: usize,
    },
    Finished(RunReport),
    /// A run could not happen (the lock is held, the project cannot open);
    /// the next batch tries again.
    Error(String),
}

enum Message {
    Changes(ChangeBatch),
    Stop,
}

pub struct Background {
    tx: mpsc::Sender<Message>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Opens the project at `root` on a new thread and processes it once;
    /// then once after each batch given to [`Background::changed`], over what
    /// the batch reaches ([`Scope`]; the whole project when it cannot be
    /// bounded or the run before did not happen).
    pub fn start(root: PathBuf, options: RunOptions, mut on_event: impl FnMut(Event) + Send + 'static) -> Background {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("assetry-process".to_owned())
            .spawn(move || {
                let mut project = match Project::open(&root) {
                    Ok(p) => p,
                    Err(e) => {
                        return on_event(Event::Error(format!("processing: cannot open {}: {e}", root.display())));
                    }
                };
                project.prepare_for_changes();
                let mut options = options;
                let mut session = Session::default();
                // The first run is a full one; then each covers what its batch reached.
                let mut scope: Option<Scope> = None;
                let mut lock = None;
                loop {
                    let ran = run_once(&project, &options, &mut session, &mut lock, scope.as_ref(), &mut on_event);
                    // The history of earlier sessions is told once.
                    options.history = false;
                    // Wait for a batch, then take every other one already queued.
                    // While saves keep coming the store stays open and the lock
                    // held; once idle, both go, so another process can run.
                    let first = match rx.recv_timeout(IDLE) {
                        Ok(m) => Ok(m),
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            session.release();
                            lock = None;
                            rx.recv()
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    };
                    let mut batch = match first {
                        Ok(Message::Changes(b)) => b,
                        Ok(Message::Stop) | Err(_) => return,
                    };
                    loop {
                        match rx.try_recv() {
                            Ok(Message::Changes(more)) => batch.changes.extend(more.changes),
                            Ok(Message::Stop) => return,
                            Err(_) => break,
                        }
                    }
                    let before = scope::before(&project, &batch);
                    project.apply(batch);
                    // A run that did not happen leaves its batch's changes
                    // unprocessed: the next run is a full one.
                    scope = before.filter(|_| ran).map(|b| scope::after(&project, b));
                }
            })
            .ok();
        Background { tx, thread }
    }

    /// Hands a batch the caller applied to its own project.
    pub fn changed(&self, batch: &ChangeBatch) {
        let disk: Vec<Change> = batch
            .changes
            .iter()
            .filter(|c| !matches!(c, Change::Overlay { .. } | Change::CloseOverlay(_)))
            .cloned()
            .collect();
        if !disk.is_empty() {
            let _ = self.tx.send(Message::Changes(ChangeBatch::from(disk)));
        }
    }
}

impl Drop for Background {
    /// Waits for a run in progress to end: its outputs and records are
    /// consistent at every point, but ending between them wastes the work.
    fn drop(&mut self) {
        let _ = self.tx.send(Message::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// How long the thread keeps the store open and the lock after a run when
/// no batch comes.
const IDLE: Duration = Duration::from_secs(1);

fn run_once(
    project: &Project,
    options: &RunOptions,
    session: &mut Session,
    held: &mut Option<ProcessLock>,
    scope: Option<&Scope>,
    on_event: &mut impl FnMut(Event),
) -> bool {
    let lock = match held.take() {
        Some(lock) => lock,
        None => match ProcessLock::acquire(&state_dir(project.root())) {
            Ok(lock) => lock,
            Err(e) => {
                on_event(Event::Error(e.to_string()));
                return false;
            }
        },
    };
    let mut progress = |p: Progress<'_>| {
        if let Progress::Planned { to_process, .. } = p {
            on_event(Event::Started { to_process });
        }
    };
    let result = session.run(project, options, &lock, scope, &mut progress);
    *held = Some(lock);
    match result {
        Ok(report) => {
            on_event(Event::Finished(report));
            true
        }
        Err(e) => {
            on_event(Event::Error(e.to_string()));
            false
        }
    }
}
