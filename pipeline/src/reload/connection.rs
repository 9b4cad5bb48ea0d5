//! One client: a writer thread draining its bounded queue onto the socket,
//! and a reader thread for its requests (`subscribe`). A malformed request,
//! or a line longer than [`MAX_CLIENT_LINE`], is logged and the connection
//! closed: a client speaking something else is not worth serving.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Weak};

use assetry_client::protocol::{MAX_CLIENT_LINE, Message};

use super::Shared;

pub(super) struct Connection {
    id: u64,
    peer: SocketAddr,
    tx: SyncSender<Arc<str>>,
    stream: TcpStream,
    /// False once the client subscribed to a profile this server does not process.
    subscribed: Arc<AtomicBool>,
}

impl Connection {
    /// Queues `hello` first, then starts the client's threads.
    pub(super) fn start(id: u64, stream: TcpStream, hello: &str, shared: &Arc<Shared>) -> std::io::Result<Connection> {
        let peer = stream.peer_addr()?;
        stream.set_nodelay(true)?;
        let (tx, rx) = mpsc::sync_channel::<Arc<str>>(shared.options.queue.max(1));
        // The queue is empty: `hello` always fits.
        let _ = tx.try_send(hello.into());
        let subscribed = Arc::new(AtomicBool::new(true));

        let mut writer = stream.try_clone()?;
        std::thread::Builder::new().name("assetry-reload-write".to_owned()).spawn(move || {
            for line in rx {
                if writer.write_all(line.as_bytes()).is_err() {
                    break;
                }
            }
            // The queue overflowed or the server stopped (the sender is gone),
            // or the client went away: either way the connection is over.
            let _ = writer.shutdown(Shutdown::Both);
        })?;

        let reader = stream.try_clone()?;
        let weak = Arc::downgrade(shared);
        let (reply, flag) = (tx.clone(), Arc::clone(&subscribed));
        std::thread::Builder::new()
            .name("assetry-reload-read".to_owned())
            .spawn(move || read_requests(id, peer, reader, weak, reply, flag))?;
        Ok(Connection { id, peer, tx, stream, subscribed })
    }

    pub(super) fn id(&self) -> u64 {
        self.id
    }

    pub(super) fn peer(&self) -> SocketAddr {
        self.peer
    }

    pub(super) fn subscribed(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed)
    }

    /// Queues a line without waiting; an error says why the client is dropped.
    pub(super) fn queue(&self, line: &Arc<str>) -> Result<(), String> {
        match self.tx.try_send(Arc::clone(line)) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err("it is not reading (its queue of messages is full)".to_owned()),
            Err(TrySendError::Disconnected(_)) => Err("its connection ended".to_owned()),
        }
    }

    /// Ends the connection; both threads then stop.
    pub(super) fn close(&self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

fn read_requests(
    id: u64,
    peer: SocketAddr,
    stream: TcpStream,
    shared: Weak<Shared>,
    reply: SyncSender<Arc<str>>,
    subscribed: Arc<AtomicBool>,
) {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    let problem = loop {
        line.clear();
        // One byte over the limit tells a line that is too long from one that fits.
        match (&mut reader).take(MAX_CLIENT_LINE as u64 + 1).read_until(b'\n', &mut line) {
            Ok(0) => break None,
            Ok(_) => {}
            Err(e) => break Some(format!("read failed: {e}")),
        }
        if line.last() != Some(&b'\n') {
            if line.len() > MAX_CLIENT_LINE {
                break Some(format!("sent a line over {MAX_CLIENT_LINE} bytes"));
            }
            // The end of input in the middle of a line: a client gone.
            break None;
        }
        let Some(shared) = shared.upgrade() else { return };
        match serde_json::from_slice::<Message>(&line) {
            Ok(Message::Subscribe { profile }) => {
                let ours = &shared.options.profile;
                let same = profile == *ours;
                subscribed.store(same, Ordering::Relaxed);
                if !same {
                    let error = Message::Error {
                        id: None,
                        path: None,
                        message: format!(
                            "this server processes profile `{ours}`, not `{profile}`: no changesets will follow"
                        ),
                    };
                    let _ = reply.try_send(error.to_line().into());
                }
            }
            Ok(other) => break Some(format!("sent a message a client cannot send: {:?}", kind(&other))),
            Err(e) => break Some(format!("sent a malformed line: {e}")),
        }
    };
    let Some(shared) = shared.upgrade() else { return };
    if let Some(problem) = problem {
        (shared.options.log)(&format!("reload: client {peer} {problem}; connection closed"));
    }
    let _ = reader.get_ref().shutdown(Shutdown::Both);
    shared.forget(id);
}

fn kind(m: &Message) -> &'static str {
    match m {
        Message::Hello { .. } => "hello",
        Message::Changeset { .. } => "changeset",
        Message::Error { .. } => "error",
        Message::Subscribe { .. } => "subscribe",
    }
}
