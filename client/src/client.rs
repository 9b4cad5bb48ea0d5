//! The connection to a reload server: a reader thread per client that turns
//! protocol lines into [`Update`]s, keeps the client's copy of the manifest
//! up to date, and reconnects when the server goes away (a restarted
//! `assetry watch`), catching up from the manifest on disk.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::manifest::Manifest;
use crate::protocol::{Change, Message, PROTOCOL};

/// The file a running server writes its address to, under the project root.
pub const ADDR_FILE: &str = ".assetry/reload.addr";

/// Where to find the server.
#[derive(Debug, Clone)]
pub enum Target {
    /// A fixed `host:port`.
    Address(String),
    /// The project at this root: the address is read from
    /// `.assetry/reload.addr` at every (re)connection, so a server restarted
    /// on another port (`[reload] address = "127.0.0.1:0"`) is found again.
    Project(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Sends `subscribe` for this profile; `None` takes the server's.
    pub profile: Option<String>,
    /// Between two connection attempts after the server went away.
    pub retry: Duration,
    /// How long the first connection waits for the server's `hello`.
    pub hello_timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options { profile: None, retry: Duration::from_millis(100), hello_timeout: Duration::from_secs(5) }
    }
}

/// What the client hears, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// A connection was made (the first, or one after the server restarted).
    Connected { profile: String, root: PathBuf, seq: u64 },
    /// Artifacts to swap in together. `resync` is true for a changeset the
    /// client made itself from the manifest on disk, after a reconnection
    /// or a gap in `seq`: it holds what changed while the client was not
    /// hearing (its `seq` is the server's current one).
    Changeset { seq: u64, changes: Vec<Change>, resync: bool },
    /// An asset failed to process; its last good artifact stays.
    Error { id: Option<String>, path: Option<String>, message: String },
    /// The connection ended; the client is reconnecting.
    Disconnected { reason: String },
}

/// A connection to a reload server, reconnecting on its own until dropped.
///
/// Updates are read by a background thread; take them with the blocking
/// iterator [`Client::updates`] or without blocking with [`Client::poll`].
pub struct Client {
    rx: Receiver<Update>,
    shared: Arc<Shared>,
}

struct Shared {
    manifest: Mutex<Manifest>,
    stop: AtomicBool,
    /// The live connection, to shut it down when the client is dropped.
    stream: Mutex<Option<TcpStream>>,
}

impl Client {
    /// Connects to a server at `host:port`.
    pub fn connect(address: &str) -> io::Result<Client> {
        Client::open(Target::Address(address.to_owned()), Options::default())
    }

    /// Connects to the server of the project at `root`, through
    /// `.assetry/reload.addr`.
    pub fn discover(root: impl Into<PathBuf>) -> io::Result<Client> {
        Client::open(Target::Project(root.into()), Options::default())
    }

    /// Connects once now (an error if no server answers with `hello`), then
    /// reads on a background thread. The manifest named by `hello` is loaded
    /// (empty if there is none yet).
    pub fn open(target: Target, options: Options) -> io::Result<Client> {
        let (stream, reader, hello) = handshake(&target, &options, Some(options.hello_timeout))?;
        let Hello { profile, root, seq } = hello.clone();
        let manifest = Manifest::load(&root, &profile).unwrap_or_else(|_| Manifest::empty(&root, &profile));
        let shared = Arc::new(Shared {
            manifest: Mutex::new(manifest),
            stop: AtomicBool::new(false),
            stream: Mutex::new(stream.try_clone().ok()),
        });
        let (tx, rx) = mpsc::channel();
        let _ = tx.send(Update::Connected { profile, root, seq });
        let thread_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("assetry-reload-client".to_owned())
            .spawn(move || run(target, options, thread_shared, tx, reader, hello))?;
        Ok(Client { rx, shared })
    }

    /// The next update, waiting for it; `None` once the client is stopping.
    pub fn next_update(&self) -> Option<Update> {
        self.rx.recv().ok()
    }

    /// The next update if one is waiting (for a game loop: call once a frame).
    pub fn poll(&self) -> Option<Update> {
        self.rx.try_recv().ok()
    }

    /// The next update within `timeout`.
    pub fn next_timeout(&self, timeout: Duration) -> Option<Update> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// A blocking iterator over the updates.
    pub fn updates(&self) -> impl Iterator<Item = Update> + '_ {
        std::iter::from_fn(|| self.next_update())
    }

    /// The manifest as of the last update handed out by the reader thread:
    /// every changeset is applied to it before it is delivered.
    pub fn manifest(&self) -> MutexGuard<'_, Manifest> {
        self.shared.manifest.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(s) = self.shared.stream.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

#[derive(Debug, Clone)]
struct Hello {
    profile: String,
    root: PathBuf,
    seq: u64,
}

