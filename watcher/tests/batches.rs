//! The watcher on real temporary folders: each test changes files the way a
//! user, a tool or git does and asserts the batches that come out.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use assetry_watcher::{Change, ChangeBatch, Notice, WatchEvent, WatchOptions, Watcher};

const PAIR_WINDOW: Duration = Duration::from_millis(300);
/// How long a settle may take before the test fails (a guard against a
/// hang, never a wait: a settle answers as soon as the watcher is done).
const GUARD: Duration = Duration::from_secs(30);

const ID_A: &str = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11";

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    watcher: Option<Watcher>,
    events: Option<Receiver<WatchEvent>>,
    notices: Vec<Notice>,
}

impl Fixture {
    fn new(files: &[(&str, &str)]) -> Fixture {
        Fixture::with(files, |_| {})
    }

    fn with(files: &[(&str, &str)], tweak: impl FnOnce(&mut WatchOptions)) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("assets")).unwrap();
        for (path, text) in files {
            write(&root.join(path), text);
        }
        let mut options = WatchOptions::new(&root);
        // Longer than the default, so a loaded test machine that pauses
        // between two writes of a pair still sees them paired.
        options.pair_window = PAIR_WINDOW;
        tweak(&mut options);
        let (watcher, events) = Watcher::channel(options).unwrap();
        Fixture { _dir: dir, root, watcher: Some(watcher), events: Some(events), notices: Vec::new() }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Every batch the changes made so far produced: the watcher is asked
    /// to settle, and once it answers, everything it handed on is in the
    /// channel.
    fn batches(&mut self) -> Vec<ChangeBatch> {
        let settled = self.watcher.as_ref().unwrap().settle();
        if settled.recv_timeout(GUARD).is_err() {
            panic!("the watcher did not settle; notices: {:?}", self.notices);
        }
        let mut out = Vec::new();
        for event in self.events.as_ref().unwrap().try_iter() {
            match event {
                WatchEvent::Changes(batch) => out.push(batch),
                WatchEvent::Notice(n) => self.notices.push(n),
            }
        }
        out
    }

    /// The single batch the last action produced.
    fn one_batch(&mut self) -> Vec<Change> {
        let batches = self.batches();
        assert_eq!(batches.len(), 1, "expected one batch, got {batches:#?}");
        batches.into_iter().next().unwrap().changes
    }

    fn one(&mut self) -> Vec<String> {
        let batch = self.one_batch();
        self.describe(&batch)
    }

    fn rel(&self, change: &Change) -> String {
        let r = |p: &Path| p.strip_prefix(&self.root).unwrap().display().to_string();
        match change {
            Change::Disk(p) => format!("disk {}", r(p)),
            Change::Removed(p) => format!("removed {}", r(p)),
            Change::Moved { from, to } => format!("moved {} -> {}", r(from), r(to)),
            other => format!("{other:?}"),
        }
    }

    fn describe(&self, changes: &[Change]) -> Vec<String> {
        changes.iter().map(|c| self.rel(c)).collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.watcher.take();
        self.events.take();
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A person's or a tool's pause between two steps of one action, longer
/// than the coalescing window (10 ms): part of the scenario's input, not a
/// wait for the watcher (results are only read after a settle).
fn pause_between_steps() {
    std::thread::sleep(Duration::from_millis(40));
}

fn meta(id: &str) -> String {
    format!("id = \"{id}\"\n")
}

#[test]
fn create_asset_and_meta_arrive_together() {
    let mut f = Fixture::new(&[]);
    write(&f.path("assets/hero.png"), "png");
    // Slower than the window: pairing still keeps them in one batch.
    pause_between_steps();
    write(&f.path("assets/hero.png.meta"), &meta(ID_A));
    let batch = f.one_batch();
    assert_eq!(f.describe(&batch), ["disk assets/hero.png", "disk assets/hero.png.meta"]);
}

#[test]
fn modify_is_one_change() {
    let mut f = Fixture::new(&[("assets/a.scene.json", "{}"), ("assets/a.scene.json.meta", &meta(ID_A))]);
    std::fs::write(f.path("assets/a.scene.json"), "{\"x\": \"b.png\"}").unwrap();
    let batch = f.one_batch();
    assert_eq!(f.describe(&batch), ["disk assets/a.scene.json"]);
}

#[test]
fn change_only_a_meta() {
    let mut f = Fixture::new(&[("assets/a.png", "png"), ("assets/a.png.meta", &meta(ID_A))]);
    std::fs::write(f.path("assets/a.png.meta"), format!("{}tags = [\"ui\"]\n", meta(ID_A))).unwrap();
    let batch = f.one_batch();
    assert_eq!(f.describe(&batch), ["disk assets/a.png.meta"]);
}

#[test]
fn delete_asset_and_meta() {
    let mut f = Fixture::new(&[("assets/t/a.png", "png"), ("assets/t/a.png.meta", &meta(ID_A))]);
    std::fs::remove_file(f.path("assets/t/a.png")).unwrap();
    pause_between_steps();
    std::fs::remove_file(f.path("assets/t/a.png.meta")).unwrap();
    let batch = f.one_batch();
    assert_eq!(f.describe(&batch), ["removed assets/t/a.png", "removed assets/t/a.png.meta"]);
}

#[test]
fn rename_in_place() {
    let mut f = Fixture::new(&[("assets/a.png", "png"), ("assets/a.png.meta", &meta(ID_A))]);
    std::fs::rename(f.path("assets/a.png"), f.path("assets/b.png")).unwrap();
    std::fs::rename(f.path("assets/a.png.meta"), f.path("assets/b.png.meta")).unwrap();
    let batch = f.one_batch();
    assert_eq!(
        f.describe(&batch),
        ["moved assets/a.png -> assets/b.png", "moved assets/a.png.meta -> assets/b.png.meta"]
    );
}

#[test]
fn move_between_folders() {
    let mut f = Fixture::new(&[
        ("assets/textures/a.png", "png"),
        ("assets/textures/a.png.meta", &meta(ID_A)),
        ("assets/ui/keep", ""),
    ]);
    std::fs::rename(f.path("assets/textures/a.png"), f.path("assets/ui/a.png")).unwrap();
    std::fs::rename(f.path("assets/textures/a.png.meta"), f.path("assets/ui/a.png.meta")).unwrap();
    let batch = f.one_batch();
    assert_eq!(
        f.describe(&batch),
        ["moved assets/textures/a.png -> assets/ui/a.png", "moved assets/textures/a.png.meta -> assets/ui/a.png.meta"]
    );
}

#[test]
fn move_a_whole_folder_then_change_inside_it() {
    let mut f =
        Fixture::new(&[("assets/textures/deep/a.png", "png"), ("assets/textures/deep/a.png.meta", &meta(ID_A))]);
    std::fs::rename(f.path("assets/textures"), f.path("assets/art")).unwrap();
    let batch = f.one_batch();
    assert_eq!(f.describe(&batch), ["moved assets/textures -> assets/art"]);
    // The watches moved with the folder: a change inside has the new path.
    std::fs::write(f.path("assets/art/deep/a.png"), "png2").unwrap();
    let batch = f.one_batch();
    assert_eq!(f.describe(&batch), ["disk assets/art/deep/a.png"]);
}

#[test]
fn rename_over_save_reports_the_target_only() {
    let mut f = Fixture::new(&[("assets/a.scene.json", "{}"), ("assets/a.scene.json.meta", &meta(ID_A))]);
    let tmp = f.path("assets/.a.scene.json.swp");
    std::fs::write(&tmp, "{\"sky\": \"x.png\"}").unwrap();
    std::fs::rename(&tmp, f.path("assets/a.scene.json")).unwrap();
    let batch = f.one_batch();
    assert_eq!(f.describe(&batch), ["disk assets/a.scene.json"]);
}

#[test]
fn delete_plus_create_with_the_same_id_is_a_move() {
    let mut f = Fixture::with(&[("assets/old/a.png", "png"), ("assets/old/a.png.meta", &meta(ID_A))], |o| {
        o.known_meta_ids = vec![(o.project_root.join("assets/old/a.png.meta"), 0x0b6d3f6e_3c1f_4f54_9f0e_2d8a3c6b9e11)];
    });
    // A file manager's move across file systems: delete, then copy.
    std::fs::remove_file(f.path("assets/old/a.png")).unwrap();
    std::fs::remove_file(f.path("assets/old/a.png.meta")).unwrap();
    pause_between_steps();
    write(&f.path("assets/new/b.png"), "png");
    write(&f.path("assets/new/b.png.meta"), &meta(ID_A));
    let batch = f.one_batch();
    assert_eq!(
        f.describe(&batch),
        ["moved assets/old/a.png -> assets/new/b.png", "moved assets/old/a.png.meta -> assets/new/b.png.meta"]
    );
}

#[test]
fn ids_learned_while_watching_detect_later_moves() {
    let mut f = Fixture::new(&[]);
    write(&f.path("assets/a.png"), "png");
    write(&f.path("assets/a.png.meta"), &meta(ID_A));
    assert_eq!(f.one_batch().len(), 2);
    std::fs::remove_file(f.path("assets/a.png")).unwrap();
    std::fs::remove_file(f.path("assets/a.png.meta")).unwrap();
    write(&f.path("assets/sub/a.png"), "png");
    write(&f.path("assets/sub/a.png.meta"), &meta(ID_A));
    let batch = f.one_batch();
    assert_eq!(
        f.describe(&batch),
        ["moved assets/a.png -> assets/sub/a.png", "moved assets/a.png.meta -> assets/sub/a.png.meta"]
    );
}

#[test]
fn ignored_paths_never_appear() {
    let mut f = Fixture::with(
        &[(".gitignore", "*.psd\n"), ("assets/raw/.gitignore", "scratch/\n"), ("assets/raw/scratch/x", "")],
        |o| o.ignore = vec!["**/*.tmp".to_owned()],
    );
    for rel in [
        "assets/a.psd",
        "assets/x.tmp",
        "assets/.git/HEAD",
        "assets/.assetry/out/default/a.png",
        "assets/target/debug/x",
        "assets/raw/scratch/y.png",
        "src/target/x.rs",
        "target/debug/assetry",
        "notes.txt",
    ] {
        write(&f.path(rel), "x");
    }
    write(&f.path("assets/real.png"), "png");
    write(&f.path("assets/real.png.meta"), &meta(ID_A));
    write(&f.path("src/main.rs"), "fn main() {}");
    let all: Vec<String> = f.batches().iter().flat_map(|b| f.describe(&b.changes)).collect();
    let all: BTreeSet<String> = all.into_iter().collect();
    let want: BTreeSet<String> = ["disk assets/real.png", "disk assets/real.png.meta", "disk src/main.rs"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(all, want);
}

#[test]
fn a_file_gone_before_it_was_read_is_not_reported() {
    let mut f = Fixture::new(&[]);
    write(&f.path("assets/blink.png"), "png");
    std::fs::remove_file(f.path("assets/blink.png")).unwrap();
    write(&f.path("assets/stay.json"), "{}");
    let all: Vec<String> = f.batches().iter().flat_map(|b| f.describe(&b.changes)).collect();
    assert_eq!(all, ["disk assets/stay.json"]);
}

#[test]
fn a_new_folder_with_files_is_reported_file_by_file() {
    let mut f = Fixture::new(&[]);
    let outside = tempfile::tempdir().unwrap();
    write(&outside.path().join("pack/a/x.png"), "png");
    write(&outside.path().join("pack/a/x.png.meta"), &meta(ID_A));
    write(&outside.path().join("pack/y.wgsl"), "fn f() {}");
    // Moved in from outside the tree: no MOVED_FROM pairs with it.
    let out =
        std::process::Command::new("cp").arg("-r").arg(outside.path().join("pack")).arg(f.path("assets/pack")).status();
    assert!(out.unwrap().success());
    let all: BTreeSet<String> = f.batches().iter().flat_map(|b| f.describe(&b.changes)).collect();
    let want: BTreeSet<String> =
        ["disk assets/pack/a/x.png", "disk assets/pack/a/x.png.meta", "disk assets/pack/y.wgsl"]
            .into_iter()
            .map(String::from)
            .collect();
    assert_eq!(all, want);
    // And the new folders are watched.
    std::fs::write(f.path("assets/pack/a/x.png"), "png2").unwrap();
    assert_eq!(f.one(), ["disk assets/pack/a/x.png"]);
}

#[test]
fn a_folder_moved_out_of_the_tree_is_removed() {
    let mut f = Fixture::new(&[("assets/gone/a.png", "png"), ("assets/gone/a.png.meta", &meta(ID_A))]);
    let outside = tempfile::tempdir().unwrap();
    std::fs::rename(f.path("assets/gone"), outside.path().join("gone")).unwrap();
    assert_eq!(f.one(), ["removed assets/gone"]);
    // Its old watches are dropped: changes out there are not ours.
    std::fs::write(outside.path().join("gone/a.png"), "x").unwrap();
    assert!(f.batches().is_empty());
}

#[test]
fn storm_of_ten_thousand_changes_settles_in_few_batches() {
    let mut f = Fixture::new(&[]);
    let started = Instant::now();
    for i in 0..5_000 {
        let dir = f.path(&format!("assets/d{}", i % 50));
        write(&dir.join(format!("a{i}.png")), "png");
        write(&dir.join(format!("a{i}.png.meta")), &format!("id = \"00000000-0000-4000-8000-{i:012}\"\n"));
    }
    let writing = started.elapsed();
    let batches = f.batches();
    let settled = started.elapsed();
    let mut seen = BTreeSet::new();
    for batch in &batches {
        for change in &batch.changes {
            match change {
                Change::Disk(p) => {
                    seen.insert(p.clone());
                }
                other => panic!("unexpected change in a storm of creations: {other:?}"),
            }
        }
    }
    assert_eq!(seen.len(), 10_000, "every created file is reported");
    // While writes keep coming, a batch is cut every `max_delay` (250 ms),
    // or at a pause longer than the window (a loaded machine pauses the
    // writer): the count follows the storm's duration and pauses, not its
    // size. The benchmark reports it; here, batches must be large.
    assert!(
        batches.len() <= 10_000 / 50,
        "{} batches for a storm written in {writing:?}: fewer than 50 files each",
        batches.len()
    );
    // Every asset arrives with its .meta.
    for batch in &batches {
        let paths: BTreeSet<&PathBuf> =
            batch.changes.iter().filter_map(|c| if let Change::Disk(p) = c { Some(p) } else { None }).collect();
        for p in &paths {
            if p.extension().is_some_and(|e| e == "png") {
                let mut m = p.as_os_str().to_owned();
                m.push(".meta");
                assert!(paths.contains(&PathBuf::from(m)), "{} left without its .meta", p.display());
            }
        }
    }
    eprintln!("storm: {} batches, settled {settled:?} after the first write", batches.len());
}

#[test]
fn a_storm_past_the_cap_becomes_a_rescan() {
    let mut f = Fixture::with(&[], |o| o.max_pending = 100);
    for i in 0..500 {
        write(&f.path(&format!("assets/s/f{i}.json")), "{}");
    }
    let batches = f.batches();
    let all: Vec<String> = batches.iter().flat_map(|b| f.describe(&b.changes)).collect();
    assert!(all.contains(&"disk assets".to_owned()), "{all:?}");
    assert!(batches.iter().all(|b| b.len() <= 101), "a batch holds at most the cap plus the rescans");
}

#[test]
fn root_deleted_and_recreated_is_watched_again() {
    let mut f = Fixture::new(&[("assets/a.png", "png"), ("assets/a.png.meta", &meta(ID_A))]);
    std::fs::remove_dir_all(f.path("assets")).unwrap();
    let all: Vec<String> = f.batches().iter().flat_map(|b| f.describe(&b.changes)).collect();
    assert_eq!(all, ["removed assets"]);
    assert_eq!(f.notices, [Notice::RootMissing(f.path("assets"))]);

    std::fs::create_dir(f.path("assets")).unwrap();
    write(&f.path("assets/b.png"), "png");
    write(&f.path("assets/b.png.meta"), &meta(ID_A));
    let all: BTreeSet<String> = f.batches().iter().flat_map(|b| f.describe(&b.changes)).collect();
    let want: BTreeSet<String> =
        ["disk assets/b.png", "disk assets/b.png.meta"].into_iter().map(String::from).collect();
    assert_eq!(all, want);
    let root = f.path("assets");
    assert_eq!(f.notices, [Notice::RootMissing(root.clone()), Notice::RootRestored(root)]);
    write(&f.path("assets/later/c.json"), "{}");
    assert_eq!(f.one(), ["disk assets/later/c.json"]);
}

#[test]
fn a_missing_root_is_picked_up_when_created() {
    let mut f = Fixture::with(&[], |o| o.asset_roots = vec![o.project_root.join("game/assets")]);
    write(&f.path("game/assets/a.json"), "{}");
    let batches = f.batches();
    assert_eq!(batches, [ChangeBatch { changes: vec![Change::Disk(f.path("game/assets/a.json"))] }]);
    let root = f.path("game/assets");
    assert_eq!(f.notices, [Notice::RootMissing(root.clone()), Notice::RootRestored(root)]);
}

#[test]
fn past_the_watch_limit_folders_are_polled() {
    let mut f = Fixture::with(&[("assets/a/x.json", "{}"), ("assets/b/y.json", "{}")], |o| {
        // Project root + `assets`: everything below is polled.
        o.watch_budget = Some(2);
        o.poll_interval = Duration::from_millis(100);
    });
    std::fs::write(f.path("assets/b/y.json"), "{\"changed\": 1}").unwrap();
    write(&f.path("assets/b/z.json"), "{}");
    std::fs::remove_file(f.path("assets/a/x.json")).unwrap();
    let all: BTreeSet<String> = f.batches().iter().flat_map(|b| f.describe(&b.changes)).collect();
    let want: BTreeSet<String> = ["disk assets/b/y.json", "disk assets/b/z.json", "removed assets/a/x.json"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(all, want);
    let limit = f.notices.iter().find(|n| matches!(n, Notice::WatchLimit { .. })).expect("a watch-limit notice");
    assert!(limit.to_string().contains("fs.inotify.max_user_watches"), "{limit}");
    let stats = f.watcher.as_ref().unwrap().stats();
    assert_eq!((stats.watched_dirs, stats.polled_dirs), (2, 2));
}

#[test]
fn reading_every_file_produces_no_event() {
    let mut files = Vec::new();
    for i in 0..200 {
        files.push((format!("assets/d{}/a{i}.png", i % 7), "png".to_owned()));
        files.push((format!("assets/d{}/a{i}.png.meta", i % 7), meta(ID_A)));
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let mut f = Fixture::new(&refs);
    for (rel, _) in &files {
        let _ = std::fs::read(f.path(rel)).unwrap();
        let _ = std::fs::metadata(f.path(rel)).unwrap();
    }
    assert!(f.batches().is_empty());
    assert_eq!(f.watcher.as_ref().unwrap().stats().events, 0);
}

#[test]
fn walked_dirs_are_watched_without_walking() {
    let mut f = Fixture::with(&[("assets/a/x.json", "{}"), ("assets/b/y.json", "{}")], |o| {
        let r = o.project_root.clone();
        // Only what the engine says it walked is watched.
        o.walked_dirs = Some(vec![r.join("assets"), r.join("assets/a")]);
    });
    std::fs::write(f.path("assets/a/x.json"), "[]").unwrap();
    std::fs::write(f.path("assets/b/y.json"), "[]").unwrap();
    let all: Vec<String> = f.batches().iter().flat_map(|b| f.describe(&b.changes)).collect();
    assert_eq!(all, ["disk assets/a/x.json"]);
}

#[test]
fn config_file_changes_are_reported() {
    let mut f = Fixture::new(&[("assetry.toml", "")]);
    std::fs::write(f.path("assetry.toml"), "[project]\nroots = [\"assets\"]\n").unwrap();
    assert_eq!(f.one(), ["disk assetry.toml"]);
}

#[test]
fn editing_gitignore_rereads_the_folder() {
    let mut f = Fixture::new(&[("assets/x.psd", "")]);
    write(&f.path("assets/.gitignore"), "*.psd\n");
    assert_eq!(f.one(), ["disk assets"]);
    std::fs::write(f.path("assets/x.psd"), "changed").unwrap();
    assert!(f.batches().is_empty());
}

#[test]
fn an_asset_root_that_is_a_symlink_is_watched() {
    let shared = tempfile::tempdir().unwrap();
    let target = shared.path().canonicalize().unwrap().join("shared-assets");
    write(&target.join("a.json"), "{}");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::os::unix::fs::symlink(&target, root.join("assets")).unwrap();
    let (_watcher, events) = Watcher::channel(WatchOptions::new(&root)).unwrap();
    std::fs::write(target.join("a.json"), "[]").unwrap();
    match events.recv_timeout(Duration::from_secs(5)) {
        Ok(WatchEvent::Changes(batch)) => assert_eq!(batch.changes, [Change::Disk(root.join("assets/a.json"))]),
        Ok(WatchEvent::Notice(n)) => panic!("unexpected notice: {n}"),
        Err(e) => panic!("no batch for a change under a symlinked root: {e}"),
    }
}
