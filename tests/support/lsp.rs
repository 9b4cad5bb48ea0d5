//! A small JSON-RPC client for the language server: it spawns the real
//! `assetry lsp`, frames messages with `Content-Length`, and waits for named
//! notifications and responses with a timeout. Messages the test did not
//! look at are kept; when the client is dropped it shuts the server down,
//! reads everything the server still had to say, and fails the test if any
//! of it was left unread (so a test cannot pass by ignoring the server).
//!
//! Self-contained (std + serde_json) so the benchmark can use it too.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const TIMEOUT: Duration = Duration::from_secs(20);

pub struct LspClient {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: mpsc::Receiver<Value>,
    /// Received but not yet consumed by the test, in arrival order.
    unread: VecDeque<Value>,
    next_id: i64,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    /// Set once the test shut the server down itself.
    finished: bool,
    /// Whether to check on drop that nothing was left unread.
    check_unread: bool,
}

impl LspClient {
    /// Spawns `bin lsp` in `cwd` without initializing it.
    pub fn spawn(bin: &Path, cwd: &Path) -> LspClient {
        LspClient::spawn_with_env(bin, cwd, &[])
    }

    /// [`Self::spawn`] with extra environment variables for the server.
    pub fn spawn_with_env(bin: &Path, cwd: &Path, env: &[(&str, &str)]) -> LspClient {
        let mut child = Command::new(bin)
            .arg("lsp")
            .envs(env.iter().copied())
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, incoming) = mpsc::channel();
        std::thread::spawn(move || read_messages(BufReader::new(stdout), tx));
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        LspClient {
            stdin: child.stdin.take(),
            child,
            incoming,
            unread: VecDeque::new(),
            next_id: 1,
            stderr,
            finished: false,
            check_unread: true,
        }
    }

    /// Spawns the server and runs `initialize` + `initialized` with the given
    /// workspace folders; returns the client and the initialize result.
    pub fn start(bin: &Path, folders: &[&Path]) -> (LspClient, Value) {
        LspClient::start_with_env(bin, folders, &[])
    }

    /// [`Self::start`] with extra environment variables for the server.
    pub fn start_with_env(bin: &Path, folders: &[&Path], env: &[(&str, &str)]) -> (LspClient, Value) {
        let cwd = folders.first().copied().unwrap_or(Path::new("/"));
        let mut client = LspClient::spawn_with_env(bin, cwd, env);
        let folders: Vec<Value> = folders
            .iter()
            .map(|f| json!({"uri": file_uri(f), "name": f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()}))
            .collect();
        let result = client.request_ok(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": folders.first().map(|f| f["uri"].clone()),
                "workspaceFolders": folders,
                "capabilities": {
                    "textDocument": {
                        "publishDiagnostics": {"relatedInformation": true},
                        "definition": {"linkSupport": false},
                    },
                    "workspace": {"workspaceFolders": true, "workspaceEdit": {"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]}},
                },
            }),
        );
        client.notify("initialized", json!({}));
        (client, result)
    }

    /// Do not fail on drop because of unread messages (for benchmarks and
    /// tests that flood the server on purpose).
    pub fn ignore_unread(&mut self) {
        self.check_unread = false;
    }

    pub fn send(&mut self, message: &Value) {
        let body = serde_json::to_string(message).expect("serializable");
        self.send_raw(body.as_bytes());
    }

    /// Writes one framed message body as is (it may be invalid JSON).
    pub fn send_raw(&mut self, body: &[u8]) {
        let stdin = self.stdin.as_mut().expect("server stdin open");
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend_from_slice(body);
        stdin.write_all(&frame).expect("write to server");
        stdin.flush().expect("flush to server");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its id without waiting.
    pub fn request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Waits for the response to `id`: `Ok(result)` or `Err(error)`.
    pub fn response(&mut self, id: i64) -> Result<Value, Value> {
        let msg = self.wait_for(&format!("response to request {id}"), |m| {
            m.get("method").is_none() && m.get("id") == Some(&json!(id))
        });
        match msg.get("error") {
            Some(err) => Err(err.clone()),
            None => Ok(msg.get("result").cloned().unwrap_or(Value::Null)),
        }
    }

    /// Waits for an error response that has no id (the server could not
    /// even read the request's id).
    pub fn response_null_id(&mut self) -> Value {
        let msg = self
            .wait_for("response with a null id", |m| m.get("method").is_none() && m.get("id") == Some(&Value::Null));
        msg.get("error").cloned().unwrap_or(Value::Null)
    }

    /// Sends a request and waits for its successful result.
    pub fn request_ok(&mut self, method: &str, params: Value) -> Value {
        let id = self.request(method, params);
        match self.response(id) {
            Ok(v) => v,
            Err(e) => panic!("{method} failed: {e}\nserver stderr:\n{}", self.stderr()),
        }
    }

    /// Waits for the next notification named `method` and returns its params.
    pub fn notification(&mut self, method: &str) -> Value {
        let msg =
            self.wait_for(method, |m| m.get("id").is_none() && m.get("method").and_then(Value::as_str) == Some(method));
        msg.get("params").cloned().unwrap_or(Value::Null)
    }

    /// Waits for the next `publishDiagnostics` for `uri` and returns its
    /// diagnostics array.
    pub fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let msg = self.wait_for(&format!("diagnostics for {uri}"), |m| {
            m.get("method").and_then(Value::as_str) == Some("textDocument/publishDiagnostics")
                && m["params"]["uri"].as_str() == Some(uri)
        });
        msg["params"]["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    /// Waits for the diagnostics of `uri` published for document `version`
    /// and returns them. Publishes for older versions come first when edits
    /// arrive faster than the server checks them (it coalesces bursts, so
    /// how many is not fixed): each is consumed and must be for an older
    /// version than the one after it.
    pub fn diagnostics_at_version(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let mut last_seen = i64::MIN;
        loop {
            let msg = self.wait_for(&format!("diagnostics for {uri}"), |m| {
                m.get("method").and_then(Value::as_str) == Some("textDocument/publishDiagnostics")
                    && m["params"]["uri"].as_str() == Some(uri)
            });
            let seen = msg["params"]["version"].as_i64().unwrap_or_else(|| panic!("no version: {msg}"));
            assert!(seen > last_seen && seen <= version, "version {seen} after {last_seen}, waiting for {version}");
            if seen == version {
                return msg["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
            }
            last_seen = seen;
        }
    }

    /// Like [`Self::diagnostics`], reduced to `(code, start line, start
    /// character, end character)` for compact assertions.
    pub fn diagnostic_codes(&mut self, uri: &str) -> Vec<(String, u64, u64, u64)> {
        self.diagnostics(uri)
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap_or_default().to_owned(),
                    d["range"]["start"]["line"].as_u64().unwrap_or(u64::MAX),
                    d["range"]["start"]["character"].as_u64().unwrap_or(u64::MAX),
                    d["range"]["end"]["character"].as_u64().unwrap_or(u64::MAX),
                )
            })
            .collect()
    }

    /// Consumes and returns every message received so far or within `quiet`
    /// of the last one.
    pub fn drain(&mut self, quiet: Duration) -> Vec<Value> {
        while let Ok(m) = self.incoming.recv_timeout(quiet) {
            self.unread.push_back(m);
        }
        self.unread.drain(..).collect()
    }

    fn wait_for(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.unread.iter().position(&matches) {
            return self.unread.remove(i).expect("index in range");
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(m) if matches(&m) => return m,
                Ok(m) => self.unread.push_back(m),
                Err(_) => panic!(
                    "timed out waiting for {what}\nunread messages: {:#?}\nserver stderr:\n{}",
                    self.unread,
                    self.stderr()
                ),
            }
        }
    }

    /// The next message, read or not yet read, waiting at most `timeout`
    /// (`None` then): for tests that follow a long stream of notifications.
    pub fn next_message(&mut self, timeout: Duration) -> Option<Value> {
        if let Some(m) = self.unread.pop_front() {
            return Some(m);
        }
        self.incoming.recv_timeout(timeout).ok()
    }

    /// The server's process id (for memory measurements).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Like [`Self::drain`], plus when the last message arrived.
    pub fn drain_timed(&mut self, quiet: Duration) -> (Vec<Value>, Option<Instant>) {
        let mut last = None;
        while let Ok(m) = self.incoming.recv_timeout(quiet) {
            last = Some(Instant::now());
            self.unread.push_back(m);
        }
        (self.unread.drain(..).collect(), last)
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Whether the server process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// `shutdown` then `exit`; returns the server's exit status.
    pub fn shutdown(&mut self) -> ExitStatus {
        self.finished = true;
        let id = self.request("shutdown", Value::Null);
        let _ = self.response(id);
        self.notify("exit", Value::Null);
        self.wait_exit()
    }

    /// `shutdown` then `exit`, then everything the server still sent: of
    /// the diagnostics the test had not read, the last published for each
    /// URI (what the editor shows at the end). For changes reported by the
    /// file watcher, which may split one move into several batches, each
    /// with its own passing diagnostics: the test asserts where they end.
    pub fn shutdown_with_last_diagnostics(&mut self) -> std::collections::BTreeMap<String, Vec<Value>> {
        let status = self.shutdown();
        assert_eq!(status.code(), Some(0), "server stderr:\n{}", self.stderr());
        // The reader thread ends at the end of the server's output.
        while let Ok(m) = self.incoming.recv_timeout(TIMEOUT) {
            self.unread.push_back(m);
        }
        let mut last = std::collections::BTreeMap::new();
        self.unread.retain(|m| {
            if m.get("method").and_then(Value::as_str) != Some("textDocument/publishDiagnostics") {
                return true;
            }
            let uri = m["params"]["uri"].as_str().expect("uri").to_owned();
            last.insert(uri, m["params"]["diagnostics"].as_array().cloned().unwrap_or_default());
            false
        });
        last
    }

    /// Waits for the process to end (after `exit`, or after stdin closed).
    pub fn wait_exit(&mut self) -> ExitStatus {
        self.finished = true;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                _ => {
                    let _ = self.child.kill();
                    panic!("server did not exit\nserver stderr:\n{}", self.stderr());
                }
            }
        }
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }
}

