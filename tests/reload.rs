//! Hot reload end to end: `assetry watch` on a temporary project, games
//! played by the real client crate (`assetry-client`) over loopback, real
//! file changes. Every wait is for an event (a line printed, an update
//! received), bounded by a deadline that fails the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use assetry_client::{Change, ChangeKind, Client, Manifest, Options, Target, Update};

use crate::process::png;
use crate::support::{assetry_bin, save_file, write_file};

const HERO_ID: &str = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11";
const COMMON_ID: &str = "1b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e12";
const LIT_ID: &str = "2b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e13";
const UNLIT_ID: &str = "3b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e14";
const HERO: &str = "assets/textures/hero.png";
const WAIT: Duration = Duration::from_secs(30);

/// A texture, a shared shader and two shaders importing it; the reload
/// server on a free loopback port.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    write_file(d, "assetry.toml", "[reload]\naddress = \"127.0.0.1:0\"\n");
    write_file(d, HERO, png(4, 4, 1));
    write_file(d, "assets/textures/hero.png.meta", format!("id = \"{HERO_ID}\"\n"));
    write_file(d, "assets/shaders/common.wgsl", common(1.0));
    write_file(d, "assets/shaders/common.wgsl.meta", format!("id = \"{COMMON_ID}\"\n"));
    write_file(d, "assets/shaders/lit.wgsl", importer("lit"));
    write_file(d, "assets/shaders/lit.wgsl.meta", format!("id = \"{LIT_ID}\"\n"));
    write_file(d, "assets/shaders/unlit.wgsl", importer("unlit"));
    write_file(d, "assets/shaders/unlit.wgsl.meta", format!("id = \"{UNLIT_ID}\"\n"));
    dir
}

fn common(value: f32) -> String {
    format!("fn shade() -> f32 {{ return {value:?}; }}\n")
}

fn importer(name: &str) -> String {
    format!(
        "#import \"shaders/common.wgsl\"::shade\n\n@fragment\nfn {name}() -> @location(0) vec4<f32> {{ return vec4<f32>(shade()); }}\n"
    )
}

/// `assetry watch DIR`, its output lines on channels.
struct Watch {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    seen: Vec<String>,
    /// The reload server's address, from its start line.
    address: String,
}

impl Watch {
    /// Starts the watch and waits until its first processing run is over
    /// (so its changeset, `seq` 1, went out before any test client connects).
    fn start(root: &Path) -> Watch {
        let mut w = Watch::spawn(root);
        let line = w.expect_err("the reload server's address", |l| l.starts_with("note: hot reload on "));
        w.address = line["note: hot reload on ".len()..].split(' ').next().unwrap_or_default().to_owned();
        w.expect_out("the first run's summary", |l| l.starts_with("processing: "));
        w
    }

    fn spawn(root: &Path) -> Watch {
        let mut child = Command::new(assetry_bin())
            .arg("watch")
            .arg(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("assetry runs");
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        Watch { child, stdout, stderr, seen: Vec::new(), address: String::new() }
    }

    fn expect_out(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        expect(&self.stdout, &mut self.seen, what, pred)
    }

    fn expect_err(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        expect(&self.stderr, &mut self.seen, what, pred)
    }

    fn client(&self) -> Client {
        Client::connect(&self.address).expect("connect to the reload server")
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn expect(rx: &Receiver<String>, seen: &mut Vec<String>, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                seen.push(line.clone());
                if pred(&line) {
                    return line;
                }
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                panic!("no line {what}; printed:\n{}", seen.join("\n"))
            }
        }
    }
}

/// The next update; fails the test past the deadline.
fn next(client: &Client) -> Update {
    client.next_timeout(WAIT).expect("an update from the reload server")
}

/// The next changeset, past `Connected` (and nothing else in between).
fn next_changeset(client: &Client) -> (u64, Vec<Change>, bool) {
    loop {
        match next(client) {
            Update::Connected { .. } => continue,
            Update::Changeset { seq, changes, resync } => return (seq, changes, resync),
            other => panic!("expected a changeset, got {other:?}"),
        }
    }
}

fn manifest(root: &Path) -> Manifest {
    Manifest::load(root, "default").expect("the manifest")
}

fn modified(root: &Path, path: &str, id: &str) -> Change {
    let m = manifest(root);
    let e = m.get(path).unwrap_or_else(|| panic!("{path} in the manifest"));
    Change {
        id: Some(id.to_owned()),
        path: path.to_owned(),
        artifact: e.artifact.clone(),
        hash: e.hash.clone(),
        kind: ChangeKind::Modified,
    }
}

