//! The watcher feeding a real engine: after every scenario, the project kept
//! up to date through `Project::apply` must equal a project scanned afresh
//! from disk, and show the diagnostics the scenario is about.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use assetry_pipeline::{Code, Project};
use assetry_watcher::{WatchEvent, WatchOptions, Watcher};

const HERO: &str = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11";
const OTHER: &str = "5a0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3";
/// How long a settle may take before the test fails (a guard against a
/// hang, never a wait: a settle answers as soon as the watcher is done).
const GUARD: Duration = Duration::from_secs(60);

struct Live {
    _dir: tempfile::TempDir,
    root: PathBuf,
    project: Project,
    watcher: Watcher,
    events: Receiver<WatchEvent>,
}

impl Live {
    fn new(files: &[(&str, &str)]) -> Live {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("assets")).unwrap();
        for (rel, text) in files {
            write(&root.join(rel), text);
        }
        let project = Project::open(&root).unwrap();
        let (watcher, events) = Watcher::channel(WatchOptions::for_project(&project, None)).unwrap();
        Live { _dir: dir, root, project, watcher, events }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Applies every batch the changes so far produced (the watcher is
    /// asked to settle), then checks the incremental state against a fresh
    /// scan.
    fn settle(&mut self) {
        for event in settled(&self.watcher, &self.events) {
            if let WatchEvent::Changes(batch) = event {
                self.project.apply(batch);
            }
        }
        // Messages may differ: only the live project knows where a moved
        // asset went ("the asset moved to ...").
        let fresh = Project::open(&self.root).unwrap();
        let key = |p: &Project| -> Vec<(String, Code, u32, u32)> {
            p.all_diagnostics()
                .into_iter()
                .flat_map(|f| f.diagnostics)
                .map(|d| (d.path, d.code, d.range.start, d.range.end))
                .collect()
        };
        assert_eq!(key(&self.project), key(&fresh), "incremental state differs from a rescan");
        assert_eq!(self.project.asset_count(), fresh.asset_count());
        assert_eq!(self.project.reference_count(), fresh.reference_count());
    }

    fn message(&self, rel: &str) -> String {
        self.project.diagnostics_of(rel).iter().map(|d| d.message.as_str()).collect::<Vec<_>>().join("\n")
    }

    fn codes(&self, rel: &str) -> Vec<Code> {
        self.project.diagnostics_of(rel).iter().map(|d| d.code).collect()
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Every event the changes made so far produced, once `watcher` says it
/// handed them all on.
fn settled(watcher: &Watcher, events: &Receiver<WatchEvent>) -> Vec<WatchEvent> {
    watcher.settle().recv_timeout(GUARD).expect("the watcher settles");
    events.try_iter().collect()
}

fn meta(id: &str) -> String {
    format!("id = \"{id}\"\n")
}

const SCENE: &str = "assets/scenes/level.scene.json";

fn level() -> Live {
    Live::new(&[
        (SCENE, "{\"sky\": \"textures/hero.png\"}"),
        ("assets/scenes/level.scene.json.meta", &meta(OTHER)),
        ("assets/textures/hero.png", "png"),
        ("assets/textures/hero.png.meta", &meta(HERO)),
    ])
}

#[test]
fn create_fixes_a_broken_path() {
    let mut live = Live::new(&[
        (SCENE, "{\"sky\": \"textures/hero.png\"}"),
        ("assets/scenes/level.scene.json.meta", &meta(OTHER)),
    ]);
    assert_eq!(live.codes(SCENE), [Code::BrokenPath]);
    write(&live.path("assets/textures/hero.png"), "png");
    write(&live.path("assets/textures/hero.png.meta"), &meta(HERO));
    live.settle();
    assert!(live.codes(SCENE).is_empty());
    assert!(live.codes("assets/textures/hero.png").is_empty(), "no missing-meta left behind");
}

#[test]
fn modify_breaks_a_reference() {
    let mut live = level();
    std::fs::write(live.path(SCENE), "{\"sky\": \"textures/villain.png\"}").unwrap();
    live.settle();
    assert_eq!(live.codes(SCENE), [Code::BrokenPath]);
}

#[test]
fn delete_breaks_the_reference_and_leaves_no_orphan() {
    let mut live = level();
    std::fs::remove_file(live.path("assets/textures/hero.png")).unwrap();
    std::fs::remove_file(live.path("assets/textures/hero.png.meta")).unwrap();
    live.settle();
    assert_eq!(live.codes(SCENE), [Code::BrokenPath]);
}

#[test]
fn rename_is_known_as_a_move() {
    let mut live = level();
    std::fs::rename(live.path("assets/textures/hero.png"), live.path("assets/textures/hero2.png")).unwrap();
    std::fs::rename(live.path("assets/textures/hero.png.meta"), live.path("assets/textures/hero2.png.meta")).unwrap();
    live.settle();
    assert_eq!(live.codes(SCENE), [Code::BrokenPath]);
    let moved = live.project.moved_to("assets/textures/hero.png").map(|id| live.project.path(id).to_owned());
    assert_eq!(moved.as_deref(), Some("assets/textures/hero2.png"));
    assert!(live.message(SCENE).contains("assets/textures/hero2.png"), "{}", live.message(SCENE));
}

#[test]
fn move_between_folders_by_delete_and_create_is_known_as_a_move() {
    let mut live = level();
    std::fs::remove_file(live.path("assets/textures/hero.png")).unwrap();
    std::fs::remove_file(live.path("assets/textures/hero.png.meta")).unwrap();
    write(&live.path("assets/ui/hero.png"), "png");
    write(&live.path("assets/ui/hero.png.meta"), &meta(HERO));
    live.settle();
    assert_eq!(live.codes(SCENE), [Code::BrokenPath]);
    let moved = live.project.moved_to("assets/textures/hero.png").map(|id| live.project.path(id).to_owned());
    assert_eq!(moved.as_deref(), Some("assets/ui/hero.png"));
    assert!(live.message(SCENE).contains("assets/ui/hero.png"), "{}", live.message(SCENE));
}

#[test]
fn move_a_whole_folder() {
    let mut live = level();
    std::fs::rename(live.path("assets/textures"), live.path("assets/art")).unwrap();
    live.settle();
    assert_eq!(live.codes(SCENE), [Code::BrokenPath]);
    let moved = live.project.moved_to("assets/textures/hero.png").map(|id| live.project.path(id).to_owned());
    assert_eq!(moved.as_deref(), Some("assets/art/hero.png"));
    // And back: clean again.
    std::fs::rename(live.path("assets/art"), live.path("assets/textures")).unwrap();
    live.settle();
    assert!(live.codes(SCENE).is_empty());
}

#[test]
fn change_only_a_meta_id() {
    let mut live = Live::new(&[
        (SCENE, &format!("{{\"sky\": \"{HERO}\"}}")),
        ("assets/scenes/level.scene.json.meta", &meta(OTHER)),
        ("assets/textures/hero.png", "png"),
        ("assets/textures/hero.png.meta", &meta(HERO)),
    ]);
    assert!(live.codes(SCENE).is_empty());
    std::fs::write(live.path("assets/textures/hero.png.meta"), meta("11111111-2222-4333-8444-555555555555")).unwrap();
    live.settle();
    assert_eq!(live.codes(SCENE), [Code::UnknownId]);
    std::fs::write(live.path("assets/textures/hero.png.meta"), "id = \"not-a-uuid\"\n").unwrap();
    live.settle();
    assert_eq!(live.codes("assets/textures/hero.png.meta"), [Code::InvalidMeta]);
}

#[test]
fn rename_over_save() {
    let mut live = level();
    let tmp = live.path("assets/scenes/level.scene.json.tmp~");
    std::fs::write(&tmp, "{\"sky\": \"textures/nothing.png\"}").unwrap();
    std::fs::rename(&tmp, live.path(SCENE)).unwrap();
    live.settle();
    assert_eq!(live.codes(SCENE), [Code::BrokenPath]);
}

#[test]
fn storm_of_ten_thousand_changes() {
    let mut live = level();
    // A branch switch: 5,000 new assets with their metas, one scene pointing
    // at some of them, and the old texture gone.
    let mut refs = Vec::new();
    for i in 0..5_000 {
        let rel = format!("gen/d{}/a{i}.png", i % 100);
        write(&live.path(&format!("assets/{rel}")), "png");
        write(&live.path(&format!("assets/{rel}.meta")), &format!("id = \"00000000-0000-4000-8000-{i:012}\"\n"));
        if i % 500 == 0 {
            refs.push(format!("\"{rel}\""));
        }
    }
    refs.push("\"gen/d0/missing.png\"".to_owned());
    std::fs::write(live.path(SCENE), format!("{{\"list\": [{}]}}", refs.join(", "))).unwrap();
    std::fs::remove_file(live.path("assets/textures/hero.png")).unwrap();
    std::fs::remove_file(live.path("assets/textures/hero.png.meta")).unwrap();
    live.settle();
    assert_eq!(live.codes(SCENE), [Code::BrokenPath]);
    assert_eq!(live.project.asset_count(), 5_001);
}

#[test]
fn root_deleted_and_recreated() {
    let mut live = level();
    std::fs::remove_dir_all(live.path("assets")).unwrap();
    live.settle();
    assert_eq!(live.project.asset_count(), 0);
    write(&live.path(SCENE), "{\"sky\": \"textures/gone.png\"}");
    write(&live.path("assets/scenes/level.scene.json.meta"), &meta(OTHER));
    live.settle();
    assert_eq!(live.codes(SCENE), [Code::BrokenPath]);
}

#[test]
fn gitignore_edit_hides_and_shows_files() {
    let mut live = level();
    write(&live.path("assets/textures/.gitignore"), "hero.png*\n");
    live.settle();
    assert_eq!(live.codes(SCENE), [Code::BrokenPath]);
    std::fs::remove_file(live.path("assets/textures/.gitignore")).unwrap();
    live.settle();
    assert!(live.codes(SCENE).is_empty());
}

#[test]
fn kernel_queue_overflow_is_recovered_by_a_rescan() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root.join(SCENE), "{\"sky\": \"textures/s0.png\"}");
    write(&root.join("assets/scenes/level.scene.json.meta"), &meta(OTHER));
    // Watched from the start, so every file written there queues events.
    std::fs::create_dir_all(root.join("assets/textures")).unwrap();
    let mut project = Project::open(&root).unwrap();
    // The watcher thread is held inside its callback while files change, so
    // the kernel queue fills up and overflows, as behind a slow consumer.
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let (blocked_tx, blocked_rx) = std::sync::mpsc::channel::<()>();
    let (tx, events) = std::sync::mpsc::channel();
    let mut first = true;
    let watcher = Watcher::start(WatchOptions::for_project(&project, None), move |event| {
        if first && matches!(event, WatchEvent::Changes(_)) {
            first = false;
            let _ = blocked_tx.send(());
            let _ = release_rx.recv();
        }
        let _ = tx.send(event);
    })
    .unwrap();
    write(&root.join("assets/first.json"), "{}");
    blocked_rx.recv_timeout(Duration::from_secs(10)).expect("the first batch reaches the callback");
    let limit: usize = std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(16_384);
    // Three events per file (create, modify, close-write): well past the limit.
    let files = limit / 2;
    for i in 0..files {
        write(&root.join(format!("assets/textures/s{i}.png")), "png");
    }
    std::fs::remove_file(root.join("assets/first.json")).unwrap();
    release_tx.send(()).unwrap();

    let mut saw_overflow = false;
    for event in settled(&watcher, &events) {
        match event {
            WatchEvent::Changes(batch) => {
                project.apply(batch);
            }
            WatchEvent::Notice(notice) => saw_overflow |= notice == assetry_watcher::Notice::Overflow,
        }
    }
    assert!(saw_overflow, "the kernel queue did not overflow; the test wrote too few files");
    let fresh = Project::open(&root).unwrap();
    assert_eq!(project.asset_count(), fresh.asset_count());
    assert_eq!(project.asset_count(), files + 1);
    assert_eq!(project.all_diagnostics(), fresh.all_diagnostics());
    assert!(project.file_id("assets/first.json").is_none(), "a removal lost in the overflow is still applied");
}

#[test]
fn files_created_between_the_scan_and_the_watch_are_picked_up() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root.join(SCENE), "{\"sky\": \"textures/late.png\"}");
    write(&root.join("assets/scenes/level.scene.json.meta"), &meta(OTHER));
    write(&root.join("assets/textures/old.png"), "png");
    write(&root.join("assets/textures/old.png.meta"), &meta(HERO));
    let scanned_at = std::time::SystemTime::now();
    let mut project = Project::open(&root).unwrap();
    assert_eq!(project.diagnostics_of(SCENE).len(), 1);
    // Changes after the scan read the folder, before the watch exists.
    write(&root.join("assets/textures/late.png"), "png");
    write(&root.join("assets/textures/late.png.meta"), &meta("11111111-2222-4333-8444-555555555555"));
    std::fs::remove_file(root.join("assets/textures/old.png")).unwrap();
    std::fs::remove_file(root.join("assets/textures/old.png.meta")).unwrap();
    let (watcher, events) = Watcher::channel(WatchOptions::for_project(&project, Some(scanned_at))).unwrap();
    for event in settled(&watcher, &events) {
        if let WatchEvent::Changes(batch) = event {
            project.apply(batch);
        }
    }
    assert!(project.diagnostics_of(SCENE).is_empty());
    assert!(project.file_id("assets/textures/old.png").is_none());
    assert_eq!(project.asset_count(), 2);
}