/// Raw input, for tests of the transport itself.
impl LspClient {
    /// Writes `bytes` to the server's stdin as they are, with no framing.
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("server stdin open");
        stdin.write_all(bytes).expect("write to server");
        stdin.flush().expect("flush to server");
    }
}

impl Drop for LspClient {
    fn drop(&mut self) {
        if !self.finished && !std::thread::panicking() && self.is_running() {
            let id = self.request("shutdown", Value::Null);
            let _ = self.response(id);
            self.notify("exit", Value::Null);
            self.finished = true;
            let _ = self.wait_exit();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() || !self.check_unread {
            return;
        }
        // The reader thread ends at EOF, after the process exited.
        while let Ok(m) = self.incoming.recv_timeout(Duration::from_secs(2)) {
            self.unread.push_back(m);
        }
        let unread: Vec<&Value> = self.unread.iter().filter(|m| !is_log(m)).collect();
        assert!(unread.is_empty(), "the test left server messages unread: {unread:#?}");
    }
}

/// Log messages are for humans; tests need not read them.
fn is_log(m: &Value) -> bool {
    matches!(m.get("method").and_then(Value::as_str), Some("window/logMessage"))
}

fn read_messages(mut reader: impl BufRead, tx: mpsc::Sender<Value>) {
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length:") {
                length = v.trim().parse::<usize>().ok();
            }
        }
        let Some(length) = length else { panic!("server sent a frame without Content-Length") };
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let value: Value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("server sent invalid JSON ({e}): {}", String::from_utf8_lossy(&body)));
        if tx.send(value).is_err() {
            return;
        }
    }
}