#[test]
fn a_changed_texture_arrives_as_a_changeset_with_its_new_hash() {
    let dir = project();
    let root = dir.path();
    let _watch = Watch::start(root);
    let client = Client::discover(root).expect("discover through .assetry/reload.addr");
    let Update::Connected { profile, root: said, seq } = next(&client) else { panic!("hello first") };
    assert_eq!((profile.as_str(), said, seq), ("default", root.to_owned(), 1));
    let before = manifest(root).get(HERO).expect("hero processed").hash.clone();
    assert_eq!(client.manifest().get(HERO_ID).map(|e| e.hash.clone()), Some(before.clone()));

    save_file(root, HERO, png(4, 4, 2));
    let (seq, changes, resync) = next_changeset(&client);
    assert_eq!((seq, resync), (2, false));
    assert_eq!(changes, vec![modified(root, HERO, HERO_ID)]);
    assert_ne!(changes[0].hash, before, "the artifact changed");
    // The client's manifest follows, and resolves the id to the artifact on disk.
    let artifact = client.manifest().resolve(HERO_ID).expect("hero resolves");
    assert_eq!(artifact, root.join(".assetry/out/default").join(&changes[0].artifact));
    assert!(artifact.is_file(), "{} is on disk", artifact.display());
}

#[test]
fn a_shared_shader_import_arrives_as_one_changeset_holding_every_importer() {
    let dir = project();
    let root = dir.path();
    let _watch = Watch::start(root);
    let client = Client::discover(root).expect("discover");
    write_file(root, "assets/shaders/common.wgsl", common(0.5));
    let (seq, changes, _) = next_changeset(&client);
    assert_eq!(seq, 2);
    assert_eq!(
        changes,
        vec![
            modified(root, "assets/shaders/common.wgsl", COMMON_ID),
            modified(root, "assets/shaders/lit.wgsl", LIT_ID),
            modified(root, "assets/shaders/unlit.wgsl", UNLIT_ID),
        ]
    );
}

#[test]
fn a_broken_shader_sends_an_error_and_keeps_its_last_good_artifact() {
    let dir = project();
    let root = dir.path();
    let _watch = Watch::start(root);
    let client = Client::discover(root).expect("discover");
    let good = client.manifest().resolve(LIT_ID).expect("lit processed");
    let good_bytes = std::fs::read(&good).unwrap();
    write_file(root, "assets/shaders/lit.wgsl", "#import \"shaders/common.wgsl\"::shade\nfn lit( {\n");
    let update = loop {
        match next(&client) {
            Update::Connected { .. } => continue,
            other => break other,
        }
    };
    let Update::Error { id, path, message } = update else { panic!("expected an error, got {update:?}") };
    assert_eq!((id.as_deref(), path.as_deref()), (Some(LIT_ID), Some("assets/shaders/lit.wgsl")));
    assert!(!message.is_empty());
    assert_eq!(std::fs::read(&good).unwrap(), good_bytes, "the last good artifact stays");
    assert_eq!(manifest(root).resolve(LIT_ID), Some(good));
}

#[test]
fn an_error_is_sent_when_a_failure_is_new_or_changed_not_for_each_later_run() {
    let dir = project();
    let root = dir.path();
    let _watch = Watch::start(root);
    let client = Client::discover(root).expect("discover");
    write_file(root, "assets/shaders/lit.wgsl", "#import \"shaders/common.wgsl\"::shade\nfn lit( {\n");
    let first = loop {
        match next(&client) {
            Update::Connected { .. } => continue,
            Update::Error { path, message, .. } => break (path, message),
            other => panic!("expected an error, got {other:?}"),
        }
    };
    assert_eq!(first.0.as_deref(), Some("assets/shaders/lit.wgsl"));
    // Two runs that do not touch the shader: each a changeset, and no
    // `error` for the shader, still failing as before, between them.
    for seed in [20, 21] {
        save_file(root, HERO, png(4, 4, seed));
        let (_, changes, _) = next_changeset(&client);
        assert_eq!(changes, vec![modified(root, HERO, HERO_ID)]);
    }
    // Another failure of the same shader: told again, with its new message.
    write_file(
        root,
        "assets/shaders/lit.wgsl",
        "#import \"shaders/common.wgsl\"::shade\nfn lit() -> f32 { return true; }\n",
    );
    let Update::Error { path, message, .. } = next(&client) else { panic!("expected the new error") };
    assert_eq!(path.as_deref(), Some("assets/shaders/lit.wgsl"));
    assert_ne!(message, first.1);
}

#[test]
fn a_client_reconnects_to_a_restarted_server_and_catches_up() {
    let dir = project();
    let root = dir.path();
    let mut watch = Watch::start(root);
    let client = Client::open(
        Target::Project(root.to_owned()),
        Options { retry: Duration::from_millis(20), ..Options::default() },
    )
    .expect("discover");
    assert!(matches!(next(&client), Update::Connected { seq: 1, .. }));
    // Killed, not stopped: the address file stays behind, naming a dead port.
    watch.child.kill().unwrap();
    watch.child.wait().unwrap();
    assert!(matches!(next(&client), Update::Disconnected { .. }));
    save_file(root, HERO, png(4, 4, 3));
    let _restarted = Watch::spawn(root);
    let Update::Connected { .. } = next(&client) else { panic!("reconnected") };
    // Depending on whether the new server's first run ended before the
    // client connected, the change comes as the server's changeset or as
    // the client's catch-up from the manifest; either way exactly once.
    let (_, changes, _) = next_changeset(&client);
    assert_eq!(changes, vec![modified(root, HERO, HERO_ID)]);
    assert_eq!(client.manifest().get(HERO).map(|e| e.hash.clone()), Some(changes[0].hash.clone()));
}

