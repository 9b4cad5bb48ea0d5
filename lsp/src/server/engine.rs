//! The engine task: one thread owns the whole server state and runs every
//! job in the order the client's messages arrived.
//!
//! tower-lsp-server polls up to four handlers at once, so a handler that
//! awaited before recording an edit could be overtaken by the next message.
//! Every handler therefore sends its job here synchronously, before its first
//! `.await`; requests get their answer back through a oneshot channel.

use std::panic::{AssertUnwindSafe, catch_unwind};

use tokio::sync::{mpsc, oneshot};
use tower_lsp_server::jsonrpc;

use super::workspace::Workspace;

type Job = Box<dyn FnOnce(&mut Workspace) + Send>;

fn run(workspace: &mut Workspace, job: Job) {
    // A bug in one job must not take the editor's server down with it; but
    // a panic in the middle of a change leaves the engine's indexes half
    // updated, and answers from them would be wrong without telling anyone.
    // So the projects are rebuilt from the disk and the open documents.
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| job(workspace))) {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!(
            "assetry: internal error while handling a message: {what}; rebuilding the projects from disk and the open documents"
        );
        match catch_unwind(AssertUnwindSafe(|| workspace.rebuild_all())) {
            Ok(()) => eprintln!("assetry: projects rebuilt"),
            Err(_) => eprintln!("assetry: rebuilding the projects failed too; restart the server"),
        }
    }
}

/// A handle to the engine thread; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Engine {
    /// Starts the engine thread, which owns `workspace` until every handle
    /// is dropped.
    pub fn start(mut workspace: Workspace) -> std::io::Result<Engine> {
        let (jobs, mut rx) = mpsc::unbounded_channel::<Job>();
        std::thread::Builder::new().name("assetry-engine".into()).spawn(move || {
            while let Some(job) = rx.blocking_recv() {
                run(&mut workspace, job);
                // Drain what queued up meanwhile before handing buffered
                // edits to the engine, so a burst of keystrokes costs one
                // update; every query flushes first, so none sees stale text.
                while let Ok(job) = rx.try_recv() {
                    run(&mut workspace, job);
                }
                run(&mut workspace, Box::new(Workspace::flush));
            }
        })?;
        Ok(Engine { jobs })
    }

    /// Queues a state change. Must be called before the handler's first
    /// `.await` so that changes apply in the client's order.
    pub fn notify(&self, job: impl FnOnce(&mut Workspace) + Send + 'static) {
        // The receiver only goes away when the process is exiting.
        let _ = self.jobs.send(Box::new(job));
    }

    /// Queues a query and waits for its answer. The job is queued at the
    /// call, not at the first poll of the returned future, so a request sees
    /// every edit the client sent before it.
    pub fn query<R, F>(&self, job: F) -> impl Future<Output = jsonrpc::Result<R>> + use<R, F>
    where
        R: Send + 'static,
        F: FnOnce(&mut Workspace) -> R + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.notify(move |ws| {
            // The request may have been cancelled: nobody is waiting then.
            let _ = tx.send(job(ws));
        });
        async move {
            rx.await.map_err(|_| {
                let mut err = jsonrpc::Error::internal_error();
                err.message = "the request failed inside the server (see its log)".into();
                err
            })
        }
    }
}
