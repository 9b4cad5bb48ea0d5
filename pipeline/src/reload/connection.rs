//! One client: a line goes straight onto its socket from the publishing
//! thread when nothing is waiting before it and the socket takes it without
//! blocking (so a changeset to 50 clients wakes no thread of the server);
//! otherwise, or for what is left of it, into a bounded queue a writer
//! thread drains. A reader thread takes its requests (`subscribe`). A malformed request,
//! or a line longer than [`MAX_CLIENT_LINE`], is logged and the connection
//! closed: a client speaking something else is not worth serving.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, Weak};

use assetry_client::protocol::{MAX_CLIENT_LINE, Message};

use super::Shared;

/// A line, and how much of it is already written.
type Line = (Arc<str>, usize);

/// The path to one client's socket: lines go out in order, straight or
/// through the writer thread.
#[derive(Clone)]
struct Outbox {
    tx: SyncSender<Line>,
    /// Lines queued to the writer thread and not yet written: a line is
    /// written straight only when this is 0, so lines never interleave.
    queued: Arc<Mutex<usize>>,
    stream: Arc<TcpStream>,
}

impl Outbox {
    fn send(&self, line: &Arc<str>) -> Result<(), TrySendError<Line>> {
        let mut queued = self.queued.lock().unwrap_or_else(|e| e.into_inner());
        let mut written = 0;
        if *queued == 0 {
            written = send_now(&self.stream, line.as_bytes());
            if written == line.len() {
                return Ok(());
            }
        }
        self.tx.try_send((Arc::clone(line), written))?;
        *queued += 1;
        Ok(())
    }
}

/// Writes what the socket takes without blocking; the number of bytes.
fn send_now(stream: &TcpStream, bytes: &[u8]) -> usize {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let mut done = 0;
        while done < bytes.len() {
            let rest = &bytes[done..];
            // SAFETY: a send on a socket this connection owns, from a live
            // buffer of the given length; MSG_DONTWAIT makes this one call
            // non-blocking without changing the socket (the writer thread's
            // writes stay blocking), MSG_NOSIGNAL turns a closed peer into an error.
            let n = unsafe {
                libc::send(
                    stream.as_raw_fd(),
                    rest.as_ptr().cast(),
                    rest.len(),
                    libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                )
            };
            if n <= 0 {
                // Would block, or failed: the writer thread takes over (and sees the error).
                break;
            }
            done += n as usize;
        }
        done
    }
    #[cfg(not(unix))]
    {
        let _ = (stream, bytes);
        0
    }
}

pub(super) struct Connection {
    id: u64,
    peer: SocketAddr,
    out: Outbox,
    stream: TcpStream,
    /// False once the client subscribed to a profile this server does not process.
    subscribed: Arc<AtomicBool>,
}

impl Connection {
    /// Queues `hello` first, then starts the client's threads.
    pub(super) fn start(id: u64, stream: TcpStream, hello: &str, shared: &Arc<Shared>) -> std::io::Result<Connection> {
        let peer = stream.peer_addr()?;
        stream.set_nodelay(true)?;
        let (tx, rx) = mpsc::sync_channel::<Line>(shared.options.queue.max(1));
        let out = Outbox { tx, queued: Arc::new(Mutex::new(0)), stream: Arc::new(stream.try_clone()?) };
        // The queue is empty: `hello` always fits.
        let _ = out.send(&hello.into());
        let subscribed = Arc::new(AtomicBool::new(true));

        let mut writer = stream.try_clone()?;
        let queued = Arc::clone(&out.queued);
        std::thread::Builder::new().name("assetry-reload-write".to_owned()).spawn(move || {
            for (line, from) in rx {
                if writer.write_all(&line.as_bytes()[from..]).is_err() {
                    break;
                }
                *queued.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
            }
            // The queue overflowed or the server stopped (the sender is gone),
            // or the client went away: either way the connection is over.
            let _ = writer.shutdown(Shutdown::Both);
        })?;

        let reader = stream.try_clone()?;
        let weak = Arc::downgrade(shared);
        let (reply, flag) = (out.clone(), Arc::clone(&subscribed));
        std::thread::Builder::new()
            .name("assetry-reload-read".to_owned())
            .spawn(move || read_requests(id, peer, reader, weak, reply, flag))?;
        Ok(Connection { id, peer, out, stream, subscribed })
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
        match self.out.send(line) {
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
    reply: Outbox,
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
                    let _ = reply.send(&error.to_line().into());
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
