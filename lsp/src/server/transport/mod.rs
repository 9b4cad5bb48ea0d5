//! The server's stdio: the client's bytes in, every message out, whatever
//! the client sends.
//!
//! tower-lsp-server aborts on an absurd `Content-Length` (it allocates the
//! announced size) and stops reading at the first message it cannot decode,
//! so it never sees the client's bytes directly. A thread reads stdin,
//! frames it ([`framing`]), judges each body ([`message`]) and passes only
//! accepted messages on, re-framed, through an in-process channel. The
//! errors the specification asks for are answered here; so that they never
//! land inside one of the server's messages, the server writes into a pipe
//! and one task copies its messages and these answers to stdout, a whole
//! message at a time.

mod framing;
mod message;

use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use framing::{Event, Framer, MAX_MESSAGE_BYTES};
use message::Verdict;

/// Messages queued between the stdin thread and the server (backpressure:
/// the thread stops reading while the server is behind).
const QUEUE: usize = 16;

/// Starts reading stdin and writing stdout; returns what the server reads
/// (accepted messages only), where it writes, and the copy to stdout. Must
/// run inside the Tokio runtime.
pub fn start() -> std::io::Result<(Inbox, DuplexStream, Output)> {
    let (to_server, from_client) = mpsc::channel(QUEUE);
    let (answers, answered) = mpsc::channel(QUEUE);
    std::thread::Builder::new()
        .name("assetry-stdin".into())
        .spawn(move || read_client(std::io::stdin().lock(), &to_server, &answers))?;
    let (to_client, from_server) = tokio::io::duplex(64 * 1024);
    let writer = tokio::spawn(write_client(from_server, answered, tokio::io::stdout()));
    Ok((Inbox { messages: from_client, current: Vec::new(), read: 0 }, to_client, Output(writer)))
}

/// The task copying messages to stdout.
pub struct Output(JoinHandle<()>);

impl Output {
    /// Waits until everything the server wrote reached stdout (it ends once
    /// the server dropped its end of the pipe).
    pub async fn flushed(self) {
        let _ = self.0.await;
    }
}

/// Frames and judges the client's input until it ends or the server is
/// gone.
fn read_client(mut stdin: impl Read, to_server: &mpsc::Sender<Vec<u8>>, answers: &mpsc::Sender<Vec<u8>>) {
    let mut framer = Framer::new(MAX_MESSAGE_BYTES);
    let mut chunk = vec![0; 64 * 1024];
    loop {
        while let Some(event) = framer.next_event() {
            let sent = match event {
                Event::Fault(why) => {
                    eprintln!("assetry lsp: {why}");
                    Ok(())
                }
                Event::Message(body) => match message::judge(&body) {
                    Verdict::Forward(json) => to_server.blocking_send(frame(&json)),
                    Verdict::Reply { response, reason } => {
                        eprintln!("assetry lsp: {reason}; answered with an error");
                        answers.blocking_send(frame(&response))
                    }
                    Verdict::Drop(reason) => {
                        eprintln!("assetry lsp: {reason}");
                        Ok(())
                    }
                },
            };
            if sent.is_err() {
                return;
            }
        }
        match stdin.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => framer.push(&chunk[..n]),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => {
                eprintln!("assetry lsp: cannot read stdin: {err}");
                return;
            }
        }
    }
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend_from_slice(body);
    framed
}

/// The server's input: the accepted messages, framed, as one byte stream
/// that ends when stdin does.
pub struct Inbox {
    messages: mpsc::Receiver<Vec<u8>>,
    current: Vec<u8>,
    read: usize,
}

impl AsyncRead for Inbox {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let inbox = self.get_mut();
        while inbox.read == inbox.current.len() {
            match ready!(inbox.messages.poll_recv(cx)) {
                Some(message) => (inbox.current, inbox.read) = (message, 0),
                // No bytes read: the end of input.
                None => return Poll::Ready(Ok(())),
            }
        }
        let n = buf.remaining().min(inbox.current.len() - inbox.read);
        buf.put_slice(&inbox.current[inbox.read..inbox.read + n]);
        inbox.read += n;
        Poll::Ready(Ok(()))
    }
}

/// Copies the server's messages and the transport's answers to `stdout`,
/// whole messages at a time, until the server closes its output.
async fn write_client(
    mut from_server: DuplexStream,
    mut answers: mpsc::Receiver<Vec<u8>>,
    mut stdout: impl AsyncWrite + Unpin,
) {
    let mut pending = Vec::new();
    loop {
        let whole = complete_messages(&pending);
        if whole > 0 {
            if write(&mut stdout, &pending[..whole]).await.is_err() {
                return;
            }
            pending.drain(..whole);
        }
        // Both branches are cancel safe: `read_buf` keeps what it read in
        // `pending`, and a message stays queued unless `recv` returned it.
        tokio::select! {
            read = from_server.read_buf(&mut pending) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
            Some(answer) = answers.recv() => {
                if write(&mut stdout, &answer).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn write(stdout: &mut (impl AsyncWrite + Unpin), bytes: &[u8]) -> std::io::Result<()> {
    let written = async {
        stdout.write_all(bytes).await?;
        stdout.flush().await
    }
    .await;
    if let Err(err) = &written {
        eprintln!("assetry lsp: cannot write to stdout: {err}");
    }
    written
}

/// How many leading bytes of `output` are whole messages. The server's own
/// output is always well framed (`Content-Length: n\r\n\r\n` then `n`
/// bytes).
fn complete_messages(output: &[u8]) -> usize {
    let mut end = 0;
    while let Some(header_end) = output[end..].windows(4).position(|w| w == b"\r\n\r\n") {
        let header = String::from_utf8_lossy(&output[end..end + header_end]);
        let length = header.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok())?
        });
        let Some(length) = length else {
            // Not the framing the server writes: pass it on as it is rather
            // than hold it back forever.
            return output.len();
        };
        let message_end = end + header_end + 4 + length;
        if message_end > output.len() {
            break;
        }
        end = message_end;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_never_land_inside_a_message_of_the_server() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let out = runtime.block_on(async {
            let (mut server, from_server) = tokio::io::duplex(16);
            let (answers, answered) = mpsc::channel(QUEUE);
            let (stdout, mut client) = tokio::io::duplex(1 << 16);
            let writer = tokio::spawn(write_client(from_server, answered, stdout));
            let message = frame(br#"{"jsonrpc":"2.0","id":1,"result":"from the server"}"#);
            // The server's message arrives a byte at a time, with an answer
            // queued after each byte.
            for byte in &message {
                server.write_all(&[*byte]).await.unwrap();
                answers.send(frame(b"{\"answer\":1}")).await.unwrap();
                tokio::task::yield_now().await;
            }
            drop(server);
            writer.await.unwrap();
            let mut out = Vec::new();
            client.read_to_end(&mut out).await.unwrap();
            (out, message.len())
        });
        let (out, answers) = out;
        let out = String::from_utf8(out).unwrap();
        // Whatever the order, every message is whole: splitting on the
        // headers leaves only complete JSON bodies.
        let bodies: Vec<&str> = out.split("Content-Length: ").filter(|s| !s.is_empty()).collect();
        assert!(bodies.len() > 1, "{out}");
        for body in bodies {
            let (length, json) = body.split_once("\r\n\r\n").unwrap();
            assert_eq!(json.len(), length.parse::<usize>().unwrap(), "{out}");
            serde_json::from_str::<serde_json::Value>(json).unwrap();
        }
        assert_eq!(out.matches("from the server").count(), 1);
        assert_eq!(out.matches("{\"answer\":1}").count(), answers);
    }
}