/// `file://` URI of an absolute path, percent-encoding what RFC 3986 requires.
pub fn file_uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A project written to a temporary folder from one fixture string, in
/// rust-analyzer's style: each file starts with a `//- /relative/path` line,
/// and one `$0` may mark the cursor.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// The cursor's file (relative path), line and UTF-16 character.
    pub cursor: Option<(String, u32, u32)>,
}

impl Fixture {
    pub fn new(fixture: &str) -> Fixture {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut cursor = None;
        let mut files: Vec<(String, String)> = Vec::new();
        for line in fixture.lines() {
            if let Some(path) = line.trim().strip_prefix("//- /") {
                files.push((path.trim().to_owned(), String::new()));
            } else if let Some((_, text)) = files.last_mut() {
                text.push_str(line);
                text.push('\n');
            } else {
                assert!(line.trim().is_empty(), "fixture text before the first `//- /path`: {line}");
            }
        }
        for (path, text) in &mut files {
            if let Some(at) = text.find("$0") {
                text.replace_range(at..at + 2, "");
                let before = &text[..at];
                let line = before.matches('\n').count() as u32;
                let col = before.rsplit('\n').next().unwrap_or("").encode_utf16().count() as u32;
                cursor = Some((path.clone(), line, col));
            }
            let full = dir.path().join(&*path);
            std::fs::create_dir_all(full.parent().expect("file has a parent")).expect("mkdir");
            std::fs::write(&full, &*text).expect("write fixture file");
        }
        Fixture { dir, cursor }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> std::path::PathBuf {
        self.dir.path().join(rel)
    }

    pub fn uri(&self, rel: &str) -> String {
        file_uri(&self.path(rel))
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// `textDocument` + `position` params at the cursor.
    pub fn at_cursor(&self) -> Value {
        let (path, line, character) = self.cursor.clone().expect("fixture has a $0 cursor");
        json!({"textDocument": {"uri": self.uri(&path)}, "position": {"line": line, "character": character}})
    }

    /// Opens the cursor's file (or `rel`) in the server with its disk text.
    pub fn open(&self, client: &mut LspClient, rel: &str) {
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": self.uri(rel), "languageId": language_of(rel), "version": 0, "text": self.read(rel)}}),
        );
    }
}

fn language_of(rel: &str) -> &'static str {
    match rel.rsplit('.').next() {
        Some("json" | "gltf") => "json",
        Some("toml" | "meta") => "toml",
        Some("wgsl") => "wgsl",
        Some("rs") => "rust",
        Some("ron") => "ron",
        _ => "plaintext",
    }
}

