//! Moves without ids in a Bevy project, recognised by content: a texture
//! deleted and the same bytes created under another name in another folder
//! (`git checkout` of a commit that renamed it, `cp` then `rm`, a file
//! manager moving across devices). `assetry watch` says where it went; the
//! server says so too and its quick fix rewrites the path in the scene and
//! in the code. Each test waits for the note (or log) that every asset is
//! fingerprinted, then for the lines or diagnostics the changes produce.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::assetry_bin;
use crate::support::lsp::{Fixture, LspClient, apply_workspace_edit};

const PROJECT: &str = r#"
//- /Cargo.toml
[package]
name = "game"
[dependencies]
bevy = "0.16"
//- /assets/textures/old.png
old png bytes
//- /assets/scenes/level.scn.ron
(hero: "textures/old.png")
//- /src/main.rs
fn setup(s: Res<AssetServer>) { let _h: Handle<Image> = s.load("textures/old.png"); }
"#;

const MAIN: &str = "src/main.rs";
const SCENE: &str = "assets/scenes/level.scn.ron";
const BYTES: &str = "old png bytes\n";

/// `assetry watch` with its standard output and its notes (standard error)
/// read as one stream of lines, in the order each stream gives them.
struct Watch {
    child: Child,
    _stdin: ChildStdin,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Watch {
    fn start(root: &Path) -> Watch {
        let mut child = Command::new(assetry_bin())
            .arg("watch")
            .arg(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("assetry runs");
        let (tx, lines) = std::sync::mpsc::channel();
        let pipes: [Box<dyn Read + Send>; 2] =
            [Box::new(child.stdout.take().expect("stdout")), Box::new(child.stderr.take().expect("stderr"))];
        for pipe in pipes {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let _stdin = child.stdin.take().expect("stdin");
        Watch { child, _stdin, lines, seen: Vec::new() }
    }

    /// Waits for a line matching `pred`; returns the lines printed before
    /// it. Panics with everything printed so far.
    fn expect(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut before = Vec::new();
        loop {
            match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return before;
                    }
                    before.push(line);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    panic!("no line {what}; printed:\n{}", self.seen.join("\n"))
                }
            }
        }
    }