/// Connects, sends `subscribe` if asked, and reads `hello`.
fn handshake(
    target: &Target,
    options: &Options,
    timeout: Option<Duration>,
) -> io::Result<(TcpStream, BufReader<TcpStream>, Hello)> {
    let address = match target {
        Target::Address(a) => a.clone(),
        Target::Project(root) => read_addr_file(root)?,
    };
    let mut stream = TcpStream::connect(address.as_str())?;
    stream.set_nodelay(true)?;
    if let Some(profile) = &options.profile {
        stream.write_all(Message::Subscribe { profile: profile.clone() }.to_line().as_bytes())?;
    }
    stream.set_read_timeout(timeout)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    stream.set_read_timeout(None)?;
    match serde_json::from_str::<Message>(&line) {
        Ok(Message::Hello { protocol, profile, root, seq }) if protocol == PROTOCOL => {
            let profile = options.profile.clone().unwrap_or(profile);
            Ok((stream, reader, Hello { profile, root: PathBuf::from(root), seq }))
        }
        Ok(Message::Hello { protocol, .. }) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{address} speaks reload protocol {protocol}; this client speaks {PROTOCOL}"),
        )),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{address} did not greet with a reload `hello`: {:?}", line.trim_end()),
        )),
    }
}

/// The address in `<root>/.assetry/reload.addr`.
pub fn read_addr_file(root: &Path) -> io::Result<String> {
    let file = root.join(ADDR_FILE);
    let text = std::fs::read_to_string(&file)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e} (is `assetry watch` running?)", file.display())))?;
    Ok(text.trim().to_owned())
}

/// The reader thread: reads until the connection ends, then reconnects and
/// catches up from the manifest, until the client is dropped.
fn run(
    target: Target,
    options: Options,
    shared: Arc<Shared>,
    tx: Sender<Update>,
    reader: BufReader<TcpStream>,
    hello: Hello,
) {
    let mut session = Some((reader, hello));
    loop {
        if let Some((reader, hello)) = session.take() {
            let reason = read(reader, &hello, &shared, &tx);
            if shared.stop.load(Ordering::SeqCst) || tx.send(Update::Disconnected { reason }).is_err() {
                return;
            }
        }
        // Reconnect, retrying until a server answers or the client is dropped.
        loop {
            if shared.stop.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(options.retry);
            let Ok((stream, reader, hello)) = handshake(&target, &options, Some(options.hello_timeout)) else {
                continue;
            };
            *shared.stream.lock().unwrap_or_else(|e| e.into_inner()) = stream.try_clone().ok();
            if shared.stop.load(Ordering::SeqCst) {
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            let connected =
                Update::Connected { profile: hello.profile.clone(), root: hello.root.clone(), seq: hello.seq };
            if tx.send(connected).is_err() {
                return;
            }
            if let Some(update) = resync(&shared, &hello, hello.seq)
                && tx.send(update).is_err()
            {
                return;
            }
            session = Some((reader, hello));
            break;
        }
    }
}

/// Reads one connection's lines; returns why it ended.
fn read(mut reader: BufReader<TcpStream>, hello: &Hello, shared: &Shared, tx: &Sender<Update>) -> String {
    let mut last = hello.seq;
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return "the server closed the connection".to_owned(),
            Ok(_) => {}
            Err(e) => return e.to_string(),
        }
        let update = match serde_json::from_str::<Message>(&line) {
            Ok(Message::Changeset { seq, changes }) if seq == last + 1 => {
                last = seq;
                lock(shared).apply(&changes);
                Update::Changeset { seq, changes, resync: false }
            }
            Ok(Message::Changeset { seq, .. }) => {
                // A changeset went missing: the manifest on disk has it.
                last = seq;
                match resync(shared, hello, seq) {
                    Some(update) => update,
                    None => continue,
                }
            }
            Ok(Message::Error { id, path, message }) => Update::Error { id, path, message },
            // A newer server's messages are skipped, not fatal.
            Ok(Message::Hello { .. } | Message::Subscribe { .. }) | Err(_) => continue,
        };
        if tx.send(update).is_err() {
            return "the client was dropped".to_owned();
        }
    }
}

/// The difference between the client's manifest and the one on disk, as a
/// changeset (`None` when they agree); the client's copy becomes the disk's.
fn resync(shared: &Shared, hello: &Hello, seq: u64) -> Option<Update> {
    let disk = Manifest::load(&hello.root, &hello.profile).ok()?;
    let mut known = lock(shared);
    let changes = known.diff(&disk);
    *known = disk;
    (!changes.is_empty()).then_some(Update::Changeset { seq, changes, resync: true })
}

fn lock(shared: &Shared) -> MutexGuard<'_, Manifest> {
    shared.manifest.lock().unwrap_or_else(|e| e.into_inner())
}