/// The byte offset of an LSP position (UTF-16 column) in `text`, clamped.
pub fn byte_offset(text: &str, line: u64, character: u64) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_text = &text[start..text[start..].find('\n').map_or(text.len(), |i| start + i)];
    let mut units = 0u64;
    for (i, ch) in line_text.char_indices() {
        if units >= character {
            return start + i;
        }
        units += ch.len_utf16() as u64;
    }
    start + line_text.len()
}

fn uri_path(uri: &str) -> std::path::PathBuf {
    let raw = uri.strip_prefix("file://").unwrap_or_else(|| panic!("not a file URI: {uri}"));
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii");
            out.push(u8::from_str_radix(hex, 16).expect("percent escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    std::path::PathBuf::from(String::from_utf8(out).expect("utf-8 path"))
}

fn apply_text_edits(path: &Path, edits: &[Value]) {
    let mut text = std::fs::read_to_string(path).unwrap_or_default();
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            let r = &e["range"];
            let s = byte_offset(&text, r["start"]["line"].as_u64().unwrap(), r["start"]["character"].as_u64().unwrap());
            let end = byte_offset(&text, r["end"]["line"].as_u64().unwrap(), r["end"]["character"].as_u64().unwrap());
            (s, end, e["newText"].as_str().unwrap().to_owned())
        })
        .collect();
    spans.sort_by_key(|span| std::cmp::Reverse(span.0));
    for (s, end, new) in spans {
        text.replace_range(s..end, &new);
    }
    std::fs::write(path, text).expect("write edited file");
}

/// Applies a `WorkspaceEdit` to the files on disk, as an editor would:
/// `changes`, or `documentChanges` in order (edits, create, rename, delete).
pub fn apply_workspace_edit(edit: &Value) {
    if let Some(changes) = edit["changes"].as_object() {
        for (uri, edits) in changes {
            apply_text_edits(&uri_path(uri), edits.as_array().expect("edits"));
        }
    }
    for op in edit["documentChanges"].as_array().into_iter().flatten() {
        match op["kind"].as_str() {
            None => apply_text_edits(
                &uri_path(op["textDocument"]["uri"].as_str().unwrap()),
                op["edits"].as_array().unwrap(),
            ),
            Some("create") => {
                let path = uri_path(op["uri"].as_str().unwrap());
                if !path.exists() {
                    std::fs::write(&path, "").expect("create file");
                }
            }
            Some("rename") => {
                let (from, to) = (uri_path(op["oldUri"].as_str().unwrap()), uri_path(op["newUri"].as_str().unwrap()));
                std::fs::create_dir_all(to.parent().unwrap()).expect("mkdir");
                std::fs::rename(&from, &to).unwrap_or_else(|e| panic!("rename {from:?} -> {to:?}: {e}"));
            }
            Some("delete") => {
                let path = uri_path(op["uri"].as_str().unwrap());
                let _ = std::fs::remove_file(path);
            }
            Some(other) => panic!("unknown resource operation {other}"),
        }
    }
}

/// Runs `assetry check --format json` on `root` and returns (exit code, report).
pub fn check_json(bin: &Path, root: &Path) -> (Option<i32>, Value) {
    let out = Command::new(bin).arg("check").arg(root).args(["--format", "json"]).output().expect("run assetry check");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("check output is not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), report)
}
