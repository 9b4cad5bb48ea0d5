//! The server's queues, driven through its API with raw sockets: a client
//! that stops reading is dropped once its queue overflows, with a log line,
//! while a reading client gets every changeset in order.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use assetry_client::protocol::Message;

use super::*;
use crate::process::{AssetChange, ChangeKind, Changeset};

fn server(root: &Path, queue: usize) -> (ReloadServer, Arc<Mutex<Vec<String>>>) {
    let logged = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&logged);
    let options = ServerOptions {
        address: "127.0.0.1:0".to_owned(),
        setting: "the test".to_owned(),
        root: root.to_owned(),
        profile: "default".to_owned(),
        queue,
        log: Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_owned())),
    };
    (ReloadServer::start(options).expect("bind"), logged)
}

/// A changeset of about 1 MB: sockets' buffers fill after a few.
fn big_changeset(n: usize) -> Changeset {
    let changes = (0..4000)
        .map(|i| AssetChange {
            id: None,
            path: format!("assets/{n}/{i:0>200}.png"),
            artifact: format!("{n}/{i}.png"),
            hash: "ab".repeat(32),
            kind: ChangeKind::Modified,
        })
        .collect();
    Changeset { profile: "default".to_owned(), changes }
}

fn read_hello(s: &TcpStream) -> BufReader<TcpStream> {
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(matches!(serde_json::from_str(&line), Ok(Message::Hello { seq: 0, .. })), "{line}");
    reader
}

#[test]
fn a_stuck_client_is_dropped_with_a_log_line_and_a_reader_gets_everything() {
    let dir = tempfile::tempdir().unwrap();
    let (server, logged) = server(dir.path(), 4);
    let stuck = TcpStream::connect(server.address()).unwrap();
    let stuck_addr = stuck.local_addr().unwrap();
    let _ = read_hello(&stuck);
    let reading = TcpStream::connect(server.address()).unwrap();
    let mut reader = read_hello(&reading);
    const SENT: u64 = 40;
    let got = std::thread::spawn(move || {
        let mut seqs = Vec::new();
        let mut line = String::new();
        while seqs.len() < SENT as usize {
            line.clear();
            assert!(reader.read_line(&mut line).unwrap() > 0, "the reading client was dropped");
            if let Ok(Message::Changeset { seq, .. }) = serde_json::from_str(&line) {
                seqs.push(seq);
            }
        }
        seqs
    });
    for n in 0..SENT {
        server.publish(&big_changeset(n as usize));
    }
    assert_eq!(got.join().unwrap(), (1..=SENT).collect::<Vec<_>>());
    let logged = logged.lock().unwrap().clone();
    assert_eq!(
        logged,
        vec![format!("reload: client {stuck_addr} disconnected: it is not reading (its queue of messages is full)")]
    );
    assert_eq!(server.clients(), 1);
}

#[test]
fn the_address_file_is_written_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = server(dir.path(), 4);
    let file = addr_file(dir.path());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), format!("{}\n", server.address()));
    drop(server);
    assert!(!file.exists());
}

#[test]
fn a_taken_address_names_itself_and_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = server(dir.path(), 4);
    let options = ServerOptions {
        address: first.address().to_string(),
        setting: "`[reload] address`".to_owned(),
        root: dir.path().to_owned(),
        profile: "default".to_owned(),
        queue: 4,
        log: Arc::new(|_: &str| {}),
    };
    let Err(e) = ReloadServer::start(options) else { panic!("bound twice") };
    assert_eq!(
        e.to_string(),
        format!(
            "reload server: {} is already in use (set by `[reload] address`; another port, or port 0 for a free one, avoids it)",
            first.address()
        )
    );
}
