//! The other backends on real folders: `notify` (what macOS and Windows use,
//! here on its Linux implementation) and polling. Batches may be cut
//! differently than with inotify, so these tests compare what arrived in
//! total once the watcher has handed on every change made so far.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use assetry_watcher::{Backend, Change, WatchEvent, WatchOptions, Watcher};

const ID: &str = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11";
/// How long a wait may take before the test fails (a guard against a hang,
/// never a wait for quiet).
const GUARD: Duration = Duration::from_secs(30);
/// Marker files are written here (a tracked code folder, so markers are
/// reported whatever happens to `assets/`).
const MARKERS: &str = "src/settled-";

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    watcher: Watcher,
    events: Receiver<WatchEvent>,
    markers: usize,
}

impl Fixture {
    fn new(backend: Backend, files: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("assets")).unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        for (rel, text) in files {
            write(&root.join(rel), text);
        }
        let mut options = WatchOptions::new(&root);
        options.backend = backend;
        options.poll_interval = Duration::from_millis(100);
        let (watcher, events) = Watcher::channel(options).unwrap();
        Fixture { _dir: dir, root, watcher, events, markers: 0 }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Every change made so far, as `disk x` / `removed x` / `moved x -> y`.
    ///
    /// `notify` hands events over from a thread of its own, so a settle
    /// could overtake them; a marker file written now comes through the
    /// same queue after them. Once the marker arrived and the watcher
    /// settled, everything before it was handed on. (A settle alone is
    /// exact for polling: it lists every folder once more.)
    fn changes(&mut self) -> BTreeSet<String> {
        self.markers += 1;
        let marker = format!("disk {MARKERS}{}.rs", self.markers);
        write(&self.path(&marker["disk ".len()..]), "");
        let mut out = BTreeSet::new();
        let mut seen = false;
        loop {
            self.watcher.settle().recv_timeout(GUARD).expect("the watcher settles");
            let events: Vec<WatchEvent> = self.events.try_iter().collect();
            for event in events {
                seen |= self.take(event, &marker, &mut out);
            }
            if seen {
                return out;
            }
            let event = self.events.recv_timeout(GUARD).expect("the marker file is reported");
            seen |= self.take(event, &marker, &mut out);
        }
    }

    /// Adds the changes of `event` to `out`, markers left out; whether
    /// `marker` was among them.
    fn take(&self, event: WatchEvent, marker: &str, out: &mut BTreeSet<String>) -> bool {
        let r = |p: &Path| p.strip_prefix(&self.root).unwrap().display().to_string();
        let mut seen = false;
        if let WatchEvent::Changes(batch) = event {
            for change in batch.changes {
                let change = match change {
                    Change::Disk(p) => format!("disk {}", r(&p)),
                    Change::Removed(p) => format!("removed {}", r(&p)),
                    Change::Moved { from, to } => format!("moved {} -> {}", r(&from), r(&to)),
                    other => format!("{other:?}"),
                };
                seen |= change == marker;
                if !change.contains(MARKERS) {
                    out.insert(change);
                }
            }
        }
        seen
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn create_modify_delete(backend: Backend) {
    let mut f = Fixture::new(backend, &[("assets/old.json", "{}")]);
    write(&f.path("assets/t/hero.png"), "png");
    write(&f.path("assets/t/hero.png.meta"), &format!("id = \"{ID}\"\n"));
    std::fs::write(f.path("assets/old.json"), "[]").unwrap();
    assert_eq!(f.changes(), set(&["disk assets/old.json", "disk assets/t/hero.png", "disk assets/t/hero.png.meta"]));
    std::fs::remove_file(f.path("assets/t/hero.png")).unwrap();
    std::fs::remove_file(f.path("assets/t/hero.png.meta")).unwrap();
    assert_eq!(f.changes(), set(&["removed assets/t/hero.png", "removed assets/t/hero.png.meta"]));
}

#[test]
fn notify_create_modify_delete() {
    create_modify_delete(Backend::Notify);
}

#[test]
fn poll_create_modify_delete() {
    create_modify_delete(Backend::Poll);
}

#[test]
fn notify_rename_and_folder_move() {
    let mut f = Fixture::new(
        Backend::Notify,
        &[("assets/tex/a.png", "png"), ("assets/tex/a.png.meta", &format!("id = \"{ID}\"\n"))],
    );
    std::fs::rename(f.path("assets/tex/a.png"), f.path("assets/tex/b.png")).unwrap();
    std::fs::rename(f.path("assets/tex/a.png.meta"), f.path("assets/tex/b.png.meta")).unwrap();
    assert_eq!(
        f.changes(),
        set(&["moved assets/tex/a.png -> assets/tex/b.png", "moved assets/tex/a.png.meta -> assets/tex/b.png.meta"])
    );
    std::fs::rename(f.path("assets/tex"), f.path("assets/art")).unwrap();
    assert_eq!(f.changes(), set(&["moved assets/tex -> assets/art"]));
    std::fs::write(f.path("assets/art/b.png"), "png2").unwrap();
    assert_eq!(f.changes(), set(&["disk assets/art/b.png"]));
}

#[test]
fn notify_honours_ignores_and_new_folders() {
    let mut f = Fixture::new(Backend::Notify, &[(".gitignore", "*.psd\n")]);
    write(&f.path("assets/a.psd"), "x");
    write(&f.path("assets/.git/HEAD"), "x");
    write(&f.path("assets/target/x.json"), "x");
    // notify on Linux adds its watch for a new folder from its own thread,
    // after handing on the events it read with the folder's creation, so a
    // file written in the same instant can slip by; FSEvents and
    // ReadDirectoryChangesW watch whole trees and have no such gap. Two
    // markers: the second is read by notify's thread after it finished
    // with the first one's events, the folder's creation among them.
    std::fs::create_dir_all(f.path("assets/new/deeper")).unwrap();
    assert_eq!(f.changes(), set(&[]));
    assert_eq!(f.changes(), set(&[]));
    write(&f.path("assets/new/deeper/x.json"), "{}");
    assert_eq!(f.changes(), set(&["disk assets/new/deeper/x.json"]));
}

#[test]
fn notify_root_deleted_and_recreated() {
    let mut f = Fixture::new(Backend::Notify, &[("assets/a.json", "{}")]);
    std::fs::remove_dir_all(f.path("assets")).unwrap();
    let gone = f.changes();
    // The file's removal is covered by the folder's when both fall in one
    // batch; notify may hand the file's over early enough for a batch of
    // its own.
    assert!(gone == set(&["removed assets"]) || gone == set(&["removed assets", "removed assets/a.json"]), "{gone:?}");
    write(&f.path("assets/b.json"), "{}");
    assert_eq!(f.changes(), set(&["disk assets/b.json"]));
    std::fs::write(f.path("assets/b.json"), "[]").unwrap();
    assert_eq!(f.changes(), set(&["disk assets/b.json"]));
}
