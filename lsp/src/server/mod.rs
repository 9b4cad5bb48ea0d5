//! `assetry lsp`: the language server on stdio.
//!
//! A thin layer over the engine. [`backend`] receives LSP messages and hands
//! each one to the engine thread ([`engine`]), which owns every project and
//! open document ([`workspace`]) and answers from the engine's state,
//! converting paths and positions at the edge ([`convert`]).

mod backend;
mod config;
mod convert;
mod document;
mod documents;
mod engine;
mod handshake;
mod processing;
mod projects;
mod reload;
mod requests;
mod transport;
mod watching;
mod workspace;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use tower_lsp_server::{LspService, Server};

/// Serves LSP on stdin/stdout until the client sends `exit` or closes stdin.
/// Exit status 0 after an orderly `shutdown` + `exit`, 1 otherwise (as the
/// LSP specification asks).
pub fn run() -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let shut_down = Arc::new(AtomicBool::new(false));
    let (publisher, published) = tokio::sync::mpsc::unbounded_channel();
    let engine =
        engine::Engine::start(workspace::Workspace::new(publisher)).context("cannot start the engine thread")?;
    // Watcher batches queue on the engine thread like every other change.
    let watcher_jobs = engine.clone();
    engine.notify(move |ws| ws.watch_with(Arc::new(move |job| watcher_jobs.notify(job))));
    {
        let shut_down = shut_down.clone();
        runtime.block_on(async move {
            let (input, output, written) = transport::start().context("cannot start the stdio transport")?;
            let (service, socket) =
                LspService::build(move |client| backend::Backend::new(client, engine, published, shut_down))
                    .custom_method("assetry/dependencies", backend::Backend::dependencies)
                    .finish();
            Server::new(input, output, socket).serve(handshake::Handshake::new(service)).await;
            written.flushed().await;
            Ok::<_, anyhow::Error>(())
        })?;
    }
    // The stdin reader thread may be blocked in a read that never returns
    // (a client that keeps stdin open after `exit`); do not wait for it.
    runtime.shutdown_background();
    Ok(if shut_down.load(Ordering::SeqCst) { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
