//! The hot-reload server: tells running games what processing changed
//! (docs/REFERENCE.md, "Hot-reload protocol"). TCP, newline-delimited JSON;
//! the messages are `assetry_client::protocol`'s, so the game-side crate and
//! the server share one definition.
//!
//! Plain threads, no async runtime (the engine stays free of tokio): an
//! accept thread, and per client a writer fed by a bounded queue and a
//! reader for its few requests. Publishing only pushes onto the queues
//! without blocking, so a slow or stuck client never delays processing or
//! the other clients; a client whose queue overflows is disconnected, with
//! a log line. Nothing a client sends names a file: the only request,
//! `subscribe`, picks a profile by name and is compared, never opened.

mod address;
mod connection;

pub use address::{ADDR_FILE, ReloadError};

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use assetry_client::protocol::{Change, ChangeKind, Message, PROTOCOL};

use crate::process::{AssetChange, Changeset};
use connection::Connection;

/// Messages queued for one client before it counts as stuck. A changeset
/// is one message, so this is many batches behind, not many assets.
pub const QUEUE: usize = 256;

/// Where and what a server serves.
#[derive(Clone)]
pub struct ServerOptions {
    /// `host:port` (`[reload] address`); port 0 picks a free port.
    pub address: String,
    /// Named in errors and logs: where the address was set.
    pub setting: String,
    pub root: PathBuf,
    /// The profile whose changesets are published.
    pub profile: String,
    /// Per-client queue length (messages).
    pub queue: usize,
    /// Log lines (a client dropped, a bad request, a non-loopback bind).
    pub log: Arc<dyn Fn(&str) + Send + Sync>,
}

/// A running reload server; dropping it stops it and closes every connection.
pub struct ReloadServer {
    shared: Arc<Shared>,
    address: SocketAddr,
    accept: Option<JoinHandle<()>>,
}

struct Shared {
    options: ServerOptions,
    /// The connected clients and the last `seq` sent, under one lock so a
    /// client's `hello` and the changesets after it are in order.
    state: Mutex<State>,
    next_client: AtomicU64,
    stop: AtomicBool,
}

struct State {
    seq: u64,
    clients: Vec<Connection>,
}

impl ReloadServer {
    /// Binds the address and writes it to `.assetry/reload.addr`.
    pub fn start(options: ServerOptions) -> Result<ReloadServer, ReloadError> {
        let listener = address::bind(&options)?;
        let address = listener.local_addr().map_err(|e| ReloadError::io(&options, e))?;
        if !address.ip().is_loopback() {
            (options.log)(&format!(
                "reload: listening on {address}, reachable from other machines ({} is not a loopback address)",
                options.setting
            ));
        }
        address::write_addr_file(&options.root, address)?;
        let shared = Arc::new(Shared {
            options,
            state: Mutex::new(State { seq: 0, clients: Vec::new() }),
            next_client: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let thread_shared = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name("assetry-reload".to_owned())
            .spawn(move || accept_loop(listener, thread_shared))
            .map_err(|e| ReloadError::io(&shared.options, e))?;
        Ok(ReloadServer { shared, address, accept: Some(accept) })
    }

    /// The address bound (with the port picked for port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Clients connected now.
    pub fn clients(&self) -> usize {
        self.shared.lock().clients.len()
    }

    /// Sends one changeset holding every change of a run (nothing for a run
    /// that changed nothing). Call once the artifacts and manifest are on disk.
    pub fn publish(&self, changeset: &Changeset) {
        if changeset.changes.is_empty() || changeset.profile != self.shared.options.profile {
            return;
        }
        let changes = changeset.changes.iter().map(to_protocol).collect();
        let mut state = self.shared.lock();
        state.seq += 1;
        let line: Arc<str> = Message::Changeset { seq: state.seq, changes }.to_line().into();
        self.shared.broadcast(&mut state, &line);
    }

    /// Sends an `error` for an asset that failed to process.
    pub fn failed(&self, id: Option<uuid::Uuid>, path: &str, message: &str) {
        let line: Arc<str> = Message::Error {
            id: id.map(|u| u.hyphenated().to_string()),
            path: Some(path.to_owned()),
            message: message.to_owned(),
        }
        .to_line()
        .into();
        let mut state = self.shared.lock();
        self.shared.broadcast(&mut state, &line);
    }
}

impl Drop for ReloadServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept thread with a connection of our own.
        let mut wake = self.address;
        if wake.ip().is_unspecified() {
            wake.set_ip(if wake.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
        }
        let _ = TcpStream::connect(wake);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        for c in self.shared.lock().clients.drain(..) {
            c.close();
        }
        address::remove_addr_file(&self.shared.options.root, self.address);
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `line` for every subscribed client, dropping those whose
    /// queue is full or gone.
    fn broadcast(&self, state: &mut State, line: &Arc<str>) {
        let log = &self.options.log;
        state.clients.retain(|c| {
            if !c.subscribed() {
                return true;
            }
            match c.queue(line) {
                Ok(()) => true,
                Err(why) => {
                    log(&format!("reload: client {} disconnected: {why}", c.peer()));
                    c.close();
                    false
                }
            }
        });
    }

    /// Forgets a client whose connection ended.
    fn forget(&self, id: u64) {
        self.lock().clients.retain(|c| c.id() != id);
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                (shared.options.log)(&format!("reload: accept failed: {e}"));
                continue;
            }
        };
        let id = shared.next_client.fetch_add(1, Ordering::Relaxed);
        let mut state = shared.lock();
        let hello = Message::Hello {
            protocol: PROTOCOL,
            profile: shared.options.profile.clone(),
            root: shared.options.root.display().to_string(),
            seq: state.seq,
        };
        match Connection::start(id, stream, &hello.to_line(), &shared) {
            Ok(c) => state.clients.push(c),
            Err(e) => (shared.options.log)(&format!("reload: a client could not be served: {e}")),
        }
    }
}

fn to_protocol(c: &AssetChange) -> Change {
    Change {
        id: c.id.map(|u| u.hyphenated().to_string()),
        path: c.path.clone(),
        artifact: c.artifact.clone(),
        hash: c.hash.clone(),
        kind: match c.kind {
            crate::process::ChangeKind::Added => ChangeKind::Added,
            crate::process::ChangeKind::Modified => ChangeKind::Modified,
            crate::process::ChangeKind::Removed => ChangeKind::Removed,
        },
    }
}

/// `.assetry/reload.addr` under a project root.
pub fn addr_file(root: &Path) -> PathBuf {
    root.join(ADDR_FILE)
}

#[cfg(test)]
mod tests;
