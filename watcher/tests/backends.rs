//! The other backends on real folders: `notify` (what macOS and Windows use,
//! here on its Linux implementation) and polling. Batches may be cut
//! differently than with inotify, so these tests compare what arrived in
//! total once things are quiet.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use assetry_watcher::{Backend, Change, WatchEvent, WatchOptions, Watcher};

const ID: &str = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11";

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    _watcher: Watcher,
    events: Receiver<WatchEvent>,
}

impl Fixture {
    fn new(backend: Backend, files: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("assets")).unwrap();
        for (rel, text) in files {
            write(&root.join(rel), text);
        }
        let mut options = WatchOptions::new(&root);
        options.backend = backend;
        options.poll_interval = Duration::from_millis(100);
        let (watcher, events) = Watcher::channel(options).unwrap();
        Fixture { _dir: dir, root, _watcher: watcher, events }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Every change until quiet, as `disk x` / `removed x` / `moved x -> y`.
    fn changes(&self) -> BTreeSet<String> {
        let r = |p: &Path| p.strip_prefix(&self.root).unwrap().display().to_string();
        let mut out = BTreeSet::new();
        while let Ok(event) = self.events.recv_timeout(Duration::from_millis(800)) {
            if let WatchEvent::Changes(batch) = event {
                for change in batch.changes {
                    out.insert(match change {
                        Change::Disk(p) => format!("disk {}", r(&p)),
                        Change::Removed(p) => format!("removed {}", r(&p)),
                        Change::Moved { from, to } => format!("moved {} -> {}", r(&from), r(&to)),
                        other => format!("{other:?}"),
                    });
                }
            }
        }
        out
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
    let f = Fixture::new(backend, &[("assets/old.json", "{}")]);
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
    let f = Fixture::new(
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
    let f = Fixture::new(Backend::Notify, &[(".gitignore", "*.psd\n")]);
    write(&f.path("assets/a.psd"), "x");
    write(&f.path("assets/.git/HEAD"), "x");
    write(&f.path("assets/target/x.json"), "x");
    // notify on Linux adds its watch for a new folder from its own thread,
    // so a file written in the same instant can slip by; FSEvents and
    // ReadDirectoryChangesW watch whole trees and have no such gap. Give it
    // that instant.
    std::fs::create_dir_all(f.path("assets/new/deeper")).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    write(&f.path("assets/new/deeper/x.json"), "{}");
    assert_eq!(f.changes(), set(&["disk assets/new/deeper/x.json"]));
}

#[test]
fn notify_root_deleted_and_recreated() {
    let f = Fixture::new(Backend::Notify, &[("assets/a.json", "{}")]);
    std::fs::remove_dir_all(f.path("assets")).unwrap();
    let gone = f.changes();
    assert!(gone.contains("removed assets") || gone.contains("removed assets/a.json"), "{gone:?}");
    write(&f.path("assets/b.json"), "{}");
    assert!(f.changes().contains("disk assets/b.json"));
    std::fs::write(f.path("assets/b.json"), "[]").unwrap();
    assert_eq!(f.changes(), set(&["disk assets/b.json"]));
}