#[test]
fn a_client_that_never_reads_does_not_stop_another_from_receiving() {
    let dir = project();
    let root = dir.path();
    let watch = Watch::start(root);
    let stuck = TcpStream::connect(&watch.address).expect("connect");
    let client = watch.client();
    for (i, seed) in (10..15).enumerate() {
        save_file(root, HERO, png(4, 4, seed));
        let (seq, changes, _) = next_changeset(&client);
        assert_eq!(seq, 2 + i as u64);
        assert_eq!(changes, vec![modified(root, HERO, HERO_ID)]);
    }
    drop(stuck);
}

#[test]
fn malformed_and_huge_client_lines_close_the_connection_with_a_log_line() {
    let dir = project();
    let root = dir.path();
    let mut watch = Watch::start(root);
    // Connects and reads `hello`, as a client does before it sends anything.
    let address = watch.address.clone();
    let connect = || {
        let s = TcpStream::connect(&address).unwrap();
        let mut reader = BufReader::new(s.try_clone().unwrap());
        let mut hello = String::new();
        reader.read_line(&mut hello).unwrap();
        assert!(hello.starts_with("{\"type\":\"hello\""), "{hello}");
        (s, reader)
    };
    // The connection ends (a clean close, or a reset when our bytes were
    // left unread) with nothing sent after `hello`.
    let closed = |mut reader: BufReader<TcpStream>| {
        let mut rest = Vec::new();
        let _ = reader.read_to_end(&mut rest);
        assert_eq!(String::from_utf8_lossy(&rest), "");
    };

    let (mut s, reader) = connect();
    s.write_all(b"{\"type\":\"subscribe\",\"profile\":\n").unwrap();
    closed(reader);
    watch.expect_err("about the malformed line", |l| {
        l.contains("sent a malformed line") && l.ends_with("connection closed")
    });

    let (mut s, reader) = connect();
    // 1 MB without a newline: written from a thread, since the server stops reading.
    let sent = std::thread::spawn(move || s.write_all(&vec![b'x'; 1 << 20]));
    closed(reader);
    watch.expect_err("about the huge line", |l| l.contains("sent a line over 65536 bytes; connection closed"));
    let _ = sent.join();

    // A client may only subscribe: a `hello` from it is refused too.
    let (mut s, reader) = connect();
    s.write_all(b"{\"type\":\"hello\",\"protocol\":1,\"profile\":\"x\",\"root\":\"/etc\",\"seq\":0}\n").unwrap();
    closed(reader);
    watch.expect_err("about the client's hello", |l| l.contains("sent a message a client cannot send"));

    // The server still serves.
    let client = watch.client();
    save_file(root, HERO, png(4, 4, 7));
    assert_eq!(next_changeset(&client).1, vec![modified(root, HERO, HERO_ID)]);
}

#[test]
fn subscribing_to_another_profile_gets_an_error_and_no_changesets() {
    let dir = project();
    let root = dir.path();
    let watch = Watch::start(root);
    let options = Options { profile: Some("mobile".to_owned()), ..Options::default() };
    let other = Client::open(Target::Address(watch.address.clone()), options).expect("connect");
    assert!(matches!(next(&other), Update::Connected { .. }));
    assert_eq!(
        next(&other),
        Update::Error {
            id: None,
            path: None,
            message: "this server processes profile `default`, not `mobile`: no changesets will follow".to_owned()
        }
    );
    // A client of the right profile hears the change; the other hears nothing before it.
    let client = watch.client();
    save_file(root, HERO, png(4, 4, 8));
    next_changeset(&client);
    drop(client);
    assert_eq!(other.poll(), None);
}

#[test]
fn an_address_in_use_is_an_error_naming_it_and_the_setting() {
    let dir = project();
    let root = dir.path();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    write_file(root, "assetry.toml", format!("[reload]\naddress = \"{address}\"\n"));
    let mut watch = Watch::spawn(root);
    let line = watch.expect_err("about the address", |l| l.starts_with("error: reload server"));
    assert_eq!(
        line,
        format!(
            "error: reload server: {address} is already in use (set by `[reload] address` in assetry.toml; \
             another port, or port 0 for a free one, avoids it); hot reload is off"
        )
    );
    // Watching and processing go on.
    watch.expect_out("the first run's summary", |l| l.starts_with("processing: "));
    assert!(!root.join(".assetry/reload.addr").exists());
}

/// The address file names the bound port and goes away with the server.
#[test]
fn port_zero_writes_the_bound_address_to_reload_addr() {
    let dir = project();
    let root = dir.path();
    let mut watch = Watch::start(root);
    let file: PathBuf = root.join(".assetry/reload.addr");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), format!("{}\n", watch.address));
    assert!(watch.address.starts_with("127.0.0.1:") && !watch.address.ends_with(":0"));
    drop(watch.child.stdin.take());
    watch.child.wait().unwrap();
    assert!(!file.exists());
}