    /// Started, first diagnostics out, and every asset fingerprinted.
    fn ready(root: &Path, assets: usize) -> Watch {
        let mut watch = Watch::start(root);
        let totals = format!("0 errors, 0 warnings in {assets} assets");
        let note = format!("note: moves are recognised by content from now on ({assets} assets fingerprinted in ");
        // Two pipes: which of the two lines is read first is open.
        let (mut counted, mut noted) = (false, false);
        while !(counted && noted) {
            watch.expect("with the initial totals and the note", |l| l.starts_with(&totals) || l.starts_with(&note));
            let last = watch.seen.last().cloned().unwrap_or_default();
            counted |= last.starts_with(&totals);
            noted |= last.starts_with(&note);
        }
        watch
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn project() -> (tempfile::TempDir, std::path::PathBuf) {
    let f = Fixture::new(PROJECT);
    let root = f.root().canonicalize().expect("canonical temp dir");
    (f.dir, root)
}

/// The watch lines of the two references once they say "moved to `to`".
fn moved_lines(to: &str) -> [String; 2] {
    let said = format!("`textures/old.png` does not exist: the asset moved to `{to}`");
    [format!("+ error[broken-path] {SCENE}:1:9: {said}"), format!("+ error[broken-path] {MAIN}:1:65: {said}")]
}

/// Created and deleted back to back (one batch, or two if the watcher cuts
/// between them: the result is the same), or deleted first and created
/// once the deletion is reported: both references say where it went. On
/// the old code they say "does not exist (no asset at …)", and there is no
/// note.
#[test]
fn watch_says_where_a_texture_moved_by_content() {
    for steps in ["back to back", "deleted, then created"] {
        let (_dir, root) = project();
        let mut watch = Watch::ready(&root, 2);
        if steps == "back to back" {
            write(&root, "assets/textures/new/hero.png", BYTES);
            std::fs::remove_file(root.join("assets/textures/old.png")).expect("rm");
        } else {
            std::fs::remove_file(root.join("assets/textures/old.png")).expect("rm");
            let gone = "`textures/old.png` does not exist (no asset at `assets/textures/old.png`)";
            let line = format!("+ error[broken-path] {MAIN}:1:65: {gone}");
            watch.expect("for the deleted texture", |l| l == line);
            watch.expect("with the totals", |l| l == "2 errors, 0 warnings in 1 asset");
            write(&root, "assets/textures/new/hero.png", BYTES);
        }
        let [scene, main] = moved_lines("assets/textures/new/hero.png");
        watch.expect("for the scene, moved", |l| l == scene);
        watch.expect("for the code, moved", |l| l == main);
        watch.expect("with the totals", |l| l == "2 errors, 0 warnings in 2 assets");
    }
}

/// Other bytes under another name: no move, the references only say the
/// texture does not exist. Two copies of its bytes: both named, none
/// chosen. (The watcher holds a new asset back a while for its `.meta`, so
/// a creation may come in a later batch than a deletion made after it: the
/// end state does not depend on how the batches were cut.)
#[test]
fn watch_tells_no_move_from_other_content_and_names_both_copies() {
    let (_dir, root) = project();
    let mut watch = Watch::ready(&root, 2);
    // A load of the new texture: its finding goes once the texture is in.
    write(&root, "src/extra.rs", "fn f(s: Res<AssetServer>) { s.load(\"textures/villain.png\"); }\n");
    let villain = "+ error[broken-path] src/extra.rs:1:37: `textures/villain.png` does not exist (no asset at \
                   `assets/textures/villain.png`)";
    watch.expect("for the load of the villain", |l| l == villain);
    write(&root, "assets/textures/villain.png", "villain png bytes\n");
    std::fs::remove_file(root.join("assets/textures/old.png")).expect("rm");
    let gone = "`textures/old.png` does not exist (no asset at `assets/textures/old.png`)";
    let main = format!("+ error[broken-path] {MAIN}:1:65: {gone}");
    // Only once both are in: the scene's and the code's findings, no asset
    // but the scene and the villain.
    watch.expect("with the totals once both are in", |l| l == "2 errors, 0 warnings in 2 assets");
    assert!(watch.seen.contains(&main), "{:#?}", watch.seen);
    assert!(watch.seen.contains(&format!("-{}", &villain[1..])), "{:#?}", watch.seen);
    assert!(!watch.seen.iter().any(|l| l.contains("moved")), "{:#?}", watch.seen);

    // The texture back, two copies of it, then it goes.
    write(&root, "assets/textures/old.png", BYTES);
    watch.expect("retracting the code's finding", |l| l == format!("- error[broken-path] {MAIN}:1:65: {gone}"));
    write(&root, "assets/a/hero.png", BYTES);
    write(&root, "assets/b/hero_copy.png", BYTES);
    std::fs::remove_file(root.join("assets/textures/old.png")).expect("rm");
    let said = "`textures/old.png` does not exist: the asset moved, and its content is now in `assets/a/hero.png` \
                and `assets/b/hero_copy.png` (copies); which one is it?";
    let main = format!("+ error[broken-path] {MAIN}:1:65: {said}");
    watch.expect("for the code, naming both copies", |l| l == main);
}

/// The code actions at a reference that say "moved".
fn moved_actions(client: &mut LspClient, f: &Fixture, rel: &str, line: u32, character: u32) -> Vec<Value> {
    let at = json!({"line": line, "character": character});
    let actions = client.request_ok(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": f.uri(rel)}, "range": {"start": at, "end": at}, "context": {"diagnostics": []}}),
    );
    let actions = actions.as_array().cloned().unwrap_or_default();
    actions.into_iter().filter(|a| a["title"].as_str().is_some_and(|t| t.contains("moved"))).collect()
}

/// The broken-path quick fixes at a reference: (title, preferred, the edit's
/// range as (line, start, end), new text).
fn repairs(
    client: &mut LspClient,
    f: &Fixture,
    rel: &str,
    line: u32,
    character: u32,
) -> Vec<(String, bool, Value, String)> {
    moved_actions(client, f, rel, line, character)
        .iter()
        .map(|a| {
            let edits = &a["edit"]["changes"][f.uri(rel)];
            let edit = if edits.is_array() { &edits[0] } else { &a["edit"]["documentChanges"][0]["edits"][0] };
            (
                a["title"].as_str().unwrap_or_default().to_owned(),
                a["isPreferred"] == true,
                json!([
                    edit["range"]["start"]["line"],
                    edit["range"]["start"]["character"],
                    edit["range"]["end"]["character"]
                ]),
                edit["newText"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The server started on the project, with every asset fingerprinted.
fn server(f: &Fixture) -> LspClient {
    let mut client = LspClient::start(&assetry_bin(), &[f.root()]).0;
    loop {
        let log = client.notification("window/logMessage");
        let text = log["message"].as_str().unwrap_or_default();
        if text.starts_with("assetry: moves are recognised by content from now on (2 assets fingerprinted in ") {
            break;
        }
    }
    client
}

/// Waits until the diagnostics of `uri` are `expected` (code, line, start,
/// end, message): intermediate publishes (the deletion seen before the
/// creation) are skipped.
fn wait_diagnostics(client: &mut LspClient, uri: &str, expected: &[(&str, u64, u64, u64, &str)]) {
    let expected: Vec<Value> = expected.iter().map(|(c, l, s, e, m)| json!([c, l, s, e, m])).collect();
    let mut seen = Vec::new();
    for _ in 0..10 {
        let got: Vec<Value> = client
            .diagnostics(uri)
            .iter()
            .map(|d| {
                let r = &d["range"];
                json!([d["code"], r["start"]["line"], r["start"]["character"], r["end"]["character"], d["message"]])
            })
            .collect();
        if got == expected {
            return;
        }
        seen.push(got);
    }
    panic!("diagnostics of {uri} never became {expected:#?}; published: {seen:#?}");
}

/// The server: the same "moved to", and the preferred quick fix rewrites
/// the scene's and the code's path; after applying both, the project is
/// clean. On the old code the diagnostics say "does not exist (no asset
/// at …)" and no fix says "moved".
#[test]
fn the_server_fixes_a_texture_moved_by_content_in_data_and_code() {
    for steps in ["back to back", "deleted, then created"] {
        server_fixes_a_move(steps);
    }
}

fn server_fixes_a_move(steps: &str) {
    let f = Fixture::new(PROJECT);
    let mut client = server(&f);
    if steps == "back to back" {
        write(f.root(), "assets/textures/new/hero.png", BYTES);
        std::fs::remove_file(f.path("assets/textures/old.png")).expect("rm");
    } else {
        std::fs::remove_file(f.path("assets/textures/old.png")).expect("rm");
        let gone = "`textures/old.png` does not exist (no asset at `assets/textures/old.png`)";
        wait_diagnostics(&mut client, &f.uri(SCENE), &[("broken-path", 0, 8, 24, gone)]);
        wait_diagnostics(&mut client, &f.uri(MAIN), &[("broken-path", 0, 64, 80, gone)]);
        write(f.root(), "assets/textures/new/hero.png", BYTES);
    }
    let said = "`textures/old.png` does not exist: the asset moved to `assets/textures/new/hero.png`";
    wait_diagnostics(&mut client, &f.uri(SCENE), &[("broken-path", 0, 8, 24, said)]);
    wait_diagnostics(&mut client, &f.uri(MAIN), &[("broken-path", 0, 64, 80, said)]);
    let title = "`old.png` moved: use `textures/new/hero.png`".to_owned();
    let scene = repairs(&mut client, &f, SCENE, 0, 12);
    let to = "textures/new/hero.png".to_owned();
    assert_eq!(scene, [(title.clone(), true, json!([0, 8, 24]), to.clone())]);
    let main = repairs(&mut client, &f, MAIN, 0, 70);
    assert_eq!(main, [(title, true, json!([0, 64, 80]), to)]);
    // Applied as the editor would: the project is clean again.
    for (rel, character) in [(SCENE, 12), (MAIN, 70)] {
        let action = moved_actions(&mut client, &f, rel, 0, character).remove(0);
        apply_workspace_edit(&action["edit"]);
        wait_diagnostics(&mut client, &f.uri(rel), &[]);
    }
    assert_eq!(f.read(SCENE), "(hero: \"textures/new/hero.png\")\n");
    assert_eq!(
        f.read(MAIN),
        "fn setup(s: Res<AssetServer>) { let _h: Handle<Image> = s.load(\"textures/new/hero.png\"); }\n"
    );
    client.shutdown();
}

/// Two copies of the texture's bytes, then it goes: each copy is offered,
/// none preferred, as for a duplicated `.meta` id (whatever batches the
/// watcher cut: publishes on the way may name one copy).
#[test]
fn the_server_offers_each_copy_and_prefers_none() {
    let f = Fixture::new(PROJECT);
    let mut client = server(&f);
    write(f.root(), "assets/a/hero.png", BYTES);
    write(f.root(), "assets/b/hero_copy.png", BYTES);
    std::fs::remove_file(f.path("assets/textures/old.png")).expect("rm");
    let said = "`textures/old.png` does not exist: the asset moved, and its content is now in `assets/a/hero.png` \
                and `assets/b/hero_copy.png` (copies); which one is it?";
    wait_diagnostics(&mut client, &f.uri(SCENE), &[("broken-path", 0, 8, 24, said)]);
    wait_diagnostics(&mut client, &f.uri(MAIN), &[("broken-path", 0, 64, 80, said)]);
    let why = "(its content is in several places)";
    let fix = |to: &str| (format!("`old.png` moved, maybe to `{to}` {why}"), false, json!([0, 64, 80]), to.to_owned());
    assert_eq!(repairs(&mut client, &f, MAIN, 0, 70), [fix("a/hero.png"), fix("b/hero_copy.png")]);
    client.shutdown();
}
